#!/usr/bin/env python3
"""Build the PDF and DOCX documents of the bundled CWG-COP-20 sample corpus.

The Markdown sources live in ``examples/sources/``; this script renders some of them as multi-page PDF
(fpdf2, core fonts) and the others as Word documents (python-docx) into ``examples/cwg-cop-20/``.

The output is deterministic: fixed creation dates in the document metadata, a fixed timestamp on every
entry of the DOCX zip archive, and a PDF file identifier derived from the content. A file is only
rewritten when its bytes change, so running the script twice leaves the tree untouched.

Usage::

    .venv/bin/python examples/build_sample.py          # build (or refresh) the documents
    .venv/bin/python examples/build_sample.py --check  # exit 1 if any output is missing or stale
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import docx
from docx.shared import Pt
from fpdf import FPDF

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
OUT_DIR = HERE / "cwg-cop-20"

MEETING = "CWG-COP-20"
FIXED_DATE = datetime(2024, 1, 22, tzinfo=timezone.utc)
ZIP_DATE = (2024, 1, 22, 0, 0, 0)


@dataclass(frozen=True)
class Target:
    source: str  # file name in examples/sources/
    fmt: str  # "pdf" or "docx"
    author: str  # submitter, as in the manifest's ``source`` column
    symbol: str  # illustrative document symbol (same as in the manifest)
    language: str = "en"

    @property
    def output_name(self) -> str:
        return Path(self.source).stem + "." + self.fmt


TARGETS: tuple[Target, ...] = (
    Target("philippines-cop-initiatives.md", "pdf", "Philippines", "CWG-COP/20/C/03"),
    Target("unicef-legislative-guidance.md", "pdf", "UNICEF", "CWG-COP/20/INF/11"),
    Target("council-of-europe-lanzarote.md", "pdf", "Council of Europe", "CWG-COP/20/INF/16"),
    Target("icmec-csam-model-legislation.md", "pdf", "ICMEC", "CWG-COP/20/INF/20"),
    Target("safe-online-legal-measures.md", "pdf", "Safe Online", "CWG-COP/20/INF/25"),
    Target("itu-secretariat-cop-activities.md", "docx", "ITU Secretariat", "CWG-COP/20/C/01"),
    Target("bahrain-safesurf.md", "docx", "Bahrain", "CWG-COP/20/INF/02"),
    Target("voice-of-children-nepal.md", "docx", "Voice of Children", "CWG-COP/20/INF/17"),
    Target("unicri-ai-for-safer-children.md", "docx", "UNICRI", "CWG-COP/20/INF/23"),
)


# --------------------------------------------------------------------------- Markdown (tiny subset)


@dataclass
class Block:
    kind: str  # title | h2 | h3 | para | bullet | number | table
    text: str = ""
    rows: list[list[str]] | None = None


def parse_markdown(text: str) -> list[Block]:
    """Parse the small Markdown subset used by the sources: #/##/### headings, paragraphs,
    ``-`` bullets, ``1.`` numbered items and pipe tables. Inline ``**bold**`` is kept as is."""
    blocks: list[Block] = []
    para: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if para:
            blocks.append(Block("para", " ".join(para)))
            para.clear()
        if table:
            blocks.append(Block("table", rows=[r[:] for r in table]))
            table.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("|"):
            if para:
                flush()
            cells = [c.strip() for c in line.strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
                continue  # header separator row
            table.append(cells)
            continue
        if table:
            flush()
        m = re.match(r"^(#{1,3})\s+(.*)$", line)
        if m:
            flush()
            kind = {1: "title", 2: "h2", 3: "h3"}[len(m.group(1))]
            blocks.append(Block(kind, m.group(2)))
            continue
        m = re.match(r"^[-*]\s+(.*)$", line)
        if m:
            flush()
            blocks.append(Block("bullet", m.group(1)))
            continue
        m = re.match(r"^\d+\.\s+(.*)$", line)
        if m:
            flush()
            blocks.append(Block("number", m.group(1)))
            continue
        para.append(line)
    flush()
    if not blocks or blocks[0].kind != "title":
        raise ValueError("source must start with a '# Title' line")
    return blocks


def strip_inline(text: str) -> str:
    return text.replace("**", "")


# --------------------------------------------------------------------------- PDF

_PUNCT = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "--", "\u2212": "-", "\u2026": "...", "\u00a0": " ", "\u2022": "-",
    "\u202f": " ", "\u2009": " ",
}


def to_latin1(text: str) -> str:
    """Transliterate to Latin-1 so that the fpdf2 core fonts (Helvetica) can render the text."""
    out = []
    for ch in text:
        ch = _PUNCT.get(ch, ch)
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            folded = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
            out.append(folded or "?")
    return "".join(out)


class _SamplePDF(FPDF):
    def __init__(self, symbol: str, short_title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._symbol = symbol
        self._short_title = short_title

    def header(self) -> None:
        self.set_font("Helvetica", "I", 9)
        self.set_text_color(90, 90, 90)
        self.cell(0, 6, to_latin1(f"{self._symbol}  -  {MEETING}  -  22-23 January 2024"), align="R")
        self.ln(10)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "I", 9)
        self.set_text_color(90, 90, 90)
        self.cell(0, 8, to_latin1(f"{self._short_title}  -  page {self.page_no()} of {{nb}}"), align="C")
        self.set_text_color(0, 0, 0)


def build_pdf(target: Target, blocks: list[Block]) -> bytes:
    title = strip_inline(blocks[0].text)
    short = title if len(title) <= 60 else title[:57].rstrip() + "..."
    pdf = _SamplePDF(target.symbol, short)
    pdf.set_title(to_latin1(title))
    pdf.set_author(to_latin1(target.author))
    pdf.set_subject(to_latin1(f"{MEETING} information/contribution document {target.symbol}"))
    pdf.set_keywords(to_latin1(f"child online protection; {MEETING}; {target.author}"))
    pdf.set_creator("examples/build_sample.py")
    pdf.set_producer("fpdf2")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_lang(target.language)
    pdf.set_margins(22, 18, 22)
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.add_page()

    body_size, line_h = 12, 7.5  # generous spacing: every document spans several pages
    first_section = True
    number = 0
    for block in blocks:
        number = number + 1 if block.kind == "number" else 0
        if block.kind == "title":
            pdf.set_font("Helvetica", "B", 20)
            pdf.multi_cell(0, 10, to_latin1(block.text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
        elif block.kind == "h2":
            # Each top-level section starts on its own page (after the first one).
            if not first_section:
                pdf.add_page()
            first_section = False
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 15)
            pdf.multi_cell(0, 9, to_latin1(block.text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif block.kind == "h3":
            pdf.ln(1)
            pdf.set_font("Helvetica", "B", 13)
            pdf.multi_cell(0, 8, to_latin1(block.text), new_x="LMARGIN", new_y="NEXT")
        elif block.kind == "para":
            pdf.set_font("Helvetica", "", body_size)
            pdf.multi_cell(0, line_h, to_latin1(block.text), markdown=True, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        elif block.kind in ("bullet", "number"):
            pdf.set_font("Helvetica", "", body_size)
            pdf.set_x(pdf.l_margin + 6)
            prefix = "- " if block.kind == "bullet" else f"{number}. "
            pdf.multi_cell(0, line_h, to_latin1(prefix + block.text), markdown=True,
                           new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif block.kind == "table":
            pdf.set_font("Helvetica", "", 10)
            assert block.rows is not None
            with pdf.table(first_row_as_headings=True, line_height=6) as table:
                for row in block.rows:
                    r = table.row()
                    for cell in row:
                        r.cell(to_latin1(strip_inline(cell)))
            pdf.ln(3)
    return bytes(pdf.output())


# --------------------------------------------------------------------------- DOCX


def _add_runs(paragraph, text: str) -> None:
    parts = re.split(r"(\*\*[^*]+\*\*)", text)
    for part in parts:
        if not part:
            continue
        if part.startswith("**") and part.endswith("**"):
            paragraph.add_run(part[2:-2]).bold = True
        else:
            paragraph.add_run(part)


def build_docx(target: Target, blocks: list[Block]) -> bytes:
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)

    title = strip_inline(blocks[0].text)
    props = document.core_properties
    props.title = title
    props.author = target.author
    props.subject = f"{MEETING} {target.symbol}"
    props.keywords = f"child online protection; {MEETING}; {target.author}"
    props.comments = "Sample document paraphrased from the CWG-COP-20 meeting report (illustrative)."
    props.category = "sample corpus"
    props.language = target.language
    props.identifier = target.symbol
    props.last_modified_by = "examples/build_sample.py"
    props.revision = 1
    props.created = FIXED_DATE.replace(tzinfo=None)
    props.modified = FIXED_DATE.replace(tzinfo=None)
    props.last_printed = FIXED_DATE.replace(tzinfo=None)

    for block in blocks:
        if block.kind == "title":
            document.add_heading(strip_inline(block.text), level=0)
            meta = document.add_paragraph()
            meta.add_run(f"{target.symbol}  |  {MEETING}  |  22-23 January 2024").italic = True
        elif block.kind == "h2":
            document.add_heading(strip_inline(block.text), level=1)
        elif block.kind == "h3":
            document.add_heading(strip_inline(block.text), level=2)
        elif block.kind == "para":
            _add_runs(document.add_paragraph(), block.text)
        elif block.kind == "bullet":
            _add_runs(document.add_paragraph(style="List Bullet"), block.text)
        elif block.kind == "number":
            _add_runs(document.add_paragraph(style="List Number"), block.text)
        elif block.kind == "table":
            assert block.rows is not None
            ncols = max(len(r) for r in block.rows)
            table = document.add_table(rows=0, cols=ncols)
            table.style = "Table Grid"
            for i, row in enumerate(block.rows):
                cells = table.add_row().cells
                for j in range(ncols):
                    text = strip_inline(row[j]) if j < len(row) else ""
                    cells[j].text = ""
                    run = cells[j].paragraphs[0].add_run(text)
                    run.bold = i == 0
            document.add_paragraph()

    buf = io.BytesIO()
    document.save(buf)
    return _normalise_zip(buf.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite the archive with fixed timestamps and attributes so the bytes are reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zi.create_system = 0
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


# --------------------------------------------------------------------------- main


def render(target: Target) -> bytes:
    blocks = parse_markdown((SOURCES / target.source).read_text(encoding="utf-8"))
    if target.fmt == "pdf":
        return build_pdf(target, blocks)
    if target.fmt == "docx":
        return build_docx(target, blocks)
    raise ValueError(f"unknown format {target.fmt!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report missing or stale outputs")
    args = parser.parse_args(argv)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    stale = 0
    for target in TARGETS:
        data = render(target)
        path = OUT_DIR / target.output_name
        current = path.read_bytes() if path.exists() else None
        if current == data:
            status = "unchanged"
        elif args.check:
            status = "STALE" if current is not None else "MISSING"
            stale += 1
        else:
            path.write_bytes(data)
            status = "written"
        print(f"{status:9} {path.relative_to(HERE.parent)} ({len(data)} bytes)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
