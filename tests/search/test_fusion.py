"""Fusion columns: each list's scores land on the rows of its ids in the union; missing ids get the floor."""

from __future__ import annotations

import numpy as np

from search.retrieval.fusion import convex_columns, rrf_columns, zscores


def _lists() -> list[tuple[np.ndarray, np.ndarray]]:
    lexical = (np.array([7, 3, 11]), np.array([9.0, 4.0, 1.0]))
    dense = (np.array([3, 5]), np.array([0.8, 0.6]))
    return [lexical, dense]


def test_convex_columns_place_z_scores_by_id_and_floor_the_missing() -> None:
    ids, table = convex_columns(_lists())
    assert ids.tolist() == [3, 5, 7, 11]
    lexical_z, dense_z = zscores(np.array([9.0, 4.0, 1.0])), zscores(np.array([0.8, 0.6]))
    expected = np.array([[lexical_z[1], dense_z[0]],
                         [lexical_z.min(), dense_z[1]],  # 5: not in the lexical list
                         [lexical_z[0], dense_z.min()],
                         [lexical_z[2], dense_z.min()]], dtype=np.float32)
    assert np.allclose(table, expected)


def test_rrf_columns_give_reciprocal_ranks_and_zero_for_the_missing() -> None:
    ids, table = rrf_columns(_lists(), k=60)
    assert ids.tolist() == [3, 5, 7, 11]
    assert np.allclose(table, [[1 / 62, 1 / 61], [0.0, 1 / 62], [1 / 61, 0.0], [1 / 63, 0.0]])


def test_no_lists_and_empty_lists_give_empty_tables() -> None:
    assert convex_columns([])[1].shape == (0, 0)
    ids, table = convex_columns([(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))])
    assert len(ids) == 0 and table.shape == (0, 1)
