"""An index: manifest + store + derived FAISS indexes + stored original files.

Embedded (a folder): the manifest is `index.json`, the store `store.sqlite`, originals sit in `files/`.
In PostgreSQL (`postgresql://…`, index/pg_store.py): the manifest is a record in the store's state, the
originals are rows of `files`, and what a process derives (FAISS indexes, sentence vectors) is cached in a
local folder of its own (`CWG_CACHE`, else the system's temporary folder), keyed by the store's id.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import BinaryIO

import numpy as np

from index.batching import BatchingEncoder, encoder_threads
from index.embedders import SPACE_MODEL_IDS, Embedder, make_embedder, spaces_for_model
from index.lexical_arrays import LexicalArrays
from index.manifest import MANIFEST_NAME, IndexManifest
from index.pg_connections import is_database_uri
from index.pg_store import MANIFEST_STATE_KEY, PostgresStore
from index.store import FILES_DIR, SqliteStore
from index.store_api import Store
from index.vector_sync import VectorIndexes
from index.vectors import VectorIndex
from ingest.errors import IndexOpenError

STORE_NAME = "store.sqlite"
CREATE_LOCK = ".create.lock"


def index_location(value: str | Path) -> Path | str:
    """What `--index` and `CWG_INDEX` name: a database URI as it is, else a folder's path."""
    text = str(value).strip()
    return text if is_database_uri(text) else Path(text)


class IndexFolder:
    """Opened once per process (CLI run or API lifespan) and passed down as a value."""

    def __init__(self, path: Path, manifest: IndexManifest, store: Store,
                 embedders: dict[str, Embedder] | None = None, location: str | None = None) -> None:
        self.path = path  # the folder (embedded), or this process's cache folder (PostgreSQL)
        self.location = location or str(path)  # what `--index` names: the folder, or the database URI
        self.manifest = manifest
        self.store = store
        self._embedders: dict[str, Embedder] = dict(embedders or {})
        self._query_encoders: dict[str, BatchingEncoder] = {}
        self._vectors = VectorIndexes(path, store, self.dimension)
        self.lexical = LexicalArrays()  # the lexical postings as arrays, per generation (index/lexical_arrays.py)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path | str, *, model: str | None = None, create: bool = False,
             embedders: dict[str, Embedder] | None = None, dtype: str = "bfloat16",
             vector_search: str = "memory") -> IndexFolder:
        """Open (or, with `create`, make) the index at `path` (a folder, or a PostgreSQL URI), checking its
        format and model. `vector_search`: how a PostgreSQL index answers vector searches (index/pg_vectors.py
        VECTOR_SEARCHES); a folder always searches its FAISS index."""
        if is_database_uri(path):
            return cls._open_database(str(path), model=model, create=create, embedders=embedders, dtype=dtype,
                                      vector_search=vector_search)
        path = Path(path)
        if not (path / MANIFEST_NAME).exists():
            if not create:
                raise IndexOpenError(f"no index at {path}: build one with `cwg ingest FILES --index {path}`")
            _create(path, model, dtype, embedders)
        manifest = IndexManifest.read(path)
        if model is not None and model != manifest.model:
            raise IndexOpenError(
                f"index {path} was built with model '{manifest.model}', you asked for '{model}': "
                f"leave out --model to use it as built, or convert it with "
                f"`cwg reindex --model {model} --index {path}`"
            )
        store = SqliteStore(path / STORE_NAME, path / FILES_DIR)  # makes its tables on first open (atomically)
        _check_encoders(str(path), manifest, embedders)
        return cls(path, manifest, store, embedders)

    @classmethod
    def _open_database(cls, uri: str, *, model: str | None, create: bool, embedders: dict[str, Embedder] | None,
                       dtype: str, vector_search: str) -> IndexFolder:
        store = PostgresStore(uri, vector_search)  # migrates the schema on first open (under an advisory lock)
        try:
            manifest = _database_manifest(store, model, create, embedders, dtype)
            _check_encoders(uri, manifest, embedders)
            cache = Path(os.environ.get("CWG_CACHE") or Path(tempfile.gettempdir()) / "cwg-cache") / store.store_id()
            cache.mkdir(parents=True, exist_ok=True)
        except BaseException:
            store.close()
            raise
        return cls(cache, manifest, store, embedders, location=uri)

    def save_manifest(self, manifest: IndexManifest) -> None:
        self.store.save_manifest(manifest)
        self.manifest = manifest

    # --- the originals (kept by the store: files beside it, or rows of the database) ------------------------------
    @property
    def files_dir(self) -> Path:
        """Where a folder keeps its originals (a database keeps them in itself)."""
        return self.path / FILES_DIR

    def keep_original(self, name: str, data: bytes) -> None:
        """Keep a document's original under `name`; called inside the write transaction that points to it."""
        self.store.keep_file(name, data)

    def open_original(self, name: str) -> BinaryIO:
        """The original kept under `name` (`OSError` when it is missing). Open it inside a snapshot."""
        return self.store.open_file(name)

    def drop_original(self, name: str) -> None:
        """Delete an original no committed document points to any more."""
        self.store.drop_file(name)

    def sweep_originals(self) -> None:
        """Delete copies no committed document points to (left by a write that was killed). Call it inside
        a write transaction: every writer copies its file inside its own."""
        self.store.sweep_files()

    @property
    def spaces(self) -> tuple[str, ...]:
        return tuple(self.manifest.spaces)

    def dimension(self, space: str) -> int:
        return int(self.manifest.spaces[space]["dimension"])  # type: ignore[call-overload]

    def embedder(self, space: str) -> Embedder:
        with self._lock:
            if space not in self._embedders:
                self._embedders[space] = make_embedder(space, self.manifest.dtype)
            return self._embedders[space]

    def query_encoder(self, space: str) -> BatchingEncoder:
        """Encodes one query at a time from any thread, batching queries that arrive together."""
        embedder = self.embedder(space)
        with self._lock:
            if space not in self._query_encoders:
                embedder.set_threads(encoder_threads(len(self.spaces)))
                self._query_encoders[space] = BatchingEncoder(embedder)
            return self._query_encoders[space]

    def vector_index(self, space: str) -> VectorIndex:
        """The FAISS index of `space` holding every stored vector (kept up to date by difference: memory,
        disk cache, or a full build; see index/vector_sync.py)."""
        return self._vectors.index(space)

    def stored_vectors(self, space: str, chunk_ids: list[int]) -> np.ndarray:
        """The stored vectors of `chunk_ids` in `space` (zeros for a chunk that has none), in that order: from the
        vector index this process holds, which a search has just brought up to date, and the store for any it
        lacks (read row by row from the store, 50 passages' vectors in two spaces took 0.74 ms of CPU; 0.15 now)."""
        out = np.zeros((len(chunk_ids), self.dimension(space)), dtype=np.float32)
        held = self._vectors.held(space)
        missing = np.arange(len(chunk_ids))
        if held is not None and len(chunk_ids):
            found, rows = held.rows_of(np.asarray(chunk_ids, dtype=np.int64))
            out[found] = rows
            missing = np.flatnonzero(~found)
        if len(missing):
            out[missing] = self.store.vectors_for(space, [chunk_ids[i] for i in missing], self.dimension(space))
        return out

    def dense_search(self, space: str, query: np.ndarray | Future[np.ndarray], k: int,
                     allowed: np.ndarray | None = None) -> Future[tuple[np.ndarray, np.ndarray]]:
        """The `k` chunks nearest to `query` in `space` among `allowed` (filters apply before top-k), as
        (ids, scores) in a future: FAISS in memory for the embedded store (computed when the result is asked
        for), pgvector for PostgreSQL (started at once on a connection of its own, in this thread's snapshot,
        so it runs beside the caller's lexical search). `query` may itself be a future (the encoder's)."""
        return self.store.nearest_soon(space, query, k, allowed, self.vector_index)

    def refresh_vectors(self, load: bool = True) -> None:
        """Bring the vector indexes up to date after writes, compact them if due, and save their cache.
        `load=False` in a process that will not search: a cache on disk is updated without reading its base."""
        for space in self.spaces:
            self._vectors.refresh(space, load)

    def __enter__(self) -> IndexFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for encoder in self._query_encoders.values():
            encoder.close()
        self._vectors.close()
        self.store.close()


def _create(path: Path, model: str | None, dtype: str, embedders: dict[str, Embedder] | None) -> None:
    """Make a new index folder. Two processes creating the same one (`cwg ingest` started twice) take
    turns under a file lock; the second finds the manifest and opens the index the first made."""
    if path.exists() and not path.is_dir():
        raise IndexOpenError(f"{path} exists and is not a folder: choose another --index")
    path.mkdir(parents=True, exist_ok=True)
    with open(path / CREATE_LOCK, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (path / MANIFEST_NAME).exists():
            return  # made meanwhile by another process
        ours = {FILES_DIR, CREATE_LOCK, STORE_NAME, STORE_NAME + "-wal", STORE_NAME + "-shm", MANIFEST_NAME + ".tmp"}
        strangers = sorted(p.name for p in path.iterdir() if p.name not in ours)
        if strangers:
            raise IndexOpenError(f"{path} is a non-empty folder without an index (it holds {', '.join(strangers[:3])}"
                                 f"{' …' if len(strangers) > 3 else ''}): choose another --index")
        # encoders given without a model (tests' fake encoder): the index has exactly their spaces
        spaces = tuple(embedders) if embedders and model is None else spaces_for_model(model or "default")
        model = model or "default"
        (path / FILES_DIR).mkdir(exist_ok=True)
        # The manifest is written first (atomically): a crash before the store exists leaves a folder
        # that opens as an empty index, never one that refuses to open.
        IndexManifest(model=model, dtype=dtype, spaces={s: _space_info(s, embedders) for s in spaces}).write(path)


def _check_encoders(where: str, manifest: IndexManifest, embedders: dict[str, Embedder] | None) -> None:
    for space, embedder in (embedders or {}).items():
        expected = manifest.spaces.get(space, {}).get("model_id")
        if expected != embedder.model_id:
            raise IndexOpenError(
                f"index {where} stores '{space}' vectors from {expected}, but the encoder given is "
                f"{embedder.model_id}: use the same model or rebuild the index"
            )


def _database_manifest(store: PostgresStore, model: str | None, create: bool, embedders: dict[str, Embedder] | None,
                       dtype: str) -> IndexManifest:
    """The manifest of a PostgreSQL index; made (once, whoever comes first) when `create` and there is none."""
    where = store.uri.rsplit("@", 1)[-1]
    with store.snapshot():
        data = store.state_record(MANIFEST_STATE_KEY)
    if data is None:
        if not create:
            raise IndexOpenError(f"no index in the database {where}: build one with `cwg ingest FILES --index URI`")
        spaces = tuple(embedders) if embedders and model is None else spaces_for_model(model or "default")
        made = IndexManifest(model=model or "default", dtype=dtype, spaces={s: _space_info(s, embedders) for s in spaces})
        with store.transaction() as conn:  # writers take turns: the first one's manifest is the one
            if store.state_record(MANIFEST_STATE_KEY) is None:
                store.set_state(conn, MANIFEST_STATE_KEY, json.dumps(made.to_dict()))
        with store.snapshot():
            data = store.state_record(MANIFEST_STATE_KEY)
    manifest = IndexManifest.from_dict(data or {}, where)
    if model is not None and model != manifest.model:
        raise IndexOpenError(f"index {where} was built with model '{manifest.model}', you asked for '{model}': "
                             f"leave out --model to use it as built")
    return manifest


def _space_info(space: str, embedders: dict[str, Embedder] | None) -> dict[str, object]:
    given = (embedders or {}).get(space)
    if given is not None:
        return {"model_id": given.model_id, "dimension": given.dimension}
    return {"model_id": SPACE_MODEL_IDS[space], "dimension": {"minilm": 384, "use": 512}[space]}
