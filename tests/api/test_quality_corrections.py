"""Curators correct quality signals (issue 23): confirm or reject one signal of a document, or quote the sentence
that shows it, from the CLI and over HTTP (a curator key), on both stores; the history is append-only and
outlives re-ingest; the score takes the curator's word; `cwg quality --train` learns from the corrections."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from index.writer import IndexWriter
from tests.api.conftest import API_KEY, AUTH, seed
from tests.conftest import new_database

ROOT = Path(__file__).resolve().parents[2]
CURATOR_KEY = "curator-key-0123456789"
CURATOR = {"Authorization": f"Bearer {CURATOR_KEY}"}
CWG = [sys.executable, "-m", "api.cli"]
QUOTE = "Teachers learn about grooming and reporting."  # a sentence of SEED_DOCS' malawi-teachers.md


def _found(store, doc_id: str) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    return {s["id"]: bool(s["found"]) for s in store.quality_signals(doc_id)}


def test_cli_confirm_reject_quote_and_bounds(seeded_index, tmp_path: Path):
    index = str(seeded_index.path)
    seeded_index.close()

    def cwg(*args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        return subprocess.run([*CWG, *args, "--index", index], capture_output=True, text=True, cwd=ROOT)

    shown = json.loads(cwg("quality", "malawi-teachers", "--json").stdout)
    assert not any(s["found"] for s in shown["signals"]) and shown["corrections"] == []  # no cue in its words
    confirmed = cwg("quality", "malawi-teachers", "--confirm", "audience", "--reason", "teachers, then children",
                    "--by", "secretariat", "--json")
    assert confirmed.returncode == 0, confirmed.stderr
    out = json.loads(confirmed.stdout)
    assert out["correction"]["verdict"] == "confirmed" and out["quality"]["score"] > shown["score"]
    quoted = json.loads(cwg("quality", "malawi-teachers", "--evidence", "lessons", "teachers  learn about GROOMING and "
                            "reporting.", "--reason", "what the training taught", "--json").stdout)
    lessons = next(s for s in quoted["quality"]["signals"] if s["id"] == "lessons")
    assert lessons["found"] and lessons["evidence"]["text"] == QUOTE and lessons["curator"]["verdict"] == "confirmed"
    rejected = json.loads(cwg("quality", "malawi-teachers", "--reject", "audience", "--reason",
                              "children are only the subject", "--json").stdout)
    assert rejected["quality"]["score"] < quoted["quality"]["score"]
    assert not next(s for s in rejected["quality"]["signals"] if s["id"] == "audience")["found"]
    # bounds: a quote not in the text, an unknown signal, no reason, no document: clear errors, nothing written
    missing = cwg("quality", "malawi-teachers", "--evidence", "partners", "We worked with UNICEF.", "--reason", "x")
    assert missing.returncode == 1 and "not in document" in missing.stderr and "Traceback" not in missing.stderr
    unknown = cwg("quality", "malawi-teachers", "--reject", "charm", "--reason", "x")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
    unknown_quote = cwg("quality", "malawi-teachers", "--evidence", "charm", QUOTE, "--reason", "x")
    assert unknown_quote.returncode == 2 and "unknown signal" in unknown_quote.stderr
    assert cwg("quality", "malawi-teachers", "--reject", "results", "--reason", " ").returncode == 2
    nobody = cwg("quality", "nope", "--reject", "results", "--reason", "x")
    assert nobody.returncode == 1 and "no document 'nope'" in nobody.stderr
    history = json.loads(cwg("quality", "malawi-teachers", "--json").stdout)["corrections"]
    assert [(e["signal"], e["verdict"], e["quote"]) for e in history] == [
        ("audience", "confirmed", ""), ("lessons", "confirmed", "teachers learn about GROOMING and reporting."),
        ("audience", "rejected", "")]
    text = cwg("quality", "malawi-teachers")
    assert "[curator: rejected, children are only the subject]" in text.stdout


def test_corrections_survive_reingest(seeded_index, tmp_path: Path):
    from search.characterization.quality import correct_signal

    store = seeded_index.store
    correct_signal(store, "malawi-teachers", "lessons", "confirmed", QUOTE, "what the training taught", "secretariat")
    assert _found(store, "malawi-teachers")["lessons"]
    changed = tmp_path / "seed" / "malawi-teachers.md"
    changed.write_text(changed.read_text(encoding="utf-8") + " Parents and children took part in 12 sessions.",
                       encoding="utf-8")
    report = IndexWriter(seeded_index).ingest([changed])
    assert report.updated == ["malawi-teachers"]
    assert _found(store, "malawi-teachers")["lessons"]  # the curator's word holds for the new text
    assert next(s for s in store.quality_signals("malawi-teachers") if s["id"] == "lessons")["evidence"] == QUOTE
    assert len(store.quality_corrections("malawi-teachers")) == 1


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store_index(request, seeded_index, tmp_path: Path, fake_embedders, monkeypatch):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield seeded_index
        return
    from index.folder import IndexFolder

    uri = request.getfixturevalue("postgres_uri")
    monkeypatch.setenv("CWG_CACHE", str(tmp_path / "cache"))
    folder = IndexFolder.open(new_database(uri), create=True, embedders=fake_embedders)
    seed(folder, tmp_path / "pg-seed")
    yield folder
    folder.close()


def test_http_correction_round_trip_on_both_stores(any_store_index, tmp_path: Path):
    settings = Settings(index=tmp_path / "ix", api_keys=(API_KEY,), curator_keys=(CURATOR_KEY,))
    url = "/documents/malawi-teachers/quality/lessons"
    body = {"verdict": "confirmed", "quote": QUOTE, "reason": "what the training taught", "by": "secretariat"}
    with TestClient(create_app(settings, any_store_index)) as client:
        before = client.get("/documents/malawi-teachers/quality").json()
        assert client.put(url, json=body).status_code == 401
        assert client.put(url, json=body, headers=AUTH).status_code == 403  # an upload key may not curate
        ok = client.put(url, json=body, headers=CURATOR)
        assert ok.status_code == 200, ok.text
        lessons = next(s for s in ok.json()["signals"] if s["id"] == "lessons")
        assert lessons["found"] and lessons["evidence"]["text"] == QUOTE and lessons["curator"]["by"] == "secretariat"
        assert ok.json()["score"] > before["score"]
        rejected = client.put("/documents/malawi-teachers/quality/audience", headers=CURATOR,
                              json={"verdict": "rejected", "reason": "children are only the subject"})
        assert rejected.status_code == 200
        assert not next(s for s in rejected.json()["signals"] if s["id"] == "audience")["found"]
        # bounds
        wrong_quote = client.put(url, json={**body, "quote": "We worked with UNICEF."}, headers=CURATOR)
        assert wrong_quote.status_code == 400 and "not in document" in wrong_quote.json()["detail"]
        quoted_rejection = client.put(url, json={**body, "verdict": "rejected"}, headers=CURATOR)
        assert quoted_rejection.status_code == 400
        assert client.put("/documents/malawi-teachers/quality/charm", json=body, headers=CURATOR).status_code == 422
        assert client.put(url, json={**body, "verdict": "maybe"}, headers=CURATOR).status_code == 422
        assert client.put("/documents/nope/quality/lessons", json=body, headers=CURATOR).status_code == 404
        assert client.get("/documents/nope/quality").status_code == 404
        history = client.get("/documents/malawi-teachers/quality").json()["corrections"]
        assert [(e["signal"], e["verdict"]) for e in history] == [("lessons", "confirmed"), ("audience", "rejected")]
    store = any_store_index.store
    assert _found(store, "malawi-teachers")["lessons"] and not _found(store, "malawi-teachers")["audience"]
    assert store.document("malawi-teachers").quality == pytest.approx(rejected.json()["score"])


A_TEXT = """Digital Safety Clubs in Secondary Schools

The programme aims to help pupils aged 12 to 15 recognise grooming and report it.

In 2024 the clubs met every week in 40 schools and 1,200 pupils took part.

The clubs were run in partnership with the national regulator and the Safer Internet Centre.

Next year the ministry will extend the clubs to primary schools.
"""
B_TEXT = """Online Safety Lessons for Parents

The lessons aim to help parents talk with their children about what they share online.

Evening sessions were held in 12 libraries and 300 parents attended them.

The clubs were run in partnership with the national regulator and the Safer Internet Centre.

We invite the Working Group to share similar experiences.
"""


@pytest.mark.slow
def test_train_changes_a_verdict_in_another_document(tmp_path: Path):
    """With the bundled models: a curator rejects `partners` in one document (the regulator only licensed the
    clubs); after `cwg quality --train` another document whose only partner sentence says the same loses it too,
    and the index keeps its own weights."""
    from index import quality_corrections
    from index.folder import IndexFolder

    (tmp_path / "a.txt").write_text(A_TEXT, encoding="utf-8")
    (tmp_path / "b.txt").write_text(B_TEXT, encoding="utf-8")
    folder = IndexFolder.open(tmp_path / "ix", create=True)
    assert not IndexWriter(folder).ingest([tmp_path / "a.txt", tmp_path / "b.txt"]).failed
    assert _found(folder.store, "a")["partners"] and _found(folder.store, "b")["partners"]
    assert folder.store.state_record(quality_corrections.MODEL_STATE_KEY) is None
    index = str(folder.path)
    folder.close()

    def cwg(*args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        return subprocess.run([*CWG, *args, "--index", index], capture_output=True, text=True, cwd=ROOT,
                              env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"})

    assert cwg("quality", "a", "--reject", "partners", "--reason", "the regulator only licensed the clubs"
               ).returncode == 0
    trained = cwg("quality", "--train", "--json")
    assert trained.returncode == 0, trained.stderr
    report = json.loads(trained.stdout)
    assert report["corrections"] == 1 and report["changed"] == {"partners": 1}
    folder = IndexFolder.open(index)
    try:
        assert not _found(folder.store, "b")["partners"]  # learnt from a's correction
        assert _found(folder.store, "b")["results"]  # the rest of its profile stands
        assert folder.store.state_record(quality_corrections.MODEL_STATE_KEY) is not None
    finally:
        folder.close()
    assert cwg("quality", "a", "--train").returncode == 2  # --train takes no document


LAUNCH_A = """Safer Browsing App for Families

The app aims to help parents of children aged 6 to 10 choose safe websites.

The launch ceremony was held in the capital and was attended by the minister.

It was developed together with the national Safer Internet Centre.

We invite the Working Group to share similar tools.
"""
LAUNCH_B = """Online Safety Handbook for Teachers

The handbook aims to help teachers discuss cyberbullying with pupils aged 11 to 14.

A launch ceremony for the handbook was held at the ministry and attended by the deputy minister.

It was written jointly with the teachers' union.

Members are invited to translate it.
"""


@pytest.mark.slow
def test_train_teaches_a_signal_the_cue_lists_decide(tmp_path: Path):
    """`results` is read by the cue lists alone ("held", "attended" in the past). A curator rejects it on one
    document (a launch ceremony is not an outcome); after `cwg quality --train` another document whose only
    results sentence is a launch ceremony loses it too: the corrected signal's classifier now joins the lists."""
    from index.folder import IndexFolder

    (tmp_path / "a.txt").write_text(LAUNCH_A, encoding="utf-8")
    (tmp_path / "b.txt").write_text(LAUNCH_B, encoding="utf-8")
    folder = IndexFolder.open(tmp_path / "ix", create=True)
    assert not IndexWriter(folder).ingest([tmp_path / "a.txt", tmp_path / "b.txt"]).failed
    assert _found(folder.store, "a")["results"] and _found(folder.store, "b")["results"]
    index = str(folder.path)
    folder.close()
    env = {**__import__("os").environ, "HF_HUB_OFFLINE": "1"}
    rejected = subprocess.run([*CWG, "quality", "a", "--reject", "results", "--reason", "a launch ceremony is not an "
                               "outcome", "--index", index], capture_output=True, text=True, cwd=ROOT, env=env)
    assert rejected.returncode == 0, rejected.stderr
    trained = subprocess.run([*CWG, "quality", "--train", "--json", "--index", index], capture_output=True, text=True,
                             cwd=ROOT, env=env)
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["changed"].get("results") == 1
    folder = IndexFolder.open(index)
    try:
        assert not _found(folder.store, "b")["results"]
        assert _found(folder.store, "b")["objective"] and _found(folder.store, "b")["audience"]
    finally:
        folder.close()


def test_migrate_copies_corrections_and_the_index_model(seeded_index, postgres_uri: str, fake_embedders,
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`cwg migrate` takes the corrections (and an index's own weights, a state record) to PostgreSQL."""
    from index import quality_corrections
    from index.folder import IndexFolder
    from index.transfer import copy_index
    from ingest.quality_meaning import load_model
    from search.characterization.quality import correct_signal

    correct_signal(seeded_index.store, "malawi-teachers", "lessons", "confirmed", QUOTE, "what was taught", "sec")
    quality_corrections.save_index_model(seeded_index.store, load_model())
    monkeypatch.setenv("CWG_CACHE", str(tmp_path / "cache"))
    target = new_database(postgres_uri)
    report = copy_index(seeded_index, target, embedders=fake_embedders)
    assert report.rows["quality_corrections"] == 1
    copy = IndexFolder.open(target, embedders=fake_embedders)
    try:
        assert copy.store.quality_corrections() == seeded_index.store.quality_corrections()
        assert _found(copy.store, "malawi-teachers")["lessons"]
        assert quality_corrections.index_model(copy.store).signal_ids == load_model().signal_ids
    finally:
        copy.close()
