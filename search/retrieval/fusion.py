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


def _union(lists: Sequence[Ranked]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The sorted union of the lists' ids, and for each list the rows of its ids in that union."""
    parts = [np.asarray(i, dtype=np.int64) for i, _ in lists]
    ids = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
    return ids, [np.searchsorted(ids, part) for part in parts]


def convex_columns(lists: Sequence[Ranked]) -> tuple[np.ndarray, np.ndarray]:
    """z-scored scores per list; an id a list did not return gets that list's lowest z-score."""
    ids, rows = _union(lists)
    table = np.zeros((len(ids), len(lists)), dtype=np.float32)
    for col, ((_, scores), where) in enumerate(zip(lists, rows)):
        z = zscores(np.asarray(scores, dtype=np.float32))
        table[:, col] = float(z.min()) if len(z) else 0.0
        table[where, col] = z  # a list names an id once (a repeat keeps its last score)
    return ids, table


def rrf_columns(lists: Sequence[Ranked], k: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Reciprocal-rank terms 1 / (k + rank); 0 where a list did not return the id."""
    ids, rows = _union(lists)
    table = np.zeros((len(ids), len(lists)), dtype=np.float32)
    for col, where in enumerate(rows):
        table[where, col] = 1.0 / (k + np.arange(1, len(where) + 1, dtype=np.float32))
    return ids, table


FUSIONS: dict[str, Callable[[Sequence[Ranked]], tuple[np.ndarray, np.ndarray]]] = {
    "convex": convex_columns,
    "rrf": rrf_columns,
}


def get_fusion(name: str) -> Callable[[Sequence[Ranked]], tuple[np.ndarray, np.ndarray]]:
    if name not in FUSIONS:
        raise ValueError(f"unknown fusion {name!r}: choose one of {', '.join(FUSIONS)}")
    return FUSIONS[name]
