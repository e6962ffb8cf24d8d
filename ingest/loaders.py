"""Loaders: bytes of one file → `LoadedDocument` (blocks of text with 1-based page numbers)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import yaml

from ingest.encoding import decode_text
from ingest.errors import LoadError
from ingest.formats import detect_format
from ingest.legacy_office import convert
from ingest.limits import Deadline, ReadLimits
from ingest.ocr import OcrSettings
from ingest.odt_text import read_odt
from ingest.pdf_text import MIN_PAGE_CHARS, read_pdf
from ingest.pptx_text import read_pptx
from ingest.records import Block, LoadedDocument
from ingest.scanned_pages import page_ranges, read_low_text_pages  # noqa: F401 (page_ranges: imported from here)
from ingest.textclean import lines_to_blocks, normalize_text, repeated_margin_lines, strip_margins

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(---|\.\.\.)[ \t]*(\r?\n|\Z)", re.DOTALL)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_MD_LIST_ITEM = re.compile(r"^\s{0,3}([-*+]|\d{1,3}[.)])\s+\S")  # "- item", "1. item" (a Markdown list item)


def load_file(path: Path, data: bytes | None = None, limits: ReadLimits | None = None) -> LoadedDocument:
    """Read `path` (or the given bytes) with the loader its content calls for, within `limits`."""
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    fmt = detect_format(path, data)
    limits = limits or ReadLimits()
    deadline = limits.deadline()
    try:
        if fmt == "pdf":
            doc = load_pdf(data, deadline, limits.ocr)
        elif fmt == "docx":
            limits.check_zip(data)
            doc = load_docx(data, deadline)
        elif fmt == "pptx":
            limits.check_zip(data)
            doc = read_pptx(data, deadline)
        elif fmt == "odt":
            limits.check_zip(data)
            doc = read_odt(data, deadline)
        elif fmt in ("doc", "ppt"):
            doc = load_legacy(fmt, data, limits, deadline)
        elif fmt == "html":
            doc = load_html(data)
        else:
            doc = load_text(data)
    except (LoadError, MemoryError):
        raise
    except Exception as exc:  # a parser library choking on malformed bytes: this file fails, not the batch
        raise LoadError(f"malformed {fmt.upper()} content could not be read ({type(exc).__name__}: {exc})"[:300]) \
            from exc
    if fmt == "markdown":
        doc.format = "markdown"
    if not any(b.text.strip() for b in doc.blocks):
        raise LoadError("no text found in the file (empty document)")
    return doc


def load_legacy(kind: str, data: bytes, limits: ReadLimits, deadline: Deadline) -> LoadedDocument:
    """A .doc/.ppt through the installed converter (ingest/legacy_office.py), then read as what it became;
    the document keeps its own format (its stored copy is the original file)."""
    converted = convert(kind, data, timeout=limits.max_parse_seconds)
    if converted.format == "text":
        doc = load_text(converted.data)
    else:
        limits.check_zip(converted.data)
        doc = load_docx(converted.data, deadline) if converted.format == "docx" else read_pptx(converted.data, deadline)
    doc.format = kind
    doc.warnings.append(f"converted from .{kind} by {converted.converter}")
    return doc


def load_pdf(data: bytes, deadline: Deadline | None = None, ocr: OcrSettings | None = None) -> LoadedDocument:
    """Pages by pdfium, pypdf where pdfium cannot read them (`ingest.pdf_text.read_pdf`); a page without a text
    layer is read by OCR when it is an image, counted when it is blank or drawn (`ingest.scanned_pages`)."""
    read = read_pdf(data, deadline)
    raw_pages, title, author = read.pages, read.title, read.author
    page_lines = [text.splitlines() for text in raw_pages]
    repeated = repeated_margin_lines(page_lines)
    empty = [number for number, lines in enumerate(page_lines, start=1)
             if len(normalize_text("".join(lines)).strip()) < MIN_PAGE_CHARS]
    low_text = read_low_text_pages(data, empty, ocr, deadline)
    blocks: list[Block] = []
    for number, lines in enumerate(page_lines, start=1):
        blocks.extend(low_text.blocks.get(number, []) if number in low_text.blocks or number in empty
                      else lines_to_blocks(strip_margins(lines, repeated), number))
    if not blocks:
        raise LoadError(low_text.refusal(len(raw_pages)))
    warnings = low_text.warnings
    first = next((lines for lines in page_lines if len("".join(lines).strip()) >= MIN_PAGE_CHARS),
                 [b.text for b in blocks[:20]])  # a scanned document: its OCR text
    return LoadedDocument("pdf", blocks, page_count=len(raw_pages), title=title, author=author,
                          warnings=warnings, metadata=low_text.metadata,
                          head_text=normalize_text("\n".join(first[:80])))


def load_docx(data: bytes, deadline: Deadline | None = None) -> LoadedDocument:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several types for a broken package
        raise LoadError(f"not a readable Word document ({type(exc).__name__}: {exc})") from exc
    blocks: list[Block] = []
    for number, item in enumerate(document.iter_inner_content(), start=1):
        if deadline is not None and number % 64 == 0:
            deadline.check(f"paragraph {number}")
        if isinstance(item, Paragraph):
            text = normalize_text(item.text).strip()
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            level = _docx_heading_level(style)
            blocks.append(Block("heading", text, None, level) if level else Block("paragraph", text))
        elif isinstance(item, Table):
            rows = []
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = normalize_text(cell.text).strip()
                    if value and (not cells or cells[-1] != value):  # merged cells repeat
                        cells.append(value)
                if cells:
                    rows.append(" | ".join(cells))
            if rows:
                blocks.append(Block("table", "\n".join(rows)))
    title = (document.core_properties.title or "").strip() or None
    author = (document.core_properties.author or "").strip() or None
    head = "\n".join(b.text for b in blocks[:40])
    return LoadedDocument("docx", blocks, title=title, author=author, head_text=head)


def _docx_heading_level(style: str) -> int:
    if style == "Title":
        return 1
    match = re.match(r"Heading (\d)", style)
    return int(match.group(1)) if match else 0


def load_text(data: bytes) -> LoadedDocument:
    """Plain text or Markdown; YAML front matter becomes metadata."""
    decoded = decode_text(data)
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    metadata: dict[str, str] = {}
    warnings = [decoded.note] if decoded.note else []
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            parsed = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            parsed = None
            warnings.append(f"front matter is not valid YAML, ignored ({str(exc).splitlines()[0]})")
        if isinstance(parsed, dict):
            metadata = {str(k).strip().lower(): str(v).strip() for k, v in parsed.items() if v is not None}
            text = text[match.end():]
    is_markdown = bool(re.search(r"^#{1,6}\s", text, re.MULTILINE))
    blocks: list[Block] = []
    for para in re.split(r"\n[ \t]*\n", text):
        lines = [ln for ln in para.split("\n") if ln.strip()]
        if not lines:
            continue
        buf: list[str] = []
        for line in lines:
            heading = _MD_HEADING.match(line.strip()) if is_markdown else None
            item = is_markdown and _MD_LIST_ITEM.match(line)
            if (heading or item) and buf:  # a heading or a list item ends the lines before it (as in plain text)
                blocks.append(Block("paragraph", normalize_text(" ".join(s.strip() for s in buf))))
                buf = []
            if heading:
                blocks.append(Block("heading", normalize_text(heading.group(2)), None, len(heading.group(1))))
            else:
                buf.append(line)
        if buf and not is_markdown:
            blocks.extend(_plain_text_blocks(buf))
        elif buf:
            joined = normalize_text(" ".join(s.strip() for s in buf)).strip()
            if joined:
                blocks.append(Block("paragraph", joined))
    fmt = "markdown" if is_markdown or metadata else "text"
    head = "\n".join(text.split("\n")[:60])
    return LoadedDocument(fmt, blocks, metadata=metadata, warnings=warnings, head_text=normalize_text(head))


def _plain_text_blocks(lines: list[str]) -> list[Block]:
    """One blank-line-separated group of a plain text file: a lone short line without a full stop
    is a heading ("1. Background"); otherwise lines are grouped like a PDF page's."""
    if len(lines) == 1:
        line = normalize_text(lines[0]).strip()
        if line and len(line.split()) <= 14 and not line.endswith((".", "!", "?", ";", ",", ":")) \
                and any(c.isalpha() for c in line):
            return [Block("heading", line, None, 1 + line.split()[0].count(".") if line[0].isdigit() else 1)]
    return lines_to_blocks(lines, None)


_HTML_DROP = {"script", "style", "noscript", "template", "iframe", "svg", "canvas", "object", "head", "nav",
              "button", "select", "option", "input", "textarea"}
_HTML_BLOCK = {"p", "div", "section", "article", "main", "header", "footer", "aside", "li", "ul", "ol", "table",
               "tr", "td", "th", "thead", "tbody", "blockquote", "pre", "dl", "dt", "dd", "figure", "figcaption",
               "caption", "form", "br", "hr", "address", "details", "summary", "body", "html"}
_HTML_HEADING = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


def _html_hidden(tag) -> bool:  # type: ignore[no-untyped-def]
    style = (tag.get("style") or "").replace(" ", "").lower()
    return (tag.has_attr("hidden") or tag.get("aria-hidden") == "true" or tag.get("role") == "navigation"
            or "display:none" in style or "visibility:hidden" in style)


def load_html(data: bytes) -> LoadedDocument:
    """Visible text only: scripts, styles, navigation and hidden elements are dropped; every block
    element (paragraph, list item, cell, div) ends a paragraph, headings become heading blocks."""
    from bs4 import BeautifulSoup
    from bs4.element import NavigableString, PreformattedString, Tag

    decoded = decode_text(data)
    soup = BeautifulSoup(decoded.text, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    blocks: list[Block] = []
    buffer: list[str] = []

    def flush() -> None:
        value = normalize_text(" ".join(buffer)).strip()
        buffer.clear()
        if value:
            blocks.append(Block("paragraph", value))

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, PreformattedString):  # comments, doctype, CDATA, processing instructions
                continue
            if isinstance(child, NavigableString):
                buffer.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = (child.name or "").lower()
            if name in _HTML_DROP or _html_hidden(child):
                continue
            if name in _HTML_HEADING:
                flush()
                heading = normalize_text(child.get_text(" ", strip=True)).strip()
                if heading:
                    blocks.append(Block("heading", heading, None, _HTML_HEADING[name]))
                continue
            if name in _HTML_BLOCK:
                flush()
                walk(child)
                flush()
            else:
                walk(child)

    walk(soup)
    flush()
    return LoadedDocument("html", blocks, title=title or None, warnings=[decoded.note] if decoded.note else [])
