"""Lexical scoring over arrays (index/lexical_arrays.py) held to FTS5's own `bm25()` on the sample corpus, its
filters as masks to the store's filtered search, its postings to the PostgreSQL store's, its cache to writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.filters import Filters
from index.folder import IndexFolder
from index.fts_postings import varint_sums
from index.lexical_arrays import LexicalArrays
from index.writer import IndexWriter
from ingest.metadata import read_manifest
from search.retrieval.lexical import FIELD_WEIGHTS, lexical_search, query_terms
from tests.conftest import SAMPLE

QUERIES = ["child online protection legislation", "age assurance verification of users",
           "helpline reports of grooming and sextortion", "protect protection protecting children",
           "digital literacy curriculum in schools", "end-to-end encryption", "Lanzarote convention"]


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory: pytest.TempPathFactory):
    """The bundled sample corpus with its manifest (real text, real FTS5; the fake embedder: BM25 reads no vector)."""
    from index.embedders import FakeEmbedder

    folder = IndexFolder.open(tmp_path_factory.mktemp("arrays") / "ix", create=True,
                              embedders={"minilm": FakeEmbedder("minilm")})
    files = sorted(p for p in SAMPLE.iterdir() if p.name != "manifest.csv")
    report = IndexWriter(folder).ingest(files, read_manifest(SAMPLE / "manifest.csv").entries)
    assert not report.failed, report.failed
    yield folder
    folder.close()


def _by_id(found: tuple[np.ndarray, np.ndarray]) -> dict[int, float]:
    return dict(zip(found[0].tolist(), found[1].tolist()))


def test_varints_are_decoded_as_sqlite_writes_them():
    # 0, 127, 128 (0x81 0x00), 300 (0x82 0x2c), 16384 (0x81 0x80 0x00): two blobs of three varints
    blobs = [bytes([0x00, 0x7F, 0x81, 0x00]), bytes([0x82, 0x2C, 0x81, 0x80, 0x00, 0x05])]
    assert varint_sums(blobs, 3).tolist() == [0 + 127 + 128, 300 + 16384 + 5]
    with pytest.raises(ValueError):
        varint_sums([bytes([0x01, 0x02])], 3)


@pytest.mark.parametrize("weights", [FIELD_WEIGHTS, (10.0, 3.0, 1.0)])
def test_array_scores_equal_fts5_bm25(sample_index: IndexFolder, weights):
    store, arrays = sample_index.store, LexicalArrays()
    for query in QUERIES:
        words = query_terms(query)
        found = arrays.search(store, words, weights, 100_000)
        assert found is not None
        expected = _by_id(store.bm25_candidates(words, weights, 100_000))  # every match, from FTS5's bm25()
        assert len(expected) > 0, query
        got = _by_id(found)
        assert got.keys() == expected.keys(), query
        ids = list(expected)
        np.testing.assert_allclose([got[i] for i in ids], [expected[i] for i in ids], rtol=1e-5, atol=1e-6)
        assert np.all(np.diff(found[1]) <= 0)
    assert arrays.memory_bytes() > 0


def test_filters_as_masks_give_the_top_k_of_the_store(sample_index: IndexFolder):
    store = sample_index.store
    for spec in (["doc_type=contribution"], ["country=Philippines"], ["language=fr"]):
        filters = Filters.parse(spec)
        assert len(store.chunk_ids(filters)) > 0, spec
        for query in QUERIES:
            current = lexical_search(store, query, 10, filters, budget=0)
            over_arrays = lexical_search(store, query, 10, filters, arrays=sample_index.lexical)
            assert len(over_arrays[0]) == len(current[0]), (spec, query)
            np.testing.assert_allclose(over_arrays[1], current[1], rtol=1e-5)
            # the same chunks, but for ties at the last place
            tied = current[1][-1] if len(current[1]) else 0.0
            assert {i for i, s in zip(*current) if s > tied + 1e-4} <= set(over_arrays[0].tolist()), (spec, query)


def test_a_word_fts5_reads_as_a_phrase_falls_back_to_the_store(fake_index: IndexFolder, tmp_path: Path):
    arrays = fake_index.lexical
    assert arrays.index_terms(["protecting", "children"]) == ["protect", "children"]
    assert arrays.index_terms(["हिंदी"]) is None  # FTS5's tokenizer splits it at its vowel signs: a phrase
    doc = tmp_path / "hi.md"
    doc.write_text("# भाषा\n\nहिंदी में बाल सुरक्षा पर रिपोर्ट।\n")
    assert not IndexWriter(fake_index).ingest([doc]).failed
    assert arrays.search(fake_index.store, ["हिंदी"], FIELD_WEIGHTS, 10) is None
    ids, _ = lexical_search(fake_index.store, "हिंदी", 10, arrays=arrays)
    assert ids.tolist() == lexical_search(fake_index.store, "हिंदी", 10)[0].tolist() and len(ids) == 1


def test_a_write_is_seen_by_the_next_query(fake_index: IndexFolder, tmp_path: Path):
    writer, store = IndexWriter(fake_index), fake_index.store
    first = tmp_path / "a.md"
    first.write_text("# Reports\n\nSextortion reports rose in 2023.\n")
    assert not writer.ingest([first]).failed
    arrays = fake_index.lexical
    assert len(lexical_search(store, "sextortion", 10, arrays=arrays)[0]) == 1
    second = tmp_path / "b.md"
    second.write_text("# Helplines\n\nHelplines answer sextortion victims.\n")
    assert not writer.ingest([second]).failed
    ids, scores = lexical_search(store, "sextortion helplines", 10, arrays=arrays)
    assert len(ids) == 2  # a new document's terms, and both rows rescored with the new totals
    np.testing.assert_allclose(scores, store.bm25_candidates(["sextortion", "helplines"], FIELD_WEIGHTS, 10)[1],
                               rtol=1e-5)
    store.remove_document("a")
    assert len(lexical_search(store, "sextortion", 10, arrays=arrays)[0]) == 1


def test_the_postgresql_store_gives_the_same_postings(fake_index: IndexFolder, pg_index: IndexFolder):
    names = ["euconsent-age-assurance.md", "malawi-training-of-trainers.txt", "roblox-safety-and-civility.md"]
    entries = read_manifest(SAMPLE / "manifest.csv").entries
    for folder in (fake_index, pg_index):
        assert not IndexWriter(folder).ingest([SAMPLE / n for n in names], entries).failed
    terms = LexicalArrays().index_terms(query_terms("age assurance trainers safety civility children nowhereword"))
    assert terms is not None
    sqlite, postgres = fake_index.store.lexical_postings(terms), pg_index.store.lexical_postings(terms)
    assert (sqlite.rows, sqlite.tokens) == (postgres.rows, postgres.tokens) and sqlite.rows > 0
    assert sqlite.terms.keys() == postgres.terms.keys() == set(terms)
    assert len(sqlite.terms["nowhereword"].ids) == 0
    # chunk ids differ between the stores: compare by (document, ordinal)
    for term in terms:
        a, b = sqlite.terms[term], postgres.terms[term]
        assert len(a.ids) == len(b.ids), term
        key_a = _places(fake_index, a.ids)
        key_b = _places(pg_index, b.ids)
        rows_a = sorted(zip(key_a, map(tuple, a.counts.tolist()), a.lengths.tolist()))
        rows_b = sorted(zip(key_b, map(tuple, b.counts.tolist()), b.lengths.tolist()))
        assert rows_a == rows_b, term
    for query in QUERIES:
        on_sqlite = lexical_search(fake_index.store, query, 20, arrays=fake_index.lexical)
        on_postgres = lexical_search(pg_index.store, query, 20, arrays=pg_index.lexical)
        np.testing.assert_allclose(on_postgres[1], on_sqlite[1], rtol=1e-5)
        np.testing.assert_allclose(on_postgres[1], lexical_search(pg_index.store, query, 20, budget=0)[1], rtol=1e-5)


def _places(folder: IndexFolder, ids: np.ndarray) -> list[tuple[str, int]]:
    chunks = folder.store.chunks_by_id(ids.tolist())
    return [(chunks[i].document_id, chunks[i].ordinal) for i in ids.tolist()]


def test_held_postings_are_bounded_and_scores_do_not_change(sample_index: IndexFolder):
    store, small = sample_index.store, LexicalArrays(max_postings=50)  # fewer than one common word's postings
    for query in QUERIES:
        words = query_terms(query)
        found = small.search(store, words, FIELD_WEIGHTS, 50)
        assert found is not None
        np.testing.assert_allclose(found[1], store.bm25_candidates(words, FIELD_WEIGHTS, 50)[1], rtol=1e-5)
    # over the bound, what was held is dropped before a query's words are added
    bounded = LexicalArrays(max_postings=20)
    bounded.search(store, query_terms(QUERIES[1]), FIELD_WEIGHTS, 10)
    assert bounded._held > 20
    bounded.search(store, query_terms(QUERIES[0]), FIELD_WEIGHTS, 10)
    assert set(bounded._terms) == set(bounded.index_terms(query_terms(QUERIES[0])) or [])
