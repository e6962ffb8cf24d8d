"""Hybrid search behaviour on a small index with the fake embedder and the real SQLite/FAISS code."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.filters import Filters
from index.folder import IndexFolder
from index.writer import IndexWriter
from ingest.errors import QueryError
from search.retrieval.engine import SearchEngine
from search.retrieval.similar import SimilarFinder


def _doc(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.md"
    path.write_text(f"# {name}\n\n{text}\n")
    return path


@pytest.fixture
def corpus(fake_index: IndexFolder, tmp_path: Path) -> IndexFolder:
    entries, files = {}, []
    # ten long documents from one source saturate any top-k for "helpline reporting"
    for i in range(10):
        files.append(_doc(tmp_path, f"big{i}", " ".join(["helpline reporting abuse online"] * 40)))
        entries[files[-1].resolve()] = {"source": "BigOrg", "doc_type": "report", "date": f"2023-0{1 + i % 9}-01"}
    files.append(_doc(tmp_path, "small", "A small national helpline for reporting, among school programmes."))
    entries[files[-1].resolve()] = {"source": "Malawi", "country": "Malawi", "doc_type": "information",
                                    "date": "2024-01-22"}
    files.append(_doc(tmp_path, "other", "Age assurance and privacy rules for platforms, reporting duties."))
    entries[files[-1].resolve()] = {"source": "euCONSENT", "doc_type": "information", "date": "2024-01-22"}
    report = IndexWriter(fake_index).ingest(files, entries)
    assert not report.failed
    fake_index.refresh_vectors()
    return fake_index


def test_filters_apply_before_top_k(corpus: IndexFolder):
    engine = SearchEngine(corpus)
    assert {h.source for h in engine.search("helpline reporting", k=3)} == {"BigOrg"}
    for mode in ("hybrid", "dense", "lexical"):
        hits = engine.search("helpline reporting", k=3, filters=Filters.parse(["country=Malawi"]), mode=mode)
        assert hits and {h.document_id for h in hits} == {"small"}, mode
    hits = engine.search("helpline reporting", k=5, filters=Filters.parse(["region=Africa"]))
    assert {h.country for h in hits} == {"Malawi"}
    hits = engine.search("reporting", k=20, filters=Filters.parse(["date_from=2024-01-01", "doc_type=information"]))
    assert {h.document_id for h in hits} == {"small", "other"}
    assert engine.search("helpline", k=5, filters=Filters.parse(["source=Nobody"])) == []


def test_per_source_limits_hits_of_one_source(corpus: IndexFolder):
    hits = SearchEngine(corpus).search("helpline reporting", k=3, per_source=1)
    assert len(hits) == 3 and len({h.source for h in hits}) == 3
    hits = SearchEngine(corpus).search("helpline reporting", k=6, per_source=2)
    assert sum(h.source == "BigOrg" for h in hits) == 2


def test_per_source_reads_only_the_chosen_passages(corpus: IndexFolder, monkeypatch: pytest.MonkeyPatch):
    """One passage per source is chosen from the chunk → document map before any passage row is read: the same
    hits as choosing row by row, and only those rows read (the library list of every search asked for ~1,000)."""
    engine = SearchEngine(corpus)
    with corpus.store.snapshot():
        ranked = engine.rank("helpline reporting", k=1000)
        assert len(ranked) >= 12  # ten passages of one source ahead of the two others
        by_rows = engine._hits_from_rows(ranked, 3, 1)
        asked: list[int] = []
        read = corpus.store.chunks_by_id
        monkeypatch.setattr(corpus.store, "chunks_by_id", lambda ids: asked.extend(ids) or read(ids))
        hits = engine.hits(ranked, 3, 1)
    assert [h.to_json() for h in hits] == [h.to_json() for h in by_rows]
    assert len({h.source for h in hits}) == 3
    assert sorted(asked) == sorted(h.chunk_id for h in hits)


@pytest.mark.parametrize("query", ['"unbalanced * NEAR( -quote:', "AND OR NOT", "helpline^2 {x} [y]",
                                   "🙂 child safety 🚸", "x" * 10_000, "reporting " * 3000, "---", "*"])
def test_any_text_is_a_valid_query(corpus: IndexFolder, query: str):
    hits = SearchEngine(corpus).search(query, k=5)
    assert isinstance(hits, list)


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_a_clear_error(corpus: IndexFolder, query: str):
    with pytest.raises(QueryError, match="empty query"):
        SearchEngine(corpus).search(query)


def test_bad_filter_and_k_are_clear_errors(corpus: IndexFolder):
    with pytest.raises(QueryError, match="unknown filter field 'colour'"):
        Filters.parse(["colour=red"])
    with pytest.raises(QueryError, match="not FIELD=VALUE"):
        Filters.parse(["country"])
    with pytest.raises(QueryError, match="k must be"):
        SearchEngine(corpus).search("x", k=0)


def test_hits_carry_citations(corpus: IndexFolder):
    hit = SearchEngine(corpus).search("age assurance privacy", k=1)[0]
    assert hit.document_id == "other" and hit.source == "euCONSENT" and hit.page is None
    assert hit.text == corpus.store.document_text("other")[hit.char_start:hit.char_end]


def test_similar_returns_other_sources_with_passages(corpus: IndexFolder):
    results = SimilarFinder(corpus).similar(document_id="big0", k=5)
    assert results and all(r.source != "BigOrg" for r in results)
    assert results[0].document_id == "small"
    top = results[0]
    assert top.passage.document_id == "small" and top.matched.document_id == "big0"
    by_text = SimilarFinder(corpus).similar(text="rules on age assurance and privacy for online platforms", k=2)
    assert by_text[0].document_id == "other" and by_text[0].matched.text.startswith("rules on age")
    with pytest.raises(QueryError):
        SimilarFinder(corpus).similar(k=3)
