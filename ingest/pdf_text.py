"""The text of a PDF, page by page: pdfium (pypdfium2) first, pypdf where pdfium reads worse.

Why (`bench/pdf_parsers.py`, 42 policy PDFs, 1,318 pages): pdfium is compiled and ~18x faster than
pypdf, numbers the pages the same way, and their words agree (difflib ratio 0.996 over word
sequences). It reads the Hindi guide's conjuncts that pypdf turns into NULs, and it splits fewer words
inside (pypdf: "technolo gy", "be twe e n"); it glues more words in a few French briefs. pypdf stays for:
- a file pdfium cannot open, or in which it finds no pages: pypdf reads the whole file, or its errors
  say why the file is refused (as before pdfium);
- a page whose pdfium text is empty or garbled (`usable_page`), or holds Arabic letters (pdfium spells
  a third of the Arabic guides' words backwards: "ةسلج" for "جلسة"): pypdf's text for that page, when
  it is usable.

pdfium is not thread-safe (two threads in it crash the process): every call into it holds
`_PDFIUM_LOCK`, and every pdfium object is closed inside the lock.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Literal

from ingest.errors import LoadError
from ingest.limits import Deadline
from ingest.textclean import normalize_text

MIN_PAGE_CHARS = 16  # fewer extractable characters than this: the page has no text layer
GARBLED_SHARE = 0.2  # a page whose visible characters are this much NUL/U+FFFD/private-use is garbled
_BAD_CHAR = re.compile("[\x00\ufffd\ue000-\uf8ff\U000f0000-\U0010ffff]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc]")
_PDFIUM_LOCK = threading.Lock()
# pdfium writes a hyphen that ends a line inside a word as U+FFFE and drops the line break
_PDFIUM_LINE_HYPHEN = re.compile(r"(?<=[^\W\d_])\ufffe(?=[^\W\d_])")  # between two letters
_FPDF_ERR_PASSWORD = 4


@dataclass
class PdfPages:
    """The raw text of every page (index 0 is page 1) and the file's own title and author."""

    pages: list[str]
    title: str | None = None
    author: str | None = None
    parser: str = "pdfium"
    fallback_pages: list[int] = field(default_factory=list)  # 1-based pages whose text came from pypdf


class PdfiumUnreadable(LoadError):
    """pdfium could not open the file or found no pages: pypdf reads it, or says why it cannot."""


def bad_char_share(text: str) -> float:
    """Share of the visible characters that are NUL, U+FFFD or private-use (undecodable glyphs)."""
    visible = len(text) - sum(c.isspace() for c in text)
    return len(_BAD_CHAR.findall(text)) / visible if visible else 0.0


def usable_page(text: str) -> bool:
    """A text layer worth indexing: at least MIN_PAGE_CHARS characters, under GARBLED_SHARE of them bad."""
    chars = len(normalize_text("".join(text.splitlines())).strip())  # as `load_pdf` counts a page's text
    return chars >= MIN_PAGE_CHARS and bad_char_share(text) < GARBLED_SHARE


def read_pdf(data: bytes, deadline: Deadline | None = None) -> PdfPages:
    """Every page's text by pdfium; by pypdf the file pdfium cannot open, and each page where pdfium's
    text is unusable or Arabic and pypdf's is usable."""
    try:
        primary = read_pdf_pdfium(data, deadline)
    except PdfiumUnreadable:
        return read_pdf_pypdf(data, deadline)
    weak = [i for i, text in enumerate(primary.pages) if not usable_page(text) or _ARABIC.search(text)]
    if weak:
        _fill_from_pypdf(primary, weak, data, deadline)
    return primary


def read_pdf_pdfium(data: bytes, deadline: Deadline | None = None) -> PdfPages:
    import pypdfium2 as pdfium

    with _PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if exc.err_code == _FPDF_ERR_PASSWORD:
                raise LoadError("encrypted PDF: it needs a password; save an unprotected copy") from exc
            raise PdfiumUnreadable(f"pdfium cannot open it ({exc})") from exc
        try:
            count = len(document)
            if count == 0:
                raise PdfiumUnreadable("pdfium finds no pages in it")
            pages = [_pdfium_page_text(document, index, deadline) for index in range(count)]
            info = document.get_metadata_dict(skip_empty=True)
        finally:
            document.close()
    return PdfPages(pages, (info.get("Title") or "").strip() or None, (info.get("Author") or "").strip() or None)


def _pdfium_page_text(document, index: int, deadline: Deadline | None) -> str:  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium

    if deadline is not None:
        deadline.check(f"page {index + 1}")
    try:
        page = document[index]
    except pdfium.PdfiumError:  # one broken page must not lose the others (pypdf may still read it)
        return ""
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
        finally:
            textpage.close()
    except pdfium.PdfiumError:
        return ""
    finally:
        page.close()
    return mend_pdfium_hyphens(text.replace("\r\n", "\n"))


def mend_pdfium_hyphens(text: str) -> str:
    """pdfium's line-end hyphen (U+FFFE): dropped between a letter and a lower-case letter, else "-"."""
    text = _PDFIUM_LINE_HYPHEN.sub(lambda m: "" if m.string[m.end()].islower() else "\ufffe", text)
    return text.replace("\ufffe", "-")


def read_pdf_pypdf(data: bytes, deadline: Deadline | None = None) -> PdfPages:
    """Every page by pypdf, as the loader did before pdfium: its errors are the loader's refusals."""
    reader = _open_pypdf(data)
    from pypdf.errors import PdfReadError

    try:
        pages = []
        for number, page in enumerate(reader.pages, start=1):
            if deadline is not None:
                deadline.check(f"page {number}")
            pages.append(_pypdf_page_text(page))
        info = reader.metadata or {}
        title = str(info.get("/Title") or "").strip() or None
        author = str(info.get("/Author") or "").strip() or None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise LoadError(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    if not pages:
        raise LoadError("PDF has no pages")
    return PdfPages(pages, title, author, parser="pypdf")


def _open_pypdf(data: bytes):  # type: ignore[no-untyped-def]
    import pypdf
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # missing AES support raises DependencyError
                raise LoadError(f"encrypted PDF could not be opened: {exc}") from exc
            if not ok:
                raise LoadError("encrypted PDF: it needs a password; save an unprotected copy")
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise LoadError(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    return reader


def _pypdf_page_text(page) -> str:  # type: ignore[no-untyped-def]
    try:
        return page.extract_text() or ""
    except Exception:  # one broken page must not lose the others
        return ""


def _fill_from_pypdf(pages: PdfPages, indexes: list[int], data: bytes, deadline: Deadline | None) -> None:
    """Replace the given pages' text by pypdf's where pypdf's is usable (a page it cannot read stays)."""
    try:
        reader = _open_pypdf(data)
        count = len(reader.pages)
    except Exception:  # pdfium opened what pypdf cannot: keep pdfium's pages
        return
    for index in indexes:
        if index >= count:
            break
        if deadline is not None:
            deadline.check(f"page {index + 1}")
        try:
            text = _pypdf_page_text(reader.pages[index])
        except Exception:  # a page object pypdf cannot even build
            continue
        if usable_page(text):
            pages.pages[index] = text
            pages.fallback_pages.append(index + 1)


# What a page without a text layer holds: only a page that is (mostly) an image is a scan worth OCR.
IMAGE_SHARE = 0.30  # images covering this share of the page: a scanned page (a logo or photo covers less)
INK_SHARE = 0.001  # rendered small, fewer non-white pixels than this share: a blank page
_INK_SCALE = 0.25  # 18 dpi is enough to see whether anything is drawn
_IMAGE_OBJECT = 3  # FPDF_PAGEOBJ_IMAGE
PageKind = Literal["image", "blank", "drawn"]


@dataclass(frozen=True)
class PageContent:
    """What a low-text page holds: `image` (a scan: images cover at least IMAGE_SHARE of it), `blank` (next to
    nothing visible) or `drawn` (vector art, a divider, a logo: ink but no large image)."""

    kind: PageKind
    image_share: float  # share of the page's area under image objects (forms included, capped at 1)
    ink_share: float  # share of non-white pixels when rendered at 18 dpi


def classify_pages(data: bytes, indexes: list[int]) -> dict[int, PageContent]:
    """What each of the given pages (0-based) holds, by pdfium's page objects and a small rendering; a page pdfium
    cannot open or render is left out (nothing is claimed about it)."""
    import pypdfium2 as pdfium

    found: dict[int, PageContent] = {}
    with _PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            return found
        try:
            for index in indexes:
                try:
                    page = document[index]
                except (pdfium.PdfiumError, IndexError):
                    continue
                try:
                    found[index] = _page_content(page)
                except pdfium.PdfiumError:
                    pass
                finally:
                    page.close()
        finally:
            document.close()
    return found


def _page_content(page) -> PageContent:  # type: ignore[no-untyped-def]
    width, height = page.get_size()
    area = max(width * height, 1.0)
    covered = 0.0
    for obj in page.get_objects(max_depth=8):  # inside form XObjects too
        if obj.type != _IMAGE_OBJECT:
            continue
        left, bottom, right, top = obj.get_bounds()
        covered += max(0.0, min(right, width) - max(left, 0.0)) * max(0.0, min(top, height) - max(bottom, 0.0))
    image_share = min(covered / area, 1.0)
    bitmap = page.render(scale=_INK_SCALE, grayscale=True)
    try:
        histogram = bitmap.to_pil().convert("L").histogram()
    finally:
        bitmap.close()
    ink_share = sum(histogram[:240]) / max(sum(histogram), 1)
    kind: PageKind = "image" if image_share >= IMAGE_SHARE else "blank" if ink_share < INK_SHARE else "drawn"
    return PageContent(kind, round(image_share, 4), round(ink_share, 4))


def render_page_png(data: bytes, index: int, dpi: int) -> bytes:
    """Page `index` (0-based) as a greyscale PNG at `dpi`, for OCR."""
    import pypdfium2 as pdfium

    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(data)
        try:
            page = document[index]
            try:
                bitmap = page.render(scale=dpi / 72, grayscale=True)
                try:
                    image = bitmap.to_pil().convert("L")
                finally:
                    bitmap.close()
            finally:
                page.close()
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()
