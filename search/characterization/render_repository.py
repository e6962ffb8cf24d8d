"""The reading list (`cwg select`) and the contribution card (`cwg card`, `cwg check`) as Markdown, HTML,
CSV and DOCX, from the JSON the API returns (one structure, several renderings)."""

from __future__ import annotations

import html
import io

from ingest.quality import TEMPLATE_INTRO, TEMPLATE_TITLE
from search.characterization.csv_export import csv_text

SELECT_FORMATS = ("md", "html", "docx", "csv", "json")
CARD_FORMATS = ("md", "html", "json")
_BADGES = {"best_practice": "Best practice", "promising": "Promising", "noted": "Noted"}


def _who(d: dict) -> str:  # type: ignore[type-arg]
    return str(d.get("source") or "unknown source")


def _quality(d: dict) -> str:  # type: ignore[type-arg]
    q = d.get("quality")
    return "—" if q is None else f"{q:.2f} ({d.get('quality_band')})"


def select_markdown(entries: list[dict], filters: str) -> str:  # type: ignore[type-arg]
    out = [f"# Reading list: {filters or 'every document'}", "",
           "Curated best practice first, then promising, then by quality score.", ""]
    for n, e in enumerate(entries, start=1):
        badge = _BADGES.get(str(e["curation"]))
        head = f"{n}. **{e['title']}**, {_who(e)}" + (f", {e['meeting']}" if e.get("meeting") else "")
        out.append(head + (f" — *{badge}*: {e['curation_reason']}" if badge else ""))
        out.append(f"   - quality {_quality(e)}; labels: " + (", ".join(lb["name"] for lb in e["labels"]) or "none"))
        if e.get("evidence"):
            page = f" (p. {e['evidence']['page']})" if e["evidence"].get("page") else ""
            out.append(f"   - {e['evidence']['signal']}: “{' '.join(str(e['evidence']['text']).split())}”{page}")
        out.append(f"   - {e['link']}")
    if not entries:
        out.append("No document matches these filters.")
    return "\n".join(out) + "\n"


def select_csv(entries: list[dict]) -> str:  # type: ignore[type-arg]
    rows = []
    for n, e in enumerate(entries, start=1):
        ev = e.get("evidence") or {}
        rows.append([n, e["document_id"], e["title"], e["source"], e["meeting"], e["quality"], e["quality_band"],
                     e["curation"], e["curation_reason"], "; ".join(lb["name"] for lb in e["labels"]),
                     ev.get("signal", ""), " ".join(str(ev.get("text", "")).split()), e["link"]])
    return csv_text(["rank", "document_id", "title", "source", "meeting", "quality", "quality_band", "curation",
                     "curation_reason", "labels", "evidence_signal", "evidence", "link"], rows)


def select_html(entries: list[dict], filters: str) -> str:  # type: ignore[type-arg]
    e_ = html.escape
    rows = []
    for e in entries:
        badge = _BADGES.get(str(e["curation"]))
        ev = e.get("evidence") or {}
        rows.append(f"<li><a href=\"{e_(e['link'])}\"><strong>{e_(e['title'])}</strong></a>, {e_(_who(e))}"
                    + (f" <span class=\"badge\" title=\"{e_(e['curation_reason'])}\">{e_(badge)}</span>" if badge else "")
                    + f"<br>quality {e_(_quality(e))}; " + e_(", ".join(lb["name"] for lb in e["labels"]) or "no labels")
                    + (f"<br><q>{e_(' '.join(str(ev.get('text', '')).split()))}</q>" if ev else "") + "</li>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Reading list</title></head><body>"
            f"<h1>Reading list: {e_(filters or 'every document')}</h1><ol>" + "".join(rows) + "</ol></body></html>\n")


def select_docx(entries: list[dict], filters: str) -> bytes:  # type: ignore[type-arg]
    from docx import Document

    from search.synthesis.render_docx import docx_text as t

    doc = Document()
    doc.add_heading(t(f"Reading list: {filters or 'every document'}"), level=0)
    doc.add_paragraph("Curated best practice first, then promising, then by quality score.")
    for e in entries:
        p = doc.add_paragraph(style="List Number")
        p.add_run(t(str(e["title"]))).bold = True
        p.add_run(t(f", {_who(e)}; quality {_quality(e)}"))
        badge = _BADGES.get(str(e["curation"]))
        if badge:
            p.add_run(t(f"; {badge}: {e['curation_reason']}")).italic = True
        if e.get("evidence"):
            doc.add_paragraph(t(f"“{' '.join(str(e['evidence']['text']).split())}”"), style="List Bullet")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def card_markdown(c: dict) -> str:  # type: ignore[type-arg]
    d = c["document"]
    q = c["quality"]
    out = [f"# {d.get('title')}", "", f"{_who(d)}" + (f", {d['meeting']}" if d.get("meeting") else ""), ""]
    status = (c.get("curation") or {}).get("status")
    if status in _BADGES:
        reason = c["curation"]["history"][-1]["reason"]
        out += [f"**{_BADGES[status]}**: {reason}", ""]
    out += [f"## Quality: {q['score']:.2f} ({q['band']})" if q.get("score") is not None else "## Quality", ""]
    for s in q["signals"]:
        if s["found"]:
            page = f" (p. {s['evidence']['page']})" if s["evidence"] and s["evidence"].get("page") else ""
            text = " ".join(str(s["evidence"]["text"]).split()) if s["evidence"] else ""
            out.append(f"- ✓ {s['name']}: “{text}”{page}")
        else:
            out.append(f"- ✗ {s['name']}: {s['hint']}")
    if c.get("initiatives"):
        out += ["", "## Initiatives", ""]
        for i in c["initiatives"]:
            facts = [i["initiative_type"], *(f"for {a}" for a in i["audience"][:2]), *(f"against {r}" for r in i["risk"][:2]),
                     i["status"], str(i["year"] or "")]
            quote = i["evidence"].get("name") or i["evidence"].get("initiative_type") or {}
            page = f" (p. {quote['page']})" if quote.get("page") else ""
            said = f": “{' '.join(str(quote['text']).split())[:200]}”{page}" if quote else ""
            out.append(f"- **{i['name'] or '(unnamed)'}** — {', '.join(f for f in facts if f)}{said}")
    if c.get("labels"):
        out += ["", "## Characterization", ""]
        out += [f"- {lb['name']} ({lb['facet']})" for lb in c["labels"]]
    out += ["", "## Similar contributions from other sources", ""]
    out += [f"- {s['title']}, {s['source'] or 'unknown source'}" + (f", {s['meeting']}" if s.get("meeting") else "")
            + (f" — shared: {', '.join(s['shared'])}" if s.get("shared") else "") for s in c["similar"]] or ["- none"]
    out += ["", "## What it adds (no close match elsewhere in the repository)", ""]
    out += [f"- “{' '.join(str(p['text']).split())[:400]}”" for p in c["new"]] or ["- nothing stands apart"]
    return "\n".join(out) + "\n"


def card_html(c: dict) -> str:  # type: ignore[type-arg]
    body = html.escape(card_markdown(c))
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Contribution card</title></head>"
            f"<body><pre style=\"white-space:pre-wrap\">{body}</pre></body></html>\n")


def template_markdown(signals) -> str:  # type: ignore[no-untyped-def]
    """The contribution template (meeting report 9.7.1), generated from the quality signals: one section per
    signal, its question and the hint of what to write."""
    out = [f"# {TEMPLATE_TITLE}", "",
           "Submitted by: (member state or organisation)  ", "Meeting: (e.g. CWG-COP-21)  ",
           "Document type: (contribution, information document, …)", "", TEMPLATE_INTRO, ""]
    for s in signals.signals:
        out += [f"## {s.name}", "", f"*{s.question}* {s.hint}", "", "…", ""]
    return "\n".join(out)


def template_docx(signals) -> bytes:  # type: ignore[no-untyped-def]
    from docx import Document

    from search.synthesis.render_docx import docx_text

    doc = Document()
    doc.add_heading(TEMPLATE_TITLE, level=0)
    for line in ("Submitted by: (member state or organisation)", "Meeting: (e.g. CWG-COP-21)",
                 "Document type: (contribution, information document, …)"):
        doc.add_paragraph(line)
    doc.add_paragraph(TEMPLATE_INTRO)
    for s in signals.signals:
        doc.add_heading(docx_text(s.name), level=1)
        doc.add_paragraph(docx_text(f"{s.question} {s.hint}")).runs[0].italic = True
        doc.add_paragraph("…")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
