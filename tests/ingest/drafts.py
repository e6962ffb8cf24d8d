"""One strong contribution draft, written as .txt, .md, .docx and .pdf from the same text (issue 23): what the
quality profile must score alike in every format; and any Markdown or text contribution written again in the four
formats (`blocks_of`, `write_formats`). Used by tests/ingest/test_quality.py, bench/quality_checks.py and
bench/quality_formats.py."""

from __future__ import annotations

import re
from pathlib import Path

DRAFT = [
    ("Safer Schools Online in Freedonia", 0, ""),
    ("", 0, "Submitted by: Republic of Freedonia, Ministry of Education"),
    ("Problem and objective", 1,
     "Many pupils meet grooming and cyberbullying online without knowing where to turn. The Safer Schools "
     "Online programme gives every secondary school a trained focal point so that pupils can report harm early."),
    ("What we did", 1,
     "In 2023 the Ministry of Education launched Safer Schools Online for pupils aged 11 to 16, their parents "
     "and teachers. We trained 1,200 teachers in 340 schools, and 45,000 pupils took part in awareness sessions."),
    ("Evaluation", 1,
     "An independent survey of 2,000 pupils before and after the sessions found that the share who knew how to "
     "report abuse rose from 31% to 68%."),
    ("Lessons learned", 1,
     "Short sessions repeated each term kept pupils' attention better than one long day. Rural schools with "
     "poor connectivity needed printed materials."),
    ("Partners", 1,
     "The programme is run with UNICEF, the national Computer Emergency Response Team and the Freedonia "
     "Telecommunications Authority."),
    ("Resources", 1, "The teachers' toolkit is available at https://example.org/safer-schools."),
    ("Next steps", 1, "In 2025 the programme will reach primary schools. We invite members of the Working Group "
                      "to share their own materials for younger children."),
]


def draft_files(folder: Path) -> dict[str, Path]:
    """The draft as .txt (headings as lines), .md (# headings), .docx (heading styles) and .pdf (large type for
    headings), in `folder`."""
    from docx import Document
    from fpdf import FPDF

    txt: list[str] = []
    md: list[str] = []
    word = Document()
    pdf = FPDF()
    pdf.add_page()
    for heading, level, body in DRAFT:
        if heading:
            txt += [heading, ""]
            md += ["#" * max(level, 1) + " " + heading, ""]
            word.add_heading(heading, level=level)
            pdf.set_font("Helvetica", "B", 18 if level == 0 else 14)
            pdf.multi_cell(0, 9, heading)
            pdf.ln(2)
        if body:
            txt += [body, ""]
            md += [body, ""]
            word.add_paragraph(body)
            pdf.set_font("Helvetica", "", 11)
            pdf.multi_cell(0, 6, body)
            pdf.ln(3)
    files = {ext: folder / f"draft.{ext}" for ext in ("txt", "md", "docx", "pdf")}
    files["txt"].write_text("\n".join(txt), encoding="utf-8")
    files["md"].write_text("\n".join(md), encoding="utf-8")
    word.save(str(files["docx"]))
    pdf.output(str(files["pdf"]))
    return files


_LIST = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
Block = tuple[str, str]  # (kind: "title" | "heading" | "para" | "item", text)


def blocks_of(text: str) -> list[Block]:
    """The document as headings, paragraphs and list items, in order."""
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        text = text[end + 4:] if end > 0 else text
    out: list[Block] = []
    for part in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in part.strip().splitlines() if line.strip()]
        if not lines:
            continue
        if len(lines) == 1 and (lines[0].startswith("#") or (
                len(lines[0].split()) <= 12 and not lines[0].endswith((".", ";", ",", ":")))):
            kind = "title" if not out else "heading"
            out.append((kind, lines[0].lstrip("#").strip().strip("*")))
            continue
        para: list[str] = []
        for line in lines:
            if _LIST.match(line):
                if para:
                    out.append(("para", " ".join(para)))
                    para = []
                out.append(("item", _LIST.sub("", line)))
            else:
                para.append(line)
        if para:
            out.append(("para", " ".join(para)))
    return out


def printable(blocks: list[Block]) -> bool:
    try:
        "".join(t for _, t in blocks).encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def write_formats(blocks: list[Block], folder: Path) -> dict[str, Path]:
    from docx import Document
    from fpdf import FPDF

    txt: list[str] = []
    md: list[str] = []
    word = Document()
    for kind, text in blocks:
        if kind in ("title", "heading"):
            txt += ["", text, ""]
            md += ["", ("# " if kind == "title" else "## ") + text, ""]
            word.add_heading(text, level=0 if kind == "title" else 1)
        elif kind == "item":
            txt += [f"- {text}"]
            md += [f"- {text}"]
            word.add_paragraph(text, style="List Bullet")
        else:
            txt += ["", text, ""]
            md += ["", text, ""]
            word.add_paragraph(text)
    files = {ext: folder / f"draft.{ext}" for ext in ("txt", "md", "docx")}
    files["txt"].write_text("\n".join(txt), encoding="utf-8")
    files["md"].write_text("\n".join(md), encoding="utf-8")
    word.save(str(files["docx"]))
    if printable(blocks):
        pdf = FPDF()
        pdf.add_page()
        for kind, text in blocks:
            if kind in ("title", "heading"):
                pdf.set_font("Helvetica", "B", 18 if kind == "title" else 14)
                pdf.multi_cell(0, 9, text)
                pdf.ln(2)
            else:
                pdf.set_font("Helvetica", "", 11)
                pdf.multi_cell(0, 6, f"- {text}" if kind == "item" else text)
                pdf.ln(1 if kind == "item" else 3)
        files["pdf"] = folder / "draft.pdf"
        pdf.output(str(files["pdf"]))
    return files
