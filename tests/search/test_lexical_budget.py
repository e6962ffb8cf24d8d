"""Lexical search at scale: the row budget (rarest terms first), filtered search through the allowed ids,
and the store lookups behind them (row counts, allowed ids by document run, documents by id)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.filters import Filters
from index.folder import IndexFolder
from index.writer import IndexWriter
from search.retrieval.lexical import ROW_BUDGET, lexical_search, within_budget


def test_within_budget_keeps_the_rarest_terms_in_query_order():
    rows = {"grooming": 40, "children": 9_000, "online": 7_000, "helpline": 300}
    terms = list(rows)
    assert within_budget(terms, rows, budget=100_000) == terms
    assert within_budget(terms, rows, budget=1_000) == ["grooming", "helpline"]
    assert within_budget(terms, rows, budget=10) == []  # even the rarest alone is too common
    # a filter keeping 5% of chunks makes scoring cheaper: more terms fit the same budget
    assert within_budget(terms, rows, budget=2_000, share=0.05) == ["grooming", "online", "helpline"]


@pytest.fixture
def common_word_index(fake_index: IndexFolder, tmp_path: Path) -> IndexFolder:
    files, entries = [], {}
    for i in range(30):
        path = tmp_path / f"d{i}.md"
        rare = " sextortion" if i in (3, 17) else ""
        path.write_text(f"# Note {i}\n\nChildren online safety measure number {i}.{rare}\n")
        files.append(path)
        entries[path.resolve()] = {"country": "Kenya" if i % 2 else "France"}
    assert not IndexWriter(fake_index).ingest(files, entries).failed
    fake_index.refresh_vectors()
    return fake_index


def test_over_budget_only_the_rare_term_is_scored(common_word_index: IndexFolder):
    store = common_word_index.store
    assert store.fts_row_counts(["children", "sextortion", "absent"]) == {"children": 30, "sextortion": 2,
                                                                          "absent": 0}
    ids, _ = lexical_search(store, "children sextortion", 100, budget=0)  # no budget: every match
    assert len(ids) == 30
    ids, scores = lexical_search(store, "children sextortion", 100, budget=10)
    docs = {store.chunks_by_id(ids.tolist())[i].document_id for i in ids.tolist()}
    assert docs == {"d3", "d17"} and np.all(np.diff(scores) <= 0)
    ids, _ = lexical_search(store, "children", 100, budget=10)
    assert len(ids) == 0  # one word in every chunk: left to the dense list


def test_filtered_lexical_search_through_allowed_ids_matches_the_join(common_word_index: IndexFolder):
    store = common_word_index.store
    filters = Filters.parse(["country=Kenya"])
    allowed = store.chunk_ids(filters)
    naive = [r[0] for r in store.conn.execute(
        "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.country = 'Kenya' ORDER BY c.id")]
    assert allowed.tolist() == naive and len(naive) == 15
    by_join = lexical_search(store, "safety measure", 100, filters, budget=0)
    by_ids = lexical_search(store, "safety measure", 100, filters, allowed=allowed, budget=0)
    assert by_ids[0].tolist() == by_join[0].tolist() and len(by_ids[0]) == 15
    assert np.allclose(by_ids[1], by_join[1])


def test_row_counts_follow_the_store_generation(common_word_index: IndexFolder, tmp_path: Path):
    store = common_word_index.store
    assert store.fts_row_counts(["sextortion"]) == {"sextortion": 2}
    extra = tmp_path / "more.md"
    extra.write_text("# More\n\nSextortion reports rose.\n")
    IndexWriter(common_word_index).ingest([extra])
    assert store.fts_row_counts(["sextortion"]) == {"sextortion": 3}


def test_documents_by_id(common_word_index: IndexFolder):
    found = common_word_index.store.documents_by_id(["d1", "d2", "nope"])
    assert set(found) == {"d1", "d2"} and found["d1"].country == "Kenya" and found["d1"].chunks == 1


def test_the_default_budget_leaves_small_collections_exact():
    assert ROW_BUDGET >= 20_000  # SciFact's longest query matches 16,301 rows: its eval is exact BM25
