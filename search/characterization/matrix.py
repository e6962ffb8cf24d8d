"""Comparison matrix for analysts: documents (or initiatives) counted by (country | source | region) × taxonomy facet.

Counted over the group's contributions unless the filters name a collection. By documents (the default), each cell
holds the documents carrying the label (the `labels` table written by `cwg tag`); by initiatives (`count=
"initiatives"`), the initiative records whose own kind, audience or risk is the label (for themes: the initiatives
of the documents carrying the theme). Each cell lists what fills it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from index.filters import Filters
from index.store_api import Store
from ingest.errors import QueryError
from search.characterization.csv_export import csv_text
from search.characterization.initiatives import stored_initiatives
from search.characterization.taxonomy import FACETS, Taxonomy
from search.retrieval.scope import in_scope
from search.retrieval.versions import versions

ROW_FIELDS = ("country", "source", "region", "actor_type")
COUNTS = ("documents", "initiatives")
FORMATS = ("csv", "json", "md")
NO_VALUE = "(none)"


@dataclass
class Matrix:
    rows_field: str
    cols_facet: str
    rows: list[str]
    cols: list[str]
    cells: dict[tuple[str, str], list[str]]  # (row, col) → document ids, sorted
    row_documents: dict[str, int]  # documents per row (labelled or not)
    col_names: dict[str, str]
    count_of: str = "documents"  # what a cell counts: documents, or initiatives (their ids in `cells`)
    names: dict[str, str] = field(default_factory=dict)  # an id in a cell → what people read (title; initiative)

    def count(self, row: str, col: str) -> int:
        return len(self.cells.get((row, col), []))

    def to_json(self) -> dict[str, object]:
        return {
            "rows_field": self.rows_field, "cols_facet": self.cols_facet, "rows": self.rows, "cols": self.cols,
            "col_names": self.col_names, "row_documents": self.row_documents, "count": self.count_of,
            "cells": [{"row": r, "col": c, "count": self.count(r, c),
                       ("initiative_ids" if self.count_of == "initiatives" else "document_ids"): self.cells[(r, c)],
                       "filled_by": [{"id": i, "name": self.names.get(i, i)} for i in self.cells[(r, c)]]}
                      for r in self.rows for c in self.cols if (r, c) in self.cells],
        }

    def counts(self) -> list[list[int]]:
        return [[self.count(r, c) for c in self.cols] for r in self.rows]


def build_matrix(store: Store, rows: str = "country", cols: str = "theme", filters: Filters | None = None,
                 taxonomy: Taxonomy | None = None, member_states_only: bool = True, count: str = "documents") -> Matrix:
    """Count documents per (row value, label). Documents without a row value go under "(none)".

    By country, only member states' documents count unless `member_states_only` is False (or the filters
    name actor types): an organisation's country is where it is based, not who speaks. The group's contributions
    are counted unless the filters name a collection.
    """
    filters = filters or Filters()
    if rows == "country" and member_states_only and "actor_type" not in filters.fields:
        filters = filters.with_values("actor_type", ["member_state"])
    if rows not in ROW_FIELDS:
        raise QueryError(f"unknown --rows {rows!r}: choose one of {', '.join(ROW_FIELDS)}")
    if cols not in FACETS:
        raise QueryError(f"unknown --cols {cols!r}: choose one of {', '.join(FACETS)}")
    if count not in COUNTS:
        raise QueryError(f"unknown --count {count!r}: choose one of {', '.join(COUNTS)}")
    with store.snapshot():
        filters = in_scope(filters, store)  # the group's contributions unless a collection is named
        docs = store.document_values(rows, filters)
        labels = store.facet_labels(cols, filters)
        counted = versions(store).once_ids(doc_id for doc_id, _ in docs)  # a contribution once, not per language
        found = stored_initiatives(store) if count == "initiatives" else []
        titles = {d.id: d.title for d in store.documents_by_id(sorted(counted)).values()}
    row_of = {doc_id: (value or NO_VALUE) for doc_id, value in docs if doc_id in counted}
    row_documents: dict[str, int] = {}
    for value in row_of.values():
        row_documents[value] = row_documents.get(value, 0) + 1
    cells: dict[tuple[str, str], list[str]] = {}
    names: dict[str, str] = dict(titles)
    if count == "initiatives":
        doc_labels: dict[str, list[str]] = {}
        for doc_id, label in labels:
            doc_labels.setdefault(doc_id, []).append(label)
        for item in found:
            if item.document_id not in row_of:
                continue
            if cols in ("initiative_type", "audience", "risk"):
                value = getattr(item, cols)
                own = value if isinstance(value, list) else [value]
            else:  # a theme is the document's: its initiatives share it
                own = doc_labels.get(item.document_id, [])
            names[item.id] = f"{item.name or item.initiative_type} ({item.source or item.document_id})"
            for label in own:
                if label:
                    cells.setdefault((row_of[item.document_id], label), []).append(item.id)
    else:
        for doc_id, label in labels:
            if doc_id not in row_of:
                continue
            cells.setdefault((row_of[doc_id], label), []).append(doc_id)
    for ids in cells.values():
        ids.sort()
    if taxonomy is not None:
        col_order = [label.id for label in taxonomy.facets[cols].labels]
        col_order += sorted({c for _, c in cells} - set(col_order))  # labels of an older taxonomy
    else:
        col_order = sorted({c for _, c in cells})
    col_names = {c: (taxonomy.name_of(cols, c) if taxonomy else c) for c in col_order}
    row_order = sorted(row_documents, key=lambda r: (r == NO_VALUE, r.lower()))
    return Matrix(rows, cols, row_order, col_order, cells, row_documents, col_names, count, names)


def render_matrix(matrix: Matrix, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(matrix.to_json(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        return _csv(matrix)
    if fmt == "md":
        return _markdown(matrix)
    raise QueryError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")


def _csv(matrix: Matrix) -> str:
    """Wide: one line per row value with the count per label, then each cell's document ids (space-separated)."""
    return csv_text([matrix.rows_field, "documents", *matrix.cols, *(f"{c}_ids" for c in matrix.cols)],
                    ([r, matrix.row_documents[r], *(matrix.count(r, c) for c in matrix.cols),
                      *(" ".join(matrix.cells.get((r, c), [])) for c in matrix.cols)] for r in matrix.rows))


def _markdown(matrix: Matrix) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    head = [esc(matrix.rows_field), "docs", *(esc(matrix.col_names[c]) for c in matrix.cols)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in matrix.rows:
        counts = [str(matrix.count(r, c) or "") for c in matrix.cols]
        lines.append("| " + " | ".join([esc(r), str(matrix.row_documents[r]), *counts]) + " |")
    lines.append("")
    lines.append("Initiatives per cell:" if matrix.count_of == "initiatives" else "Documents per cell:")
    lines.append("")
    for r in matrix.rows:
        for c in matrix.cols:
            ids = matrix.cells.get((r, c))
            if ids:
                lines.append(f"- {esc(r)} × {esc(matrix.col_names[c])}: "
                             f"{'; '.join(esc(matrix.names.get(i, i)) + f' [{i}]' for i in ids)}")
    return "\n".join(lines) + "\n"
