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
