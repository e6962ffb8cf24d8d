"""Facet counts: how many documents carry each metadata value (and each taxonomy label).

Counted over the whole index, over the documents passing some filters, or over a given set of
documents (the documents of a result list). Counts are of documents, not passages. Callers that
need the counts to match another read (a search) run both inside one `store.snapshot()`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from index.facet_table import DOCUMENT_FACETS, MARK_FACETS
from index.filters import Filters
from index.store_api import Store
from ingest.quality import QUALITY_BAND_NAMES
from ingest.records import ACTOR_TYPES, CURATION_STATUSES, DOC_TYPES
from search.retrieval.versions import contributions

__all__ = ["DOCUMENT_FACETS", "MARK_FACETS", "FacetValue", "facet_counts"]


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    name: str  # what people call it: a document type's or a label's name; else the value itself


def facet_counts(store: Store, *, filters: Filters | None = None,
                 document_ids: Collection[str] | None = None) -> dict[str, list[FacetValue]]:
    """Document counts per value of each facet, most frequent first (ties by value).

    Every document facet is present (possibly empty); a label facet is present only when the
    index holds labels of that facet. Empty values (unknown country, ...) are not counted.
    The store keeps every document's values per state of the index (`Store.facet_table`), so a count
    costs array operations, not a scan.
    """
    table = store.facet_table()
    rows = None
    if filters is not None and not filters.is_empty():
        rows = table.rows(store.document_ids(filters))
    if document_ids is not None:
        given = table.rows(set(document_ids))
        rows = given if rows is None else rows[np.isin(rows, given)]
    counts = table.counts(rows)
    shared = contributions(store)
    if shared.differs():  # a version counted under its contribution's status and quality band
        counts = shared.recount(counts, table.document_ids if rows is None else
                                [table.document_ids[r] for r in rows.tolist()])
    names: dict[str, dict[str, str]] = {"doc_type": DOC_TYPES, "actor_type": ACTOR_TYPES, "curation": CURATION_STATUSES,
                                        "quality_band": QUALITY_BAND_NAMES, **table.label_names}
    return {name: _ordered(values, names.get(name, {})) for name, values in counts.items()}


def _ordered(values: list[tuple[str, int]], names: dict[str, str]) -> list[FacetValue]:
    return [FacetValue(value, count, names.get(value, value))
            for value, count in sorted(values, key=lambda kv: (-kv[1], kv[0]))]
