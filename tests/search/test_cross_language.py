"""Cross-language search on the real guides: French, Spanish and Arabic queries find the English guide
in an index built with no flag (the default stores MiniLM + USE), through the real ingest, store, FAISS
and engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.folder import IndexFolder
from index.writer import IndexWriter
from search.retrieval.engine import SearchEngine
from tests.conftest import ROOT, shared_data

QUERIES = ROOT / "bench" / "cross_language_queries.jsonl"


@pytest.mark.slow
def test_a_default_index_finds_the_english_guide_from_other_languages(tmp_path: Path):
    guides = shared_data("policy_pdfs", "multilingual_child_online_safety")
    english = sorted(guides.glob("en__*.pdf"))
    assert len(english) == 3
    folder = IndexFolder.open(tmp_path / "ix", create=True)  # no --model: any language by default
    try:
        assert folder.spaces == ("minilm", "use")
        report = IndexWriter(folder).ingest(english)
        assert not report.failed and len(report.added) == 3
        assert {d.language for d in folder.store.documents()} == {"en"}
        by_file = {d.file_name: d.id for d in folder.store.documents()}
        engine = SearchEngine(folder)
        rows = [json.loads(line) for line in QUERIES.read_text(encoding="utf-8").splitlines()]
        picked = [r for r in rows if r["language"] in ("fr", "es", "ar") and r["split"] == "dev"]
        assert len(picked) == 9  # one per language and guide
        top1 = [engine.search(r["query"], k=1)[0].document_id == by_file[f"en__{r['relevant']}.pdf"] for r in picked]
    finally:
        folder.close()
    # MiniLM alone (--model english) gets 3 of 9 here (chance among 3 guides); the default 7
    assert sum(top1) >= 7, [r["id"] for r, ok in zip(picked, top1) if not ok]
