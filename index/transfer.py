"""`cwg migrate`: copy a whole index into an empty one of either kind (folder ↔ PostgreSQL), nothing re-embedded.

Everything the source holds goes along: documents with their text, metadata, quality and quality signals;
chunks with their ids (labels and citations name chunks by id); every vector space; labels and the tagging
state that names them; the curators' history in its order; the originals. The destination gets the
source's manifest (model, spaces, chunking). The copy is one write transaction in the destination: a copy
that is killed leaves it empty (a folder's originals written meanwhile are swept by its next writer), and
the source is only read, in one snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.embedders import Embedder
from index.folder import IndexFolder
from index.pg_connections import safe_location
from index.records import COPIED_TABLES
from ingest.errors import CwgError


class TransferError(CwgError):
    """The destination cannot take the copy (not empty, another model, the same index)."""


@dataclass
class TransferReport:
    source: str
    destination: str
    rows: dict[str, int] = field(default_factory=dict)  # table → rows copied
    vectors: dict[str, int] = field(default_factory=dict)  # space → vectors copied
    originals: int = 0
    state: list[str] = field(default_factory=list)  # state records copied (tagging, quality signals path…)

    def to_json(self) -> dict[str, object]:
        return {"from": safe_location(self.source), "to": safe_location(self.destination), "rows": self.rows, "vectors": self.vectors,
                "originals": self.originals, "state": self.state}

    def summary(self) -> str:
        rows = ", ".join(f"{n} {table}" for table, n in self.rows.items())
        vectors = ", ".join(f"{n} {space}" for space, n in self.vectors.items())
        return (f"copied {safe_location(self.source)} → {safe_location(self.destination)}: {rows}; "
                f"vectors {vectors or 'none'}; {self.originals} originals")


def copy_index(source: IndexFolder, destination: Path | str, *, embedders: dict[str, Embedder] | None = None,
               progress: Callable[[str, int], None] | None = None) -> TransferReport:
    """Copy `source` into the empty index at `destination` (a folder, made when missing, or a PostgreSQL URI)."""
    if str(destination) == source.location:
        raise TransferError("--from and --to name the same index")
    target = IndexFolder.open(destination, create=True, embedders=embedders, dtype=source.manifest.dtype)
    try:
        with target.store.snapshot():
            held = target.store.document_count()
        if held:
            raise TransferError(f"{safe_location(target.location)} holds {held} documents already: "
                                f"migrate into a new, empty index")
        report = TransferReport(source.location, target.location)
        target.save_manifest(source.manifest)  # before any row: the copy is of this model and these spaces
        src, dst = source.store, target.store
        with src.snapshot(), dst.transaction() as conn:
            for table in COPIED_TABLES:
                report.rows[table] = 0
                for rows in src.export_rows(table):
                    dst.import_rows(conn, table, rows)
                    report.rows[table] += len(rows)
                    if progress:
                        progress(table, len(rows))
            for space in source.spaces:
                report.vectors[space] = 0
                for ids, matrix in src.vector_batches(space, source.dimension(space)):
                    dst.import_vectors(conn, space, ids, matrix)
                    report.vectors[space] += len(ids)
                    if progress:
                        progress(space, len(ids))
            for key, value in sorted(src.state_keys().items()):
                dst.set_state(conn, key, value)
                report.state.append(key)
            for name in sorted(src.stored_files()):
                try:
                    with source.open_original(name) as handle:
                        data = handle.read()
                except OSError:
                    continue  # the source lost that copy: the document is copied without it, as it was
                target.keep_original(name, data)
                report.originals += 1
            dst.finish_import(conn)
        target.refresh_vectors(load=False)
        return report
    finally:
        target.close()
