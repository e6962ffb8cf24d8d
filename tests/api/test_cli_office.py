"""`cwg ingest`, `cwg search` and `cwg check` on a folder of slide decks and OpenDocument files (real model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.api.test_cli import run
from tests.ingest.office_files import NOTE, RESULT, TABLE_CELL, make_deck, make_odt

pytestmark = pytest.mark.slow
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("cli-office")
    docs = work / "docs"
    docs.mkdir()
    deck = make_deck(docs / "malawi-helpline.pptx")
    make_odt(docs / "strategy.odt")
    (docs / "cut.pptx").write_bytes(deck.read_bytes()[:20_000])
    (docs / "old.doc").write_bytes(OLE_MAGIC + bytes(504) + "WordDocument".encode("utf-16-le") + bytes(1024))
    proc = run("ingest", "docs", "--collection", "contributions", cwd=work)
    assert proc.returncode == 1, proc.stderr  # two files failed, with their reasons; the rest is indexed
    assert proc.stdout.strip().splitlines()[-1] == "added 2, updated 0, unchanged 0, failed 2"
    assert "not documents" not in proc.stdout  # nothing skipped in silence
    reasons = dict(line.split(": ", 1) for line in proc.stderr.strip().splitlines())
    assert reasons["docs/cut.pptx"].startswith("a damaged zip package")
    assert reasons["docs/old.doc"].startswith("legacy binary Word file (.doc)") or "convert" in reasons["docs/old.doc"]
    return work


def test_a_folder_ingest_indexes_the_deck_as_a_presentation_and_the_odt(indexed: Path):
    docs = {d["document_id"]: d for d in json.loads(run("documents", "--json", cwd=indexed).stdout)["documents"]}
    assert set(docs) == {"malawi-helpline", "strategy"}
    assert docs["malawi-helpline"]["doc_type"] == "presentation"
    assert docs["strategy"]["title"] == "Child online protection strategy"


@pytest.mark.parametrize("phrase, slide", [(NOTE, 2), (TABLE_CELL, 3)])
def test_search_cites_the_slide_of_a_speaker_note_and_of_a_table_cell(indexed: Path, phrase: str, slide: int):
    proc = run("search", phrase, "--json", "-k", "1", cwd=indexed)
    assert proc.returncode == 0, proc.stderr
    hit = json.loads(proc.stdout)["hits"][0]
    assert hit["document_id"] == "malawi-helpline" and phrase in hit["text"]
    assert hit["page"] == slide and hit["page_end"] in (None, slide)


def test_check_reads_a_results_slide_title_as_a_heading(indexed: Path):
    proc = run("check", "docs/malawi-helpline.pptx", "--json", cwd=indexed)
    assert proc.returncode == 0, proc.stderr
    signals = {s["id"]: s for s in json.loads(proc.stdout)["quality"]["signals"]}
    assert signals["results"]["found"]
    assert signals["results"]["evidence"] == {"text": RESULT, "page": 2}

