"""One definition of the filter fields and of each record's fields: the API's schemas and the page read them."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.schemas import DocumentOut, FilterParams, HitOut, SimilarOut
from api.settings import Settings
from api.synthesis_routes import CitationOut
from index.filters import FILTER_FIELDS, LIST_FIELDS
from index.records import PRIVATE_FIELDS, DocumentRecord
from ingest.quality import quality_band
from search.retrieval.engine import Hit
from search.retrieval.similar import SimilarResult
from search.synthesis.model import Citation

A_VALUE = {"collection": "all", "curation": "none", "quality_band": "high", "date_from": "2020", "date_to": "2030",
           "min_quality": "0.1"}


def test_fields_lists_every_filter_field_with_its_name(client: TestClient) -> None:
    body = client.get("/fields").json()
    assert [f["field"] for f in body["fields"]] == list(FILTER_FIELDS)
    assert {f["field"] for f in body["fields"] if f["repeatable"]} == set(LIST_FIELDS)
    names = {f["field"]: f["name"] for f in body["fields"]}
    assert names["actor_type"] == "Submitted by" and names["doc_type"] == "Document type"
    assert [f["field"] for f in body["facets"]][:2] == ["curation", "quality_band"]
    assert all(f["name"] and f["name"] != f["field"] for f in body["facets"])


@pytest.mark.parametrize("field", [f for f in FILTER_FIELDS if f != "document_id"])
def test_every_field_the_page_offers_is_a_filter_search_accepts(client: TestClient, field: str) -> None:
    r = client.get("/search", params={"q": "helpline", field: A_VALUE.get(field, "Malawi")})
    assert r.status_code == 200, r.text


@pytest.mark.slow
def test_quality_band_filters_by_the_score_band(real_sample_index) -> None:
    with TestClient(create_app(Settings(index=real_sample_index.path), real_sample_index)) as client:
        every = client.get("/documents").json()["documents"]
        assert len({d["quality_band"] for d in every}) == 3  # the sample's documents fall in every band
        for band in ("high", "medium", "low"):
            listed = client.get("/documents", params={"quality_band": band}).json()["documents"]
            assert {d["document_id"] for d in listed} == {d["document_id"] for d in every
                                                         if d["quality_band"] == band}
        assert client.get("/documents", params={"quality_band": "excellent"}).status_code == 422
        by_name = client.get("/documents", params={"quality_band": "High (0.7 and above)"}).json()["documents"]
        assert by_name and all(quality_band(d["quality"]) == "high" for d in by_name)
        hits = client.get("/search", params={"q": "training teachers", "quality_band": "low"}).json()["hits"]
        assert hits and all(quality_band(h["quality"]) == "low" for h in hits)


def test_response_schemas_are_the_records_fields() -> None:
    assert set(HitOut.model_fields) == {f.name for f in dataclasses.fields(Hit)} - {"signals"}
    assert set(CitationOut.model_fields) == {f.name for f in dataclasses.fields(Citation)}
    shown = {f.name for f in dataclasses.fields(DocumentRecord)} - PRIVATE_FIELDS - {"id"}
    assert set(DocumentOut.model_fields) == shown | {"document_id", "has_file", "quality_band", "quality_from", "versions"}
    assert set(FilterParams.model_fields) == set(FILTER_FIELDS) - {"document_id"}
    assert set(SimilarOut.model_fields) == {f.name for f in dataclasses.fields(SimilarResult)}


def test_hit_and_document_json_validate_against_their_schemas(client: TestClient) -> None:
    hits = client.get("/search", params={"q": "helpline", "k": 3}).json()["hits"]
    assert hits and all(set(h) == set(HitOut.model_fields) for h in hits)
    docs = client.get("/documents").json()["documents"]
    assert docs and all(set(d) == set(DocumentOut.model_fields) for d in docs)
