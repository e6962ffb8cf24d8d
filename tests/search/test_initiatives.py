"""Initiative records (issue 24): extracted by `cwg tag` from stored passages and vectors, kept in both stores,
listed by the CLI and HTTP, corrected by a curator with the history kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as cli_main
from api.settings import Settings
from index.folder import IndexFolder
from index.writer import IndexWriter
from ingest.errors import NotFound, QueryError
from search.characterization.initiative_corrections import correct
from search.characterization.initiative_names import kind_stated_in, names_in
from search.characterization.initiatives import (
    STATUSES,
    correction_history,
    render,
    select,
    split_where,
    stored_initiatives,
)
from search.characterization.tagging import Tagger
from search.characterization.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "cwg-cop-20"
CURATOR_KEY = "curator-key-0123456789"
DOCS = {
    "tipline.md": ("# A national tipline\n\nIn 2019 the country launched the National Tipline, where members of the "
                   "public report suspected online sexual exploitation of children, child sexual abuse material and "
                   "sextortion. The hotline operates every day and refers reports to the police.\n",
                   {"source": "Canada", "country": "Canada", "doc_type": "contribution"}),
    "school.md": ("# Digital literacy in schools\n\nThe ministry introduced the Digital Literacy Framework in the school "
                  "curriculum: teachers teach pupils digital citizenship, online safety and how to deal with "
                  "cyberbullying. Workshops for parents will follow next year.\n",
                  {"source": "United Arab Emirates", "country": "United Arab Emirates", "doc_type": "contribution"}),
}


def _ingest(folder: IndexFolder, root: Path, meeting: str = "") -> None:
    root.mkdir(parents=True, exist_ok=True)
    files, entries = [], {}
    for name, (text, entry) in DOCS.items():
        (root / name).write_text(text, encoding="utf-8")
        files.append(root / name)
        entries[(root / name).resolve()] = {**entry, **({"meeting": meeting} if meeting else {})}
    assert not IndexWriter(folder).ingest(files, entries).failed
    folder.refresh_vectors()


def _check_records(folder: IndexFolder) -> None:
    store = folder.store
    found = stored_initiatives(store)
    assert {i.document_id for i in found} == {"tipline", "school"}
    for item in found:
        text = store.document_text(item.document_id)
        assert item.initiative_type in {lb.id for lb in load_taxonomy().facets["initiative_type"].labels}
        assert item.status in ("", *STATUSES)
        for evidence in item.evidence.values():  # every field's evidence is an exact slice of the text
            assert text[evidence.char_start:evidence.char_end] == evidence.text and evidence.text
    tipline = next(i for i in found if i.document_id == "tipline")
    assert tipline.name == "National Tipline" and tipline.year == 2019
    assert tipline.evidence["year"].text == "2019" and tipline.source == "Canada"


def test_tag_records_initiatives_in_sqlite_and_corrections_keep_history(fake_index: IndexFolder, tmp_path: Path):
    _ingest(fake_index, tmp_path / "docs")
    Tagger(fake_index, load_taxonomy()).tag()
    _check_records(fake_index)
    store = fake_index.store
    item = next(i for i in stored_initiatives(store) if i.document_id == "school")
    fixed = correct(store, item.id, "risk", "cyberbullying; privacy", "chair", "read the text", load_taxonomy())
    assert fixed.risk == ["cyberbullying", "privacy"] and fixed.corrected == ["risk"]
    correct(store, item.id, "status", "running", "chair", "", load_taxonomy())
    assert [e["field"] for e in correction_history(store, item.id)] == ["risk", "status"]
    Tagger(fake_index, load_taxonomy()).tag()  # re-tagging keeps the corrections (same record id)
    again = next(i for i in stored_initiatives(store) if i.id == item.id)
    assert again.risk == ["cyberbullying", "privacy"] and again.status == "running"
    with pytest.raises(QueryError, match="not a label"):
        correct(store, item.id, "risk", "dragons", "chair", "", load_taxonomy())
    with pytest.raises(QueryError, match="status"):
        correct(store, item.id, "status", "abandoned", "chair", "", load_taxonomy())
    with pytest.raises(NotFound):
        correct(store, "nope~1", "status", "running", "chair", "", load_taxonomy())
    filters, own = split_where(["risk=cyberbullying", "status=running", "country=United Arab Emirates"])
    assert [i.id for i in select(store, filters, own, load_taxonomy())] == [item.id]
    with pytest.raises(QueryError, match="status"):
        select(store, None, {"status": ["someday"]})


def test_initiatives_in_postgres(pg_index: IndexFolder, tmp_path: Path):
    _ingest(pg_index, tmp_path / "docs")
    Tagger(pg_index, load_taxonomy()).tag()
    _check_records(pg_index)
    item = stored_initiatives(pg_index.store)[0]
    correct(pg_index.store, item.id, "name", "Renamed", "chair", "", load_taxonomy())
    assert next(i for i in stored_initiatives(pg_index.store) if i.id == item.id).name == "Renamed"


def test_cli_and_http(fake_index: IndexFolder, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    _ingest(fake_index, tmp_path / "docs")
    Tagger(fake_index, load_taxonomy()).tag()
    settings = Settings(index=tmp_path / "ix", curator_keys=(CURATOR_KEY,))
    with TestClient(create_app(settings, fake_index)) as client:
        listed = client.get("/initiatives").json()["initiatives"]
        assert {i["document_id"] for i in listed} == {"tipline", "school"}
        assert {"document_id", "source", "country", "initiative_type", "audience", "risk", "status", "year", "name",
                "evidence"} <= set(listed[0])
        only = client.get("/initiatives", params={"country": "Canada"}).json()["initiatives"]
        assert [i["document_id"] for i in only] == ["tipline"]
        assert client.get("/initiatives", params={"status": "someday"}).status_code == 422
        target = listed[0]["id"]
        body = {"field": "status", "value": "evaluated", "reason": "an evaluation is cited", "by": "chair"}
        assert client.put(f"/initiatives/{target}", json=body).status_code == 401
        ok = client.put(f"/initiatives/{target}", json=body, headers={"Authorization": f"Bearer {CURATOR_KEY}"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["initiative"]["status"] == "evaluated" and len(ok.json()["history"]) == 1
        assert ok.json()["history"][0]["curator"] == "chair"
        assert client.put(f"/initiatives/{target}", json={**body, "value": "abandoned"},
                          headers={"Authorization": f"Bearer {CURATOR_KEY}"}).status_code == 400
        card = client.get("/documents/tipline/card").json()
        assert [i["name"] for i in card["initiatives"]] == ["National Tipline"]
        from search.characterization.render_repository import card_markdown

        assert "## Initiatives" in card_markdown(card) and "**National Tipline**" in card_markdown(card)
        bad = client.put("/initiatives/nope", json=body, headers={"Authorization": f"Bearer {CURATOR_KEY}"})
        assert bad.status_code == 404
    fake_index.close()


def test_cli_lists_and_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from index.embedders import FakeEmbedder

    folder = IndexFolder.open(tmp_path / "ix", create=True, embedders={"minilm": FakeEmbedder("minilm")})
    _ingest(folder, tmp_path / "docs")
    Tagger(folder, load_taxonomy()).tag()
    folder.close()
    assert cli_main(["initiatives", "--index", str(tmp_path / "ix"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {i["document_id"] for i in data["initiatives"]} == {"tipline", "school"}
    assert cli_main(["initiatives", "--index", str(tmp_path / "ix"), "--where", "status=someday"]) != 0
    assert "status" in capsys.readouterr().err
    assert cli_main(["initiatives", "--index", str(tmp_path / "ix"), "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("id,document_id,source")


def test_names():
    text = ("Bahrain runs SafeSurf, a national programme. Canada launched the National Tipline. "
            "The Council Working Group on Child Online Protection met in Geneva.")
    names = [n for n, _, _ in names_in(text, "Bahrain")]
    assert "SafeSurf" in names and "National Tipline" in names
    assert not any("Council Working Group" in n for n in names)
    for name, start, end in names_in(text):
        assert text[start:end] == name


def test_real_sample_initiatives(real_sample_index: IndexFolder):
    """The real model on the sample meeting (read only: extracted, not written)."""
    tagger = Tagger(real_sample_index, load_taxonomy())
    found = tagger.initiatives()
    by_doc: dict[str, list] = {}
    for item in found:
        by_doc.setdefault(item.document_id, []).append(item)
    assert len(by_doc) >= 25  # nearly every contribution describes something
    assert any(i.name == "SafeSurf" for i in by_doc["bahrain-safesurf"])
    assert any(i.initiative_type == "helpline_reporting" for i in by_doc["canada-combating-child-sexual-exploitation"])
    assert any(i.initiative_type == "curriculum" for i in by_doc["uae-online-child-protection-in-curriculum"])
    assert any(i.initiative_type == "law_regulation" for i in by_doc["council-of-europe-lanzarote"])
    assert all(len(v) <= 2 for v in by_doc.values())  # a short contribution: one initiative, two at most
    # the year the sentence naming it gives ("Republic Act 11930 of July 2022"); no stray year of another event
    assert any(i.year == 2022 and i.name.startswith("Republic Act") for i in by_doc["philippines-cop-initiatives"])
    assert all(i.year is None for i in by_doc["philippines-girls-in-ict-cop"])
    # status from what the text says of it: guidance UNICEF has developed and published; a council that meets
    assert {i.status for i in by_doc["unicef-legislative-guidance"]} == {"completed"}
    assert any(i.status == "running" and i.initiative_type == "partnership_alliance"
               for i in by_doc["australia-esafety-youth-engagement"])
    assert render(found, "md").startswith("| source |")


def test_kind_stated_by_real_titles_and_names():
    """A title or name that says what the initiative is decides its kind (titles of the 21st meeting's
    contributions); words of two kinds, or none, decide nothing and the passage scores do."""
    titles = {path.name: path.read_text(encoding="utf-8").strip().split("\n")[0]
              for path in (ROOT / "bench" / "corpus" / "cwg-cop-21").glob("*.md")}
    assert kind_stated_in(titles["mongolia-childrens-personal-data-teachers.md"]) == "training_capacity"
    assert kind_stated_in(titles["iin-oea-consulta-ninez-entorno-digital-es.md"]) == "research_study"
    assert kind_stated_in(titles["iin-oas-consultation-children-digital-environment.md"]) == "research_study"
    assert kind_stated_in("eSafety Youth Council") == "partnership_alliance"
    assert kind_stated_in("Caivano Decree") == "law_regulation"
    assert kind_stated_in("SafeSurf") == "" and kind_stated_in("Digital Literacy Training Platform") == ""
    assert kind_stated_in("ITU Guidelines on Child Online Protection") == "strategy_policy"
    # "Lessons from ..." in a title is no curriculum (the sample's ECPAT and eSafety contributions)
    assert kind_stated_in("Why Legislation Matters for Children's Safety Online: Lessons from Civil Society") == ""


def test_names_in_real_sentences():
    """Real sentences of the sample meeting and the 21st meeting: a name its text abbreviates, a decree, and a
    sentence's first words that are no part of a name."""
    cpc = "Through the Child Protection in Cyberspace (CPC) global initiative, the Institute works towards"
    assert [n for n, _, _ in names_in(cpc)] == ["Child Protection in Cyberspace"]
    fcacse = ("The Financial Coalitions Against Child Sexual Exploitation (FCACSE), supported by ICMEC, bring "
              "together banks")
    assert "Financial Coalitions Against Child Sexual Exploitation" in [n for n, _, _ in names_in(fcacse)]
    assert "Caivano Decree" in [n for n, _, _ in names_in("The Caivano Decree introduced measures to protect minors")]
    estonia = "Before the Act enters into force, the Data Protection Inspectorate will publish guidance for schools"
    assert not any("Act" in n for n, _, _ in names_in(estonia))
    for text in (cpc, fcacse, estonia):
        for name, start, end in names_in(text):
            assert text[start:end] == name
