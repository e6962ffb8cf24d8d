"""The store's named operations, as `search/` and `api/` rely on them (the contract a second store must keep).

Every test takes `contract_store`: a store holding four small documents written through `IndexWriter`, as
`cwg ingest` writes them. It runs against both implementations: the embedded SQLite store, and the PostgreSQL
store in a new database on the test server (skipped, with the reason, where that server cannot start).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.filters import Filters
from index.folder import IndexFolder
from index.store_api import Store
from index.writer import IndexWriter
from ingest.errors import NotFound, QueryError

DOCUMENTS = {
    "kenya.md": ("Kenya", "Kenya", "contribution",
                 "Kenya trains teachers to recognise grooming and to report it to the national helpline."),
    "ghana.md": ("Ghana", "Ghana", "information",
                 "Ghana runs a helpline where children report cyberbullying by text message."),
    "unicef.md": ("UNICEF", "", "contribution",
                  "UNICEF publishes guidance for industry on age assurance and child rights."),
    "fiji.md": ("Fiji", "Fiji", "contribution",
                "Fiji teaches parents how to set up parental controls on phones."),
}


@pytest.fixture(params=["sqlite", "postgresql"])
def contract_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    index: IndexFolder = request.getfixturevalue("fake_index" if request.param == "sqlite" else "pg_index")
    files, entries = [], {}
    for name, (source, country, doc_type, text) in DOCUMENTS.items():
        path = tmp_path / name
        path.write_text(f"# {source} programme\n\n{text}\n", encoding="utf-8")
        files.append(path)
        entries[path.resolve()] = {"source": source, "country": country, "doc_type": doc_type}
    assert not IndexWriter(index).ingest(files, entries).failed
    return index.store


def _set_documents(store: Store, column: str, values: dict[str, object], counter: str = "generation") -> None:
    """Set up what no store operation writes: `column` of these documents, straight in SQL (in the store's own
    placeholders)."""
    mark = store.dialect.mark  # type: ignore[attr-defined]
    with store.transaction(counter) as conn:
        for doc_id, value in values.items():
            conn.execute(f"UPDATE documents SET {column} = {mark} WHERE id = {mark}", (value, doc_id))


def _ids(store: Store, filters: Filters | None = None) -> list[str]:
    with store.snapshot():
        return sorted(store.document_ids(filters or Filters()))


def test_documents_are_read_whole_by_filter_by_id_and_counted(contract_store: Store) -> None:
    store = contract_store
    with store.snapshot():
        assert store.document_count() == 4 and store.chunk_count() == len(store.chunk_texts())
        kenya = store.document("kenya")
        assert (kenya.source, kenya.country, kenya.doc_type) == ("Kenya", "Kenya", "contribution")
        assert "grooming" in store.document_text("kenya")
        assert set(store.documents_by_id(["kenya", "fiji", "nowhere"])) == {"kenya", "fiji"}
        with pytest.raises(NotFound):
            store.document("nowhere")
    assert _ids(store, Filters(fields={"doc_type": ["contribution"]})) == ["fiji", "kenya", "unicef"]
    assert _ids(store, Filters(fields={"country": ["Ghana", "Fiji"]})) == ["fiji", "ghana"]
    everything = _ids(store)  # no meeting given: the library; `collection=all` reads both collections
    assert _ids(store, Filters.parse(["collection=library"])) == everything == _ids(store, Filters.parse(
        ["collection=all"])) and _ids(store, Filters.parse(["collection=contributions"])) == []
    with store.snapshot():
        listed = [d.id for d in store.documents(Filters(fields={"doc_type": ["contribution"]}))]
        assert listed == store.document_ids(Filters(fields={"doc_type": ["contribution"]}))  # one order


def test_chunks_their_documents_paths_and_languages(contract_store: Store) -> None:
    store = contract_store
    with store.snapshot():
        texts = store.chunk_texts()
        ids = [chunk_id for chunk_id, _, _ in texts]
        owners = {chunk_id: doc for chunk_id, doc, _ in texts}
        assert [doc for _, doc, _ in texts] == sorted(doc for _, doc, _ in texts)  # by document
        by_id = store.chunks_by_id(ids)
        assert set(by_id) == set(ids) and all(by_id[i].document_id == owners[i] for i in ids)
        assert [c.id for c in store.chunks_of("ghana")] == [i for i in ids if owners[i] == "ghana"]
        codes, names = store.chunk_documents(np.array(ids + [10**9], dtype=np.int64))
        assert [names[c] for c in codes[:-1]] == [owners[i] for i in ids] and codes[-1] == -1
        assert store.chunk_owners(ids) == owners
        paths = store.chunk_document_paths()
        assert set(paths) == set(ids) and paths[ids[0]].endswith(".md")
        assert store.chunk_languages(ids) == ["en"] * len(ids)
        allowed = store.chunk_ids(Filters(fields={"country": ["Ghana"]}))
        assert allowed.tolist() == sorted(i for i in ids if owners[i] == "ghana")


def test_bm25_candidates_rank_filter_and_restrict(contract_store: Store) -> None:
    store = contract_store
    weights = (1.5, 1.0, 1.0)
    with store.snapshot():
        owners = {chunk_id: doc for chunk_id, doc, _ in store.chunk_texts()}
        ids, scores = store.bm25_candidates(["helpline"], weights, 10)
        assert {owners[i] for i in ids.tolist()} == {"kenya", "ghana"}
        assert np.all(np.diff(scores) <= 0) and np.all(scores > 0)  # best first, higher is better
        ids, _ = store.bm25_candidates(["helpline", "cyberbullying"], weights, 1)
        assert [owners[i] for i in ids.tolist()] == ["ghana"]  # both words beat one
        only_kenya = Filters(fields={"country": ["Kenya"]})
        ids, _ = store.bm25_candidates(["helpline"], weights, 10, filters=only_kenya)
        assert {owners[i] for i in ids.tolist()} == {"kenya"}
        allowed = store.chunk_ids(Filters(fields={"country": ["Ghana"]}))
        ids, _ = store.bm25_candidates(["helpline"], weights, 10, allowed=allowed)
        assert {owners[i] for i in ids.tolist()} == {"ghana"}
        ids, scores = store.bm25_candidates(["nonexistentword"], weights, 10)
        assert len(ids) == 0 and len(scores) == 0
        assert store.fts_row_counts(["helpline", "parents", "nonexistentword"]) == \
            {"helpline": 2, "parents": 1, "nonexistentword": 0}


def test_labels_are_replaced_whole_with_their_state_and_read_by_facet(contract_store: Store) -> None:
    store = contract_store
    with store.snapshot():
        assert not store.has_labels() and store.state_record("tagging") is None
        evidence = store.chunks_of("kenya")[0].id
        generation = store.generation()
    store.replace_labels([("kenya", "theme", "education", 0.9, evidence), ("ghana", "theme", "helplines", 0.8, None),
                          ("ghana", "risk", "cyberbullying", 0.7, None)], "tagging", {"taxonomy": "t.yaml"})
    with store.snapshot():
        assert store.has_labels() and store.state_record("tagging") == {"taxonomy": "t.yaml"}
        assert store.generation() > generation  # labels feed filters and facets: a new generation
        assert sorted(store.facet_labels("theme")) == [("ghana", "helplines"), ("kenya", "education")]
        assert store.facet_labels("theme", Filters(fields={"country": ["Kenya"]})) == [("kenya", "education")]
        assert store.labels_of(["ghana", "fiji"]) == {"ghana": {("theme", "helplines"), ("risk", "cyberbullying")},
                                                      "fiji": set()}
        assert store.document_labels("kenya")[0]["evidence_chunk_id"] == evidence
    store.replace_labels([("fiji", "theme", "parents", 0.6, None)], "tagging", {"taxonomy": "u.yaml"})
    with store.snapshot():
        assert store.facet_labels("theme") == [("fiji", "parents")]  # the old labels are gone
        assert store.state_record("tagging") == {"taxonomy": "u.yaml"}


def test_document_values_take_only_document_fields(contract_store: Store) -> None:
    store = contract_store
    with store.snapshot():
        values = dict(store.document_values("country", Filters(fields={"doc_type": ["contribution"]})))
        assert values == {"kenya": "Kenya", "unicef": "", "fiji": "Fiji"}
        with pytest.raises(ValueError, match="unknown document field"):
            store.document_values("country; DROP TABLE documents")


def test_curation_is_appended_and_filters_by_it(contract_store: Store) -> None:
    store = contract_store
    marks = store.marks_generation()
    store.curate("fiji", "best_practice", "evaluated, with results", "curator-1")
    store.curate("fiji", "promising", "results not yet public", "curator-2")
    with store.snapshot():
        history = store.curation_history("fiji")
        assert [h["status"] for h in history] == ["best_practice", "promising"]
        assert store.document("fiji").curation == "promising"  # the latest status holds
    assert store.marks_generation() > marks  # statuses are marks, not a new generation
    assert _ids(store, Filters(fields={"curation": ["promising"]})) == ["fiji"]
    with pytest.raises(ValueError):
        store.curate("fiji", "excellent", "not a status", "curator-1")


def test_a_snapshot_does_not_see_a_write_committed_during_it(contract_store: Store) -> None:
    store = contract_store
    with store.snapshot():
        before = store.document_count()
        store.remove_document("unicef")  # another writer, as far as the snapshot is concerned
        assert store.document_count() == before
    with store.snapshot():
        assert store.document_count() == before - 1
        with pytest.raises(NotFound):
            store.document("unicef")


def test_filter_values_fold_case_alike_and_name_ids_by_their_display_names(contract_store: Store) -> None:
    """One rule on both stores: NFKC and Unicode case folding (SQLite's NOCASE folds ASCII only, PostgreSQL's
    lower() every letter: they disagreed on "CÔTE D'IVOIRE"), and a type's, status's or label's name selects its id."""
    store = contract_store
    _set_documents(store, "country", {"ghana": "Côte d'Ivoire"})  # a country whose capitals are not ASCII
    for value in ("CÔTE D'IVOIRE", "côte d'ivoire", "Côte  d'Ivoire", "ＣÔＴＥ D'IVOIRE"):  # the last full-width
        assert _ids(store, Filters.parse([f"country={value}"])) == ["ghana"], value
    assert _ids(store, Filters.parse(["doc_type=Information document"])) == ["ghana"]
    assert _ids(store, Filters.parse(["type=INFORMATION DOCUMENT", "type=nothing"])) == ["ghana"]
    assert _ids(store, Filters.parse(["actor_type=UN agency"])) == ["unicef"]
    assert _ids(store, Filters.parse(["doc_type=Contribution", "actor_type=Member State"])) == ["fiji", "kenya"]
    store.curate("fiji", "best_practice", "evaluated", "curator-1")
    assert _ids(store, Filters.parse(["curation=Best Practice"])) == ["fiji"]
    assert _ids(store, Filters.parse(["curation=NONE"])) == ["ghana", "kenya", "unicef"]
    store.replace_labels([("kenya", "theme", "education", 0.9, None), ("ghana", "risk", "grooming", 0.5, None)],
                         "tagging", {"labels": {"theme": {"education": "Éducation numérique"},
                                                "risk": {"grooming": "Grooming"}}})
    assert _ids(store, Filters.parse(["theme=ÉDUCATION NUMÉRIQUE"])) == ["kenya"]
    assert _ids(store, Filters.parse(["theme=EDUCATION"])) == ["kenya"]  # the id, in any case
    assert _ids(store, Filters.parse(["theme=grooming"])) == []  # another facet's label
    with store.snapshot():  # before ranking: the best chunk for a word everyone has, among the country's
        owners = {chunk_id: doc for chunk_id, doc, _ in store.chunk_texts()}
        ids, _ = store.bm25_candidates(["programme"], (1.0, 1.0, 1.0), 1,
                                       filters=Filters.parse(["country=CÔTE D'IVOIRE"]))
        assert [owners[i] for i in ids.tolist()] == ["ghana"]


def test_min_quality_compares_the_written_scores_alike(contract_store: Store) -> None:
    """PostgreSQL keeps the score as `real`: the bound 1e-50 was out of its range (a 500), and a score of 0.7
    read as a double is 0.69999998807, below 0.7. Both stores compare the scores as written."""
    store = contract_store
    _set_documents(store, "quality", {"kenya": 0.7, "ghana": 0.6999, "fiji": 0.0001, "unicef": 0.0}, "marks")

    def at_least(bound: str) -> list[str]:
        return _ids(store, Filters.parse([f"min_quality={bound}"]))

    assert at_least("0.7") == ["kenya"]
    assert at_least("0.6999") == ["ghana", "kenya"]
    assert at_least("0.70001") == []
    assert at_least("1e-50") == ["fiji", "ghana", "kenya"]
    assert at_least("0") == ["fiji", "ghana", "kenya", "unicef"]
    with store.snapshot():
        allowed = store.chunk_ids(Filters.parse(["min_quality=0.7"]))
        assert set(store.chunk_owners(allowed.tolist()).values()) == {"kenya"}


@pytest.mark.parametrize("pair", ["country=Atlantis", "country=Kenya\x00", "source=\x00", "theme=education\x00",
                                  "document_id=kenya\x00", "curation=none\x00"])
def test_a_value_the_index_does_not_hold_matches_nothing(contract_store: Store, pair: str) -> None:
    """Values are resolved against the index's own: one that names nothing (a NUL included, which PostgreSQL's
    text cannot even hold) matches no document and never reaches SQL, on both stores."""
    store = contract_store
    if pair.startswith("curation"):
        with pytest.raises(QueryError):
            Filters.parse([pair])
        return
    filters = Filters.parse([pair])
    assert _ids(store, filters) == []
    with store.snapshot():
        assert store.chunk_ids(filters).size == 0 and store.documents(filters) == []
        ids, _ = store.bm25_candidates(["helpline"], (1.0, 1.0, 1.0), 10, filters=filters)
        assert ids.size == 0


def test_filtered_chunk_ids_are_kept_per_state_of_the_index(contract_store: Store) -> None:
    """Values resolve to the stored ones, so "KENYA" and "kenya" share one cached entry; a new state of the
    index (a curation) reads it again."""
    store = contract_store
    with store.snapshot():
        first = store.chunk_ids(Filters.parse(["country=KENYA"]))
        assert store.chunk_ids(Filters.parse(["country=kenya"])) is first
        assert set(store.chunk_owners(first.tolist()).values()) == {"kenya"}
    store.curate("kenya", "noted", "seen", "curator-1")
    with store.snapshot():
        again = store.chunk_ids(Filters.parse(["country=kenya"]))
    assert again is not first and again.tolist() == first.tolist()


def test_documents_by_id_are_kept_per_state_and_a_write_is_seen(contract_store: Store) -> None:
    """Documents are read once per state (generation, marks) inside snapshots, and every kind of write that
    changes one is seen by the next snapshot: curation (marks), a metadata write (generation), a removal."""
    store = contract_store
    with store.snapshot():
        first = store.documents_by_id(["kenya", "fiji", "nowhere"])
        assert sorted(first) == ["fiji", "kenya"] and first["kenya"].curation == "none"
        first["kenya"].warnings.append("changed by a caller")  # a caller's copy: the kept row is not changed
        first["kenya"].entry["note"] = "changed by a caller"
        again = store.documents_by_id(["kenya"])["kenya"]
        assert again.warnings == [] and "note" not in again.entry and again == store.document("kenya")
    store.curate("kenya", "best_practice", "evaluated", "curator-1")
    with store.snapshot():
        assert store.documents_by_id(["kenya"])["kenya"].curation == "best_practice"
    _set_documents(store, "title", {"kenya": "Kenya's teachers"})
    with store.snapshot():
        assert store.documents_by_id(["kenya", "fiji"])["kenya"].title == "Kenya's teachers"
    store.remove_document("fiji")
    with store.snapshot():
        assert sorted(store.documents_by_id(["kenya", "fiji"])) == ["kenya"]
    assert store.documents_by_id(["kenya"])["kenya"].title == "Kenya's teachers"  # outside a snapshot: read now


def test_a_snapshot_reads_its_counters_and_documents_once(contract_store: Store) -> None:
    """Inside one snapshot the state's counters and the documents' rows cannot change: they are read once
    (a search asked for them ~10 and 3 times), and a snapshot taken after a write reads them again."""
    store = contract_store
    statements: list[str] = []
    caches = store._caches  # type: ignore[attr-defined]
    read = caches.read
    caches.read = lambda work: (statements.append("read"), read(work))[1]
    try:
        with store.snapshot():
            generation = store.generation()
            for _ in range(5):
                assert store.generation() == generation
                store.marks_generation()
                store.documents_by_id(["kenya", "ghana"])
        assert len(statements) <= 3  # generation, (generation, marks), the two documents' rows
        statements.clear()
        with store.snapshot():
            seq = store.vector_seq()
            assert [store.vector_seq() for _ in range(3)] == [seq] * 3
        assert len(statements) <= 1  # the vector log's head, once (SQLite reads it on its own connection)
        statements.clear()
        with store.snapshot():
            store.documents_by_id(["kenya", "ghana"])
        assert len(statements) == 1  # the state; the rows are kept for it
        statements.clear()
        store.curate("ghana", "noted", "seen", "curator-1")
        with store.snapshot():
            assert store.documents_by_id(["kenya", "ghana"])["ghana"].curation == "noted"
        assert len(statements) == 2  # a new state: its rows are read again
    finally:
        caches.read = read
