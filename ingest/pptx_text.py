"""Slide decks (.pptx) → blocks: each slide is a page, its title a heading, its notes part of it.

What a reader of a deck sees is what is indexed, slide by slide (the slide's 1-based number is the `page` of
its blocks, so a citation names the slide):

- the slide title (its title placeholder) first, as a level-1 heading: quality signals read the text below a
  "Results" slide as they read the text under a "Results" heading of a Word document;
- then every other shape in reading order: rows from top to bottom (shapes whose tops lie within
  `ROW_TOLERANCE_EMU` of each other share a row), left to right within a row. A text box is one block whose
  lines are its paragraphs (so bullet points stay together and are read as the lines of one passage); a table
  is one block, its rows of cells joined by " | " as the Word loader joins them; a group is read the same way,
  its members in their own reading order, recursively;
- the speaker notes last, as one block beginning "Speaker notes:", so a passage quoted from the notes says
  so in the text that is cited, without a new field in the index;
- pictures, charts, diagrams (SmartArt) and embedded objects are not read: they are counted and reported
  in the load warnings, never guessed at. Hidden slides are indexed like the others, with a warning.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

from ingest.errors import LoadError
from ingest.limits import Deadline
from ingest.records import Block, LoadedDocument
from ingest.textclean import normalize_text

NOTES_PREFIX = "Speaker notes: "
ROW_TOLERANCE_EMU = 182_880  # 0.2 inch: boxes set side by side rarely align their tops exactly
_TITLE_TYPES = ("TITLE", "CENTER_TITLE", "VERTICAL_TITLE")
_UNREAD = {"picture": ("picture", "pictures"), "chart": ("chart", "charts"),  # kind → (one, several)
           "object": ("diagram or embedded object", "diagrams or embedded objects")}


def read_pptx(data: bytes, deadline: Deadline | None = None) -> LoadedDocument:
    """Read a .pptx package (already checked against the zip limits) into a `LoadedDocument`."""
    from pptx import Presentation

    try:
        deck = Presentation(io.BytesIO(data))
    except Exception as exc:  # python-pptx raises KeyError, ValueError, lxml errors … for a broken package
        raise LoadError(f"not a readable PowerPoint presentation ({type(exc).__name__}: {exc})"[:300]) from exc
    blocks: list[Block] = []
    counts: dict[str, list[int]] = {kind: [] for kind in _UNREAD}  # the slide of each one, repeated
    hidden: list[int] = []
    slides = list(deck.slides)
    for number, slide in enumerate(slides, start=1):
        if deadline is not None:
            deadline.check(f"slide {number}")
        if slide.element.get("show") in ("0", "false"):
            hidden.append(number)
        title_shape = _title_shape(slide)
        if title_shape is not None:
            title = _frame_text(title_shape.text_frame, " ")
            if title:
                blocks.append(Block("heading", title, number, 1))
        title_id = title_shape.shape_id if title_shape is not None else None
        others = [s for s in slide.shapes if s.shape_id != title_id]  # proxies are new objects each time
        blocks.extend(_shapes_blocks(others, number, counts))
        notes = _notes_text(slide)
        if notes:
            blocks.append(Block("paragraph", NOTES_PREFIX + notes, number))
    warnings = [_unread_warning(kind, pages) for kind, pages in counts.items() if pages]
    if hidden:
        several = len(hidden) != 1
        warnings.append(f"slide{'s' if several else ''} {_listed(hidden)} {'are' if several else 'is'} hidden in the "
                        "deck: indexed like the others")
    props = deck.core_properties
    head = "\n".join(b.text for b in blocks if b.page == 1 and not b.text.startswith(NOTES_PREFIX))  # the cover
    return LoadedDocument("pptx", blocks, page_count=len(slides), title=(props.title or "").strip() or None,
                          author=(props.author or "").strip() or None, head_text=head[:6000], warnings=warnings)


def _title_shape(slide: Any) -> Any:
    """The slide's title placeholder, or None (a slide laid out without one)."""
    for shape in slide.placeholders:
        kind = shape.placeholder_format.type
        if kind is not None and kind.name in _TITLE_TYPES and shape.has_text_frame:
            return shape
    return None


def reading_order(shapes: Iterable[Any]) -> list[Any]:
    """Top to bottom by rows, left to right within a row. A shape without a position (rare: a placeholder
    whose layout gives none) comes after the placed ones, in document order."""
    placed = [s for s in shapes if s.top is not None and s.left is not None]
    unplaced = [s for s in shapes if s.top is None or s.left is None]
    placed.sort(key=lambda s: (s.top, s.left))
    rows: list[list[Any]] = []
    for shape in placed:
        if rows and shape.top - rows[-1][0].top <= ROW_TOLERANCE_EMU:
            rows[-1].append(shape)
        else:
            rows.append([shape])
    return [s for row in rows for s in sorted(row, key=lambda s: s.left)] + unplaced


def _shapes_blocks(shapes: Iterable[Any], page: int, counts: dict[str, list[int]]) -> Iterator[Block]:
    from pptx.enum.shapes import MSO_SHAPE_TYPE
    from pptx.shapes.graphfrm import GraphicFrame
    from pptx.shapes.picture import Picture

    for shape in reading_order(shapes):
        kind = shape.shape_type
        if kind == MSO_SHAPE_TYPE.GROUP:
            yield from _shapes_blocks(shape.shapes, page, counts)
        elif getattr(shape, "has_table", False) and shape.has_table:
            text = _table_text(shape.table)
            if text:
                yield Block("table", text, page)
        elif getattr(shape, "has_chart", False) and shape.has_chart:
            counts["chart"].append(page)
        elif isinstance(shape, Picture):  # a picture, or a picture placeholder holding one
            counts["picture"].append(page)
        elif isinstance(shape, GraphicFrame):  # neither table nor chart: SmartArt, an embedded object
            counts["object"].append(page)
        elif shape.has_text_frame:
            text = _frame_text(shape.text_frame, "\n")
            if text:
                yield Block("paragraph", text, page)


def _clean(text: str) -> str:
    return normalize_text(text.replace("\v", " ")).strip()  # \v: a line break inside a paragraph


def _frame_text(frame: Any, joiner: str) -> str:
    """A text frame's paragraphs, one line each (empty ones left out)."""
    return joiner.join(line for line in (_clean(p.text) for p in frame.paragraphs) if line)


def _table_text(table: Any) -> str:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            value = _clean(" ".join(p.text for p in cell.text_frame.paragraphs))
            if value and (not cells or cells[-1] != value):  # spanned cells repeat, as in the Word loader
                cells.append(value)
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _notes_text(slide: Any) -> str:
    if not slide.has_notes_slide:
        return ""
    frame = slide.notes_slide.notes_text_frame
    return _frame_text(frame, "\n") if frame is not None else ""


def _listed(pages: list[int]) -> str:
    slides = sorted(set(pages))
    return ", ".join(str(p) for p in slides[:12]) + (" …" if len(slides) > 12 else "")


def _unread_warning(kind: str, pages: list[int]) -> str:
    one, several = _UNREAD[kind]
    return (f"{len(pages)} {one if len(pages) == 1 else several} without text on "
            f"slide{'s' if len(set(pages)) != 1 else ''} {_listed(pages)}: not read (their content is not indexed)")
