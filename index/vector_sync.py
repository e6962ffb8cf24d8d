"""The vector index of each space of an index folder, kept up to date with the store by difference.

The store logs every change of its vectors table (migration 5: triggers, inside the writing transaction).
A version of the index records the number of the last change it holds; bringing it up to date reads the
chunk ids changed since and their vectors now (`VectorIndex.updated`): a few milliseconds for a document,
whatever the index's size. A label or curation write changes no vector, so it costs one row read.

Where a version comes from, first that works: the one in memory caught up; the cache on disk (checked
against this store: its id, its last change, which must be the store's change of that number) caught up;
a full build from the stored vectors. The store stays the truth: a cache that does not match it is never
used, and a version that cannot catch up (the log pruned past it) is replaced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from index import vector_cache
from index.store_api import Store
from index.vector_cache import CacheStamp
from index.vectors import CacheError, VectorIndex

log = logging.getLogger("cwg.index")

# Changes the store's log keeps beyond those the saved cache holds: another process's index in memory
# catches up from them rather than reading the cache's base again (~25 bytes a change).
KEEP_CHANGES = 200_000

Version = tuple[int, VectorIndex]  # (number of the last change it holds, the index)


class VectorIndexes:
    """Current versions by space. Searches take the published version without waiting; an update builds
    a new version and swaps it in under a lock (milliseconds), compactions run beside the searches."""

    def __init__(self, path: Path, store: Store, dimension: Callable[[str], int]) -> None:
        self.path = path
        self.store = store
        self.dimension = dimension
        self.compact_in_background = True  # in `index()`: a long-running process keeps its version compact
        self._versions: dict[str, Version] = {}
        self._saved: dict[str, tuple[int, int]] = {}  # (change number, base serial) of the cache on disk
        self._lock = threading.RLock()  # publishing versions
        self._compact_lock = threading.Lock()  # one compaction at a time
        self._compacting: dict[str, threading.Thread] = {}
        self._failed: dict[str, int] = {}  # space -> change number at which a background compaction failed
        self._closed = False

    # --- the interface of IndexFolder ------------------------------------------------------------------
    def index(self, space: str) -> VectorIndex:
        """The index of `space` holding every vector of the store now (or of this thread's snapshot)."""
        seq = self.store.vector_seq()
        current = self._versions.get(space)
        if current is None or current[0] < seq or not current[1].base.handed_out:
            with self._lock:
                current = self._versions.get(space)
                if current is None or current[0] < seq or not current[1].base.handed_out:
                    current = self._current(space, current, load_base=True)
                    current[1].base.handed_out = True
                    self._versions[space] = current
        if self.compact_in_background and current[1].compaction() and self._failed.get(space) != current[0]:
            self._compact_later(space)
        return current[1]

    def held(self, space: str) -> VectorIndex | None:
        """The index of `space` this process holds, when it is loaded and holds every vector of the store now (or
        of this thread's snapshot); None otherwise (this never builds, reads nor catches up: one row read)."""
        current = self._versions.get(space)
        if current is None or not current[1].base.loaded or current[0] < self.store.vector_seq():
            return None
        return current[1]

    def refresh(self, space: str, load: bool = True) -> None:
        """Bring `space` up to date, compact it if due, and save the cache. `load=False` (a process that
        only writes): the base index file is not read unless a compaction needs it."""
        with self._lock:
            current = self._versions.get(space)
            if current is None or current[0] < self.store.vector_seq() or (load and not current[1].base.loaded):
                current = self._current(space, current, load_base=load or bool(current and current[1].base.loaded))
                self._versions[space] = current
        if current[1].compaction():
            current = self._compact(space)
        if not self._is_saved(space, *current):
            self._save(space, *current)

    def close(self) -> None:
        """A compaction still running is abandoned (its files are never named by the manifest)."""
        self._closed = True

    # --- versions ---------------------------------------------------------------------------------------
    def _current(self, space: str, version: Version | None, load_base: bool) -> Version:
        if version is not None:
            caught = self._catch_up(space, *version)
            if caught is not None and (not load_base or _loads(caught[1])):
                return caught
        found = self._from_disk(space, load_base)
        return found if found is not None else self._rebuild(space)

    def _catch_up(self, space: str, seq: int, index: VectorIndex, stamp: CacheStamp | None = None
                  ) -> Version | None:
        """`index` (holding changes up to `seq`) brought up to the store's state, or None if it cannot be.
        With a cache's `stamp`: None too if the store is not the one the cache was made from."""
        store = self.store
        with store.snapshot():
            now, floor = store.vector_seq(), store.vector_log_floor()
            if stamp is not None:
                if now < seq:
                    return None  # a cache ahead of the store: made from another one
                if seq > floor and store.vector_change(seq) != stamp.last_change:
                    return None  # the store's change of that number is another one: not its store either
            if now <= seq:
                return seq, index  # (in memory, newer than this thread's snapshot: as good)
            if floor > seq:
                return None  # the changes it misses were pruned
            touched = store.changed_vector_ids(space, seq)
            ids, matrix = store.vectors_of(space, touched, self.dimension(space))
        updated = index.updated(touched, ids, matrix) if len(touched) else index
        return None if updated is None else (now, updated)

    def _from_disk(self, space: str, load_base: bool) -> Version | None:
        found = vector_cache.load(self.path, space, self.dimension(space))
        if found is None:
            return None
        stamp, index = found
        if stamp.store_id != self.store.store_id() or (load_base and not _loads(index)):
            return None
        caught = self._catch_up(space, stamp.seq, index, stamp)
        if caught is not None:
            self._saved[space] = (stamp.seq, index.base.serial)
        return caught

    def _rebuild(self, space: str) -> Version:
        """A full build from the stored vectors (and its cache saved)."""
        store, dim = self.store, self.dimension(space)
        with store.snapshot():
            seq = store.vector_seq()
            index = VectorIndex.build_from_batches(store.vector_batches(space, dim), store.vector_count(space), dim)
        self._save(space, seq, index)
        return seq, index

    # --- compaction -----------------------------------------------------------------------------------------
    def _compact(self, space: str) -> Version:
        """Merge the fresh vectors into the base, or rebuild it (`VectorIndex.compaction`), then publish the
        result caught up with whatever was written meanwhile. Searches go on with the current version."""
        with self._compact_lock:
            seq, index = self._versions[space]
            mode = index.compaction()
            if mode is None:
                return seq, index
            candidate: Version | None = None
            if vector_cache.saved_base(self.path, space) not in (None, index.base.name):
                candidate = self._from_disk(space, load_base=True)  # another process compacted it already
                if candidate is not None and candidate[1].compaction():
                    candidate = None
            if candidate is None and mode == "merge":
                candidate = self._merge(space, seq, index)
            if candidate is None:
                candidate = self._rebuild(space)
            with self._lock:
                current = self._catch_up(space, *candidate) or self._current(space, None, load_base=True)
                self._versions[space] = current
        if not self._is_saved(space, *current) and not self._closed:
            self._save(space, *current)
        return current

    def _merge(self, space: str, seq: int, index: VectorIndex) -> Version | None:
        try:
            with self._lock:
                if not index.base.handed_out:  # no search holds its graph: add to it in place (no copy)
                    merged = index.merged(copy=False)
                    self._versions[space] = (seq, merged)
                    return seq, merged
            return seq, index.merged(copy=True)
        except CacheError as error:
            log.warning("vector index cache of %s unreadable (%s): rebuilding it", space, error)
            return None

    def _compact_later(self, space: str) -> None:
        with self._lock:
            if self._closed or space in self._compacting:
                return
            thread = threading.Thread(target=self._compact_quietly, args=(space,), name=f"compact-{space}",
                                      daemon=True)
            self._compacting[space] = thread
        thread.start()

    def _compact_quietly(self, space: str) -> None:
        try:
            self._compact(space)
        except Exception:  # the current version stays correct; a compaction is only an optimisation
            if not self._closed:  # (a closed store fails it on purpose)
                log.exception("compacting the %s vector index failed", space)
                self._failed[space] = self._versions[space][0]
        finally:
            with self._lock:
                self._compacting.pop(space, None)

    # --- the cache on disk ---------------------------------------------------------------------------------
    def _is_saved(self, space: str, seq: int, index: VectorIndex) -> bool:
        """Whether the cache on disk holds this version's changes on this version's base."""
        return self._saved.get(space) == (seq, index.base.serial)

    def _save(self, space: str, seq: int, index: VectorIndex) -> None:
        store = self.store
        stamp = CacheStamp(store.store_id(), seq, store.vector_change(seq))
        try:
            wrote_base = vector_cache.save(self.path, space, index, stamp)
        except OSError:
            return  # a read-only index folder still answers; it only catches up from its older cache
        except CacheError:
            return  # its base file went missing meanwhile: the next start rebuilds
        self._saved[space] = (seq, index.base.serial)
        if wrote_base:  # the log before the saved base is needed by no cache, nor by a recent index in memory
            upto = min(seq, store.vector_seq() - KEEP_CHANGES)
            if upto > store.vector_log_floor():
                store.prune_vector_changes(upto)  # a store that cannot write now keeps its log: the next prunes


def _loads(index: VectorIndex) -> bool:
    """Whether the base of `index` is (or can now be) read from its file."""
    try:
        index.base.faiss_index()
    except CacheError as error:
        log.warning("vector index cache unreadable (%s): using another", error)
        return False
    return True
