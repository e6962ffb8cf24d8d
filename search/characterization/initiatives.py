"""Initiatives as records: the record (each field with its evidence), kept in the store, listed and rendered.

An initiative is what a document describes or proposes (a helpline, a law, a training programme): a name when it
has one, its kind (`initiative_type`), whom it serves (`audience`), what it acts against (`risk`), who runs it
(the document's source, `actor_type`, country), its year and status, each field with its evidence (an exact slice of
the document's text, `char_start`/`char_end` in the document, `page` the first page of its passage).

How records are read from a document: search/characterization/initiative_extraction.py (names and kinds stated in
the text: initiative_names.py; each field's evidence: initiative_evidence.py). Computed by `cwg tag` (and again
whenever a tagged index takes new documents) and kept as a state record of the store, so both stores hold them;
curators' corrections (initiative_corrections.py) are kept apart, with their history, and applied on read here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from index.filters import Filters
from index.store_api import Store
from ingest.errors import QueryError
from search.characterization.initiative_status import STATUSES
from search.characterization.taxonomy import Taxonomy

INITIATIVES_STATE_KEY = "initiatives"
CORRECTIONS_STATE_KEY = "initiative_corrections"
FILTER_FIELDS = ("initiative_type", "audience", "risk", "status", "year", "name")
FORMATS = ("json", "csv", "md")


@dataclass(frozen=True)
class Evidence:
    text: str  # an exact slice of the document's text
    char_start: int
    char_end: int
    page: int | None
    chunk_id: int


@dataclass
class Initiative:
    """One initiative a document describes or proposes, each field with its evidence."""

    id: str
    document_id: str
    source: str
    country: str
    actor_type: str
    name: str
    initiative_type: str
    audience: list[str]
    risk: list[str]
    status: str  # one of STATUSES (initiative_status.py: read from the sentences around the initiative)
    year: int | None
    score: float
    chunk_ids: list[int]  # the passages that describe it
    evidence: dict[str, Evidence] = field(default_factory=dict)  # field → where the text says it
    corrected: list[str] = field(default_factory=list)  # fields a curator set
    profile: dict[str, float] = field(default_factory=dict)  # "facet:label" → its best passage score

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["evidence"] = {k: asdict(v) for k, v in self.evidence.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Initiative:
        values = dict(data)
        values["evidence"] = {k: Evidence(**v) for k, v in dict(values.get("evidence") or {}).items()}  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


def write_initiatives(store: Store, found: list[Initiative], taxonomy: Taxonomy) -> None:
    state = {"taxonomy": taxonomy.source, "extracted_at": utc_now(), "initiatives": [i.to_json() for i in found]}
    with store.transaction("marks") as conn:
        store.set_state(conn, INITIATIVES_STATE_KEY, json.dumps(state, ensure_ascii=False))


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --- reading, filtering, correcting --------------------------------------------------------------------------------
def stored_initiatives(store: Store) -> list[Initiative]:
    """The extracted initiatives with every curator's correction applied (latest wins), or [] if never extracted."""
    state = store.state_record(INITIATIVES_STATE_KEY) or {}
    found = [Initiative.from_json(x) for x in state.get("initiatives", [])]  # type: ignore[union-attr]
    events = correction_history(store)
    if events:
        by_id = {i.id: i for i in found}
        for event in events:
            item = by_id.get(str(event["initiative_id"]))
            if item is None:
                continue
            fld = str(event["field"])
            setattr(item, fld, event["value"])
            if fld not in item.corrected:
                item.corrected.append(fld)
    return found


def correction_history(store: Store, initiative_id: str | None = None) -> list[dict[str, object]]:
    events = list((store.state_record(CORRECTIONS_STATE_KEY) or {}).get("events", []))  # type: ignore[union-attr]
    return [e for e in events if initiative_id is None or e["initiative_id"] == initiative_id]


def split_where(pairs: list[str]) -> tuple[Filters, dict[str, list[str]]]:
    """`--where` pairs: the initiative's own fields (kind, audience, risk, status, year, name) and the
    document filters (source, country, collection, …) every read route takes."""
    own: dict[str, list[str]] = {}
    rest = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().lower().replace("-", "_")
        if sep and key in FILTER_FIELDS:
            if not value.strip():
                raise QueryError(f"filter {key!r} has an empty value")
            own.setdefault(key, []).append(value.strip())
        else:
            rest.append(pair)
    return Filters.parse(rest), own


def select(store: Store, filters: Filters | None = None, own: dict[str, list[str]] | None = None,
           taxonomy: Taxonomy | None = None) -> list[Initiative]:
    """The initiatives of the documents passing `filters` (the group's contributions unless a collection is named)
    whose own fields match `own` (values of one field are alternatives; a label's id or its name)."""
    from search.retrieval.scope import in_scope

    own = own or {}
    if "status" in own:
        bad = [v for v in own["status"] if v.lower() not in STATUSES]
        if bad:
            raise QueryError(f"unknown status {bad[0]!r}: choose from {', '.join(STATUSES)}")
    with store.snapshot():
        found = stored_initiatives(store)
        passing = set(store.document_ids(in_scope(filters or Filters(), store)))
    wanted = {k: {_norm(v, k, taxonomy) for v in vals} for k, vals in own.items()}

    def keep(item: Initiative) -> bool:
        for key, values in wanted.items():
            have = getattr(item, key)
            have_set = {str(x).lower() for x in have} if isinstance(have, list) else {str(have or "").lower()}
            if key == "name":
                if not any(v in str(item.name).lower() for v in values):
                    return False
            elif not have_set & values:
                return False
        return True

    return [i for i in found if i.document_id in passing and keep(i)]


def _norm(value: str, key: str, taxonomy: Taxonomy | None) -> str:
    if taxonomy is not None and key in ("initiative_type", "audience", "risk"):
        for label in taxonomy.facets[key].labels:
            if value.lower() in (label.id.lower(), label.name.lower()):
                return label.id.lower()
    return value.lower()



# --- output -------------------------------------------------------------------------------------------------------
def render(items: list[Initiative], fmt: str) -> str:
    from search.characterization.csv_export import csv_text

    if fmt == "json":
        return json.dumps({"initiatives": [i.to_json() for i in items]}, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        head = ["id", "document_id", "source", "country", "actor_type", "name", "initiative_type", "audience", "risk",
                "status", "year", "evidence", "page"]
        return csv_text(head, ([i.id, i.document_id, i.source, i.country, i.actor_type, i.name, i.initiative_type,
                                ";".join(i.audience), ";".join(i.risk), i.status, i.year or "",
                                i.evidence["initiative_type"].text if "initiative_type" in i.evidence else "",
                                i.evidence["initiative_type"].page if "initiative_type" in i.evidence else ""]
                               for i in items))
    if fmt == "md":
        lines = ["| source | country | initiative | kind | audience | risk | status | year |",
                 "|---|---|---|---|---|---|---|---|"]
        for i in items:
            cells = [i.source or i.document_id, i.country, i.name or "(unnamed)", i.initiative_type,
                     ", ".join(i.audience), ", ".join(i.risk), i.status, str(i.year or "")]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines) + "\n"
    raise QueryError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
