"""Render a synthesis as Markdown or as one self-contained HTML file (inline CSS, every text escaped).

DOCX is in render_docx.py. All three share the same outline: title and scope, overview table
(sources × sub-themes), one section per sub-theme (summary, initiatives), gaps, references.
"""

from __future__ import annotations

import html

from search.characterization.taxonomy import FACETS
from search.synthesis.model import CitedSentence, Synthesis

FORMATS = ("md", "html", "docx")
FACET_NAMES = {"theme": "Theme", "risk": "Risk", "audience": "Audience", "initiative_type": "Initiative type",
               "region": "ITU region"}


def scope_line(s: Synthesis) -> str:
    filters = "; ".join(f"{k} = {' or '.join(v)}" for k, v in s.filters.items()) or "none"
    kind = f"taxonomy label {s.label}" if s.label else "free-text topic"
    return (f"Topic: {s.topic} ({kind}). Filters: {filters}. Generated {s.created_at} from "
            f"{len(s.documents)} documents, {len(s.overview)} sources, {len(s.citations)} cited passages.")


METHOD_NOTE = ("Extractive synthesis: every sentence below is quoted verbatim from the passage it cites; "
               "the references give the document, source and page, and the passage's character range.")


def gap_lines(s: Synthesis) -> tuple[list[str], list[str]]:
    """(label gap lines, region lines) in plain text."""
    labels = []
    for facet in FACETS:
        gaps = [g for g in s.label_gaps if g.facet == facet]
        if gaps:
            items = ", ".join(f"{g.name} ({g.documents})" for g in gaps)
            labels.append(f"{FACET_NAMES[facet]}: {items}")
    regions = [f"{region}: {n} document{'s' if n != 1 else ''}" for region, n in s.regions.items()]
    return labels, regions


def _sentences_of(sub) -> list[CitedSentence]:  # type: ignore[no-untyped-def]
    return sub.prose if sub.prose is not None else sub.summary


# --- Markdown ------------------------------------------------------------------------------------------
def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(s: Synthesis) -> str:
    out = [f"# Thematic synthesis: {_md(s.heading)}", "", f"_{_md(scope_line(s))}_", "", METHOD_NOTE, ""]
    out += [f"> {_md(note)}" for note in s.notes] + ([""] if s.notes else [])
    if s.subthemes:
        out += ["## Overview", "", "Sentences on this topic per source and sub-theme (the summaries quote the most central ones).", ""]
        head = ["Source", *(f"{t.number}. {_md(t.title)}" for t in s.subthemes)]
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for source, counts in s.overview.items():
            out.append("| " + " | ".join([_md(source), *(str(c) if c else "" for c in counts)]) + " |")
        out.append("")
    for sub in s.subthemes:
        out += [f"## {sub.number}. {_md(sub.title)}", "", "### Summary", ""]
        if sub.prose is not None:
            out.append(f"_Rewritten by {s.rewrite_model}; each sentence checked against its cited passage._")
            out.append("")
        out.append(" ".join(f"{_md(c.text)} [{c.citation}]" for c in _sentences_of(sub)))
        out += ["", "### Initiatives", ""]
        for it in sub.initiatives:
            who = it.source + (f" ({it.country})" if it.country and it.country != it.source else "")
            out.append(f"- **{_md(who)}**: {_md(it.sentence.text)} [{it.sentence.citation}]")
        out.append("")
    out += ["## Gaps", ""]
    labels, regions = gap_lines(s)
    if s.tagged:
        out.append("Taxonomy labels that at most one document on this topic carries (documents in brackets):")
        out.append("")
        out += [f"- {_md(line)}" for line in labels] or ["- none"]
    else:
        out.append("Label gaps need labels: run `cwg tag` first.")
    out += ["", "Documents on this topic per ITU region:", ""]
    out += [f"- {_md(line)}" for line in regions]
    if s.region_gaps:
        out += ["", "Regions with few or no contributions: " + ", ".join(g.name for g in s.region_gaps) + "."]
    if s.rewrite_flags:
        out += ["", "### Dropped by the citation check", ""]
        out += [f"- (sub-theme {f.subtheme}) {_md(f.text)} — {_md(f.reason)}" for f in s.rewrite_flags]
    out += ["", "## References", ""]
    for c in s.citations:
        out.append(f"{c.number}. {_md(c.label())}. `{c.document_id}`, characters {c.char_start}–{c.char_end}.")
    return "\n".join(out) + "\n"


# --- HTML ----------------------------------------------------------------------------------------------
CSS = """
body{font-family:Georgia,'Times New Roman',serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.5}
h1{font-size:1.7rem}h2{font-size:1.3rem;border-bottom:1px solid #ccc;margin-top:2rem}h3{font-size:1.05rem}
.scope,.note{color:#555;font-size:.9rem}table{border-collapse:collapse;font-size:.85rem;margin:1rem 0}
th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left}td.n{text-align:center}
sup a{text-decoration:none}ol.refs li{font-size:.85rem;margin-bottom:.3rem}.flag{color:#8a1c1c}
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _cite_html(n: int) -> str:
    return f'<sup><a href="#ref-{n}">[{n}]</a></sup>'


def render_html(s: Synthesis) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>Thematic synthesis: {_e(s.heading)}</title>", f"<style>{CSS}</style></head><body>",
           f"<h1>Thematic synthesis: {_e(s.heading)}</h1>", f'<p class="scope">{_e(scope_line(s))}</p>',
           f'<p class="note">{_e(METHOD_NOTE)}</p>']
    out += [f'<p class="note">{_e(note)}</p>' for note in s.notes]
    if s.subthemes:
        out.append("<h2>Overview</h2><table><tr><th>Source</th>"
                   + "".join(f"<th>{t.number}. {_e(t.title)}</th>" for t in s.subthemes) + "</tr>")
        for source, counts in s.overview.items():
            out.append(f"<tr><td>{_e(source)}</td>" + "".join(f'<td class="n">{c or ""}</td>' for c in counts)
                       + "</tr>")
        out.append("</table>")
    for sub in s.subthemes:
        out.append(f'<h2 id="subtheme-{sub.number}">{sub.number}. {_e(sub.title)}</h2><h3>Summary</h3>')
        if sub.prose is not None:
            out.append(f'<p class="note">Rewritten by {_e(s.rewrite_model or "")}; each sentence checked '
                       f"against its cited passage.</p>")
        out.append("<p>" + " ".join(f"{_e(c.text)}{_cite_html(c.citation)}" for c in _sentences_of(sub)) + "</p>")
        out.append("<h3>Initiatives</h3><ul>")
        for it in sub.initiatives:
            who = it.source + (f" ({it.country})" if it.country and it.country != it.source else "")
            out.append(f"<li><strong>{_e(who)}</strong>: {_e(it.sentence.text)}{_cite_html(it.sentence.citation)}</li>")
        out.append("</ul>")
    labels, regions = gap_lines(s)
    out.append("<h2>Gaps</h2>")
    if s.tagged:
        out.append("<p>Taxonomy labels that at most one document on this topic carries (documents in brackets):</p>")
        out.append("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in labels or ["none"]) + "</ul>")
    else:
        out.append("<p>Label gaps need labels: run <code>cwg tag</code> first.</p>")
    out.append("<p>Documents on this topic per ITU region:</p><ul>"
               + "".join(f"<li>{_e(x)}</li>" for x in regions) + "</ul>")
    if s.rewrite_flags:
        out.append("<h3>Dropped by the citation check</h3><ul>" + "".join(
            f'<li class="flag">(sub-theme {f.subtheme}) {_e(f.text)} — {_e(f.reason)}</li>' for f in s.rewrite_flags)
            + "</ul>")
    out.append('<h2>References</h2><ol class="refs">')
    for c in s.citations:
        out.append(f'<li id="ref-{c.number}">{_e(c.label())}. <code>{_e(c.document_id)}</code>, characters '
                   f"{c.char_start}–{c.char_end}.</li>")
    out.append("</ol></body></html>")
    return "\n".join(out) + "\n"
