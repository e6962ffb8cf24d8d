"""The store: the named operations every layer above the index calls, and both stores implement.

`SqliteStore` (index/store.py: one SQLite file, FAISS beside it) and `PostgresStore` (index/pg_store.py: one
database, pgvector) are siblings: neither inherits the other, each defines every operation below (what they
share is index/store_tables.py and index/state_caches.py, over index/sql_dialect.py's two dialects).
`tests/index/test_store_contract.py` holds both to the same answers; `tests/index/test_store_protocol.py` to
this list. SQL stays inside `index/` (`tests/test_store_boundary.py`): callers name operations, not statements.

Reads are consistent inside `snapshot()` (one committed state for every read in it); a read outside one sees
the latest committed state. Writes are one transaction each: all of it or nothing, after every other writer's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Any, BinaryIO, Protocol, runtime_checkable

import numpy as np

from index.facet_table import FacetTable
from index.filters import Filters
from index.manifest import IndexManifest
from index.records import ChunkRecord, DocumentRecord, DocumentTarget, LexicalPostings, WriteOutcome
from index.vectors import VectorIndex
from ingest.quality import QualityProfile
from ingest.records import PreparedDocument

Query = np.ndarray | Future[np.ndarray]  # a unit query vector, or the encoder's future of one
Matches = tuple[np.ndarray, np.ndarray]  # (chunk ids, scores; higher is better), best first


@runtime_checkable
class Store(Protocol):
    # --- transactions ----------------------------------------------------------------------------------
    def snapshot(self) -> AbstractContextManager[Any]:
        """A read transaction: every read inside sees one committed state. Nests (an inner snapshot joins the
        open one), so a search and the facet counts of its results read the same state."""

    def transaction(self, counter: str = "generation") -> AbstractContextManager[Any]:
        """One write transaction, after every other writer's (any thread, process or replica); it bumps
        `counter`: "generation" when documents, chunks or labels change (every derived cache is rebuilt),
        "marks" when only curation statuses or quality scores do. Yields the store's own write handle: pass
        it back to `set_state` and the `import_*` operations, nowhere else."""

    def close(self) -> None: ...

    # --- state ------------------------------------------------------------------------------------------
    def generation(self) -> int:
        """Bumped by every write of documents, chunks or labels (what caches of derived data are keyed by)."""

    def marks_generation(self) -> int:
        """Bumped by every write of curation statuses or quality scores."""

    def store_id(self) -> str:
        """A random id given to this store when it was made (a cache names the store it was derived from)."""

    def state_record(self, key: str) -> dict[str, object] | None:
        """A JSON record kept in the store's state under `key` (the tagging state, …), or None."""

    def state_keys(self) -> dict[str, str]:
        """The state records a copy of the store takes along (not its counters, id or log bookkeeping)."""

    def set_state(self, conn: Any, key: str, value: str) -> None:
        """Keep `value` under `key`, inside `transaction()` (`conn`: its handle)."""

    def save_manifest(self, manifest: IndexManifest) -> None:
        """Record the index's manifest where this store keeps it (beside the SQLite file; in the database)."""

    # --- documents ----------------------------------------------------------------------------------------
    def documents(self, filters: Filters | None = None) -> list[DocumentRecord]:
        """The documents passing `filters`, by meeting, source, title and id (with chunk count, quality and
        latest curation status)."""

    def documents_by_id(self, ids: list[str]) -> dict[str, DocumentRecord]:
        """The documents with these ids (ids that name none are left out)."""

    def document(self, document_id: str) -> DocumentRecord:
        """One document; `NotFound` when there is none."""

    def document_text(self, document_id: str) -> str:
        """A document's whole text; `NotFound` when there is none."""

    def document_ids(self, filters: Filters) -> list[str]:
        """Ids of the documents passing `filters`, in the order of `documents` (kept per state of the index)."""

    def document_count(self) -> int: ...

    def document_values(self, field: str, filters: Filters | None = None) -> list[tuple[str, str | None]]:
        """(document id, value of `field`) for the documents passing `filters`; `ValueError` for a field that
        is not a document column."""

    def indexed_already(self, target: DocumentTarget, file_hash: str, entry: dict[str, str]
                        ) -> tuple[DocumentRecord | None, DocumentRecord | None]:
        """(the document that holds these bytes with this entry already, the document a write would replace); at
        most one is set. Same key (`target.key`, a path) with other bytes, or an entry that changes a field: that
        document is replaced. No document under the key: the same bytes indexed elsewhere count as indexed (with
        no entry of their own, or the same one). `target.document_id`: exactly that document is replaced."""

    def write_document(self, target: DocumentTarget, prepared: PreparedDocument, embed_hashes: list[str],
                       vectors: dict[str, np.ndarray], entry: dict[str, str],
                       place_file: Callable[[str], str | None] | None = None) -> WriteOutcome:
        """Write `prepared` with its chunks, lexical rows and vectors (a matrix per space, a row per chunk
        ordinal) as the document `target` names, decided inside the write transaction (two writers never take
        one id). `place_file(document_id)` runs inside it too: it keeps the original and returns its name."""

    def remove_document(self, document_id: str) -> DocumentRecord:
        """Delete a document with its chunks, lexical rows, vectors and labels; `NotFound` when there is none."""

    def set_collection(self, document_ids: list[str], collection: str) -> list[str]:
        """Move documents to `collection` (nothing encoded again); returns the ids moved. `NotFound` rolls
        back; `ValueError` for an unknown collection."""

    def set_sources(self, changes: dict[str, tuple[str, str]]) -> list[str]:
        """Give documents a new (source, actor type) (nothing read or encoded again; index/sources.py decides
        them), in one transaction; returns the ids changed."""

    # --- originals ----------------------------------------------------------------------------------------
    def stored_files(self) -> set[str]:
        """Names of the originals that committed documents point to."""

    def keep_file(self, name: str, data: bytes) -> None:
        """Keep an original under `name`, inside the write transaction that points a document to it."""

    def open_file(self, name: str) -> BinaryIO:
        """An original as kept (`OSError`, `FileNotFoundError` included, when it is not). Open it in a snapshot."""

    def drop_file(self, name: str) -> None:
        """Delete an original no committed document points to any more (after the write that replaced it)."""

    def sweep_files(self) -> None:
        """Delete originals no committed document points to (a killed write's), inside a write transaction."""

    # --- quality and curation -----------------------------------------------------------------------------
    def write_quality(self, profiles: dict[str, QualityProfile], path: str | None = None) -> int:
        """Keep these documents' quality profiles (one transaction, "marks"); returns how many were written.
        `path`: the signals file they were scored with ("" for the shipped one; None leaves it as it was)."""

    def quality_signals_path(self) -> str:
        """The signals file the index was last scored with ("" for the shipped one)."""

    def quality_signals(self, document_id: str) -> list[dict[str, object]]:
        """A document's signals: id, found, evidence text, page and place in its text."""

    def quality_inputs(self, only_missing: bool = False
                       ) -> Iterator[tuple[str, str, list[tuple[int, int, int | None]]]]:
        """(document id, text, chunk spans with pages) of every document (or of those without a profile)."""

    def curate(self, document_id: str, status: str, reason: str, curator: str) -> dict[str, str]:
        """Append a curator's status to a document's history; `NotFound`, `ValueError` for an unknown status."""

    def curation_history(self, document_id: str | None = None) -> list[dict[str, str]]:
        """Every status given (to one document, or to all), oldest first."""

    def import_curation(self, events: list[dict[str, str]]) -> int:
        """Append exported history events this store does not hold yet; returns how many were added."""

    def correct_quality(self, document_id: str, signal: str, verdict: str, quote: str, reason: str,
                        curator: str) -> dict[str, str]:
        """Append a curator's verdict on one quality signal (confirmed or rejected, with the quote that shows it,
        "" when none) to the document's corrections; `NotFound`, `ValueError` for an unknown signal or verdict."""

    def quality_corrections(self, document_id: str | None = None) -> list[dict[str, str]]:
        """Every correction (of one document, or of all), oldest first."""

    # --- labels and facets --------------------------------------------------------------------------------
    def has_labels(self) -> bool: ...

    def replace_labels(self, labels: list[tuple[str, str, str, float, int | None]], state_key: str,
                       state: dict[str, object]) -> None:
        """Replace every label (document id, facet, label, score, evidence chunk id) and keep `state` under
        `state_key`, in one transaction (a new generation)."""

    def labels_of(self, document_ids: list[str]) -> dict[str, set[tuple[str, str]]]:
        """document id → its (facet, label) pairs (empty for an untagged document)."""

    def document_labels(self, document_id: str) -> list[dict[str, object]]:
        """A document's labels with score and evidence chunk, by facet, best first."""

    def facet_labels(self, facet: str, filters: Filters | None = None) -> list[tuple[str, str]]:
        """(document id, label) of one facet's labels, for the documents passing `filters`."""

    def facet_table(self, state: tuple[int, int] | None = None) -> FacetTable:
        """Every document's facet values as codes, read once per (generation, marks)."""

    # --- chunks -------------------------------------------------------------------------------------------
    def chunk_count(self) -> int: ...

    def chunks_of(self, document_id: str) -> list[ChunkRecord]:
        """A document's chunks in reading order."""

    def chunks_by_id(self, ids: list[int]) -> dict[int, ChunkRecord]:
        """The chunks with these ids (ids that name none are left out)."""

    def chunk_texts(self) -> list[tuple[int, str, str]]:
        """(chunk id, document id, text) of every chunk, by document, then reading order."""

    def chunk_document_paths(self) -> dict[int, str]:
        """chunk id → the path its document was ingested from."""

    def chunk_ids(self, filters: Filters) -> np.ndarray:
        """Ids (ascending, read-only) of the chunks whose document passes `filters` (kept per state)."""

    def chunk_owners(self, chunk_ids: list[int]) -> dict[int, str]:
        """chunk id → its document's id, for the ids that exist."""

    def chunk_documents(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """(codes, names): the document of chunk i is names[codes[i]]; -1 for a chunk that is gone."""

    def chunk_languages(self, chunk_ids: list[int]) -> list[str]:
        """The language of each chunk's document, in the order given ('' for a chunk that is gone)."""

    def sample_chunk_texts(self, limit: int) -> list[str]:
        """The texts of up to `limit` chunks spread evenly over the index (background statistics)."""

    # --- lexical ------------------------------------------------------------------------------------------
    def fts_row_counts(self, words: list[str]) -> dict[str, int]:
        """word → the number of chunks whose lexical row holds it (as FTS5's tokenizer indexes it)."""

    def bm25_candidates(self, terms: list[str], weights: tuple[float, ...], limit: int, *,
                        allowed: np.ndarray | None = None, filters: Filters | None = None) -> Matches:
        """The best `limit` chunks holding any of the query words `terms` by FTS5's BM25 with these column
        weights (title, section, text), among `allowed` chunk ids when given, else among the chunks whose
        document passes `filters`."""

    def lexical_postings(self, terms: list[str]) -> LexicalPostings:
        """The postings of these index terms (as FTS5's tokenizer writes them: `FtsTerms.terms`; a term no
        chunk holds has none) and the totals BM25 reads, all in one state of the index (index/lexical_arrays.py
        scores them)."""

    # --- vectors ------------------------------------------------------------------------------------------
    def vector_count(self, space: str) -> int: ...

    def cached_vectors(self, document_id: str, space: str) -> dict[str, np.ndarray]:
        """embed_hash → vector of a document's chunks now (reused when it is written again)."""

    def vector_batches(self, space: str, dimension: int, batch: int = 65_536) -> Iterator[Matches]:
        """(chunk ids, matrix) of one space in ascending id order, `batch` rows at a time."""

    def vectors_for(self, space: str, chunk_ids: list[int], dimension: int) -> np.ndarray:
        """The vectors of these chunks, in the order given (zeros for a chunk without one)."""

    def vectors_of(self, space: str, chunk_ids: np.ndarray, dimension: int) -> Matches:
        """(ids ascending, matrix) of those `chunk_ids` that have a vector in `space` now."""

    def nearest_soon(self, space: str, query: Query, k: int, allowed: np.ndarray | None,
                     local_index: Callable[[str], VectorIndex]) -> Future[Matches]:
        """The `k` chunks nearest to a unit `query` among `allowed` (filters apply before top-k), as a future,
        in this thread's snapshot: searched in `local_index(space)` (the process's FAISS index, kept by
        index/vector_sync.py) by a store that keeps no vector index of its own, else in the store's."""

    # --- the log of vector changes (what a cached vector index catches up from) ------------------------------
    def vector_seq(self) -> int:
        """The number of the last committed change of the vectors (0: none yet)."""

    def vector_log_floor(self) -> int:
        """Changes up to this number were pruned: a cache older than it cannot catch up from the log."""

    def vector_change(self, seq: int) -> tuple[str, int] | None:
        """(space, chunk id) of change `seq`, if the log holds it."""

    def changed_vector_ids(self, space: str, after: int) -> np.ndarray:
        """Ids (ascending, distinct) of the chunks whose `space` vector was written or removed after `after`."""

    def prune_vector_changes(self, upto: int) -> None:
        """Forget the changes up to `upto`; a store that cannot write now (read-only, busy) keeps them."""

    # --- copying a whole store (`cwg migrate`, index/transfer.py) ---------------------------------------------
    def export_rows(self, table: str, batch: int = 5_000) -> Iterator[list[tuple[object, ...]]]:
        """The rows of one of `COPIED_TABLES` in its columns' order, `batch` at a time; JSON fields as text."""

    def import_rows(self, conn: Any, table: str, rows: list[tuple[object, ...]]) -> None:
        """Write exported rows into this empty store, inside `transaction()` (chunks keep their ids)."""

    def import_vectors(self, conn: Any, space: str, ids: np.ndarray, matrix: np.ndarray) -> None:
        """Write exported vectors of `space`, inside `transaction()`."""

    def finish_import(self, conn: Any) -> None:
        """After the last `import_*` of a copy, in its transaction (indexes built once)."""

    # --- re-embedding the stored texts (`cwg reindex`) ----------------------------------------------------
    def embedding_inputs(self) -> list[tuple[int, str, str, str]]:
        """(chunk id, title, section, text) of every chunk, by id: what a new vector space encodes. A store that
        cannot be re-embedded in place raises `IndexOpenError` saying what to do instead."""

    def replace_vectors(self, space: str, ids: list[int], matrix: np.ndarray | None) -> None:
        """Every vector of `space` replaced by these (None: the space dropped), in one transaction (a new
        generation)."""
