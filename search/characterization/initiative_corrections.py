"""Curators' corrections of initiative records: one function for the CLI and the HTTP route, each event kept in
the history (a state record of the store) and applied on read by `stored_initiatives` (latest wins)."""

from __future__ import annotations

import json
import re

from index.store_api import Store
from ingest.errors import NotFound, QueryError
from search.characterization.initiative_status import STATUSES
from search.characterization.initiatives import (
    CORRECTIONS_STATE_KEY,
    Initiative,
    correction_history,
    stored_initiatives,
    utc_now,
)
from search.characterization.taxonomy import Taxonomy

FIELDS = ("name", "initiative_type", "audience", "risk", "status", "year")  # what a curator may correct
LIST_FIELDS = ("audience", "risk")


def correct(store: Store, initiative_id: str, field_name: str, value: object, curator: str, reason: str = "",
            taxonomy: Taxonomy | None = None) -> Initiative:
    """Set one field of a record (one function for the CLI and the HTTP route); the event joins the history."""
    if field_name not in FIELDS:
        raise QueryError(f"field {field_name!r} cannot be corrected: choose from {', '.join(FIELDS)}")
    if not curator.strip():
        raise QueryError("a correction needs the curator's name")
    checked = _checked_value(field_name, value, taxonomy)
    with store.snapshot():
        current = {i.id: i for i in stored_initiatives(store)}
    if initiative_id not in current:
        raise NotFound(f"no initiative {initiative_id!r} (list them with `cwg initiatives`)")
    with store.transaction("marks") as conn:
        events = correction_history(store)
        events.append({"initiative_id": initiative_id, "field": field_name, "value": checked, "curator": curator,
                       "reason": reason, "at": utc_now()})
        store.set_state(conn, CORRECTIONS_STATE_KEY, json.dumps({"events": events}, ensure_ascii=False))
    with store.snapshot():
        return {i.id: i for i in stored_initiatives(store)}[initiative_id]


def _checked_value(field_name: str, value: object, taxonomy: Taxonomy | None) -> object:
    if field_name == "year":
        if value in (None, ""):
            return None
        try:
            year = int(str(value))
        except ValueError:
            raise QueryError(f"year {value!r} is not a year") from None
        if not 1900 <= year <= 2100:
            raise QueryError(f"year {year} is out of range")
        return year
    if field_name == "status":
        text = str(value or "").strip().lower()
        if text and text not in STATUSES:
            raise QueryError(f"unknown status {value!r}: choose from {', '.join(STATUSES)}")
        return text
    if field_name == "name":
        return " ".join(str(value or "").split())[:200]
    values = value if isinstance(value, list) else [v for v in re.split(r"[;,]", str(value or "")) if v.strip()]
    ids = []
    for v in values:
        text = str(v).strip()
        if taxonomy is not None:
            facet = taxonomy.facets[field_name]
            match = next((lb.id for lb in facet.labels if text.lower() in (lb.id.lower(), lb.name.lower())), None)
            if match is None:
                raise QueryError(f"{field_name} {text!r} is not a label: choose from "
                                 f"{', '.join(lb.id for lb in facet.labels)}")
            text = match
        ids.append(text)
    if field_name == "initiative_type":
        if len(ids) != 1:
            raise QueryError("initiative_type takes exactly one label")
        return ids[0]
    return ids
