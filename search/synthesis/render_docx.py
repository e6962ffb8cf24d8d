"""Render a synthesis as DOCX (python-docx): superscript numbered citation markers and a references list
(python-docx has no footnote API). Opens in Word, LibreOffice and other Word-compatible readers."""

from __future__ import annotations

import io
import re

from search.synthesis.model import CitedSentence, Synthesis
from search.synthesis.render import METHOD_NOTE, gap_sections, quoted, regions_line, scope_line, who

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def docx_text(text: str) -> str:
    """Text Word can store: characters XML 1.0 forbids (NUL, most control characters) are dropped."""
    return _NOT_XML.sub("", text)


_t = docx_text


def _marker(paragraph, number: int) -> None:  # type: ignore[no-untyped-def]
    run = paragraph.add_run(f"[{number}]")
    run.font.superscript = True


def _sentences(paragraph, sentences: list[CitedSentence]) -> None:  # type: ignore[no-untyped-def]
    for n, c in enumerate(sentences):
        paragraph.add_run(_t(("" if n == 0 else " ") + c.text))
        _marker(paragraph, c.citation)


def _quoted(paragraph, sentence: CitedSentence) -> None:  # type: ignore[no-untyped-def]
    paragraph.add_run(_t(quoted(sentence.text)))
    _marker(paragraph, sentence.citation)


def render_docx(s: Synthesis) -> bytes:
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.title = _t(f"Thematic synthesis: {s.heading}")[:255]
    doc.core_properties.subject = _t(s.topic)[:255]
    doc.add_heading(_t(f"Thematic synthesis: {s.heading}"), level=0)
    doc.add_paragraph(_t(scope_line(s))).runs[0].italic = True
    doc.add_paragraph(METHOD_NOTE)
    for note in s.notes:
        doc.add_paragraph(_t(note))
    if s.subthemes:
        doc.add_heading("Overview", level=1)
        table = doc.add_table(rows=1, cols=1 + len(s.subthemes))
        table.style = "Table Grid"
        header = table.rows[0].cells
        header[0].text = "Source"
        for i, sub in enumerate(s.subthemes, start=1):
            header[i].text = _t(f"{sub.number}. {sub.title}")
        for source, counts in s.overview.items():
            cells = table.add_row().cells
            cells[0].text = _t(source)
            for i, count in enumerate(counts, start=1):
                cells[i].text = str(count) if count else ""
    for sub in s.subthemes:
        doc.add_heading(_t(f"{sub.number}. {sub.title}"), level=1)
        doc.add_paragraph(_t(sub.lead))
        doc.add_heading("Key points", level=2)
        if sub.prose is not None:
            doc.add_paragraph(_t(f"Rewritten by {s.rewrite_model}; each sentence checked against its cited passage."))
            _sentences(doc.add_paragraph(), sub.prose)
        else:
            for c in sub.summary:
                cited = s.citation(c.citation)
                p = doc.add_paragraph(style="List Bullet")
                p.add_run(_t(who(cited.source, cited.country, cited.actor_type, cited.title) + ": "))
                _quoted(p, c)
        if sub.initiatives:
            doc.add_heading("Initiatives", level=2)
        for it in sub.initiatives:
            p = doc.add_paragraph(style="List Bullet")
            p.add_run(_t(it.who() + ": ")).bold = True
            _quoted(p, it.sentence)
    doc.add_heading("Gaps", level=1)
    doc.add_paragraph(_t(regions_line(s)))
    for heading, items in gap_sections(s):
        doc.add_paragraph(_t(heading + ":"))
        for line in items:
            doc.add_paragraph(_t(line), style="List Bullet")
    if s.rewrite_flags:
        doc.add_heading("Dropped by the citation check", level=2)
        for f in s.rewrite_flags:
            doc.add_paragraph(_t(f"(sub-theme {f.subtheme}) {f.text} — {f.reason}"), style="List Bullet")
    doc.add_heading("References", level=1)
    for c in s.citations:
        p = doc.add_paragraph()
        p.add_run(f"[{c.number}] ").bold = True
        p.add_run(_t(f"{c.label()}. {c.document_id}, characters {c.char_start}–{c.char_end}.")).font.size = Pt(9)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
