"""What a store hands out and takes in: documents and chunks as read back, the target and outcome of a write.

Both stores (index/store.py, index/pg_store.py) build these from their rows and every layer above reads
them; `DOCUMENT_COLUMNS` and `COPIED_TABLES` name the columns the two stores' tables share.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ingest.quality import quality_band
from ingest.records import Chunk, DocumentMeta

DOCUMENT_COLUMNS = ("id", "path", "file_name", "file_hash", "stored_file", "format", "title", "source",
                    "country", "region", "doc_type", "actor_type", "meeting", "date", "language", "pages", "extra",
                    "warnings", "entry", "added_at", "collection")
CHUNK_COLUMNS = ("id", "document_id", "ordinal", "text", "section", "page_start", "page_end", "char_start",
                 "char_end", "content_hash", "embed_hash", "ocr_confidence")

# What `cwg migrate` copies, table by table (in this order: rows refer to those of the tables before them)
COPIED_TABLES: dict[str, tuple[str, ...]] = {
    "documents": (*DOCUMENT_COLUMNS, "text", "quality"),
    "chunks": CHUNK_COLUMNS,
    "labels": ("document_id", "facet", "label", "score", "evidence_chunk_id"),
    "quality_signals": ("document_id", "signal", "found", "evidence", "page", "char_start", "char_end"),
    "curation": ("document_id", "status", "reason", "curator", "at"),
    "quality_corrections": ("document_id", "signal", "verdict", "quote", "reason", "curator", "at"),
}
# state that belongs to one store and is never copied: its counters, its id, its vector log's floor, its manifest
STORE_OWN_STATE = frozenset({"generation", "marks", "vector_log", "store_id", "vector_log_floor", "manifest"})


@dataclass(kw_only=True)
class DocumentRecord(DocumentMeta):
    """A document as the index holds it: its metadata (`DocumentMeta`'s fields, defined there once) and what the
    store keeps beside them."""

    id: str
    path: str
    file_name: str
    file_hash: str
    stored_file: str | None
    format: str
    pages: int | None
    warnings: list[str]
    entry: dict[str, str]
    added_at: str
    chunks: int = 0
    quality: float | None = None  # the quality profile's score in [0, 1] (None until computed)
    curation: str = "none"  # the curator's latest status

    @classmethod
    def from_row(cls, values: dict[str, Any]) -> DocumentRecord:
        """From a row of `DOCUMENT_COLUMNS` plus `chunks`, `quality` and `curation` (by name). JSON fields come
        as text from SQLite, already decoded from PostgreSQL's jsonb (copied: a row may be kept and read again,
        index/state_caches.py)."""
        values = dict(values)
        values["chunks"] = values.get("chunks") or 0
        values["curation"] = values.get("curation") or "none"
        for key in ("extra", "entry", "warnings"):
            value = values[key]
            values[key] = json.loads(value) if isinstance(value, str) else copy.deepcopy(value)
        return cls(**values)

    def to_json(self) -> dict[str, object]:
        """The document as the CLI (`--json`) and the HTTP API show it: its fields but the server's own
        (`PRIVATE_FIELDS`: paths, digests, the manifest entry), the id as `document_id`, and two facts read
        from them (`has_file`, `quality_band`)."""
        data: dict[str, object] = {"document_id": self.id}
        data.update((f.name, getattr(self, f.name)) for f in fields(self)
                    if f.name not in PRIVATE_FIELDS and f.name != "id")
        data.update(has_file=bool(self.stored_file), quality_band=quality_band(self.quality))
        return data

    @property
    def source_key(self) -> str:
        """What `--per-source` groups by: the source, or the document itself when none is known."""
        return self.source.lower() or f"doc:{self.id}"


# what a document's JSON never shows: where the server keeps its files, their digest, its manifest entry
PRIVATE_FIELDS = frozenset({"path", "file_hash", "stored_file", "entry"})


@dataclass(frozen=True, kw_only=True)
class ChunkRecord(Chunk):
    """A passage as the index holds it: the ingest `Chunk` (an exact slice of its document's text), its id, its
    document and the digest of what was embedded for it."""

    id: int
    document_id: str
    embed_hash: str

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> ChunkRecord:
        """From a row of `CHUNK_COLUMNS`, in their order."""
        return cls(**dict(zip(CHUNK_COLUMNS, row)))


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


@dataclass(frozen=True)
class TermPostings:
    """The chunks holding one lexical term: their ids (ascending, int64), the term's count in each column
    (title, section, text) of each ((n, 3) int32), and each chunk's token count over all columns (int32)."""

    ids: np.ndarray
    counts: np.ndarray
    lengths: np.ndarray


@dataclass(frozen=True)
class LexicalPostings:
    """What BM25 reads of the lexical index in one state: the postings of some terms, the rows (chunks) in
    the index and their tokens over all columns (the average row length)."""

    rows: int
    tokens: int
    terms: dict[str, TermPostings]
