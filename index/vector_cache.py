"""The vector index cached on disk beside the store: a base file and a delta, named by a manifest.

    vectors-<space>.json                  which files, the store and the last change they were made from
    vectors-<space>-<token>.faiss         the base FAISS index (flat or HNSW)
    vectors-<space>-<token>.ids.npy       the chunk id at each of its positions
    vectors-<space>-<token>.delta.npz     vectors added since the base, and the base's tombstones

A small update rewrites the delta only (its size: the vectors added since the base, at most a few MB);
a compaction writes a new base. Every file is written under a new name, flushed to disk, and only then named
by the manifest, itself replaced atomically: a crash at any point leaves the previous manifest naming its
complete files, or the new one naming complete new files. Files no manifest names are deleted by the next
save. What is loaded is checked (file sizes, counts, shapes, id order); whether it still matches the store is
the folder's check (`IndexFolder`: store id, change number and fingerprint).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.vectors import BaseIndex, CacheError, VectorIndex, ef_construction_for

CACHE_FORMAT = 2


@dataclass(frozen=True)
class CacheStamp:
    """What a cached index was derived from: the store, its last change, and that change's (space, chunk id)."""

    store_id: str
    seq: int
    last_change: tuple[str, int] | None


def manifest_path(folder: Path, space: str) -> Path:
    return folder / f"vectors-{space}.json"


def save(folder: Path, space: str, index: VectorIndex, stamp: CacheStamp) -> bool:
    """Write `index` as the cache of `space`: its delta alone when the manifest on disk names its base
    already, else its base too. Returns whether a base was written. Raises OSError (read-only folder)."""
    with _save_lock(folder, space):
        current = _read_manifest(folder, space)
        base_name = index.base.name
        has_base = (current is not None and base_name is not None and current.get("base", {}).get("name") == base_name
                    and all((folder / f"{base_name}{suffix}").exists() for suffix in (".faiss", ".ids.npy")))
        if has_base:
            assert current is not None
            base_info = current["base"]
        else:
            base_name = f"vectors-{space}-{stamp.seq}-{secrets.token_hex(4)}"
            base_info = _write_base(folder, base_name, index.base)
        assert base_name is not None
        delta_info = None
        if len(index.fresh_ids) or len(index.dead):
            delta_info = _write_delta(folder, f"{base_name}-{stamp.seq}-{secrets.token_hex(4)}.delta.npz", index)
        manifest = {"format": CACHE_FORMAT, "space": space, "store_id": stamp.store_id, "seq": stamp.seq,
                    "last_change": list(stamp.last_change) if stamp.last_change else None, "kind": index.kind,
                    "dimension": index.base.dimension, "base": base_info, "delta": delta_info}
        _write_durably(manifest_path(folder, space), json.dumps(manifest).encode())
        index.base.name = base_name
        _remove_unnamed(folder, space, {base_name + ".faiss", base_name + ".ids.npy",
                                        delta_info["name"] if delta_info else ""})
        return not has_base


def load(folder: Path, space: str, dimension: int) -> tuple[CacheStamp, VectorIndex] | None:
    """The cached index of `space` (its base read lazily, at first search) if its files are whole, else None."""
    info = _read_manifest(folder, space)
    try:
        if info is None or info.get("dimension") != dimension or info.get("kind") not in ("flat", "hnsw"):
            return None
        base_info, delta_info = info["base"], info["delta"]
        faiss_path = folder / f"{base_info['name']}.faiss"
        if faiss_path.stat().st_size != base_info["faiss_bytes"]:
            return None
        ids = np.load(folder / f"{base_info['name']}.ids.npy", allow_pickle=False)
        if ids.dtype != np.int64 or ids.shape != (base_info["count"],):
            return None
        ef = int(base_info.get("ef_construction", ef_construction_for(len(ids)) if info["kind"] == "hnsw" else 0))
        base = BaseIndex(ids, info["kind"], dimension, path=faiss_path, ef_construction=ef)
        base.name = base_info["name"]
        fresh_ids, fresh_rows, dead = _read_delta(folder, delta_info, dimension, len(ids))
        last = info.get("last_change")
        stamp = CacheStamp(str(info["store_id"]), int(info["seq"]), (str(last[0]), int(last[1])) if last else None)
    except (OSError, ValueError, KeyError, TypeError, IndexError, CacheError):
        return None
    alive = np.ones(len(ids), dtype=bool)
    alive[dead] = False
    live = ids[alive]
    if np.any(np.diff(live) <= 0) or (len(live) and len(fresh_ids) and fresh_ids[0] <= live[-1]):
        return None  # live ids ascend with their positions, the fresh ones above the base's
    fresh = faiss.IndexFlatIP(dimension)
    if len(fresh_rows):
        fresh.add(fresh_rows)
    return stamp, VectorIndex(base, fresh_ids, fresh, dead)


def remove(folder: Path, space: str) -> None:
    """Delete the cache of `space` (a vector space the index no longer has)."""
    with contextlib.suppress(OSError):
        manifest_path(folder, space).unlink(missing_ok=True)
        _remove_unnamed(folder, space, set())
        (folder / f"vectors-{space}.lock").unlink(missing_ok=True)


# --- files --------------------------------------------------------------------------------------------
def _write_base(folder: Path, name: str, base: BaseIndex) -> dict[str, Any]:
    faiss_path = folder / f"{name}.faiss"
    faiss.write_index(base.faiss_index(), str(faiss_path))
    _fsync(faiss_path)
    with open(folder / f"{name}.ids.npy", "wb") as handle:
        np.save(handle, np.ascontiguousarray(base.ids, dtype=np.int64), allow_pickle=False)
        handle.flush()
        os.fsync(handle.fileno())
    return {"name": name, "count": len(base.ids), "faiss_bytes": faiss_path.stat().st_size,
            "ef_construction": base.ef_construction}


def _write_delta(folder: Path, name: str, index: VectorIndex) -> dict[str, Any]:
    rows = index.fresh_rows()  # not `matrix`: that would read the base
    with open(folder / name, "wb") as handle:
        np.savez(handle, fresh_ids=np.asarray(index.fresh_ids, dtype=np.int64), fresh=rows,
                 dead=np.asarray(index.dead, dtype=np.int64))
        handle.flush()
        os.fsync(handle.fileno())
    return {"name": name, "fresh": len(index.fresh_ids), "dead": len(index.dead),
            "bytes": (folder / name).stat().st_size}


def _read_delta(folder: Path, info: dict[str, Any] | None, dimension: int, base_count: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if info is None:
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros((0, dimension), dtype=np.float32), empty
    path = folder / str(info["name"])
    if path.stat().st_size != info["bytes"]:
        raise CacheError(f"{path.name} is not the size its manifest says")
    with np.load(path, allow_pickle=False) as delta:
        fresh_ids, fresh, dead = delta["fresh_ids"], delta["fresh"], delta["dead"]
    if (fresh_ids.dtype != np.int64 or dead.dtype != np.int64 or fresh.dtype != np.float32
            or fresh.shape != (len(fresh_ids), dimension) or len(fresh_ids) != info["fresh"]
            or len(dead) != info["dead"] or np.any(np.diff(fresh_ids) <= 0) or np.any(np.diff(dead) <= 0)
            or (len(dead) and (dead[0] < 0 or dead[-1] >= base_count))):
        raise CacheError(f"{path.name} does not hold what its manifest says")
    return fresh_ids, np.ascontiguousarray(fresh), dead


def _read_manifest(folder: Path, space: str) -> dict[str, Any] | None:
    try:
        info = json.loads(manifest_path(folder, space).read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("format") == CACHE_FORMAT else None


def _write_durably(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    _fsync(path.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_unnamed(folder: Path, space: str, keep: set[str]) -> None:
    """Delete this space's cache files that the manifest does not name (older bases and deltas, files of an
    interrupted save, the single-file cache of earlier versions)."""
    ours = {manifest_path(folder, space).name, f"vectors-{space}.lock"}
    for path in [*folder.glob(f"vectors-{space}-*"), *folder.glob(f"vectors-{space}.*")]:
        if path.name not in ours and path.name not in keep:
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def _save_lock(folder: Path, space: str) -> Iterator[None]:
    """One saver at a time across processes (their cleanups would delete each other's new files)."""
    with open(folder / f"vectors-{space}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def saved_base(folder: Path, space: str) -> str | None:
    """The name of the base file the manifest on disk names (None: no valid manifest)."""
    info = _read_manifest(folder, space)
    base = info.get("base") if info else None
    return str(base["name"]) if isinstance(base, dict) and "name" in base else None
