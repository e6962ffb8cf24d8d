"""Slide decks and OpenDocument files over HTTP: uploaded, cited by slide, served back as what they are."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.conftest import AUTH, documents
from tests.ingest.office_files import NOTE, TABLE_CELL, make_deck, make_odt

PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def test_a_deck_and_an_odt_upload_and_a_cut_deck_is_reported(client: TestClient, tmp_path: Path) -> None:
    deck = make_deck(tmp_path / "malawi-helpline.pptx").read_bytes()
    odt = make_odt(tmp_path / "strategy.odt").read_bytes()
    before = documents(client)
    r = client.post("/documents", headers=AUTH, data={"meeting": "CWG-COP-21"}, files=[
        ("files", ("malawi-helpline.pptx", deck, PPTX)),
        ("files", ("strategy.odt", odt, "application/vnd.oasis.opendocument.text")),
        ("files", ("cut.pptx", deck[: len(deck) // 2], PPTX)),
    ])
    assert r.status_code == 207, r.text
    results = {x["file_name"]: x for x in r.json()["results"]}
    assert results["malawi-helpline.pptx"]["status"] == "added"
    assert results["malawi-helpline.pptx"]["warnings"] == [
        "1 picture without text on slide 5: not read (their content is not indexed)"]
    assert results["strategy.odt"]["status"] == "added"
    assert results["cut.pptx"]["status"] == "failed" and "damaged zip package" in results["cut.pptx"]["detail"]
    deck_id = results["malawi-helpline.pptx"]["document_id"]
    assert documents(client) == sorted([*before, deck_id, results["strategy.odt"]["document_id"]])

    detail = client.get(f"/documents/{deck_id}").json()
    assert (detail["doc_type"], detail["format"], detail["pages"]) == ("presentation", "pptx", 6)
    served = client.get(f"/documents/{deck_id}/file")
    assert served.status_code == 200 and served.headers["content-type"] == PPTX and served.content == deck

    for phrase, slide in ((NOTE, 2), (TABLE_CELL, 3)):
        hits = client.get("/search", params={"q": phrase, "k": 3}).json()["hits"]
        hit = next(h for h in hits if h["document_id"] == deck_id)
        assert phrase in hit["text"] and hit["page"] == slide
