"""Fusion of ranked lists: small pure functions picked by name.

Each takes the ranked lists (ids, scores; best first) and returns, for the union of their ids, a
matrix with one column per list; the engine weights the columns (per candidate when it must).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Ranked = tuple[np.ndarray, np.ndarray]


def zscores(scores: np.ndarray) -> np.ndarray:
    if len(scores) == 0:
        return scores.astype(np.float32)
    std = float(scores.std())
    return ((scores - scores.mean()) / (std if std > 1e-9 else 1.0)).astype(np.float32)


def _union(lists: Sequence[Ranked]) -> tuple[np.ndarray, dict[int, int]]:
    ids = np.unique(np.concatenate([np.asarray(i, dtype=np.int64) for i, _ in lists])) if lists else \
        np.zeros(0, dtype=np.int64)
    return ids, {int(c): r for r, c in enumerate(ids.tolist())}


def convex_columns(lists: Sequence[Ranked]) -> tuple[np.ndarray, np.ndarray]:
    """z-scored scores per list; an id a list did not return gets that list's lowest z-score."""
    ids, row = _union(lists)
    table = np.zeros((len(ids), len(lists)), dtype=np.float32)
    for col, (lids, scores) in enumerate(lists):
        z = zscores(np.asarray(scores, dtype=np.float32))
        table[:, col] = float(z.min()) if len(z) else 0.0
        for cid, value in zip(np.asarray(lids).tolist(), z.tolist()):
            table[row[cid], col] = value
    return ids, table


def rrf_columns(lists: Sequence[Ranked], k: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Reciprocal-rank terms 1 / (k + rank); 0 where a list did not return the id."""
    ids, row = _union(lists)
    table = np.zeros((len(ids), len(lists)), dtype=np.float32)
    for col, (lids, _) in enumerate(lists):
        for rank, cid in enumerate(np.asarray(lids).tolist(), start=1):
            table[row[cid], col] = 1.0 / (k + rank)
    return ids, table


FUSIONS: dict[str, Callable[[Sequence[Ranked]], tuple[np.ndarray, np.ndarray]]] = {
    "convex": convex_columns,
    "rrf": rrf_columns,
}


def get_fusion(name: str) -> Callable[[Sequence[Ranked]], tuple[np.ndarray, np.ndarray]]:
    if name not in FUSIONS:
        raise ValueError(f"unknown fusion {name!r}: choose one of {', '.join(FUSIONS)}")
    return FUSIONS[name]
