"""Ingest files into an index folder: idempotent, one transaction per file, bad files reported.

Speed: files are read and chunked in a worker thread while the model encodes earlier ones (PDF
parsing holds the GIL, the model does not), and chunks of consecutive small files are encoded in
one batch, so a folder of many short files runs at the model's own rate (bench/ingest_throughput.py).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.folder import IndexFolder
from index.store import DocumentRecord
from ingest.errors import CwgError, LoadError
from ingest.formats import BINARY_EXTENSIONS, TEXT_EXTENSIONS
from ingest.prepare import file_sha256, prepare_document
from ingest.records import PreparedDocument

DOCUMENT_EXTENSIONS = set(BINARY_EXTENSIONS) | set(TEXT_EXTENSIONS) | {".doc"}
# Repository bookkeeping that sits beside documents in a folder; named explicitly, they are ingested.
_BOOKKEEPING = re.compile(r"^(readme|source|sources|license|licence|changelog|manifest)(\.[a-z]+)?$", re.IGNORECASE)
_FORMAT_SUFFIX = {"pdf": ".pdf", "docx": ".docx", "html": ".html", "markdown": ".md", "text": ".txt"}
LOOKAHEAD_FILES = 64  # files read and chunked ahead of the encoder …
LOOKAHEAD_BYTES = 64 * 1024 * 1024  # … holding at most this much file data (one file may exceed it)
BATCH_TEXTS = 128  # chunks of consecutive files encoded together (once they are ready)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # folder entries that are not documents

    def summary(self) -> str:
        return (f"added {len(self.added)}, updated {len(self.updated)}, "
                f"unchanged {len(self.unchanged)}, failed {len(self.failed)}")


@dataclass
class SourceFile:
    """One file to ingest: a path, or bytes under a name (`stored_path` keys it in the store)."""

    path: Path
    data: bytes | None = None
    entry: dict[str, str] = field(default_factory=dict)
    file_name: str | None = None
    stored_path: str | None = None


@dataclass
class _Pending:
    """A file on its way through the pipeline: read, hashed, then prepared (or failed)."""

    source: SourceFile
    key: str = ""
    data: bytes = b""
    file_hash: str = ""
    entry: dict[str, str] = field(default_factory=dict)
    status: str = ""  # "" while it is to be written, else unchanged / failed
    detail: str = ""
    prepared: Future[PreparedDocument] | None = None
    error: BaseException | None = None


def expand_paths(paths: Iterable[Path], exclude: set[Path] | None = None) -> tuple[list[Path], list[Path]]:
    """Files named directly, plus document files found (recursively) in folders; and what was skipped."""
    files: list[Path] = []
    skipped: list[Path] = []
    exclude = exclude or set()
    for path in paths:
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file()):
                rel_parts = found.relative_to(path).parts
                if any(part.startswith(".") for part in rel_parts) or found.resolve() in exclude:
                    continue
                if found.suffix.lower() not in DOCUMENT_EXTENSIONS or _BOOKKEEPING.match(found.name):
                    skipped.append(found)
                    continue
                files.append(found)
        else:
            files.append(path)
    return files, skipped


def document_slug(file_name: str) -> str:
    stem = Path(file_name).stem
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")[:60].strip("-")
    return slug or "document"


def embedding_text(title: str, section: str, text: str) -> str:
    """What the encoders see for a chunk: the document title and section give it context."""
    head = title if not section or text.startswith(section) else f"{title} — {section}"
    return f"{head}\n{text}" if head else text


class IndexWriter:
    def __init__(self, folder: IndexFolder, progress: Callable[[int, int], None] | None = None,
                 keep_files: bool = True) -> None:
        self.folder = folder
        self.store = folder.store
        self.progress = progress  # called with (chunks just embedded, chunks in this batch)
        self.keep_files = keep_files  # keep a copy of each original under files/ (to serve and cite it)

    def ingest(self, paths: Iterable[Path], entries: dict[Path, dict[str, str]] | None = None,
               on_result: Callable[[str, str, str], None] | None = None) -> IngestReport:
        """Ingest every file; `on_result(path, status, detail)` is told of each as it finishes."""
        entries = entries or {}
        return self.ingest_sources((SourceFile(p, entry=entries.get(p.resolve(), {})) for p in paths), on_result)

    def ingest_sources(self, sources: Iterable[SourceFile],
                       on_result: Callable[[str, str, str], None] | None = None) -> IngestReport:
        """Like `ingest`, for files given as `SourceFile`s (bytes in memory, a stored path of your own)."""
        report = IngestReport()
        for pending in self._pipeline(sources):
            path = str(pending.source.path)
            bucket = {"added": report.added, "updated": report.updated, "unchanged": report.unchanged}
            if pending.status == "failed":
                report.failed.append((path, pending.detail))
            else:
                bucket[pending.status].append(pending.detail)
            if on_result:
                on_result(path, pending.status, pending.detail)
        return report

    def ingest_file(self, path: Path, data: bytes | None = None, entry: dict[str, str] | None = None,
                    file_name: str | None = None, stored_path: str | None = None) -> tuple[str, str]:
        """Returns (status, document id) with status one of added / updated / unchanged."""
        source = SourceFile(path, data, dict(entry or {}), file_name, stored_path)
        pending = self._check(source, _run_now)
        for done in self._write_batch([pending]):
            if done.error is not None:
                raise done.error
        return pending.status, pending.detail

    # --- the pipeline: read + check → prepare (worker thread) → encode in batches → write --------
    def _pipeline(self, sources: Iterable[SourceFile]) -> Iterator[_Pending]:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cwg-prepare") as pool:
            window: deque[_Pending] = deque()
            held = 0  # bytes of file data in the window
            for source in sources:
                window.append(self._check_safely(source, pool.submit))
                held += len(window[-1].data)
                while len(window) > LOOKAHEAD_FILES or held > LOOKAHEAD_BYTES and len(window) > 1:
                    batch = self._take_batch(window)
                    held -= sum(len(p.data) for p in batch)
                    yield from self._write_batch(batch)
            while window:
                yield from self._write_batch(self._take_batch(window))

    @staticmethod
    def _take_batch(window: deque[_Pending]) -> list[_Pending]:
        """The first pending file, and those after it that are ready, up to a batch of chunk texts."""
        batch = [window.popleft()]
        if batch[0].prepared is not None:
            wait([batch[0].prepared])
        texts = _text_count(batch[0])
        while window and texts < BATCH_TEXTS:
            nxt = window[0]
            if nxt.prepared is not None and not nxt.prepared.done():
                break
            batch.append(window.popleft())
            texts += _text_count(nxt)
        return batch

    def _check_safely(self, source: SourceFile, submit: Callable[..., Future[PreparedDocument]]) -> _Pending:
        try:
            return self._check(source, submit)
        except CwgError as exc:
            return _Pending(source, status="failed", detail=str(exc))
        except MemoryError:
            return _Pending(source, status="failed", detail="out of memory while reading the file")

    def _check(self, source: SourceFile, submit: Callable[..., Future[PreparedDocument]]) -> _Pending:
        """Read and hash the file; skip it when it is indexed already, else start preparing it."""
        entry = {k: v for k, v in source.entry.items() if v != ""}
        data = source.data
        if data is None:
            path = source.path
            if not path.is_file():
                raise LoadError("no such file" if not path.exists() else "not a regular file")
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
        key = source.stored_path or str(source.path.resolve())
        pending = _Pending(source, key, data, file_sha256(data), entry)
        unchanged = self._unchanged(pending)
        if unchanged is not None:
            pending.status, pending.detail = "unchanged", unchanged
        else:
            pending.prepared = submit(self._prepare, pending)
        return pending

    def _unchanged(self, pending: _Pending) -> str | None:
        """The id of the document that already holds these bytes with this entry, if any."""
        existing = self.store.find_by_path(pending.key)
        if existing is not None:
            same = existing.file_hash == pending.file_hash and existing.entry == pending.entry
            return existing.id if same else None
        twin = self.store.find_by_hash(pending.file_hash)
        if twin is not None and (not pending.entry or twin.entry == pending.entry):
            return twin.id  # the same bytes are indexed already, under another path
        return None

    def _prepare(self, pending: _Pending) -> PreparedDocument:
        """Load, clean and chunk one file (no store access: it runs in the worker thread)."""
        chunking = self.folder.manifest.chunking
        return prepare_document(Path(pending.key), pending.data, pending.entry,
                                file_name=pending.source.file_name or pending.source.path.name,
                                min_words=chunking["min_words"], max_words=chunking["max_words"])

    def _write_batch(self, batch: list[_Pending]) -> Iterator[_Pending]:
        """Encode the new chunk texts of the batch together, then write each file in its own transaction."""
        jobs: list[tuple[_Pending, PreparedDocument, DocumentRecord | None, list[str], list[str]]] = []
        for pending in batch:
            if pending.status or pending.prepared is None:
                continue
            try:
                prepared = pending.prepared.result()
            except CwgError as exc:
                pending.status, pending.detail, pending.error = "failed", str(exc), exc
                continue
            except MemoryError as exc:
                pending.status, pending.detail, pending.error = "failed", "out of memory while reading the file", exc
                continue
            unchanged = self._unchanged(pending)  # an earlier file of this batch may hold the same bytes
            if unchanged is not None:
                pending.status, pending.detail = "unchanged", unchanged
                continue
            existing = self.store.find_by_path(pending.key)
            texts = [embedding_text(prepared.meta.title, c.section, c.text) for c in prepared.chunks]
            hashes = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:24] for t in texts]
            jobs.append((pending, prepared, existing, texts, hashes))
        vectors = {space: self._embed(space, [(j[3], j[4], j[2].id if j[2] else None) for j in jobs])
                   for space in self.folder.spaces}
        for n, (pending, prepared, existing, _texts, hashes) in enumerate(jobs):
            doc_id = existing.id if existing else self.store.free_document_id(document_slug(prepared.file_name))
            stored = self._store_file(doc_id, prepared, pending.data) if self.keep_files else None
            self.store.write_document(doc_id, prepared, hashes, {s: v[n] for s, v in vectors.items()},
                                      stored, pending.entry)
            if existing and existing.stored_file and existing.stored_file != stored:
                (self.folder.files_dir / existing.stored_file).unlink(missing_ok=True)
            pending.status, pending.detail = ("updated" if existing else "added"), doc_id
        for pending in batch:
            pending.data = b""  # written: let the bytes go
        yield from batch

    def _embed(self, space: str, docs: list[tuple[list[str], list[str], str | None]]) -> list[np.ndarray]:
        """Vectors per document; only new texts are encoded (unchanged chunk texts reuse theirs by hash),
        all documents' new texts in one call so that small files fill the model's batches."""
        dim = self.folder.dimension(space)
        outs = [np.zeros((len(texts), dim), dtype=np.float32) for texts, _, _ in docs]
        todo: list[tuple[int, int]] = []
        for d, (_texts, hashes, previous) in enumerate(docs):
            cache = self.store.cached_vectors(previous, space) if previous else {}
            for i, h in enumerate(hashes):
                if h in cache:
                    outs[d][i] = cache[h]
                else:
                    todo.append((d, i))
        if todo:
            def tick(n: int) -> None:
                if self.progress:
                    self.progress(n, len(todo))
            encoded = self.folder.embedder(space).encode([docs[d][0][i] for d, i in todo], progress=tick)
            for row, (d, i) in enumerate(todo):
                outs[d][i] = encoded[row]
        return outs

    def _store_file(self, doc_id: str, prepared: PreparedDocument, data: bytes) -> str:
        """Keep a copy of the original so it can be served (and cited) even if the source moves."""
        # Named by content: the copy an older committed state points to is never overwritten.
        name = f"{doc_id}-{prepared.file_hash[:12]}{_FORMAT_SUFFIX.get(prepared.format, '.bin')}"
        target = self.folder.files_dir / name
        self.folder.files_dir.mkdir(exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        return name

    def remove(self, document_id: str) -> None:
        record = self.store.remove_document(document_id)
        if record.stored_file:
            (self.folder.files_dir / record.stored_file).unlink(missing_ok=True)


def _run_now(fn: Callable[..., PreparedDocument], *args: object) -> Future[PreparedDocument]:
    """A `submit` that runs the job at once, in this thread (one file: nothing to overlap with)."""
    future: Future[PreparedDocument] = Future()
    try:
        future.set_result(fn(*args))
    except Exception as exc:  # noqa: BLE001 (delivered by .result(), like a pool's future)
        future.set_exception(exc)
    return future


def _text_count(pending: _Pending) -> int:
    if pending.prepared is None or not pending.prepared.done() or pending.prepared.exception() is not None:
        return 0
    return len(pending.prepared.result().chunks)
