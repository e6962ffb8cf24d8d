"""The repository mechanism (issue 10): quality on every document and hit, `min_quality` and `curation`
filters and facets, curation from the CLI and HTTP (curator keys only), its history, backup and survival
across re-ingest; the quality score against the hand-graded sample corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from index.filters import Filters
from index.writer import IndexWriter
from ingest.quality import SIGNAL_IDS
from tests.api.conftest import API_KEY, AUTH

ROOT = Path(__file__).resolve().parents[2]
CURATOR_KEY = "curator-key-0123456789"
CURATOR = {"Authorization": f"Bearer {CURATOR_KEY}"}
CWG = [sys.executable, "-m", "api.cli"]


def test_quality_is_stored_with_its_evidence_and_filters(seeded_index):
    store = seeded_index.store
    docs = {d.id: d for d in store.documents()}
    assert all(d.quality is not None and 0.0 <= d.quality <= 1.0 for d in docs.values())
    signals = store.quality_signals("malawi-teachers")
    assert [s["id"] for s in sorted(signals, key=lambda s: SIGNAL_IDS.index(s["id"]))] == list(SIGNAL_IDS)
    text = store.document_text("malawi-teachers")
    for s in signals:  # every evidence is the document's own text, where it says it is
        if s["found"]:
            assert text[s["char_start"]:s["char_end"]] == s["evidence"]
        else:
            assert s["evidence"] is None
    threshold = sorted(d.quality for d in docs.values())[1]
    kept = {d.id for d in store.documents(Filters.parse([f"min_quality={threshold}"]))}
    assert kept == {i for i, d in docs.items() if d.quality >= threshold} and 0 < len(kept) < len(docs)


def test_curation_survives_reingest_and_filters(seeded_index, tmp_path: Path):
    store = seeded_index.store
    store.curate("malawi-teachers", "best_practice", "Reports who was trained", "secretariat")
    store.curate("unicef-law", "noted", "Guidance, no results yet", "secretariat")
    path = tmp_path / "seed" / "malawi-teachers.md"  # an updated file under the same path keeps its id
    path.write_text(path.read_text(encoding="utf-8") + "\n\nIn 2023, 120 teachers were trained in 3 districts.",
                    encoding="utf-8")
    report = IndexWriter(seeded_index).ingest([path], {path.resolve(): {"source": "Malawi", "country": "Malawi"}})
    assert len(report.updated) == 1 and not report.added
    doc = store.document("malawi-teachers")
    assert doc.curation == "best_practice" and "120 teachers" in store.document_text("malawi-teachers")
    assert {d.id for d in store.documents(Filters.parse(["curation=best_practice"]))} == {"malawi-teachers"}
    assert {d.id for d in store.documents(Filters.parse(["curation=none"]))} == {"philippines-helpline"}
    store.curate("malawi-teachers", "none", "Withdrawn after review", "chair")
    assert store.document("malawi-teachers").curation == "none"
    history = store.curation_history("malawi-teachers")
    assert [e["status"] for e in history] == ["best_practice", "none"] and history[1]["by"] == "chair"


def test_curation_over_http_needs_a_curator_key(seeded_index, tmp_path: Path):
    settings = Settings(index=tmp_path / "ix", api_keys=(API_KEY,), curator_keys=(CURATOR_KEY,))
    with TestClient(create_app(settings, seeded_index)) as client:
        body = {"status": "best_practice", "reason": "Reports reach and lessons", "by": "secretariat"}
        assert client.put("/documents/malawi-teachers/curation", json=body).status_code == 401
        upload_key = client.put("/documents/malawi-teachers/curation", json=body, headers=AUTH)
        assert upload_key.status_code == 403 and "curate" in upload_key.json()["detail"]
        ok = client.put("/documents/malawi-teachers/curation", json=body, headers=CURATOR)
        assert ok.status_code == 200, ok.text
        assert ok.json()["status"] == "best_practice" and ok.json()["history"][0]["reason"] == body["reason"]
        for bad in ({"status": "excellent", "reason": "x"}, {"status": "noted", "reason": "  "},
                    {"status": "noted"}, {"status": "noted", "reason": "x", "colour": "red"}):
            refused = client.put("/documents/malawi-teachers/curation", json=bad, headers=CURATOR)
            assert refused.status_code == 422, bad
        assert client.put("/documents/nope/curation", json=body, headers=CURATOR).status_code == 404
        garbled = client.put("/documents/malawi-teachers/curation", content=b">\x0b\xff%N",
                             headers={**CURATOR, "Content-Type": "application/json"})
        assert garbled.status_code == 400 and "400" in client.get("/openapi.json").json()["paths"][
            "/documents/{document_id}/curation"]["put"]["responses"]  # answered as documented
        history = client.get("/documents/malawi-teachers/curation").json()
        assert history["status"] == "best_practice" and len(history["history"]) == 1
        listed = client.get("/documents", params={"curation": "best_practice"}).json()["documents"]
        assert [d["document_id"] for d in listed] == ["malawi-teachers"]
        assert listed[0]["curation"] == "best_practice" and listed[0]["quality"] is not None
        facets = client.get("/facets").json()["facets"]
        assert {f["value"]: f["count"] for f in facets["curation"]} == {"best_practice": 1, "none": 2}
        assert sum(f["count"] for f in facets["quality_band"]) == 3
        hits = client.get("/search", params={"q": "teachers", "min_quality": 0}).json()["hits"]
        assert hits and all("quality" in h and "curation" in h for h in hits)
        assert client.get("/search", params={"q": "teachers", "min_quality": 1.5}).status_code == 422
    disabled = Settings(index=tmp_path / "ix", api_keys=(API_KEY,))
    with TestClient(create_app(disabled, seeded_index)) as client:
        off = client.put("/documents/malawi-teachers/curation", json=body, headers=CURATOR)
        assert off.status_code == 403 and "CWG_CURATOR_KEYS" in off.json()["detail"]


def test_cli_curate_history_export_and_import(seeded_index, tmp_path: Path):
    index = str(seeded_index.path)
    seeded_index.close()

    def cwg(*args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        return subprocess.run([*CWG, *args, "--index", index], capture_output=True, text=True, cwd=ROOT)

    done = cwg("curate", "unicef-law", "--status", "promising", "--reason", "Model law, adopted by 2 states",
               "--by", "secretariat")
    assert done.returncode == 0, done.stderr
    assert "promising" in done.stdout
    assert cwg("curate", "unicef-law", "--status", "promising", "--reason", " ").returncode == 2
    assert cwg("curate", "unicef-law", "--status", "great", "--reason", "x").returncode == 2
    missing = cwg("curate", "nope", "--status", "noted", "--reason", "x")
    assert missing.returncode == 1 and "no document 'nope'" in missing.stderr
    backup = tmp_path / "curation.json"
    assert cwg("curation", "--export", str(backup)).returncode == 0
    events = json.loads(backup.read_text(encoding="utf-8"))["curation"]
    assert [(e["document_id"], e["status"], e["by"]) for e in events] == [("unicef-law", "promising", "secretariat")]
    again = cwg("curation", "--import", str(backup), "--json")
    assert again.returncode == 0 and "imported 0 of 1" in again.stderr  # nothing twice
    listed = json.loads(cwg("documents", "--where", "curation=promising", "--json").stdout)["documents"]
    assert [d["document_id"] for d in listed] == ["unicef-law"]
    assert cwg("documents", "--where", "min_quality=2").returncode == 2


@pytest.mark.slow
def test_quality_orders_the_sample_corpus_as_hand_graded(real_sample_index):
    """Documents that report results, figures and lessons outscore those that only announce: the hand
    grades of bench/labels/quality (the sample documents, every split)."""
    labels = [json.loads(line) for line in
              (ROOT / "bench" / "labels" / "quality" / "signals.jsonl").read_text(encoding="utf-8").splitlines()
              if line.strip()]
    graded = {r["document_id"]: r for r in labels if r["source"] == "sample"}
    docs = {d.id: d for d in real_sample_index.store.documents() if d.id in graded}
    assert len(docs) >= 30
    reporting = [d.quality for i, d in docs.items()
                 if all(graded[i]["signals"][s]["present"] for s in ("results", "figures"))]
    announcing = [d.quality for i, d in docs.items()
                  if not any(graded[i]["signals"][s]["present"] for s in ("results", "figures", "evaluation"))]
    assert reporting and announcing
    assert sum(reporting) / len(reporting) > sum(announcing) / len(announcing) + 0.15
    top = [d.quality for i, d in docs.items() if graded[i]["grade"] >= 4]
    low = [d.quality for i, d in docs.items() if graded[i]["grade"] <= 2]
    assert min(top) > sum(low) / len(low)


def test_select_orders_curated_first_then_by_quality(seeded_index, tmp_path: Path):
    from search.characterization.repository import select
    from search.characterization.taxonomy import load_taxonomy

    store = seeded_index.store
    by_quality = sorted(store.documents(), key=lambda d: -(d.quality or 0))
    lowest = by_quality[-1].id
    store.curate(lowest, "best_practice", "The group's model example", "secretariat")
    entries = [e.to_json() for e in select(seeded_index, load_taxonomy(), None)]
    assert entries[0]["document_id"] == lowest and entries[0]["curation_reason"] == "The group's model example"
    rest = [e["quality"] for e in entries[1:]]
    assert rest == sorted(rest, reverse=True)
    for e in entries:
        if e["evidence"] is not None:  # the strongest evidence is the document's own words
            assert " ".join(str(e["evidence"]["text"]).split()) in " ".join(store.document_text(e["document_id"]).split())
    kept = select(seeded_index, load_taxonomy(), Filters.parse([f"min_quality={entries[1]['quality']}"]))
    assert {s.document.id for s in kept} == {e["document_id"] for e in entries if e["quality"] >= entries[1]["quality"]}
    settings = Settings(index=tmp_path / "ix", api_keys=(API_KEY,))
    with TestClient(create_app(settings, seeded_index)) as client:
        listed = client.get("/select").json()["documents"]
        assert [d["document_id"] for d in listed] == [e["document_id"] for e in entries]
        as_csv = client.get("/select", params={"format": "csv"})
        assert as_csv.status_code == 200 and as_csv.text.splitlines()[1].startswith(f"1,{lowest},")
        assert client.get("/select", params={"format": "pdf"}).status_code == 422


def test_card_and_check(seeded_index, tmp_path: Path):
    settings = Settings(index=tmp_path / "ix", api_keys=(API_KEY,), max_upload_bytes=4096)
    with TestClient(create_app(settings, seeded_index)) as client:
        card = client.get("/documents/philippines-helpline/card")
        assert card.status_code == 200, card.text
        data = card.json()
        assert data["document"]["document_id"] == "philippines-helpline"
        assert [s["id"] for s in data["quality"]["signals"]] == list(SIGNAL_IDS)
        for s in data["quality"]["signals"]:
            assert (s["evidence"] is not None) == s["found"] and (s["hint"] is None) == s["found"]
        assert data["similar"] and all(s["document_id"] != "philippines-helpline" for s in data["similar"])
        assert client.get("/documents/nope/card").status_code == 404
        draft = (b"# A helpline for children\n\nIn 2023 our ministry launched the National Child Helpline. "
                 b"It answered 4,000 calls from children and parents in its first year. We will extend it to schools.")
        checked = client.post("/check", files={"file": ("draft.md", draft)})
        assert checked.status_code == 200, checked.text
        result = checked.json()
        found = {s["id"] for s in result["quality"]["signals"] if s["found"]}
        assert {"figures", "next_steps"} <= found and "lessons" not in found
        assert any("learned" in hint for hint in result["to_add"])  # the template's hint for lessons
        before = client.get("/documents").json()["total"]
        assert before == 3  # nothing was indexed
        assert client.post("/check", files={"file": ("x.pdf", b"not a pdf")}).status_code == 400
        assert client.post("/check", files={"file": ("big.txt", b"a " * 5000)}).status_code == 413


@pytest.mark.slow
def test_cli_select_card_and_check_on_the_sample(real_sample_index, tmp_path: Path):
    index = str(real_sample_index.path)

    def cwg(*args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        return subprocess.run([*CWG, *args, "--index", index], capture_output=True, text=True, cwd=ROOT)

    listed = cwg("select", "--min-quality", "0.6", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    documents = json.loads(listed.stdout)["documents"]
    assert documents and all(d["quality"] >= 0.6 for d in documents)
    assert [d["quality"] for d in documents] == sorted((d["quality"] for d in documents), reverse=True)
    docx = tmp_path / "list.docx"
    assert cwg("select", "--format", "docx", "--out", str(docx)).returncode == 0 and docx.stat().st_size > 0
    assert cwg("select", "--format", "docx").returncode == 2  # binary output needs --out
    card = cwg("card", "malawi-training-of-trainers")
    assert card.returncode == 0 and "## Quality" in card.stdout and "## Similar contributions" in card.stdout
    draft = tmp_path / "draft.md"
    draft.write_text("# Safer gaming\n\nOur company launched the Safer Play toolkit for parents of children aged "
                     "8 to 12. It will be translated next year.", encoding="utf-8")
    checked = cwg("check", str(draft), "--json")
    assert checked.returncode == 0, checked.stderr
    result = json.loads(checked.stdout)
    assert result["to_add"] and result["similar"]
    assert len(real_sample_index.store.documents()) == 33  # a check indexes nothing


def test_the_template_has_a_section_per_signal(tmp_path: Path):
    from docx import Document

    from ingest.quality import load_signals

    signals = load_signals()
    md = subprocess.run([*CWG, "template"], capture_output=True, text=True, cwd=ROOT)
    assert md.returncode == 0
    assert [line[3:] for line in md.stdout.splitlines() if line.startswith("## ")] == [s.name for s in signals.signals]
    assert all(s.hint in md.stdout for s in signals.signals)
    out = tmp_path / "template.docx"
    assert subprocess.run([*CWG, "template", "--format", "docx", "--out", str(out)], cwd=ROOT).returncode == 0
    headings = [p.text for p in Document(str(out)).paragraphs if p.style.name == "Heading 1"]
    assert headings == [s.name for s in signals.signals]


def test_syntheses_mark_curated_sources(seeded_index):
    from search.synthesis.model import Citation

    store = seeded_index.store
    store.curate("unicef-law", "best_practice", "The model law", "secretariat")
    doc = store.document("unicef-law")
    chunk = store.chunks_of("unicef-law")[0]
    citation = Citation.make(1, doc, chunk)
    assert citation.curation == "best_practice" and citation.label().endswith("curated as best practice")
    other = Citation.make(2, store.document("malawi-teachers"), store.chunks_of("malawi-teachers")[0])
    assert "curated" not in other.label()


def test_a_signals_file_of_its_own_scores_later_documents_too(seeded_index, tmp_path: Path):
    from ingest.quality import assess, default_signals_path, load_signals
    from search.characterization.quality import rescore
    from search.characterization.tagging import retag_if_tagged

    custom = tmp_path / "signals.yaml"  # only figures count
    text = default_signals_path().read_text(encoding="utf-8")
    custom.write_text(text.replace("weight: ", "weight: 0.0 #").replace(
        "    needs: figure\n    cues: []", "    needs: figure\n    cues: []\n    weight: 1.0"), encoding="utf-8")
    signals = load_signals(custom)
    assert [s.weight for s in signals.signals if s.weight] == [1.0]
    report = rescore(seeded_index.store, custom)
    assert report.documents == 3
    new = tmp_path / "new.md"
    new.write_text("# Reach\n\nThe campaign reached 12,000 pupils in 40 schools in 2023.", encoding="utf-8")
    IndexWriter(seeded_index).ingest([new])
    retag_if_tagged(seeded_index)
    doc = next(d for d in seeded_index.store.documents() if d.file_name == "new.md")
    assert doc.quality == assess(seeded_index.store.document_text(doc.id), None, signals).score == 1.0
