"""Read endpoints on a small fake-embedder index (real SQLite/FAISS), and on the real sample index."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.settings import Settings
from search.retrieval.answer import answer
from search.retrieval.engine import SearchEngine
from tests.api.conftest import AUTH, SEED_DOCS


def test_search_returns_the_engine_hits_and_facets_of_their_documents(client: TestClient, seeded_index) -> None:
    r = client.get("/search", params={"q": "teachers report online abuse", "k": 5})
    assert r.status_code == 200
    body = r.json()
    found = answer(SearchEngine(seeded_index), "teachers report online abuse", k=5)
    assert body["hits"] == [h.to_json() for h in found.hits]  # the same fields and values as `cwg search --json`
    assert body["library"] == [] and body["held_back"] == found.held_back
    assert body["terms"] == ["teachers", "report", "online", "abuse"]
    docs = {h["document_id"]: h for h in body["hits"]}
    for facet in ("source", "country", "region", "doc_type", "meeting", "language"):
        counted = Counter(d[facet] for d in docs.values() if d[facet])
        assert {v["value"]: v["count"] for v in body["facets"][facet]} == counted, facet


def test_filters_apply_before_ranking(client: TestClient) -> None:
    hits = client.get("/search", params={"q": "helpline", "country": ["Malawi", "Philippines"], "k": 10}).json()["hits"]
    assert hits and {h["country"] for h in hits} <= {"Malawi", "Philippines"}
    hits = client.get("/search", params={"q": "helpline", "meeting": "CWG-COP-19"}).json()["hits"]
    assert hits and {h["document_id"] for h in hits} == {"unicef-law"}
    hits = client.get("/search", params={"q": "helpline", "date_to": "2023"}).json()["hits"]
    assert {h["document_id"] for h in hits} == {"unicef-law"}
    hits = client.get("/search", params={"q": "helpline", "doc_type": "report", "region": "Africa"}).json()["hits"]
    assert hits == []


@pytest.mark.parametrize("params", [
    {"q": ""}, {"q": "   "}, {"q": "x", "k": 0}, {"q": "x", "k": 101}, {"q": "x", "k": "ten"}, {"q": "x", "k": "false"},
    {"q": "x", "per_source": 0}, {"q": "x", "mode": "fuzzy"}, {"q": "x", "date_from": "last week"},
    {"q": "x", "country": ""}, {"q": "x", "colour": "red"}, {},
    {"q": "x", "country": " "}, {"q": "x", "country": "a" * 201}, {"q": "x", "min_quality": 2},
    {"q": "x", "min_quality": "high"}, {"q": "x", "curation": "excellent"}, {"q": "x", "language": "\x0b"},
])
def test_bad_search_requests_get_422_with_a_reason(client: TestClient, params: dict) -> None:
    r = client.get("/search", params=params)
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], list) and r.json()["detail"][0]["msg"]


@pytest.mark.parametrize("q", ['"unbalanced', "NEAR(a b)", "title:x", "-", "*", "AND OR NOT", "ü¿‽ 漢字", "a" * 5000])
def test_any_text_query_is_answered(client: TestClient, q: str) -> None:
    assert client.get("/search", params={"q": q}).status_code == 200


def test_documents_list_detail_and_facets(client: TestClient) -> None:
    listing = client.get("/documents").json()
    assert listing["total"] == len(SEED_DOCS) == len(listing["documents"])
    page = client.get("/documents", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 3 and len(page["documents"]) == 1
    assert client.get("/documents", params={"source": "UNICEF"}).json()["total"] == 1
    detail = client.get("/documents/philippines-helpline").json()
    assert detail["country"] == "Philippines" and detail["passages"]
    assert "helpline where children report" in " ".join(p["text"] for p in detail["passages"])
    assert detail["chunks"] == len(detail["passages"])
    facets = client.get("/facets").json()
    assert facets["documents"] == 3
    assert {v["value"]: v["count"] for v in facets["facets"]["meeting"]} == {"CWG-COP-20": 2, "CWG-COP-19": 1}
    assert {v["value"]: v["count"] for v in facets["facets"]["region"]} == {"Africa": 1, "Asia-Pacific": 1}
    filtered = client.get("/facets", params={"meeting": "CWG-COP-20"}).json()
    assert filtered["documents"] == 2 and [v["value"] for v in filtered["facets"]["meeting"]] == ["CWG-COP-20"]


def test_label_facets_appear_when_labels_exist(client: TestClient, seeded_index) -> None:
    assert "theme" not in client.get("/facets").json()["facets"]
    with seeded_index.store.transaction() as conn:
        conn.executemany("INSERT INTO labels (document_id, facet, label, score) VALUES (?, 'theme', ?, 0.9)",
                         [("malawi-teachers", "education"), ("philippines-helpline", "education"),
                          ("philippines-helpline", "reporting")])
    theme = client.get("/facets").json()["facets"]["theme"]
    assert theme == [{"value": "education", "count": 2, "name": "education"},
                     {"value": "reporting", "count": 1, "name": "reporting"}]
    hits = client.get("/search", params={"q": "helpline", "theme": "reporting"}).json()
    assert {h["document_id"] for h in hits["hits"]} == {"philippines-helpline"}
    assert hits["facets"]["theme"] == [{"value": "education", "count": 1, "name": "education"},
                                       {"value": "reporting", "count": 1, "name": "reporting"}]


def test_similar_by_document_and_by_text(client: TestClient) -> None:
    r = client.get("/similar", params={"document_id": "malawi-teachers", "k": 5}).json()["results"]
    assert r and all(x["source"] != "Malawi" for x in r)
    assert all(x["matched"]["document_id"] == "malawi-teachers" for x in r)
    r = client.get("/similar", params={"text": "a helpline where children report abuse"}).json()["results"]
    assert r
    assert client.get("/similar").status_code == 400
    assert client.get("/similar", params={"document_id": "x", "text": "y"}).status_code == 400
    assert client.get("/similar", params={"document_id": "no-such-doc"}).status_code == 404
    # like one passage of a document (a hit's chunk_id): other sources only, matched inside that passage
    hit = client.get("/search", params={"q": "teachers", "source": "Malawi"}).json()["hits"][0]
    r = client.get("/similar", params={"chunk_id": hit["chunk_id"], "k": 5}).json()["results"]
    assert r and all(x["source"] != "Malawi" for x in r)
    assert all(x["matched"]["chunk_id"] == hit["chunk_id"] for x in r)
    assert client.get("/similar", params={"chunk_id": 10**12}).status_code == 404
    assert client.get("/similar", params={"chunk_id": hit["chunk_id"], "document_id": "x"}).status_code == 400
    assert client.get("/similar", params={"initiative_id": "no-such~record"}).status_code == 404


def test_missing_documents_are_404_json(client: TestClient) -> None:
    for path in ("/documents/nope", "/documents/nope/file"):
        r = client.get(path)
        assert r.status_code == 404 and "nope" in r.json()["detail"]
    r = client.get("/no/such/route")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}


def test_file_is_served_with_its_type_and_a_safe_disposition(client: TestClient) -> None:
    html = b"<!doctype html><html><head><title>Page</title></head><body><p>Helpline news.</p>" \
           b"<script>alert(1)</script></body></html>"
    r = client.post("/documents", headers=AUTH, files=[("files", ("Côte d’Ivoire; x.html", html, "text/html"))])
    doc_id = r.json()["results"][0]["document_id"]
    f = client.get(f"/documents/{doc_id}/file")
    assert f.status_code == 200 and f.content == html
    assert f.headers["content-type"].startswith("text/html")
    assert f.headers["content-security-policy"] == "sandbox"  # its scripts never run in our origin
    assert f.headers["x-content-type-options"] == "nosniff"
    disposition = f.headers["content-disposition"]
    assert disposition == "inline; filename=\"C_te d_Ivoire_ x.html\"; filename*=UTF-8''C%C3%B4te%20d%E2%80%99Ivoire%3B%20x.html"
    md = client.get("/documents/malawi-teachers/file")
    assert md.headers["content-type"] == "text/markdown; charset=utf-8"


def test_errors_never_leak_a_traceback(settings: Settings, seeded_index, monkeypatch) -> None:
    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals /home/someone/file.py line 3")

    monkeypatch.setattr(SearchEngine, "rank", broken)
    with TestClient(create_app(settings, seeded_index), raise_server_exceptions=False) as c:
        r = c.get("/search", params={"q": "teachers"})
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error: the server logged it"}
    assert "secret" not in r.text and "Traceback" not in r.text


def test_page_and_assets_are_local_and_locked_down(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset in ("/static/app.js", "/static/app.css"):
        assert client.get(asset).status_code == 200
    text = page.text + client.get("/static/app.js").text + client.get("/static/app.css").text
    assert "http://" not in text and "https://" not in text  # no CDN, nothing from outside
    assert "innerHTML" not in client.get("/static/app.js").text
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_openapi_documents_examples_and_errors(client: TestClient, settings: Settings) -> None:
    spec = client.get("/openapi.json").json()
    search = spec["paths"]["/search"]["get"]
    assert {"200", "400", "422"} <= set(search["responses"])
    assert "security" not in search  # reads are open: the schema does not claim otherwise
    closed = create_app(dataclasses.replace(settings, read_requires_key=True)).openapi()["paths"]["/search"]["get"]
    assert closed["security"] == [{"HTTPBearer": []}] and {"401", "403"} <= set(closed["responses"])
    q = next(p for p in search["parameters"] if p["name"] == "q")
    assert q["schema"].get("examples") or q.get("examples") or q["schema"].get("example")
    upload = spec["paths"]["/documents"]["post"]
    assert {"201", "207", "400", "401", "403", "413", "422"} <= set(upload["responses"])
    assert upload["security"] == [{"HTTPBearer": []}]
    assert upload["requestBody"]["content"]["multipart/form-data"]


@pytest.mark.slow
def test_real_index_search_matches_the_cli_json(real_sample_index, capsys) -> None:
    settings = Settings(index=real_sample_index.path)
    with TestClient(create_app(settings, real_sample_index)) as c:
        api = c.get("/search", params={"q": "teachers trained to explain online risks", "k": 5}).json()
        first = next(h for h in api["hits"][:2] if h["source"] == "Malawi")  # the training-of-trainers contribution
        pdf_hit = c.get("/search", params={"q": "legal framework reforms Kenya Albania", "k": 3}).json()["hits"][0]
        assert pdf_hit["page"] is not None
        f = c.get(f"/documents/{pdf_hit['document_id']}/file")
        assert f.headers["content-type"] == "application/pdf" and f.content.startswith(b"%PDF-")
        similar = c.get("/similar", params={"document_id": first["document_id"], "k": 3}).json()["results"]
        assert similar and all(r["source"] != "Malawi" for r in similar)
    assert main(["search", "teachers trained to explain online risks", "-k", "5", "--json",
                 "--index", str(Path(real_sample_index.path))]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert [h["chunk_id"] for h in cli["hits"]] == [h["chunk_id"] for h in api["hits"]]
    assert cli["hits"][0].keys() == first.keys()


def test_facets_give_the_groups_names_of_document_types(client: TestClient) -> None:
    doc_types = {v["value"]: v["name"] for v in client.get("/facets").json()["facets"]["doc_type"]}
    assert doc_types == {"information": "Information document", "contribution": "Contribution", "report": "Report"}
