"""The pages of a PDF without a text layer: what each holds, and OCR for those that are images.

A page is called scanned only when images cover a good part of it (`ingest.pdf_text.classify_pages`): of the 19
low-text pages in the policy PDFs none holds an image; they are blank, dividers or vector art (docs/ocr.md). Those
are counted in one line; a scanned page is rendered and read by OCR (`ingest.ocr`), its paragraphs marked with their
confidence, within bounds: at most `max_pages` pages per document, `page_seconds` per page, and never past the
file's reading deadline (the pages left are named in a warning, the rest of the document is kept).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ingest.limits import Deadline
from ingest.ocr import OcrFailed, OcrSettings, OcrUnavailable, languages_to_use, ocr_image
from ingest.pdf_text import classify_pages, render_page_png
from ingest.records import Block
from ingest.textclean import normalize_text


@dataclass
class LowTextPages:
    """What became of the low-text pages: OCR blocks by page (1-based), the pages of each kind, warnings."""

    blocks: dict[int, list[Block]] = field(default_factory=dict)
    scanned: list[int] = field(default_factory=list)  # pages that are images
    quiet: list[int] = field(default_factory=list)  # blank or drawn (or that pdfium cannot look at)
    read: list[int] = field(default_factory=list)  # scanned pages OCR read text from
    ocr_notes: list[str] = field(default_factory=list)  # what OCR read, or why it did not
    seconds: float = 0.0  # spent in OCR

    @property
    def warnings(self) -> list[str]:
        """The load report's lines: what OCR read, or why it did not. Blank and drawn pages are no doubt about
        the reading: they are counted quietly, in the document's metadata (`metadata`), never warned of."""
        return list(self.ocr_notes)

    @property
    def metadata(self) -> dict[str, str]:
        """`pages_without_text`: the blank or drawn pages (e.g. "2 pages (3–4) blank or drawn"), shown in the
        document's `extra`."""
        return {"pages_without_text": f"{_pages(self.quiet)} blank or drawn"} if self.quiet else {}

    def refusal(self, page_count: int) -> str:
        """Why a PDF with no text at all is refused: why its scanned pages were not read, or that there are none."""
        if self.ocr_notes:
            return f"no text on any of its {page_count} pages: " + "; ".join(self.ocr_notes)
        return f"no text on any of its {page_count} pages (they are blank or drawn: nothing to read)"


def page_ranges(pages: list[int]) -> str:
    """[3,4,5,9] → "3–5, 9"."""
    out: list[str] = []
    start = prev = None
    for p in pages + [None]:  # type: ignore[list-item]
        if start is None:
            start = prev = p
        elif p is not None and prev is not None and p == prev + 1:
            prev = p
        else:
            out.append(f"{start}" if start == prev else f"{start}–{prev}")
            start = prev = p
    return ", ".join(out)


def _pages(pages: list[int]) -> str:
    return f"page {pages[0]}" if len(pages) == 1 else f"{len(pages)} pages ({page_ranges(pages)})"


def read_low_text_pages(data: bytes, pages: list[int], settings: OcrSettings | None = None,
                        deadline: Deadline | None = None) -> LowTextPages:
    """Classify the given low-text pages (1-based) of the PDF `data`; OCR those that are images, within bounds."""
    settings = settings or OcrSettings()
    found = LowTextPages()
    if not pages:
        return found
    kinds = classify_pages(data, [p - 1 for p in pages])
    for page in pages:
        content = kinds.get(page - 1)
        (found.scanned if content is not None and content.kind == "image" else found.quiet).append(page)
    if not found.scanned:
        return found
    if not settings.enabled:
        found.ocr_notes.append(f"{_pages(found.scanned)} scanned, not read: OCR is off (setting CWG_OCR)")
        return found
    try:
        languages = languages_to_use(settings)
    except OcrUnavailable as exc:
        found.ocr_notes.append(f"{_pages(found.scanned)} scanned, not read: {exc}")
        return found
    _ocr_pages(data, found, settings, languages, deadline)
    return found


def _ocr_pages(data: bytes, found: LowTextPages, settings: OcrSettings, languages: str,
               deadline: Deadline | None) -> None:
    started = time.monotonic()
    todo = found.scanned[: settings.max_pages]
    over_cap = found.scanned[settings.max_pages:]
    left: list[int] = []  # not read: the program broke, or the reading time ran out
    failed: list[str] = []
    empty: list[int] = []
    for position, page in enumerate(todo):
        if deadline is not None and time.monotonic() - deadline.started > deadline.seconds:
            found.ocr_notes.append(f"{_pages(todo[position:])} scanned, not read: OCR stopped at the file's "
                                  f"reading time limit (setting CWG_MAX_PARSE_SECONDS)")
            break
        try:
            result = ocr_image(render_page_png(data, page - 1, settings.dpi), settings, languages)
        except OcrFailed as exc:
            failed.append(f"page {page}: {exc}")
            continue
        except OcrUnavailable as exc:  # the program vanished or broke between pages
            failed.append(f"page {page}: {exc}")
            left = todo[position + 1:]
            break
        blocks = [Block("paragraph", text, page, ocr_confidence=p.confidence)
                  for p in result.paragraphs if (text := normalize_text(p.text).strip())]
        if blocks:
            found.blocks[page] = blocks
            found.read.append(page)
        else:
            empty.append(page)
    found.seconds = time.monotonic() - started
    if found.read:
        found.ocr_notes.append(f"{_pages(found.read)} scanned, read by OCR ({found.seconds:.0f} s)")
    if empty:
        found.ocr_notes.append(f"{_pages(empty)} scanned, OCR found no text")
    if failed:
        found.ocr_notes.append("OCR failed on " + "; ".join(failed))
    if left:
        found.ocr_notes.append(f"{_pages(left)} scanned, not read: OCR stopped")
    if over_cap:
        found.ocr_notes.append(f"{_pages(over_cap)} scanned, not read: past the limit of {settings.max_pages} OCR pages "
                              f"per document (setting CWG_OCR_MAX_PAGES)")
