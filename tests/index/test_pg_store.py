"""The PostgreSQL store end to end, on a real server (pgserver): the same answers as the embedded store, every
write whole or not at all, replicas that see each other's writes, originals in the database, `cwg migrate`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from index.embedders import FakeEmbedder
from index.filters import Filters
from index.folder import IndexFolder
from index.transfer import TransferError, copy_index
from index.writer import IndexWriter, embedding_text
from search.characterization.tagging import Tagger
from search.characterization.taxonomy import load_taxonomy
from search.retrieval.engine import SearchEngine
from search.retrieval.similar import SimilarFinder
from tests.api.conftest import API_KEY, AUTH, seed
from tests.conftest import new_database, shared_data

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ["helpline for children to report abuse", "age verification on social media platforms",
           "teacher training on grooming", "legislation criminalising online sexual exploitation",
           "parental controls", "awareness campaign for parents"]
FILTERS = [None, Filters.parse(["doc_type=contribution"]), Filters.parse(["region=Africa", "region=Europe"]),
           Filters.parse(["min_quality=0.5"]), Filters.parse(["date_from=2024-01"])]


def _hits(folder: IndexFolder, query: str, filters: Filters | None, mode: str = "hybrid") -> list[tuple[int, float]]:
    with folder.store.snapshot():
        return [(h.chunk_id, h.score) for h in SearchEngine(folder).search(query, k=10, filters=filters, mode=mode)]


def _same_hits(found: list[tuple[Any, float]], expected: list[tuple[Any, float]]) -> bool:
    """The same chunks (or documents) in the same order, with the same scores to 1e-4: float sums differ in
    their last bits from one engine to the other (a score of −0.65025 rounds either way)."""
    return ([key for key, _ in found] == [key for key, _ in expected]
            and np.allclose([s for _, s in found], [s for _, s in expected], rtol=0, atol=1e-4))


def _counts(uri: str) -> dict[str, int]:
    """Rows of every part of a PostgreSQL index, read straight from the database."""
    with psycopg.connect(uri) as conn:
        def one(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0])  # type: ignore[index]

        return {"documents": one("SELECT count(*) FROM documents"), "chunks": one("SELECT count(*) FROM chunks"),
                "lexical": one("SELECT count(*) FROM lexical_rows"),
                "lexical_total": one("SELECT rows FROM lexical_totals"),
                "vectors": one("SELECT count(*) FROM vectors_minilm"), "files": one("SELECT count(*) FROM files"),
                "stored": one("SELECT count(*) FROM documents WHERE stored_file IS NOT NULL"),
                "orphan_terms": one("SELECT count(*) FROM lexical_terms t WHERE NOT EXISTS "
                                    "(SELECT 1 FROM chunks c WHERE c.id = t.chunk_id)")}


def _consistent(counts: dict[str, int]) -> bool:
    return (counts["chunks"] == counts["lexical"] == counts["lexical_total"] == counts["vectors"]
            and counts["files"] == counts["stored"] and counts["orphan_terms"] == 0)


def _write(path: Path, word: str, paragraphs: int = 2) -> Path:
    path.write_text(f"# {path.stem}\n\n" + "\n\n".join(
        f"Paragraph {i} says {word} many times: {word} {word} and more about children online." for i in
        range(paragraphs)), encoding="utf-8")
    return path


def test_a_migrated_copy_answers_as_the_embedded_index(real_sample_index: IndexFolder, postgres_uri: str,
                                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled corpus with the real model: copied into PostgreSQL and back into a folder, tagged in both,
    every search (hybrid, lexical, dense; with filters), `similar` and the labels are the embedded store's."""
    monkeypatch.setenv("CWG_CACHE", str(tmp_path / "cache"))
    uri = new_database(postgres_uri)
    report = copy_index(real_sample_index, uri)
    assert report.rows["chunks"] == real_sample_index.store.chunk_count() > 100
    assert report.originals == real_sample_index.store.document_count()
    with pytest.raises(TransferError, match="holds 33 documents"):
        copy_index(real_sample_index, uri)  # never into an index that has documents
    back = tmp_path / "back"
    with _opened(uri) as pg:
        copy_index(pg, back)
        with _opened(back) as folder:
            taxonomy = load_taxonomy(None)
            labels = []
            for index in (folder, pg):
                Tagger(index, taxonomy).tag()
                with index.store.snapshot():
                    labels.append(sorted((lab["facet"], lab["label"]) for d in index.store.documents()
                                         for lab in index.store.document_labels(d.id)))
            assert labels[0] == labels[1] and labels[0]
            themed = Filters.parse([f"theme={labels[0][-1][1]}"]) if labels[0][-1][0] == "theme" else None
            for query in QUERIES:
                for filters in FILTERS:
                    expected = _hits(real_sample_index, query, filters)
                    assert _same_hits(_hits(pg, query, filters), expected), (query, filters)
                    assert _same_hits(_hits(folder, query, filters), expected), (query, filters)
                assert _same_hits(_hits(pg, query, themed), _hits(folder, query, themed))  # the copies are tagged alike
                for mode in ("lexical", "dense"):
                    assert _same_hits(_hits(pg, query, None, mode), _hits(real_sample_index, query, None, mode))
            similar = []
            for index in (folder, pg):  # labels count in `similar`: the two tagged copies are compared
                with index.store.snapshot():
                    similar.append([[(r.document_id, r.score) for r in SimilarFinder(index).similar(
                        document_id=d.id, k=5)] for d in index.store.documents()[:6]])
            assert len(similar[0]) == len(similar[1]) and similar[0][0]
            assert all(_same_hits(a, b) for a, b in zip(similar[0], similar[1]))


def _meeting_counts(facets: dict) -> dict[str, int]:  # type: ignore[type-arg]
    return {f["value"]: f["count"] for f in facets["facets"]["meeting"]}


class _opened:
    def __init__(self, location: Path | str, **kwargs: object) -> None:
        self.folder = IndexFolder.open(location, **kwargs)  # type: ignore[arg-type]

    def __enter__(self) -> IndexFolder:
        return self.folder

    def __exit__(self, *exc: object) -> None:
        self.folder.close()


def test_updates_and_removals_leave_no_row_behind(pg_index: IndexFolder, tmp_path: Path) -> None:
    writer = IndexWriter(pg_index)
    files = [_write(tmp_path / f"{name}.md", word, 3) for name, word in
             (("alpha", "helpline"), ("beta", "grooming"), ("gamma", "cyberbullying"))]
    assert len(writer.ingest(files).added) == 3
    _write(files[0], "sextortion", 5)  # changed: replaced whole
    report = writer.ingest(files)
    assert report.updated == ["alpha"] and len(report.unchanged) == 2
    again = writer.ingest([files[2]], {files[2].resolve(): {"country": "Fiji"}})  # same bytes, new metadata
    assert again.updated == ["gamma"]
    with pg_index.store.snapshot():
        record = pg_index.store.document("gamma")
        assert record.country == "Fiji"
        with pg_index.open_original(record.stored_file or "") as handle:  # the copy kept its name: still there
            assert handle.read() == files[2].read_bytes()
    writer.remove("beta")
    counts = _counts(pg_index.location)
    assert counts["documents"] == 2 and _consistent(counts), counts
    with pg_index.store.snapshot():
        ids, _ = pg_index.store.bm25_candidates(["helpline"], (10.0, 3.0, 1.0), 10)
        assert len(ids) == 0  # the old text of alpha is gone from the lexical index
        ids, _ = pg_index.store.bm25_candidates(["sextortion"], (10.0, 3.0, 1.0), 10)
        assert set(pg_index.store.chunk_owners(ids.tolist()).values()) == {"alpha"}


def test_originals_are_kept_in_the_database_and_served(pg_index: IndexFolder, tmp_path: Path) -> None:
    pdfs = sorted(shared_data("policy_pdfs", "child_protection").glob("*.pdf"))[:2]
    report = IndexWriter(pg_index).ingest(pdfs)
    assert len(report.added) == 2, report
    with pg_index.store.snapshot():
        for doc_id in report.added:
            record = pg_index.store.document(doc_id)
            with pg_index.open_original(record.stored_file or "") as handle:
                assert handle.read() == Path(record.path).read_bytes()
    assert not list(pg_index.path.glob("files/*"))  # nothing on this replica's disk
    settings = Settings(index=pg_index.location, api_keys=(API_KEY,))
    with TestClient(create_app(settings, pg_index)) as client:
        doc_id = report.added[0]
        served = client.get(f"/documents/{doc_id}/file")
        assert served.status_code == 200 and served.content.startswith(b"%PDF")
        assert client.delete(f"/documents/{doc_id}", headers=AUTH).status_code in (200, 204)
        assert client.get(f"/documents/{doc_id}/file").status_code == 404
    counts = _counts(pg_index.location)
    assert counts["files"] == counts["stored"] == 1 and _consistent(counts)


def test_the_http_api_over_postgresql(pg_index: IndexFolder, tmp_path: Path) -> None:
    seed(pg_index, tmp_path / "seed")
    settings = Settings(index=pg_index.location, api_keys=(API_KEY,), curator_keys=("curator-key-0123456789",))
    with TestClient(create_app(settings, pg_index)) as client:
        hits = client.get("/search", params={"q": "helpline", "country": "Philippines"}).json()["hits"]
        assert hits and {h["document_id"] for h in hits} == {"philippines-helpline"}
        facets = client.get("/facets").json()
        assert _meeting_counts(facets) == {"CWG-COP-20": 2, "CWG-COP-19": 1}, facets
        text = b"# Fiji\n\nFiji runs a national helpline where children report cyberbullying by text message.\n"
        up = client.post("/documents", headers=AUTH, files=[("files", ("fiji.md", text, "text/markdown"))])
        assert up.status_code == 201, up.text
        assert client.get("/documents/fiji/file").content == text
        new = text.replace(b"text message", b"a phone app")
        assert client.put("/documents/fiji/file", headers=AUTH,
                          files={"file": ("fiji.md", new, "text/markdown")}).status_code == 200
        assert client.get("/documents/fiji/file").content == new
        body = {"status": "best_practice", "reason": "Reports reach", "by": "secretariat"}
        curated = client.put("/documents/fiji/curation", json=body,
                             headers={"Authorization": "Bearer curator-key-0123456789"})
        assert curated.status_code == 200, curated.text
        selected = client.get("/documents", params={"curation": "best_practice"}).json()["documents"]
        assert [d["document_id"] for d in selected] == ["fiji"]
        assert client.get("/similar", params={"document_id": "fiji", "k": 2}).status_code == 200
    assert _consistent(_counts(pg_index.location))


def test_a_second_replica_sees_each_write_at_once(pg_index: IndexFolder, fake_embedders, tmp_path: Path) -> None:
    """Two processes' worth of store (two connections pools, two sets of caches) on one database: a write
    through one is in the very next answer of the other, its caches warmed before the write notwithstanding."""
    seed(pg_index, tmp_path / "seed")
    with _opened(pg_index.location, embedders={"minilm": FakeEmbedder("minilm")}) as other:
        engine, finder = SearchEngine(other), SimilarFinder(other)

        def found(query: str, filters: Filters | None = None) -> set[str]:
            with other.store.snapshot():
                return {h.document_id for h in engine.search(query, k=10, filters=filters)}

        assert "fiji" not in found("cyberbullying text message")  # caches of the other replica warmed
        with other.store.snapshot():
            finder.similar(document_id="malawi-teachers", k=2)
        path = _write(tmp_path / "fiji.md", "cyberbullying text message", 2)
        IndexWriter(pg_index).ingest([path], {path.resolve(): {"country": "Fiji", "doc_type": "contribution",
                                                              "meeting": "CWG-COP-20"}})
        assert "fiji" in found("cyberbullying text message")
        assert "fiji" in found("cyberbullying", Filters.parse(["country=Fiji"]))
        with other.store.snapshot():
            assert "fiji" in {r.document_id for r in finder.similar(document_id="malawi-teachers", k=5)}
            assert "fiji" in other.store.document_ids(Filters())
        pg_index.store.curate("fiji", "promising", "reach", "secretariat")
        assert "fiji" in found("cyberbullying", Filters.parse(["curation=promising"]))
        IndexWriter(pg_index).remove("fiji")
        assert "fiji" not in found("cyberbullying text message")


KILLED_WRITER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from index import pg_lexical
    from index.embedders import FakeEmbedder
    from index.folder import IndexFolder
    from index.writer import IndexWriter, embedding_text

    folder = IndexFolder.open(sys.argv[2], embedders={"minilm": FakeEmbedder()})
    real_write_rows = pg_lexical.write_rows

    def dying_write_rows(conn, rows):
        real_write_rows(conn, rows)  # the document and its chunks are written: die before the vectors
        if len(rows) >= 2:
            os.kill(os.getpid(), signal.SIGKILL)

    pg_lexical.write_rows = dying_write_rows
    IndexWriter(folder).ingest([Path(p) for p in sys.argv[3:]])
""")


def test_a_writer_killed_mid_write_leaves_the_database_as_it_was(pg_index: IndexFolder, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    first = _write(tmp_path / "first.md", "helpline")
    IndexWriter(pg_index).ingest([first])
    before = _counts(pg_index.location)
    second = _write(tmp_path / "second.md", "cyberbullying", paragraphs=40)  # several chunks: its write dies
    third = _write(tmp_path / "third.md", "age")
    env = {**os.environ, "CWG_CACHE": str(tmp_path / "killed-cache")}
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(ROOT), pg_index.location, str(second), str(third)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == -signal.SIGKILL, proc.stderr  # it really was killed inside its transaction
    assert _counts(pg_index.location) == before
    with pg_index.store.snapshot():
        assert [d.id for d in pg_index.store.documents()] == ["first"]
    report = IndexWriter(pg_index).ingest([second, third])  # the write lock died with it: the batch runs again
    assert sorted(report.added) == ["second", "third"]
    assert _consistent(_counts(pg_index.location))


def test_a_database_that_cannot_be_reached_is_a_clear_error(tmp_path: Path) -> None:
    from ingest.errors import IndexOpenError

    with pytest.raises(IndexOpenError, match=r"cannot open the PostgreSQL index postgresql://cwg:\*\*\*@"):
        IndexFolder.open(f"postgresql://cwg:secret@/nowhere?host={tmp_path}&connect_timeout=2")


def test_vectors_read_back_as_written(pg_index: IndexFolder, tmp_path: Path) -> None:
    """Each chunk's stored vector is its embedding text's, whichever way it is read (all, some, by batch)."""
    IndexWriter(pg_index).ingest([_write(tmp_path / "one.md", "helpline", 80)])
    embedder = FakeEmbedder("minilm")
    store = pg_index.store
    with store.snapshot():
        ids, matrix = store.all_vectors("minilm", embedder.dimension)
        chunks = store.chunks_by_id(ids.tolist())
        title = store.document("one").title
        some = ids[::2]
        assert np.array_equal(store.vectors_of("minilm", some, embedder.dimension)[1], matrix[::2])
        assert np.array_equal(store.vectors_for("minilm", some.tolist(), embedder.dimension), matrix[::2])
        batches = list(store.vector_batches("minilm", embedder.dimension, batch=2))
    assert len(ids) == len(chunks) > 2 and len(batches) == (len(ids) + 1) // 2
    assert np.array_equal(np.concatenate([b[1] for b in batches]), matrix)
    expected = embedder.encode([embedding_text(title, chunks[i].section, chunks[i].text) for i in ids.tolist()])
    assert np.allclose(matrix, expected, atol=1e-6)


def test_reindex_says_how_to_do_it_for_a_database(pg_index: IndexFolder) -> None:
    from index.reindex import reindex
    from ingest.errors import IndexOpenError

    with pytest.raises(IndexOpenError, match=r"cwg migrate --from URI --to DIR"):
        reindex(pg_index, "english")


@pytest.mark.parametrize("vector_search", ["memory", "pgvector"])
def test_vector_searches_see_the_callers_snapshot(pg_index: IndexFolder, tmp_path: Path, vector_search: str) -> None:
    """Vector searches (pgvector: on connections of their own, beside the lexical search; memory: the process's
    FAISS copy, caught up from the log of vector changes as the snapshot sees it) answer in the caller's
    snapshot: a document committed after the snapshot began is in no list of that search, and in the next one."""
    seed(pg_index, tmp_path / "seed")
    with _opened(pg_index.location, embedders={"minilm": FakeEmbedder("minilm")}, vector_search=vector_search) as other:
        engine = SearchEngine(other)
        query = "cyberbullying text message helpline"
        with other.store.snapshot():
            before = engine.search(query, k=10, mode="dense")
            path = _write(tmp_path / "fiji.md", "cyberbullying text message helpline", 2)
            IndexWriter(pg_index).ingest([path])  # committed through the other replica, meanwhile
            during = engine.search(query, k=10, mode="dense")
            assert [h.chunk_id for h in during] == [h.chunk_id for h in before]
            assert "fiji" not in {h.document_id for h in engine.search(query, k=10)}
        assert "fiji" in {h.document_id for h in engine.search(query, k=10, mode="dense")}


def test_a_dropped_connection_is_replaced_at_the_next_write(pg_index: IndexFolder, tmp_path: Path) -> None:
    """The database closes the writer's connection (a restart, an idle timeout): the next write reconnects."""
    store = pg_index.store
    with psycopg.connect(pg_index.location, autocommit=True) as admin:
        pid = store._connections._main.info.backend_pid  # type: ignore[attr-defined]
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    with pytest.raises(psycopg.OperationalError):
        store._connections._main.execute("SELECT 1")  # type: ignore[attr-defined]  # the old connection is gone
    assert IndexWriter(pg_index).ingest([_write(tmp_path / "after.md", "helpline")]).added == ["after"]


def _fill_pool(store: Any, connections: int = 4) -> None:
    """Leave `connections` idle connections in the store's pool (as many concurrent reads leave them)."""
    barrier = threading.Barrier(connections)

    def read() -> None:
        with store.snapshot():
            store.document_count()
            barrier.wait(timeout=60)

    threads = [threading.Thread(target=read) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(store._connections._pool) >= connections


def _drop_every_connection(uri: str) -> int:
    """Terminate every connection to the database of `uri` (as a server restart does), once they are gone."""
    with psycopg.connect(uri, autocommit=True) as admin:
        others = "datname = current_database() AND pid <> pg_backend_pid()"
        dropped = int(admin.execute(f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE {others}"
                                    ).fetchone()[0])  # type: ignore[index]
        while admin.execute(f"SELECT count(*) FROM pg_stat_activity WHERE {others}").fetchone()[0]:  # type: ignore[index]
            time.sleep(0.05)
    return dropped


def test_reads_after_every_connection_was_dropped_run_on_new_ones(pg_index: IndexFolder, tmp_path: Path) -> None:
    """The server drops every connection (a restart, a failover): the pooled ones are discarded and the next
    reads (single statements, snapshots, a search with its vector search beside it) and writes succeed."""
    seed(pg_index, tmp_path / "seed")
    store = pg_index.store
    _fill_pool(store)
    assert _drop_every_connection(pg_index.location) >= 5  # the pooled readers and the writer
    assert store.document_count() == 3
    with store.snapshot():
        assert [d.id for d in store.documents(Filters.parse(["country=malawi"]))] == ["malawi-teachers"]
    _drop_every_connection(pg_index.location)
    with store.snapshot():
        hits = SearchEngine(pg_index).search("helpline", k=3)
    assert hits and {h.document_id for h in hits} <= {"malawi-teachers", "philippines-helpline", "unicef-law"}
    assert IndexWriter(pg_index).ingest([_write(tmp_path / "after.md", "helpline")]).added == ["after"]


def test_a_write_whose_connection_dies_is_said_and_never_run_again(pg_index: IndexFolder, tmp_path: Path) -> None:
    """The connection dies inside a write transaction: `IndexUnavailable`, nothing written, and the write is not
    tried a second time (the database counts the attempts: a second would have succeeded)."""
    from ingest.errors import IndexUnavailable

    IndexWriter(pg_index).ingest([_write(tmp_path / "first.md", "helpline")])
    before = _counts(pg_index.location)
    with psycopg.connect(pg_index.location, autocommit=True) as admin:
        admin.execute("CREATE SEQUENCE test_write_attempts")
        admin.execute("CREATE FUNCTION test_drop_first_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                      "IF nextval('test_write_attempts') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); "
                      "END IF; RETURN NEW; END $$")
        admin.execute("CREATE TRIGGER test_drop_first_write BEFORE INSERT ON documents FOR EACH ROW "
                      "EXECUTE FUNCTION test_drop_first_write()")
    with pytest.raises(IndexUnavailable, match="the index database is not reachable: terminating connection"):
        IndexWriter(pg_index).ingest([_write(tmp_path / "second.md", "grooming")])
    with psycopg.connect(pg_index.location, autocommit=True) as admin:
        assert admin.execute("SELECT last_value FROM test_write_attempts").fetchone()[0] == 1  # type: ignore[index]
    assert _counts(pg_index.location) == before
    assert IndexWriter(pg_index).ingest([tmp_path / "second.md"]).added == ["second"]  # on a new connection


def test_no_nul_character_reaches_postgresql(pg_index: IndexFolder, tmp_path: Path) -> None:
    """PostgreSQL's text cannot hold NUL: a filter value with one matches nothing (as in a folder), and a
    lookup with one is a `QueryError` (HTTP 400), never psycopg's DataError (a 500)."""
    from ingest.errors import QueryError

    seed(pg_index, tmp_path / "seed")
    store = pg_index.store
    with store.snapshot():
        assert store.documents(Filters.parse(["country=Malawi\x00"])) == []
        assert store.chunk_ids(Filters.parse(["document_id=unicef-law\x00"])).size == 0
        with pytest.raises(QueryError, match="NUL"):
            store.document("unicef-law\x00")
    with pytest.raises(QueryError, match="NUL"):
        store.document_text("unicef-law\x00")  # a statement outside any snapshot


def test_vector_search_in_memory_answers_as_pgvector(pg_index: IndexFolder, tmp_path: Path) -> None:
    """The two ways a PostgreSQL index searches vectors (CWG_VECTOR_SEARCH) give the same dense and hybrid hits,
    with and without a filter, and an unknown way is refused."""
    seed(pg_index, tmp_path / "seed")
    hits = {}
    for way in ("memory", "pgvector"):
        with _opened(pg_index.location, embedders={"minilm": FakeEmbedder("minilm")}, vector_search=way) as folder:
            assert folder.store.vector_search == way
            engine = SearchEngine(folder)
            hits[way] = [[(h.chunk_id, round(h.score, 4)) for h in engine.search(query, k=10, mode=mode, filters=f)]
                         for query in ("helpline cyberbullying", "teachers trained in schools")
                         for mode in ("dense", "hybrid") for f in (None, Filters.parse(["country=Fiji"]))]
    assert hits["memory"] == hits["pgvector"] and any(hits["memory"])
    with pytest.raises(ValueError, match="memory, pgvector"):
        IndexFolder.open(pg_index.location, embedders={"minilm": FakeEmbedder("minilm")}, vector_search="faiss")
