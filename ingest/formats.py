"""Decide a file's format from its content (magic bytes), never from its name alone."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ingest.encoding import looks_like_utf16
from ingest.errors import LoadError

BINARY_EXTENSIONS = {".pdf": "pdf", ".docx": "docx"}
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


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "word/document.xml" in zf.namelist()
    except zipfile.BadZipFile:
        return False


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
        kind = "docx" if _is_docx(data) else "binary"
    if kind == "ole":
        raise LoadError("legacy binary Word/Office file (.doc/.xls): save it as .docx or PDF first")
    claimed = BINARY_EXTENSIONS.get(ext) or TEXT_EXTENSIONS.get(ext)
    if kind in ("pdf", "docx"):
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
