"""Every document's facet values, read once per state of the index and kept as integer codes.

Facet counts are asked for with every search (the facets of its result list) and every facet view. Reading
them with SQL each time costs a scan of the documents plus one correlated curation lookup per document;
here the values are read once per (generation, marks) and a count over any set of documents is one
`numpy.bincount` per facet, whatever the size of the index.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.filters import DOCUMENT_FACETS, fold
from index.sql_dialect import Dialect
from ingest.quality import quality_band

MARK_FACETS = ("quality_band", "curation")  # from the quality score and the latest curation status
TAGGING_STATE_KEY = "tagging"


@dataclass(frozen=True)
class Coded:
    """One facet: per row a code into `values` (-1: no value), or, for labels, (row, code) pairs."""

    values: list[str]
    codes: np.ndarray  # int32, one per document row (single-valued facets)
    rows: np.ndarray | None = None  # int32 document rows of (row, code) pairs (label facets)


@dataclass(frozen=True)
class FacetTable:
    document_ids: list[str]
    row_of: dict[str, int]
    facets: dict[str, Coded]  # document and mark facets, then the label facets present in the index
    label_names: dict[str, dict[str, str]]  # facet → label id → name, as the last `cwg tag` recorded them
    _folded: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict, compare=False, repr=False)

    def values_folded(self, name: str) -> dict[str, tuple[str, ...]]:
        """`fold(value)` → the values of facet `name` (or "document_id") the index holds: what filters are
        resolved against (index/filters.py), built once per table and facet."""
        found = self._folded.get(name)
        if found is None:
            values = self.document_ids if name == "document_id" else (
                self.facets[name].values if name in self.facets else [])
            grouped: dict[str, list[str]] = {}
            for value in values:
                grouped.setdefault(fold(value), []).append(value)
            found = self._folded[name] = {key: tuple(same) for key, same in grouped.items()}
        return found

    def rows(self, document_ids: Sequence[str] | set[str] | frozenset[str]) -> np.ndarray:
        return np.array(sorted({self.row_of[d] for d in document_ids if d in self.row_of}), dtype=np.int64)

    def counts(self, rows: np.ndarray | None = None) -> dict[str, list[tuple[str, int]]]:
        """Per facet, (value, document count) of the documents at `rows` (all when None), unordered."""
        selected = None
        if rows is not None:
            selected = np.zeros(len(self.document_ids), dtype=bool)
            selected[rows] = True
        out: dict[str, list[tuple[str, int]]] = {}
        for name, coded in self.facets.items():
            codes = coded.codes
            if coded.rows is not None and selected is not None:
                codes = codes[selected[coded.rows]]
            elif coded.rows is None and rows is not None:
                codes = codes[rows]
            codes = codes[codes >= 0]
            tally = np.bincount(codes, minlength=len(coded.values)) if len(coded.values) else np.zeros(0, np.int64)
            out[name] = [(coded.values[i], int(n)) for i, n in enumerate(tally.tolist()) if n]
        return out


def _code(column: list[str]) -> Coded:
    values = sorted({v for v in column if v})
    index = {v: i for i, v in enumerate(values)}
    return Coded(values, np.fromiter((index.get(v, -1) for v in column), dtype=np.int32, count=len(column)))


def read_facet_table(conn: Any, dialect: Dialect, label_facets: Sequence[str]) -> FacetTable:
    """The table for the state `conn` sees (run it inside the caller's read transaction; `conn`: either store's
    connection, `dialect` its SQL)."""
    columns = ", ".join(f"d.{name}" for name in DOCUMENT_FACETS)
    rows = conn.execute(
        f"SELECT d.id, {columns}, d.quality, (SELECT cu.status FROM curation cu WHERE cu.document_id = d.id "
        f"ORDER BY cu.seq DESC LIMIT 1) FROM documents d ORDER BY d.id").fetchall()
    ids = [r[0] for r in rows]
    row_of = {d: i for i, d in enumerate(ids)}
    facets = {name: _code([r[i] or "" for r in rows]) for i, name in enumerate(DOCUMENT_FACETS, start=1)}
    facets["quality_band"] = _code([quality_band(r[len(DOCUMENT_FACETS) + 1]) for r in rows])
    facets["curation"] = _code([r[len(DOCUMENT_FACETS) + 2] or "none" for r in rows])
    marks = dialect.marks(len(label_facets))
    present = {r[0] for r in conn.execute(f"SELECT DISTINCT facet FROM labels WHERE facet IN ({marks})",
                                          list(label_facets))}
    pairs = conn.execute(f"SELECT DISTINCT facet, label, document_id FROM labels WHERE facet IN ({marks}) "
                         f"AND label != ''", list(label_facets)).fetchall()
    for facet in label_facets:
        if facet not in present:
            continue
        mine = [(row_of[d], label) for f, label, d in pairs if f == facet and d in row_of]
        values = sorted({label for _, label in mine})
        index = {v: i for i, v in enumerate(values)}
        facets[facet] = Coded(values, np.array([index[label] for _, label in mine], dtype=np.int32),
                              np.array([row for row, _ in mine], dtype=np.int32))
    state = conn.execute(f"SELECT value FROM state WHERE key = {dialect.mark}", (TAGGING_STATE_KEY,)).fetchone()
    names = json.loads(state[0]).get("labels", {}) if state else {}
    return FacetTable(ids, row_of, facets, names)
