"""Decide a file's format from its content (magic bytes), never from its name alone.

Zip packages are told apart by their parts: a Word document holds word/document.xml, a PowerPoint deck
ppt/presentation.xml, an OpenDocument its `mimetype` part. A legacy binary Office file (OLE compound file) is
named by the stream its program writes ("WordDocument", "PowerPoint Document"): .doc and .ppt are converted
when a converter is installed (ingest/legacy_office.py).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ingest.encoding import looks_like_utf16
from ingest.errors import LoadError

BINARY_EXTENSIONS = {".pdf": "pdf", ".docx": "docx", ".pptx": "pptx", ".odt": "odt"}
LEGACY_EXTENSIONS = {".doc": "doc", ".ppt": "ppt"}  # read through a converter when one is installed
# The document type a format implies when no manifest row, front matter or upload field names one.
DEFAULT_DOC_TYPES = {"pptx": "presentation", "ppt": "presentation"}
SLIDE_FORMATS = frozenset({"pptx", "ppt"})  # a page is a slide: passages never span two (ingest/prepare.py)
_ZIP_UNSUPPORTED = {  # packages recognised but not read: say what they are and what to do
    "xl/workbook.xml": "an Excel workbook (.xlsx): save the sheets to read as PDF",
    "application/vnd.oasis.opendocument.presentation": "an OpenDocument presentation (.odp): save it as .pptx or PDF",
    "application/vnd.oasis.opendocument.spreadsheet": "an OpenDocument spreadsheet (.ods): save it as PDF",
}
_OLE_STREAMS = {"doc": "WordDocument".encode("utf-16-le"), "ppt": "PowerPoint Document".encode("utf-16-le")}
TEXT_EXTENSIONS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
                   ".html": "html", ".htm": "html", ".xhtml": "html"}
SUPPORTED = ", ".join(sorted(set(BINARY_EXTENSIONS) | set(TEXT_EXTENSIONS)))


def sniff(head: bytes) -> str:
    """Name the format the first bytes show: pdf, zip, html, text, or binary."""
    if head[:1024].lstrip().startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith((b"\xd0\xcf\x11\xe0",)):
        return "ole"  # legacy .doc / .xls
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")):
        return "binary"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or (
        stripped.startswith((b"<!--", b"<?xml")) and b"<html" in stripped[:4096]
    ):
        return "html"
    if b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff")) \
            and not looks_like_utf16(head):
        return "binary"
    return "text"


def zip_kind(data: bytes) -> str:
    """docx, pptx or odt for a package we read; raise LoadError naming one we recognise but do not read,
    or a zip that cannot be opened (a truncated download); "binary" for any other zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype")[:100].decode("ascii", "replace").strip() if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise LoadError(f"a damaged zip package (an Office file cut short or corrupted?): {exc}") from exc
    except (KeyError, RuntimeError) as exc:  # an encrypted or malformed `mimetype` entry
        raise LoadError(f"a zip package whose parts cannot be read ({exc})") from exc
    if "word/document.xml" in names:
        return "docx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if mimetype == "application/vnd.oasis.opendocument.text":
        return "odt"
    for marker, what in _ZIP_UNSUPPORTED.items():
        if marker in names or marker == mimetype:
            raise LoadError(f"{what}; supported: {SUPPORTED}")
    return "binary"


def ole_kind(data: bytes) -> str:
    """doc or ppt for a legacy Office file, by the stream its program writes; LoadError for any other."""
    for kind, stream in _OLE_STREAMS.items():
        if stream in data:
            return kind
    raise LoadError("legacy binary Office file (.xls or another OLE file): save it as PDF or in a current format "
                    f"({SUPPORTED})")


def detect_format(path: Path, data: bytes) -> str:
    """Return the loader name for `data` read from `path`, or raise LoadError with the reason.

    A name that promises one format while the bytes hold another (an HTML page saved as `.pdf`)
    is refused: indexing it silently would cite a "PDF" that is not one.
    """
    if not data:
        raise LoadError("empty file (0 bytes)")
    ext = path.suffix.lower()
    kind = sniff(data[:8192])
    if kind == "zip":
        kind = zip_kind(data)
    if kind == "ole":
        return ole_kind(data)  # converted, or refused with advice, by the loader
    claimed = BINARY_EXTENSIONS.get(ext) or TEXT_EXTENSIONS.get(ext)
    if kind in ("pdf", "docx", "pptx", "odt"):
        if claimed not in (None, kind):
            raise LoadError(f"named {ext} but the content is {kind.upper()}: rename it to .{kind}")
        return kind
    if kind == "binary":
        raise LoadError(f"unsupported binary content (supported: {SUPPORTED})")
    if ext in BINARY_EXTENSIONS:
        found = "HTML" if kind == "html" else "text"
        raise LoadError(
            f"named {ext} but the content is {found}, not {BINARY_EXTENSIONS[ext].upper()}: "
            f"rename it to .{'html' if kind == 'html' else 'txt'} to index it"
        )
    if kind == "html":
        return "html"
    if claimed == "html":
        return "html"  # an HTML fragment without <html>
    return claimed or "text"
