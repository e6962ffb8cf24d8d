"""Which collection a view reads when nobody says: the group's contributions (issue 21).

A search answers from the contributions with the library apart (search/retrieval/answer.py); similar initiatives,
the matrix, trends, syntheses, briefing packs, reading lists, feeds and gaps read the contributions unless a
collection is named (`collection=library`, or `collection=all` for both). An index that holds no contributions at
all (reference files only) is read whole: there is nothing else to read.
"""

from __future__ import annotations

from index.filters import Filters
from index.store_api import Store
from search.retrieval.versions import contributions


def holds_contributions(store: Store) -> bool:
    """Whether the index holds any of the group's contributions (read per state of the index)."""
    return any(value == "contributions" for value, _ in store.facet_table().counts().get("collection", []))


def in_scope(filters: Filters | None, store: Store) -> Filters:
    """`filters` as a view applies them: the contributions unless a collection is named (both for `all`), and
    `curation` and `min_quality` read as each document's contribution's (its language versions share them)."""
    filters = filters or Filters()
    if "collection" in filters.fields or holds_contributions(store):
        filters = filters.scoped()
    return contributions(store).filters(filters, store)
