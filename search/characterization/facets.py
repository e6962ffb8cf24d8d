"""Facet counts: how many documents carry each metadata value (and each taxonomy label).

Counted over the whole index, over the documents passing some filters, or over a given set of
documents (the documents of a result list). Counts are of documents, not passages. Callers that
need the counts to match another read (a search) run both inside one `store.snapshot()`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from index.filters import LABEL_FACETS, Filters
from index.store import CURRENT_CURATION, Store
from ingest.quality import QUALITY_BAND_NAMES, quality_band
from ingest.records import ACTOR_TYPES, CURATION_STATUSES, DOC_TYPES
from search.characterization.tagging import tagging_state

DOCUMENT_FACETS = ("source", "country", "region", "doc_type", "actor_type", "meeting", "language")
MARK_FACETS = ("quality_band", "curation")  # from the quality score and the latest curation status


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
    """
    where, params = (filters or Filters()).to_sql("d")
    if document_ids is not None:
        ids = sorted(set(document_ids))
        where += f" AND d.id IN ({','.join('?' * len(ids))})" if ids else " AND 0"
        params = [*params, *ids]
    columns = ", ".join(f"d.{name}" for name in DOCUMENT_FACETS)
    rows = store.conn.execute(f"SELECT d.id, {columns}, d.quality, ({CURRENT_CURATION}) FROM documents d "
                              f"WHERE {where}", params).fetchall()
    counters: dict[str, Counter[str]] = {name: Counter() for name in (*DOCUMENT_FACETS, *MARK_FACETS)}
    for row in rows:
        for i, name in enumerate(DOCUMENT_FACETS, start=1):
            if row[i]:
                counters[name][row[i]] += 1
        band = quality_band(row[len(DOCUMENT_FACETS) + 1])
        if band:
            counters["quality_band"][band] += 1
        counters["curation"][row[len(DOCUMENT_FACETS) + 2] or "none"] += 1
    for facet in LABEL_FACETS:  # taxonomy labels, when some characterization has written them
        if store.conn.execute("SELECT 1 FROM labels WHERE facet = ? LIMIT 1", (facet,)).fetchone():
            counters[facet] = Counter()
    label_rows = store.conn.execute(
        f"SELECT l.facet, l.label, COUNT(DISTINCT l.document_id) FROM labels l "
        f"JOIN documents d ON d.id = l.document_id "
        f"WHERE l.facet IN ({','.join('?' * len(LABEL_FACETS))}) AND l.label != '' AND {where} "
        f"GROUP BY l.facet, l.label", [*LABEL_FACETS, *params]).fetchall()
    for facet, label, count in label_rows:
        counters[facet][label] = int(count)
    names: dict[str, dict[str, str]] = {"doc_type": DOC_TYPES, "actor_type": ACTOR_TYPES, "curation": CURATION_STATUSES,
                                        "quality_band": QUALITY_BAND_NAMES}
    state = tagging_state(store.conn)
    if state:
        names.update(state.get("labels", {}))  # type: ignore[arg-type]
    return {name: _ordered(counter, names.get(name, {})) for name, counter in counters.items()}


def _ordered(counter: Counter[str], names: dict[str, str]) -> list[FacetValue]:
    return [FacetValue(value, count, names.get(value, value))
            for value, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]
