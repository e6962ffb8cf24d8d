"""FAISS search: a filter's chunks are searched exactly (copy or bitmap), HNSW answers like exact search."""

from __future__ import annotations

import numpy as np
import pytest

from index.vectors import GATHER_MAX, VectorIndex


def _data(n: int, dim: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(n, dim)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.arange(10, 10 + 2 * n, 2, dtype=np.int64), matrix  # ids with gaps, like chunk ids after deletes


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
@pytest.mark.parametrize("allowed_count", [500, GATHER_MAX + 5_000])
def test_filtered_search_is_exact(kind: str, allowed_count: int):
    ids, matrix = _data(GATHER_MAX + 10_000)
    index = VectorIndex.build(ids, matrix, hnsw_threshold=0 if kind == "hnsw" else len(ids) + 1)
    assert index.kind == kind
    rng = np.random.default_rng(1)
    allowed = np.sort(rng.choice(ids, allowed_count, replace=False))
    query = matrix[3] + 0.1
    found, scores = index.search(query, 50, allowed)
    inside = np.isin(ids, allowed)
    truth = np.argsort(-(matrix[inside] @ query))[:50]
    assert found.tolist() == ids[inside][truth].tolist()
    assert np.allclose(scores, (matrix[inside] @ query)[truth], atol=1e-5)


def test_hnsw_top_10_agrees_with_exact():
    ids, matrix = _data(5_000, dim=48)
    exact = VectorIndex.build(ids, matrix)
    approx = VectorIndex.build(ids, matrix, hnsw_threshold=0)
    queries = matrix[:50] + 0.05
    overlap = [len(set(exact.search(q, 10)[0].tolist()) & set(approx.search(q, 10)[0].tolist())) / 10
               for q in queries]
    assert np.mean(overlap) >= 0.98
    assert np.allclose(approx.matrix, matrix)  # the vectors are held once, inside FAISS
