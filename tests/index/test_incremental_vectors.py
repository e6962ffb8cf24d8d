"""The vector index kept up to date by difference answers exactly as a full rebuild does (flat and HNSW),
after adds, removals, replacements and reused chunk ids, in the same process and in a new one; a cache
that does not match the store is detected and rebuilt; searches during updates never fail."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

import index.vectors as vectors
from index import vector_cache
from index.embedders import FakeEmbedder
from index.folder import IndexFolder
from index.vector_sync import VectorIndexes
from index.vectors import VectorIndex
from index.writer import IndexWriter

SPACE = "minilm"


def _write(path: Path, topic: str, paragraphs: int = 6) -> Path:
    body = "\n\n".join(f"Paragraph {i} {topic}{i}x on {topic}: " + " ".join(f"{topic}{j}w{i}" for j in range(40))
                       for i in range(paragraphs))
    path.write_text(f"# {topic.title()} report\n\n{body}\n")
    return path


def _rebuilt(folder: IndexFolder) -> VectorIndex:
    store, dim = folder.store, folder.dimension(SPACE)
    return VectorIndex.build_from_batches(store.vector_batches(SPACE, dim), store.vector_count(SPACE), dim)


def assert_same_as_rebuild(folder: IndexFolder, index: VectorIndex | None = None) -> None:
    """Every query (stored vectors, perturbed, and random) gets the same ids and scores from `index` as from
    an index built now from the store, unfiltered and filtered, shallow and deep."""
    index = index or folder.vector_index(SPACE)
    full = _rebuilt(folder)
    ids, matrix = folder.store.all_vectors(SPACE, folder.dimension(SPACE))
    assert len(index) == len(full) == len(ids)
    assert sorted(index.ids[index.ids >= 0].tolist()) == ids.tolist()
    if len(ids) == 0:
        return
    assert np.array_equal(np.asarray(index.matrix[index.positions(ids)]), matrix)
    rng = np.random.default_rng(len(ids))
    queries = [*(matrix[::7] + rng.normal(0, 0.05, matrix[::7].shape)), *rng.normal(size=(5, matrix.shape[1]))]
    allowed = np.sort(np.concatenate([rng.choice(ids, max(1, len(ids) // 3), replace=False), [ids.max() + 1000]]))
    for q in queries:
        q = (q / np.linalg.norm(q)).astype(np.float32)
        for k in (5, len(ids)):
            for subset in (None, allowed):
                got, want = index.search(q, k, subset), full.search(q, k, subset)
                assert got[0].tolist() == want[0].tolist()
                assert np.allclose(got[1], want[1], atol=1e-6)


def _ingest(folder: IndexFolder, *paths: Path) -> None:
    report = IndexWriter(folder).ingest(list(paths))
    assert not report.failed, report.failed


def _chunk_ids(folder: IndexFolder, document_id: str) -> list[int]:
    return [c.id for c in folder.store.chunks_of(document_id)]


@pytest.fixture(params=["flat", "hnsw"])
def kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "hnsw":
        monkeypatch.setattr(vectors, "HNSW_THRESHOLD", 1)
    return request.param


def test_adds_removals_replacements_and_reused_ids_answer_as_a_rebuild(fake_index: IndexFolder, tmp_path: Path,
                                                                         kind: str, monkeypatch):
    monkeypatch.setattr(vectors, "DEAD_SHARE", 1.0)  # no compaction here: every step must be an update
    builds = []
    real_rebuild = VectorIndexes._rebuild
    monkeypatch.setattr(VectorIndexes, "_rebuild", lambda self, space: builds.append(space) or real_rebuild(self, space))
    docs = [_write(tmp_path / f"{t}.md", t) for t in ("grooming", "helpline", "privacy", "gaming")]
    _ingest(fake_index, *docs[:3])
    fake_index.refresh_vectors()
    first = fake_index.vector_index(SPACE)
    assert first.kind == kind and len(builds) == 1
    assert_same_as_rebuild(fake_index)

    _ingest(fake_index, docs[3])  # an add
    assert_same_as_rebuild(fake_index)
    IndexWriter(fake_index).remove("helpline")  # a removal from the middle (a tombstone in a graph)
    assert_same_as_rebuild(fake_index)
    _write(docs[0], "sextortion", paragraphs=3)  # a replacement: same document, other text
    _ingest(fake_index, docs[0])
    assert_same_as_rebuild(fake_index)
    last = max(fake_index.store.documents(), key=lambda d: max(_chunk_ids(fake_index, d.id)))
    gone = _chunk_ids(fake_index, last.id)
    fake_index.vector_index(SPACE)
    IndexWriter(fake_index).remove(last.id)  # the highest ids go, and the next document gets them again
    _ingest(fake_index, _write(tmp_path / "encryption.md", "encryption", paragraphs=8))
    assert set(gone) & set(_chunk_ids(fake_index, "encryption"))  # ids really were reused
    assert_same_as_rebuild(fake_index)
    assert len(builds) == 1  # each step was an update, not a rebuild
    assert fake_index.vector_index(SPACE).base is first.base or kind == "flat"

    fake_index.refresh_vectors()  # saves the delta; a new process opens base + delta without rebuilding
    reopened = IndexFolder.open(fake_index.path, embedders={SPACE: FakeEmbedder()})
    try:
        assert_same_as_rebuild(reopened)
        assert len(builds) == 1
    finally:
        reopened.close()


def test_compaction_merges_and_rebuilds_and_still_answers_as_a_rebuild(fake_index: IndexFolder, tmp_path: Path,
                                                                       kind: str, monkeypatch):
    monkeypatch.setattr(vectors, "FRESH_MIN", 3)
    monkeypatch.setattr(vectors, "DEAD_SHARE", 0.2)
    _ingest(fake_index, _write(tmp_path / "a.md", "curriculum", paragraphs=10))
    fake_index.refresh_vectors()
    base = fake_index.vector_index(SPACE).base
    for n, topic in enumerate(("age", "filter", "report", "school")):
        _ingest(fake_index, _write(tmp_path / f"{topic}.md", topic, paragraphs=3 + n))
        fake_index.refresh_vectors()
        assert_same_as_rebuild(fake_index)
        assert fake_index.vector_index(SPACE).compaction() is None
    index = fake_index.vector_index(SPACE)
    assert index.base is not base and len(index.fresh_ids) <= 3  # merged into a new base
    saved = vector_cache.load(fake_index.path, SPACE, 64)
    assert saved is not None and saved[1].fresh_ids.tolist() == index.fresh_ids.tolist()  # and saved as such
    for topic in ("age", "filter", "report"):
        IndexWriter(fake_index).remove(topic)
        fake_index.refresh_vectors()
        assert_same_as_rebuild(fake_index)
        assert fake_index.vector_index(SPACE).compaction() is None  # refresh_vectors compacted what was due
    reopened = IndexFolder.open(fake_index.path, embedders={SPACE: FakeEmbedder()})
    try:
        assert_same_as_rebuild(reopened)
    finally:
        reopened.close()


def test_a_process_that_only_writes_updates_the_cache_without_reading_its_base(fake_index: IndexFolder,
                                                                               tmp_path: Path):
    _ingest(fake_index, _write(tmp_path / "a.md", "gaming"))
    fake_index.refresh_vectors()
    path = fake_index.path
    writer = IndexFolder.open(path, embedders={SPACE: FakeEmbedder()})
    try:
        _ingest(writer, _write(tmp_path / "b.md", "privacy"))
        writer.refresh_vectors(load=False)
        assert not writer._vectors._versions[SPACE][1].base.loaded
    finally:
        writer.close()
    info = json.loads((path / "vectors-minilm.json").read_text())
    assert info["delta"]["fresh"] > 0 and info["seq"] == fake_index.store.vector_seq()
    assert_same_as_rebuild(fake_index)  # the first process catches up from the log
    reader = IndexFolder.open(path, embedders={SPACE: FakeEmbedder()})
    try:
        assert_same_as_rebuild(reader)
    finally:
        reader.close()


def test_label_writes_cost_nothing(fake_index: IndexFolder, tmp_path: Path):
    _ingest(fake_index, _write(tmp_path / "a.md", "helpline"))
    index = fake_index.vector_index(SPACE)
    with fake_index.store.transaction() as conn:  # what `cwg tag` does: a new generation, no vector
        conn.execute("DELETE FROM labels")
    assert fake_index.vector_index(SPACE) is index


@pytest.mark.parametrize("damage", ["truncated base", "truncated delta", "missing base", "stale delta",
                                    "another store", "ahead of the store", "other change", "garbage manifest"])
def test_a_cache_that_does_not_match_the_store_is_detected_and_rebuilt(fake_index: IndexFolder, tmp_path: Path,
                                                                       damage: str):
    _ingest(fake_index, _write(tmp_path / "a.md", "grooming"), _write(tmp_path / "b.md", "age"))
    fake_index.refresh_vectors()
    _ingest(fake_index, _write(tmp_path / "c.md", "privacy"))
    fake_index.refresh_vectors()  # a base and a delta on disk
    path = fake_index.path
    manifest = path / "vectors-minilm.json"
    info = json.loads(manifest.read_text())
    base = path / f"{info['base']['name']}.faiss"
    delta = path / info["delta"]["name"]
    if damage == "truncated base":
        base.write_bytes(base.read_bytes()[:100])
    elif damage == "truncated delta":
        delta.write_bytes(delta.read_bytes()[:-10])
    elif damage == "missing base":
        base.unlink()
    elif damage == "stale delta":  # the delta of an earlier state under the current manifest
        older = dict(info, delta=dict(info["delta"], fresh=0))
        manifest.write_text(json.dumps(older))
    elif damage == "another store":
        manifest.write_text(json.dumps(dict(info, store_id="0" * 32)))
    elif damage == "ahead of the store":
        manifest.write_text(json.dumps(dict(info, seq=info["seq"] + 5)))
    elif damage == "other change":  # same number, not the change this store made under it
        manifest.write_text(json.dumps(dict(info, last_change=["minilm", 999_999])))
    else:
        manifest.write_text("{not json")
    reopened = IndexFolder.open(path, embedders={SPACE: FakeEmbedder()})
    try:
        assert_same_as_rebuild(reopened)
        reopened.refresh_vectors()
        assert vector_cache.load(path, SPACE, 64) is not None  # repaired on disk
    finally:
        reopened.close()


def test_a_save_interrupted_before_its_manifest_leaves_the_previous_cache(fake_index: IndexFolder, tmp_path: Path,
                                                                          monkeypatch):
    _ingest(fake_index, _write(tmp_path / "a.md", "helpline"))
    fake_index.refresh_vectors()
    before = (fake_index.path / "vectors-minilm.json").read_text()
    _ingest(fake_index, _write(tmp_path / "b.md", "gaming"))

    def crash(path: Path, data: bytes) -> None:
        raise KeyboardInterrupt  # the process dies after writing the new files, before naming them

    monkeypatch.setattr(vector_cache, "_write_durably", crash)
    with pytest.raises(KeyboardInterrupt):
        fake_index.refresh_vectors()
    monkeypatch.undo()
    assert (fake_index.path / "vectors-minilm.json").read_text() == before
    reopened = IndexFolder.open(fake_index.path, embedders={SPACE: FakeEmbedder()})
    try:
        assert_same_as_rebuild(reopened)  # the old cache, caught up from the store's log
    finally:
        reopened.close()


def test_pruned_log_falls_back_to_the_saved_cache(fake_index: IndexFolder, tmp_path: Path, monkeypatch):
    import index.vector_sync as vector_sync

    monkeypatch.setattr(vector_sync, "KEEP_CHANGES", 0)
    monkeypatch.setattr(vectors, "FRESH_MIN", 0)  # every update merged: a base saved each time
    _ingest(fake_index, _write(tmp_path / "a.md", "school"))
    stale = fake_index.vector_index(SPACE)
    other = IndexFolder.open(fake_index.path, embedders={SPACE: FakeEmbedder()})
    try:
        _ingest(other, _write(tmp_path / "b.md", "report"))
        other.refresh_vectors()  # a new base saved: the log before it is pruned
        assert other.store.vector_log_floor() == other.store.vector_seq()
    finally:
        other.close()
    fresh = fake_index.vector_index(SPACE)
    assert fresh is not stale
    assert_same_as_rebuild(fake_index)


def test_searches_during_updates_never_fail(fake_index: IndexFolder, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(vectors, "HNSW_THRESHOLD", 1)
    monkeypatch.setattr(vectors, "FRESH_MIN", 4)
    _ingest(fake_index, _write(tmp_path / "a.md", "filter"))
    errors: list[BaseException] = []
    stop = threading.Event()
    query = FakeEmbedder().encode(["filter report privacy"])[0]

    def search() -> None:
        while not stop.is_set():
            try:
                index = fake_index.vector_index(SPACE)
                ids, _ = index.search(query, 10)
                assert len(ids) == min(10, len(index)) and (ids >= 0).all()
                live = np.sort(index.ids[index.ids >= 0])
                index.search(query, 5, live[::2])
            except BaseException as error:  # noqa: BLE001 - reported by the test below
                errors.append(error)
                return

    threads = [threading.Thread(target=search) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for n in range(6):
            _ingest(fake_index, _write(tmp_path / f"d{n}.md", f"topic{n}", paragraphs=2 + n))
            if n % 2:
                IndexWriter(fake_index).remove(f"d{n - 1}")
            fake_index.refresh_vectors()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors, errors[0]
    assert_same_as_rebuild(fake_index)


def test_real_model_update_answers_as_a_rebuild(real_sample_index: IndexFolder, tmp_path: Path):
    """The bundled sample indexed with the real model: a document removed and added again by update."""
    import shutil

    path = tmp_path / "copy"
    shutil.copytree(real_sample_index.path, path)
    folder = IndexFolder.open(path)
    try:
        folder.vector_index(SPACE)
        IndexWriter(folder).remove(folder.store.documents()[0].id)
        assert_same_as_rebuild(folder)
        _ingest(folder, _write(tmp_path / "new.md", "grooming", paragraphs=3))
        assert_same_as_rebuild(folder)
    finally:
        folder.close()


KILLED_SAVE = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import faiss
import index.vectors as vectors
from index import vector_cache
from index.embedders import FakeEmbedder
from index.folder import IndexFolder
from index.writer import IndexWriter

vectors.FRESH_MIN = 0  # every update writes a new base
folder = IndexFolder.open(Path(sys.argv[2]), embedders={"minilm": FakeEmbedder()})
IndexWriter(folder).ingest([Path(sys.argv[3])])
if sys.argv[4] == "mid base file":
    real_write = faiss.write_index
    def dying_write(index, path):
        real_write(index, path)
        with open(path, "r+b") as handle:
            handle.truncate(os.path.getsize(path) // 2)
        os.kill(os.getpid(), signal.SIGKILL)
    faiss.write_index = dying_write
else:
    real_replace = Path.replace
    def dying_replace(self, target):
        if str(target).endswith("vectors-minilm.json"):
            os.kill(os.getpid(), signal.SIGKILL)
        return real_replace(self, target)
    Path.replace = dying_replace
folder.refresh_vectors()
"""


@pytest.mark.parametrize("moment", ["mid base file", "before the manifest is renamed"])
def test_a_save_killed_midway_leaves_the_previous_cache(fake_index: IndexFolder, tmp_path: Path, moment: str):
    import subprocess
    import sys

    from tests.conftest import ROOT

    _ingest(fake_index, _write(tmp_path / "a.md", "helpline"), _write(tmp_path / "b.md", "privacy"))
    fake_index.refresh_vectors()
    path = fake_index.path
    before = (path / "vectors-minilm.json").read_text()
    fake_index.close()
    proc = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(ROOT), str(path),
                           str(_write(tmp_path / "c.md", "grooming")), moment], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -9, proc.stderr
    assert (path / "vectors-minilm.json").read_text() == before  # the old manifest, naming whole files
    reopened = IndexFolder.open(path, embedders={SPACE: FakeEmbedder()})
    try:
        assert vector_cache.load(path, SPACE, 64) is not None
        assert_same_as_rebuild(reopened)  # the old cache caught up with the document written before the kill
        assert "c" in {d.id for d in reopened.store.documents()}
    finally:
        reopened.close()


def test_removing_a_chunk_finds_its_vectors_by_index(fake_index: IndexFolder):
    """The cascade from chunks to vectors looks vectors up by chunk id (migration 6), not by a table scan."""
    plan = fake_index.store.conn.execute("EXPLAIN QUERY PLAN DELETE FROM vectors WHERE chunk_id = 1").fetchall()
    assert any("vectors_chunk" in str(row[-1]) for row in plan), plan


def test_a_graph_grown_to_the_large_size_is_rebuilt_denser(monkeypatch):
    """A full build of a large index makes a denser graph (recall at 1M); one grown there by updates gets it too."""
    monkeypatch.setattr(vectors, "LARGE_INDEX", 150)
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(160, 16)).astype(np.float32)
    ids = np.arange(1, 161, dtype=np.int64)
    small = VectorIndex.build(ids[:100], matrix[:100], hnsw_threshold=1)
    assert small.base.ef_construction == vectors.HNSW_EF_CONSTRUCTION and small.compaction(1) is None
    grown = small.updated(ids[100:], ids[100:], matrix[100:])
    assert grown is not None and grown.compaction(1) == "rebuild"
    assert grown.merged().base.ef_construction == vectors.HNSW_EF_CONSTRUCTION  # merging does not make it denser
    assert VectorIndex.build(ids, matrix, hnsw_threshold=1).base.ef_construction == vectors.HNSW_EF_CONSTRUCTION_LARGE


def test_a_search_in_an_older_snapshot_takes_the_newer_version(fake_index: IndexFolder, tmp_path: Path,
                                                                monkeypatch):
    monkeypatch.setattr(vectors, "FRESH_MIN", 0)  # refresh_vectors merges: a new base nobody searched yet
    _ingest(fake_index, _write(tmp_path / "a.md", "age"))
    fake_index.vector_index(SPACE)
    calls = []
    monkeypatch.setattr(VectorIndexes, "_rebuild", lambda self, space: calls.append("rebuild"))
    monkeypatch.setattr(VectorIndexes, "_from_disk", lambda self, space, load_base: calls.append("disk"))
    with fake_index.store.snapshot():
        before = fake_index.store.vector_seq()  # (a read transaction sees the state of its first read)
        writer = threading.Thread(target=lambda: (_ingest(fake_index, _write(tmp_path / "b.md", "school")),
                                                  fake_index.refresh_vectors()))
        writer.start()
        writer.join()
        assert fake_index.store.vector_seq() == before  # this thread still sees the state before b
        index = fake_index.vector_index(SPACE)
    assert calls == [] and index is fake_index._vectors._versions[SPACE][1] and index.base.handed_out
    assert set(_chunk_ids(fake_index, "b")) <= set(index.ids.tolist())


def test_stored_vectors_are_read_from_the_held_index_and_equal_the_stores(fake_index: IndexFolder, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A search's passages' vectors come from the vector index the process holds (no row reads) when it holds
    the store's every vector; after a write it holds an older state, so they come from the store until a search
    catches up. Either way they equal the stored rows, with zeros for a chunk that has none."""
    folder, store, dim = fake_index, fake_index.store, fake_index.dimension(SPACE)
    writer = IndexWriter(folder)
    writer.ingest([_write(tmp_path / f"{t}.md", t) for t in ("alpha", "beta", "gamma")])
    folder.vector_index(SPACE)  # what a search does first
    ids = [int(i) for i in folder.vector_index(SPACE).ids]
    assert len(ids) >= 4
    asked: list[list[int]] = []
    read = store.vectors_for
    monkeypatch.setattr(store, "vectors_for", lambda space, wanted, d: (asked.append(list(wanted)), read(space, wanted, d))[1])
    wanted = [ids[2], 10**9, ids[0], ids[-1]]
    assert np.array_equal(folder.stored_vectors(SPACE, wanted), read(SPACE, wanted, dim))
    assert asked == [[10**9]]  # only the chunk the index does not hold was read
    assert not folder.stored_vectors(SPACE, [10**9]).any()
    writer.ingest([_write(tmp_path / "delta.md", "delta")])
    writer.remove("alpha")
    asked.clear()
    now = [int(i) for i in _rebuilt(folder).ids]
    wanted = [*ids[:2], *now[-2:]]
    assert np.array_equal(folder.stored_vectors(SPACE, wanted), read(SPACE, wanted, dim))
    assert asked == [wanted]  # the held index is behind the store: every row from the store
    folder.vector_index(SPACE)
    asked.clear()
    assert np.array_equal(folder.stored_vectors(SPACE, wanted), read(SPACE, wanted, dim))
    assert asked == [ids[:2]]  # caught up: alpha's chunks are gone (zeros), the rest from the index
