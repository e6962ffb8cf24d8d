"""Render a synthesis as Markdown or as one self-contained HTML file (inline CSS, every text escaped).

DOCX is in render_docx.py. All three share the same outline: title and scope, overview table
(sources × sub-themes), one section per sub-theme (summary, initiatives), gaps, references.
"""

from __future__ import annotations

import html

from search.characterization.taxonomy import FACETS
from search.synthesis.model import Synthesis, source_with_country

FORMATS = ("md", "html", "docx")
FACET_NAMES = {"theme": "Theme", "risk": "Risk", "audience": "Audience", "initiative_type": "Initiative type",
               "region": "ITU region", "actor_type": "Contributor"}


def scope_line(s: Synthesis) -> str:
    filters = "; ".join(f"{k} = {' or '.join(v)}" for k, v in s.filters.items()) or "none"
    kind = f"taxonomy label {s.label}" if s.label else "free-text topic"
    return (f"Topic: {s.topic} ({kind}). Filters: {filters}. Generated {s.created_at} from "
            f"{len(s.documents)} documents, {len(s.overview)} sources, {len(s.citations)} cited passages.")


METHOD_NOTE = ("A first draft, written by the program without a language model: each section opens with a lead "
               "paragraph put together from facts found in the quoted sentences (who contributed, the initiatives "
               "they name, the figures they give), followed by the evidence, quoted verbatim. Every fact and "
               "quote carries the number of the passage it comes from; the references give the document, "
               "source and page, and the passage's character range.")


def gap_sections(s: Synthesis) -> list[tuple[str, list[str]]]:
    """The gaps as (heading, items) in plain text, shared by every format. Counted over the index: the
    documents about the topic, not only those quoted."""
    of = f"of {s.topic_documents} on this topic"
    out: list[tuple[str, list[str]]] = []
    if s.tagged:
        for facet in FACETS:
            gaps = [g for g in s.label_gaps if g.facet == facet]
            if gaps:
                out.append((f"{FACET_NAMES[facet]} labels that documents carry but at most one on this topic does",
                            [f"{g.name}: {g.documents} {of}; {g.in_index} in the index" for g in gaps]))
        if s.unaddressed:
            out.append(("Not addressed by any document in the repository" + (" (with these filters)" if s.filters
                                                                               else ""),
                        ["no document in the repository addresses " + ", ".join(s.unaddressed)]))
    else:
        out.append(("Taxonomy labels", ["label gaps need labels: run `cwg tag` first"]))
    if s.actor_gaps:
        out.append(("Kinds of contributor with at most one document on this topic",
                    [f"{g.name}: {g.documents} {of}; {g.in_index} in the index" for g in s.actor_gaps]))
    if s.region_gaps:
        out.append(("ITU regions with at most one document on this topic",
                    [f"{g.name}: {g.documents} {of}; {g.in_index} in the index" for g in s.region_gaps]))
    if s.absent_regions:
        out.append(("ITU regions without any document in the index" + (" (with these filters)" if s.filters else ""),
                    [", ".join(s.absent_regions)]))
    return out


def regions_line(s: Synthesis) -> str:
    counts = ", ".join(f"{region} {n}" for region, n in s.regions.items() if n)
    return f"Documents on this topic per ITU region: {counts or 'none'}."


def who(source: str, country: str, actor_type: str, title: str = "") -> str:
    """The source as readers see it; a document without a known source is named by its title."""
    return source_with_country(source, country, actor_type) if source or not title else title


def _curated(s: Synthesis, number: int) -> str:
    """" (best practice)" after a source whose cited document a curator marked so."""
    status = s.citation(number).curation
    return {"best_practice": " (best practice)", "promising": " (promising)"}.get(status, "")


def quoted(text: str) -> str:
    return text if text[:1] in "“\"" else f"“{text}”"


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
        out += [f"## {sub.number}. {_md(sub.title)}", "", _md(sub.lead), "", "### Key points", ""]
        if sub.prose is not None:
            out.append(f"_Rewritten by {s.rewrite_model}; each sentence checked against its cited passage._")
            out.append("")
            out.append(" ".join(f"{_md(c.text)} [{c.citation}]" for c in sub.prose))
        else:
            for c in sub.summary:
                cited = s.citation(c.citation)
                out.append(f"- {_md(who(cited.source, cited.country, cited.actor_type, cited.title))}: "
                           f"{_md(quoted(c.text))} [{c.citation}]")
        if sub.initiatives:
            out += ["", "### Initiatives", ""]
        for it in sub.initiatives:
            mark = _curated(s, it.sentence.citation)
            out.append(f"- **{_md(it.who())}**{mark}: {_md(quoted(it.sentence.text))} [{it.sentence.citation}]")
        out.append("")
    out += ["## Gaps", "", _md(regions_line(s))]
    for heading, items in gap_sections(s):
        out += ["", f"{heading}:", ""] + [f"- {_md(x)}" for x in items]
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
sup a{text-decoration:none}p.lead{font-size:1.02rem}ol.refs li{font-size:.85rem;margin-bottom:.3rem}.flag{color:#8a1c1c}
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
        out.append(f'<h2 id="subtheme-{sub.number}">{sub.number}. {_e(sub.title)}</h2>')
        out.append(f'<p class="lead">{_e(sub.lead)}</p><h3>Key points</h3>')
        if sub.prose is not None:
            out.append(f'<p class="note">Rewritten by {_e(s.rewrite_model or "")}; each sentence checked '
                       f"against its cited passage.</p>")
            out.append("<p>" + " ".join(f"{_e(c.text)}{_cite_html(c.citation)}" for c in sub.prose) + "</p>")
        else:
            out.append("<ul>")
            for c in sub.summary:
                cited = s.citation(c.citation)
                out.append(f"<li>{_e(who(cited.source, cited.country, cited.actor_type, cited.title))}: "
                           f"{_e(quoted(c.text))}{_cite_html(c.citation)}</li>")
            out.append("</ul>")
        if sub.initiatives:
            out.append("<h3>Initiatives</h3><ul>")
            for it in sub.initiatives:
                out.append(f"<li><strong>{_e(it.who())}</strong>{_e(_curated(s, it.sentence.citation))}: "
                           f"{_e(quoted(it.sentence.text))}{_cite_html(it.sentence.citation)}</li>")
            out.append("</ul>")
    out.append(f"<h2>Gaps</h2><p>{_e(regions_line(s))}</p>")
    for heading, items in gap_sections(s):
        out.append(f"<p>{_e(heading)}:</p><ul>" + "".join(f"<li>{_e(x)}</li>" for x in items) + "</ul>")
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
