"""Meetings as data, and themes over time.

`meetings.yaml` (yours to edit) lists the group's meetings: id, date, place, held or planned, and the taxonomy
labels they focus on. `meeting_summaries` lists them in date order with their documents counted by type and
by who submitted them, and whether their focus is covered; a meeting that documents name but the file does
not is listed too (dated by its documents). `trends` counts documents per label (or per kind of
contributor) per meeting or per year, with shares, in date order.
"""

from __future__ import annotations

import importlib.resources
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from index.filters import Filters
from index.records import DocumentRecord
from index.store_api import Store
from ingest.errors import CwgError
from ingest.metadata import check_date
from ingest.records import ACTOR_TYPES
from search.characterization.initiatives import stored_initiatives
from search.characterization.taxonomy import FACETS, Taxonomy
from search.retrieval.scope import in_scope
from search.retrieval.versions import versions

TREND_FACETS = (*FACETS, "actor_type")
PERIODS = ("meeting", "year")
INITIATIVE_FACETS = ("initiative_type", "audience", "risk")  # what an initiative record itself carries


class MeetingsError(CwgError):
    """A meetings file that cannot be used (the message names the file and the entry)."""


@dataclass(frozen=True)
class Meeting:
    id: str
    date: str  # YYYY, YYYY-MM or YYYY-MM-DD; "" when unknown
    place: str = ""
    status: str = "held"  # held or planned
    focus: tuple[str, ...] = ()  # taxonomy label ids
    note: str = ""
    in_file: bool = True  # False: only documents name it


def default_meetings_path() -> Path:
    return Path(str(importlib.resources.files("search.characterization") / "meetings.yaml"))


def load_meetings(path: Path | str | None = None) -> list[Meeting]:
    target = Path(path) if path is not None else default_meetings_path()
    try:
        data = yaml.safe_load(target.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MeetingsError(f"{target}: cannot read the meetings: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("meetings"), list):
        raise MeetingsError(f"{target}: expected a mapping with a `meetings` list")
    out: list[Meeting] = []
    for n, item in enumerate(data["meetings"], start=1):
        at = f"{target}: meeting {n}"
        if not isinstance(item, dict) or not str(item.get("id", "")).strip():
            raise MeetingsError(f"{at}: needs an `id`")
        meeting_id = str(item["id"]).strip()
        date = str(item.get("date", "") or "")
        if date:
            try:
                date = check_date(date)
            except Exception as exc:
                raise MeetingsError(f"{at} ({meeting_id}): {exc}") from exc
        status = str(item.get("status", "held"))
        if status not in ("held", "planned"):
            raise MeetingsError(f"{at} ({meeting_id}): status must be held or planned")
        focus = item.get("focus") or []
        if not isinstance(focus, list):
            raise MeetingsError(f"{at} ({meeting_id}): focus must be a list of label ids")
        if meeting_id.upper() in {m.id.upper() for m in out}:
            raise MeetingsError(f"{at}: {meeting_id} is listed twice")
        out.append(Meeting(meeting_id, date, str(item.get("place", "") or ""), status,
                           tuple(str(f) for f in focus), str(item.get("note", "") or "")))
    return out


@dataclass
class MeetingSummary:
    meeting: Meeting
    documents: int = 0
    doc_types: dict[str, int] = field(default_factory=dict)
    actor_types: dict[str, int] = field(default_factory=dict)
    focus: dict[str, int] = field(default_factory=dict)  # focus label → documents of the meeting carrying it

    def to_json(self, taxonomy: Taxonomy) -> dict[str, object]:
        m = self.meeting
        return {"id": m.id, "date": m.date, "place": m.place, "status": m.status, "in_file": m.in_file,
                "note": m.note, "documents": self.documents, "doc_types": self.doc_types,
                "actor_types": self.actor_types,
                "focus": [{"label": label, "name": _name(taxonomy, label), "documents": n, "covered": n > 0}
                          for label, n in self.focus.items()]}


def _name(taxonomy: Taxonomy, label_id: str) -> str:
    for lb in taxonomy.labels():
        if lb.id == label_id:
            return lb.name
    return label_id


def _facet_of(taxonomy: Taxonomy, label_id: str) -> str:
    return next((lb.facet for lb in taxonomy.labels() if lb.id == label_id), "theme")


def _date_key(date: str) -> str:
    return date or "9999"  # undated last


def meeting_summaries(store: Store, taxonomy: Taxonomy, meetings: list[Meeting]) -> list[MeetingSummary]:
    with store.snapshot():
        docs = versions(store).once(store.documents())  # a contribution once, not once per language
        labels = store.labels_of([d.id for d in docs])
    by_meeting: dict[str, list[DocumentRecord]] = {}
    for d in docs:
        if d.meeting:
            by_meeting.setdefault(d.meeting.upper(), []).append(d)
    listed = {m.id.upper() for m in meetings}
    extra = [Meeting(mid_docs[0].meeting, min((d.date for d in mid_docs if d.date), default=""), in_file=False,
                     note="named by documents, not in the meetings file")
             for key, mid_docs in sorted(by_meeting.items()) if key not in listed]
    out = []
    for m in [*meetings, *extra]:
        mine = by_meeting.get(m.id.upper(), [])
        out.append(MeetingSummary(
            m, len(mine), dict(Counter(d.doc_type for d in mine).most_common()),
            dict(Counter(d.actor_type or "unknown" for d in mine).most_common()),
            {f: sum(1 for d in mine if (_facet_of(taxonomy, f), f) in labels.get(d.id, set())) for f in m.focus}))
    out.sort(key=lambda s: (_date_key(s.meeting.date), s.meeting.id))
    return out


def trends(store: Store, taxonomy: Taxonomy, facet: str, by: str, filters: Filters | None = None,
           meetings: list[Meeting] | None = None, count: str = "documents") -> dict[str, object]:
    """Documents per label of `facet` per period (`by` meeting or year), in date order, with shares of the
    period's documents. Documents without a meeting (or a date) are counted apart, as `unplaced`.
    `count="initiatives"`: the period's initiative records per label of their own kind, audience or risk, with
    shares of the period's initiatives."""
    if facet not in TREND_FACETS:
        raise MeetingsError(f"facet {facet!r}: choose one of {', '.join(TREND_FACETS)}")
    if by not in PERIODS:
        raise MeetingsError(f"by {by!r}: choose meeting or year")
    if count not in ("documents", "initiatives") or (count == "initiatives" and facet not in INITIATIVE_FACETS):
        raise MeetingsError(f"count {count!r}: documents, or initiatives with a facet of "
                            f"{', '.join(INITIATIVE_FACETS)}")
    with store.snapshot():
        docs = store.documents(in_scope(filters, store))  # the group's contributions unless a collection is named
        docs = versions(store).once(docs)  # a contribution once, not once per language
        labels = store.labels_of([d.id for d in docs]) if facet != "actor_type" else {}
        if count == "initiatives":  # each initiative counted under its own labels
            labels = {}
            for item in stored_initiatives(store):
                value = getattr(item, facet)
                own = {(facet, v) for v in (value if isinstance(value, list) else [value]) if v}
                labels.setdefault(item.document_id, []).append(own)
    dates = {m.id.upper(): m.date for m in meetings or []}
    periods: dict[str, dict[str, object]] = {}
    unplaced = 0
    for d in docs:
        if by == "meeting":
            key, date = d.meeting, dates.get(d.meeting.upper(), "")
        else:
            key = d.date[:4]
            date = key
        if not key:
            unplaced += 1
            continue
        period = periods.setdefault(key.upper() if by == "meeting" else key,
                                    {"period": key, "date": date, "documents": 0, "initiatives": 0,
                                     "counts": Counter(), "_dates": []})
        period["documents"] = int(period["documents"]) + 1  # type: ignore[call-overload]
        if d.date:
            period["_dates"].append(d.date)  # type: ignore[union-attr]
        if facet == "actor_type":
            period["counts"][d.actor_type or "unknown"] += 1  # type: ignore[index]
        elif count == "initiatives":
            mine = labels.get(d.id, [])
            period["initiatives"] = int(period["initiatives"]) + len(mine)  # type: ignore[call-overload]
            for own in mine:
                for _, label in own:
                    period["counts"][label] += 1  # type: ignore[index]
        else:
            for f, label in labels.get(d.id, set()):
                if f == facet:
                    period["counts"][label] += 1  # type: ignore[index]
    names = ({k: v for k, v in ACTOR_TYPES.items()} | {"unknown": "Unknown"} if facet == "actor_type"
             else {lb.id: lb.name for lb in taxonomy.labels(facet)})
    order = list(names)
    rows = []
    for p in periods.values():
        if not p["date"]:
            p["date"] = min(p["_dates"]) if p["_dates"] else ""  # type: ignore[type-var, arg-type]
        counts: Counter[str] = p["counts"]  # type: ignore[assignment]
        n = int(p["documents"])  # type: ignore[call-overload]
        base = int(p["initiatives"]) if count == "initiatives" else n  # type: ignore[call-overload]
        ordered = {label: counts[label] for label in order if counts.get(label)}
        row = {"period": p["period"], "date": p["date"], "documents": n, "counts": ordered,
               "shares": {label: round(c / base, 4) for label, c in ordered.items()} if base else {}}
        if count == "initiatives":
            row["initiatives"] = base
        rows.append(row)
    rows.sort(key=lambda r: (_date_key(str(r["date"])), str(r["period"])))
    used = [label for label in order if any(label in r["counts"] for r in rows)]  # type: ignore[operator]
    return {"facet": facet, "by": by, "count": count, "labels": [{"id": label, "name": names[label]} for label in used],
            "periods": rows, "unplaced": unplaced}
