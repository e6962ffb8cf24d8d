"""An index folder: manifest + SQLite store + derived FAISS indexes + stored original files."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

from index.batching import BatchingEncoder, encoder_threads
from index.embedders import SPACE_MODEL_IDS, Embedder, make_embedder, spaces_for_model
from index.manifest import MANIFEST_NAME, IndexManifest
from index.store import Store
from index.vector_sync import VectorIndexes
from index.vectors import VectorIndex
from ingest.errors import IndexOpenError

STORE_NAME = "store.sqlite"
FILES_DIR = "files"
CREATE_LOCK = ".create.lock"


class IndexFolder:
    """Opened once per process (CLI run or API lifespan) and passed down as a value."""

    def __init__(self, path: Path, manifest: IndexManifest, store: Store,
                 embedders: dict[str, Embedder] | None = None) -> None:
        self.path = path
        self.manifest = manifest
        self.store = store
        self._embedders: dict[str, Embedder] = dict(embedders or {})
        self._query_encoders: dict[str, BatchingEncoder] = {}
        self._vectors = VectorIndexes(path, store, self.dimension)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path, *, model: str | None = None, create: bool = False,
             embedders: dict[str, Embedder] | None = None, dtype: str = "bfloat16") -> IndexFolder:
        """Open (or, with `create`, make) the index at `path`, checking its format and model."""
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
        store = Store(path / STORE_NAME)  # creates its tables on first open (migrations are atomic)
        for space, embedder in (embedders or {}).items():
            expected = manifest.spaces.get(space, {}).get("model_id")
            if expected != embedder.model_id:
                raise IndexOpenError(
                    f"index {path} stores '{space}' vectors from {expected}, but the encoder given is "
                    f"{embedder.model_id}: use the same model or rebuild the index"
                )
        return cls(path, manifest, store, embedders)

    @property
    def files_dir(self) -> Path:
        return self.path / FILES_DIR

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

    def refresh_vectors(self, load: bool = True) -> None:
        """Bring the vector indexes up to date after writes, compact them if due, and save their cache.
        `load=False` in a process that will not search: a cache on disk is updated without reading its base."""
        for space in self.spaces:
            self._vectors.refresh(space, load)

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


def _space_info(space: str, embedders: dict[str, Embedder] | None) -> dict[str, object]:
    given = (embedders or {}).get(space)
    if given is not None:
        return {"model_id": given.model_id, "dimension": given.dimension}
    return {"model_id": SPACE_MODEL_IDS[space], "dimension": {"minilm": 384, "use": 512}[space]}
