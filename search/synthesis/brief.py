"""The briefing pack for a meeting: for its theme focus, what earlier meetings contributed (the reading list,
by curation and quality), the synthesis of the theme, who has not contributed on it yet (member states that
contributed on other themes, and ITU regions), and the meeting's own contributions when it has been held.
Every document it names exists in the index (it is read from it)."""

from __future__ import annotations

import html
import io
import json

from index.filters import Filters
from index.folder import IndexFolder
from ingest.countries import REGIONS
from search.characterization.meetings import Meeting, MeetingsError, meeting_summaries
from search.characterization.repository import select
from search.characterization.taxonomy import Taxonomy
from search.retrieval.scope import in_scope
from search.retrieval.versions import contributions as contributions_of
from search.synthesis.pipeline import Synthesizer
from search.synthesis.render import render_markdown

BRIEF_FORMATS = ("md", "html", "docx", "json")


def brief(folder: IndexFolder, taxonomy: Taxonomy, meeting_id: str, meetings: list[Meeting],
          read: int = 10) -> dict[str, object]:
    store = folder.store
    summaries = {s.meeting.id.upper(): s for s in meeting_summaries(store, taxonomy, meetings)}
    summary = summaries.get(meeting_id.upper())
    if summary is None:
        raise MeetingsError(f"no meeting {meeting_id!r} in the meetings file or the documents (see `cwg meetings`)")
    meeting = summary.meeting
    labels = [lb for lb in taxonomy.labels() if lb.id in meeting.focus]
    if not labels:
        raise MeetingsError(f"meeting {meeting.id} has no theme focus in the meetings file: nothing to brief on")
    dates = {key: s.meeting.date for key, s in summaries.items()}
    earlier_meetings = {key for key, date in dates.items() if date and meeting.date and date < meeting.date}
    focus = Filters()
    for lb in labels:
        focus.add(lb.facet, lb.id)
    reading = [e.to_json() for e in select(folder, taxonomy, focus, limit=200)
               if e.document.meeting.upper() in earlier_meetings][:read]
    synthesis = Synthesizer(folder, taxonomy).synthesize(labels[0].id)
    with store.snapshot():
        # who contributes: the group's own documents, each contribution once (not once per language)
        shared = contributions_of(store)  # each contribution once, with its status and quality
        contributions = shared.versions.once(shared.records(store.documents(in_scope(None, store))))
        on_topic = store.documents_by_id(synthesis.topic_document_ids)
    # who has not contributed on the theme, from the synthesis's own documents on it: the pack never says other
    # than the synthesis it embeds; "not yet" means member states that contributed to the group on other themes
    member_states = sorted({d.country for d in contributions if d.actor_type == "member_state" and d.country})
    on_topic_states = {d.country for d in on_topic.values() if d.actor_type == "member_state"}
    own = [d for d in contributions if d.meeting.upper() == meeting.id.upper()]
    return {
        "meeting": summary.to_json(taxonomy),
        "focus": [{"facet": lb.facet, "label": lb.id, "name": lb.name} for lb in labels],
        "earlier": reading,
        "synthesis": synthesis,
        "not_yet": {"on": labels[0].name,
                    "member_states": [c for c in member_states if c not in on_topic_states],
                    "regions": [r for r in REGIONS if not synthesis.regions.get(r)]},
        "own": [{"document_id": d.id, "title": d.title, "source": d.source, "quality": d.quality,
                 "curation": d.curation} for d in own] if meeting.status == "held" else [],
    }


def brief_json(b: dict) -> str:  # type: ignore[type-arg]
    """The pack as JSON: its parts, the synthesis as `cwg synthesize --format json` gives it."""
    return json.dumps({**b, "synthesis": b["synthesis"].to_json()}, ensure_ascii=False, indent=2) + "\n"


def brief_markdown(b: dict) -> str:  # type: ignore[type-arg]
    m = b["meeting"]
    focus = ", ".join(f["name"] for f in b["focus"])
    out = [f"# Briefing pack: {m['id']} ({m['date'] or 'date not set'}, {m['status']})", "",
           f"Theme focus: {focus}.", "", "## What earlier meetings contributed", ""]
    if b["earlier"]:
        for n, e in enumerate(b["earlier"], start=1):
            mark = {"best_practice": " — best practice", "promising": " — promising"}.get(e["curation"], "")
            quality = "" if e["quality"] is None else f", quality {e['quality']:.2f}"
            out.append(f"{n}. **{e['title']}**, {e['source'] or 'unknown source'}, {e['meeting']}{quality}{mark}")
    else:
        out.append("No earlier meeting's contribution in the index carries this focus.")
    out += ["", f"## Who has not contributed on {b['not_yet']['on']} yet", ""]
    states = b["not_yet"]["member_states"]
    out.append("Member states that contributed on other themes: " + (", ".join(states) if states else "none") + ".")
    out.append("ITU regions with no contribution on it: " + (", ".join(b["not_yet"]["regions"]) or "none") + ".")
    if m["status"] == "held":
        out += ["", "## The meeting's own contributions", ""]
        out += [f"- {d['title']}, {d['source'] or 'unknown source'}" for d in b["own"]] or ["- none in the index"]
    # the synthesis two heading levels down, under this pack's own section
    synthesis = "\n".join(("##" + line) if line.startswith("#") else line
                          for line in render_markdown(b["synthesis"]).splitlines())
    out += ["", "## Synthesis of the theme", "", synthesis]
    return "\n".join(out) + "\n"


def brief_html(b: dict) -> str:  # type: ignore[type-arg]
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Briefing pack</title></head>"
            f"<body><pre style=\"white-space:pre-wrap\">{html.escape(brief_markdown(b))}</pre></body></html>\n")


def brief_docx(b: dict) -> bytes:  # type: ignore[type-arg]
    from docx import Document

    from search.synthesis.render_docx import docx_text as t

    doc = Document()
    for line in brief_markdown(b).splitlines():
        stripped = line.lstrip("#")
        level = len(line) - len(stripped)
        if level and stripped.startswith(" "):
            doc.add_heading(t(stripped.strip()), level=min(level - 1, 4))
        elif line.strip():
            doc.add_paragraph(t(line))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
