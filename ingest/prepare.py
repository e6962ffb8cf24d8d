"""One file → `PreparedDocument`: load, merge metadata, chunk. No model, no storage."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ingest.chunking import chunk_blocks
from ingest.errors import LoadError
from ingest.formats import SLIDE_FORMATS
from ingest.limits import ReadLimits
from ingest.loaders import load_file
from ingest.metadata import build_meta
from ingest.quality import assess
from ingest.records import PreparedDocument
from ingest.source_aliases import SourceAliases


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare_document(
    path: Path,
    data: bytes | None = None,
    entry: dict[str, str] | None = None,
    *,
    file_name: str | None = None,
    min_words: int = 150,
    max_words: int = 250,
    limits: ReadLimits | None = None,
    aliases: SourceAliases | None = None,
) -> PreparedDocument:
    """Read and chunk one file. Raises `LoadError` (with the reason) for a file we cannot use. `aliases`: the
    table its source is named by (the index's; the shipped vocabulary when None)."""
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    name = file_name or path.name
    loaded = load_file(path if file_name is None else Path(name), data, limits)
    text, chunks = chunk_blocks(loaded.blocks, min_words=min_words, max_words=max_words,
                                pages_apart=loaded.format in SLIDE_FORMATS)
    if not chunks:
        raise LoadError("no text found in the file (empty document)")
    meta = build_meta(loaded, name, text, entry, aliases)
    quality = assess(text, [(c.char_start, c.char_end, c.page_start) for c in chunks])
    return PreparedDocument(
        path=str(path),
        file_name=name,
        file_hash=file_sha256(data),
        format=loaded.format,
        meta=meta,
        text=text,
        page_count=loaded.page_count,
        chunks=chunks,
        warnings=list(loaded.warnings),
        quality=quality,
    )
