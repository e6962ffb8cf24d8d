"""What a store hands out and takes in: documents and chunks as read back, the target and outcome of a write.

Both stores (index/store.py, index/pg_store.py) build these from their rows and every layer above reads
them; `DOCUMENT_COLUMNS` and `COPIED_TABLES` name the columns the two stores' tables share.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ingest.quality import quality_band

DOCUMENT_COLUMNS = ("id", "path", "file_name", "file_hash", "stored_file", "format", "title", "source",
                    "country", "region", "doc_type", "actor_type", "meeting", "date", "language", "pages", "extra",
                    "warnings", "entry", "added_at", "collection")
CHUNK_COLUMNS = ("id", "document_id", "ordinal", "text", "section", "page_start", "page_end", "char_start",
                 "char_end", "content_hash", "embed_hash")

# What `cwg migrate` copies, table by table (in this order: rows refer to those of the tables before them)
COPIED_TABLES: dict[str, tuple[str, ...]] = {
    "documents": (*DOCUMENT_COLUMNS, "text", "quality"),
    "chunks": CHUNK_COLUMNS,
    "labels": ("document_id", "facet", "label", "score", "evidence_chunk_id"),
    "quality_signals": ("document_id", "signal", "found", "evidence", "page", "char_start", "char_end"),
    "curation": ("document_id", "status", "reason", "curator", "at"),
}
# state that belongs to one store and is never copied: its counters, its id, its vector log's floor, its manifest
STORE_OWN_STATE = frozenset({"generation", "marks", "vector_log", "store_id", "vector_log_floor", "manifest"})


@dataclass
class DocumentRecord:
    id: str
    path: str
    file_name: str
    file_hash: str
    stored_file: str | None
    format: str
    title: str
    source: str
    country: str
    region: str
    doc_type: str
    actor_type: str
    meeting: str
    date: str
    language: str
    pages: int | None
    extra: dict[str, str]
    warnings: list[str]
    entry: dict[str, str]
    added_at: str
    collection: str = ""  # contributions (the group's meeting documents) or library (reference material)
    chunks: int = 0
    quality: float | None = None  # the quality profile's score in [0, 1] (None until computed)
    curation: str = "none"  # the curator's latest status

    @classmethod
    def from_row(cls, values: dict[str, Any]) -> DocumentRecord:
        """From a row of `DOCUMENT_COLUMNS` plus `chunks`, `quality` and `curation` (by name). JSON fields come
        as text from SQLite, already decoded from PostgreSQL's jsonb."""
        values = dict(values)
        values["chunks"] = values.get("chunks") or 0
        values["curation"] = values.get("curation") or "none"
        for key in ("extra", "entry", "warnings"):
            if isinstance(values[key], str):
                values[key] = json.loads(values[key])
        return cls(**values)

    def to_json(self) -> dict[str, object]:
        """The document as the CLI (`--json`) and the HTTP API show it: metadata, never server paths."""
        return {"document_id": self.id, "title": self.title, "source": self.source, "country": self.country,
                "region": self.region, "doc_type": self.doc_type, "actor_type": self.actor_type,
                "meeting": self.meeting, "date": self.date, "language": self.language, "collection": self.collection,
                "format": self.format,
                "pages": self.pages, "chunks": self.chunks, "file_name": self.file_name, "added_at": self.added_at,
                "has_file": bool(self.stored_file), "quality": self.quality, "quality_band": quality_band(self.quality),
                "curation": self.curation, "extra": self.extra, "warnings": self.warnings}

    @property
    def source_key(self) -> str:
        """What `--per-source` groups by: the source, or the document itself when none is known."""
        return self.source.lower() or f"doc:{self.id}"


@dataclass
class ChunkRecord:
    id: int
    document_id: str
    ordinal: int
    text: str
    section: str
    page_start: int | None
    page_end: int | None
    char_start: int
    char_end: int
    content_hash: str
    embed_hash: str


@dataclass(frozen=True)
class DocumentTarget:
    """Which document a write goes to; the store decides it inside the write transaction.

    `key` (a file's path for `cwg ingest`): the same key is the same document. No key (uploads): a new
    document under a new id (its key becomes `new_key_prefix` + id) unless the same bytes are indexed.
    `document_id`: replace exactly that document's file (it keeps its id, key and entry).
    """

    slug: str
    key: str | None = None
    document_id: str | None = None
    new_key_prefix: str = "upload:"


@dataclass(frozen=True)
class WriteOutcome:
    status: str  # added / updated / unchanged
    document_id: str
    replaced_file: str | None = None  # the stored copy the write made obsolete (to delete after commit)


def merged_entry(earlier: dict[str, str], given: dict[str, str]) -> dict[str, str]:
    """The metadata entry of a document written again under its key: what was given before, with what is
    given now on top. A manifest row or an upload field changes a field; leaving it out does not (a folder
    ingested again without its manifest keeps the manifest's meeting, date, source and types)."""
    return {**earlier, **given}
