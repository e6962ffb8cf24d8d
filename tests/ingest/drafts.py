"""One strong contribution draft, written as .txt, .md, .docx and .pdf from the same text (issue 23): what the
quality profile must score alike in every format. Used by tests/ingest/test_quality.py and bench/quality_checks.py."""

from __future__ import annotations

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
