"""OpenDocument text (.odt) → blocks, read with the standard library (zipfile + xml.etree).

Why not odfpy: an ODT's text is one XML part (content.xml) with a handful of elements that matter here, so a
walk of that tree is short, adds no dependency and keeps the reading in our hands (what is skipped, where a
page begins). The package is checked against the zip limits before this runs (`ReadLimits.check_zip`);
Python's expat refuses entity-expansion bombs and ElementTree never fetches external entities.

What is read, in document order:
- `text:h` → a heading of its outline level; a paragraph in the "Title" style → a level-1 heading;
- `text:p` → a paragraph (spans, links, spaces and tabs inside it read as text; footnotes follow it as a
  paragraph of their own);
- `text:list` → one paragraph block, one line per item beginning "• " (nested lists included), so a list is
  read as a list, with the line that introduces it;
- `table:table` → one table block, a row per line, cells joined by " | " as the Word loader joins them;
- sections and text boxes are read through. Left out: a generated table of contents (it repeats the
  headings), tracked deletions and comments. Images are counted in the warnings, not guessed at.

Pages: an ODT has no fixed pages. When the file was saved with its layout (LibreOffice writes
`text:soft-page-break` where a page ended), the page of a block is 1 + the breaks before it; otherwise blocks
have no page (as for a Word document) rather than a claimed "page 1".
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from ingest.errors import LoadError
from ingest.limits import Deadline
from ingest.records import Block, LoadedDocument
from ingest.textclean import normalize_text

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
}
ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


H, P, LIST, ITEM, HEADER = _q("text:h"), _q("text:p"), _q("text:list"), _q("text:list-item"), _q("text:list-header")
SPACE, TAB, BREAK, SOFT_BREAK = _q("text:s"), _q("text:tab"), _q("text:line-break"), _q("text:soft-page-break")
NOTE, NOTE_BODY = _q("text:note"), _q("text:note-body")
TABLE, ROW, CELL = _q("table:table"), _q("table:table-row"), _q("table:table-cell")
_ROW_GROUPS = {_q("table:table-header-rows"), _q("table:table-rows"), _q("table:table-row-group")}
_SKIPPED = {_q("text:table-of-content"), _q("text:tracked-changes"), _q("office:annotation"),
            _q("text:alphabetical-index"), _q("text:illustration-index"), _q("text:bibliography"),
            _q("text:sequence-decls"), _q("office:forms")}
_IMAGE = _q("draw:image")


@dataclass
class _Walk:
    paged: bool
    title_styles: set[str]
    deadline: Deadline | None
    page: int = 1
    seen: int = 0
    blocks: list[Block] = field(default_factory=list)
    images: list[int] = field(default_factory=list)

    def add(self, kind: str, text: str, level: int = 0) -> None:
        text = normalize_text(text).strip()  # line breaks (table rows, list items) are kept
        if text:
            self.blocks.append(Block(kind, text, self.page if self.paged else None, level))  # type: ignore[arg-type]

    def tick(self) -> None:
        self.seen += 1
        if self.deadline is not None and self.seen % 64 == 0:
            self.deadline.check(f"element {self.seen} of the text")


def read_odt(data: bytes, deadline: Deadline | None = None) -> LoadedDocument:
    """Read an .odt package (already checked against the zip limits) into a `LoadedDocument`."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            content = package.read("content.xml")
            meta = package.read("meta.xml") if "meta.xml" in package.namelist() else b""
            styles = package.read("styles.xml") if "styles.xml" in package.namelist() else b""
        root = ET.fromstring(content)
    except KeyError as exc:
        raise LoadError("not a readable OpenDocument text: it has no content.xml") from exc
    except (zipfile.BadZipFile, ET.ParseError, OSError, ValueError) as exc:
        raise LoadError(f"not a readable OpenDocument text ({type(exc).__name__}: {exc})"[:300]) from exc
    body = root.find("office:body/office:text", _NS)
    if body is None:
        raise LoadError("an OpenDocument file without text (a spreadsheet or presentation?): not read")
    walk = _Walk(paged=body.find(f".//{SOFT_BREAK}") is not None,
                 title_styles=_title_styles(root, styles), deadline=deadline)
    _walk_body(body, walk)
    title, author = _meta(meta)
    warnings = []
    if walk.images:
        n = len(walk.images)
        warnings.append(f"{n} image{'s' if n != 1 else ''} without text: not read (their content is not indexed)")
    head = "\n".join(b.text for b in walk.blocks[:40])
    return LoadedDocument("odt", walk.blocks, page_count=walk.page if walk.paged else None, title=title,
                          author=author, head_text=head, warnings=warnings)


def _walk_body(element: ET.Element, walk: _Walk) -> None:
    for child in element:
        tag = child.tag
        if tag in _SKIPPED:
            continue
        walk.tick()
        if tag == SOFT_BREAK:
            walk.page += 1
        elif tag == H:
            walk.add("heading", _inline_text(child, walk), int(child.get(_q("text:outline-level"), "1") or 1))
            _notes_after(child, walk)
        elif tag == P:
            style = child.get(_q("text:style-name"), "")
            text = _inline_text(child, walk)
            if style in walk.title_styles and "\n" not in text:
                walk.add("heading", text, 1)
            else:
                walk.add("paragraph", text)
            _notes_after(child, walk)
        elif tag == LIST:
            walk.add("paragraph", "\n".join(f"• {line}" for line in _list_lines(child, walk)))
        elif tag == TABLE:
            walk.add("table", "\n".join(_table_rows(child, walk)))
        else:  # text:section, text:index-body of a kept index, draw frames at body level …
            _walk_body(child, walk)


def _inline_text(element: ET.Element, walk: _Walk) -> str:
    """The text of a paragraph: spans and links read through, `text:s` as its count of spaces, footnotes and
    page breaks left for the caller (a soft page break inside a paragraph moves the page on)."""
    parts: list[str] = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == SPACE:
            parts.append(" " * int(child.get(_q("text:c"), "1") or 1))
        elif tag in (TAB, BREAK):
            parts.append(" ")
        elif tag == SOFT_BREAK:
            walk.page += 1
        elif tag == _IMAGE:
            walk.images.append(walk.page)
        elif tag not in _SKIPPED and tag != NOTE:
            parts.append(_inline_text(child, walk))
        parts.append(child.tail or "")
    return "".join(parts)


def _notes_after(element: ET.Element, walk: _Walk) -> None:
    for note in element.iter(NOTE):
        body = note.find(NOTE_BODY)
        if body is not None:
            walk.add("paragraph", " ".join(_inline_text(p, walk) for p in body.iter(P)))


def _list_lines(element: ET.Element, walk: _Walk) -> Iterator[str]:
    for item in element:
        if item.tag not in (ITEM, HEADER):
            continue
        for child in item:
            if child.tag == LIST:
                yield from _list_lines(child, walk)
            elif child.tag in (P, H):
                line = normalize_text(_inline_text(child, walk)).strip()
                if line:
                    yield line
            elif child.tag == SOFT_BREAK:
                walk.page += 1


def _rows(table: ET.Element) -> Iterator[ET.Element]:
    for child in table:
        if child.tag == ROW:
            yield child
        elif child.tag in _ROW_GROUPS:
            yield from _rows(child)


def _table_rows(table: ET.Element, walk: _Walk) -> Iterator[str]:
    for row in _rows(table):
        walk.tick()  # a long table is checked against the parse-time limit row by row
        cells: list[str] = []
        for cell in row:
            if cell.tag != CELL:  # table:covered-table-cell: the hidden part of a merged cell
                continue
            value = normalize_text(" ".join(_inline_text(p, walk) for p in cell.iter() if p.tag in (P, H))).strip()
            if value and (not cells or cells[-1] != value):
                cells.append(value)
        if cells:
            yield " | ".join(cells)


def _title_styles(root: ET.Element, styles: bytes) -> set[str]:
    """Names of the paragraph styles that are the "Title" style or built on it (LibreOffice writes automatic
    styles such as "P1" whose parent is "Title")."""
    names = {"Title"}
    trees = [root]
    if styles:
        try:
            trees.append(ET.fromstring(styles))
        except ET.ParseError:
            pass
    for tree in trees:
        for style in tree.iter(_q("style:style")):
            if style.get(_q("style:parent-style-name")) in names or style.get(_q("style:display-name")) == "Title":
                names.add(style.get(_q("style:name"), ""))
    return names - {""}


def _meta(meta: bytes) -> tuple[str | None, str | None]:
    if not meta:
        return None, None
    try:
        root = ET.fromstring(meta)
    except ET.ParseError:
        return None, None
    title = root.find(".//dc:title", _NS)
    author = root.find(".//meta:initial-creator", _NS)
    if author is None:
        author = root.find(".//dc:creator", _NS)
    return ((title.text or "").strip() or None if title is not None else None,
            (author.text or "").strip() or None if author is not None else None)
