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
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index import quality_corrections
from index.folder import IndexFolder
from index.records import DocumentRecord, DocumentTarget, merged_entry
from index.sources import alias_table, apply_sources, keep_aliases
from ingest.errors import CwgError, IndexUnavailable, LoadError
from ingest.formats import BINARY_EXTENSIONS, LEGACY_EXTENSIONS, TEXT_EXTENSIONS
from ingest.limits import ReadLimits
from ingest.prepare import file_sha256, prepare_document
from ingest.quality import apply_corrections, assess, load_signals
from ingest.quality_meaning import MODEL_SPACE, Encode, MeaningModel
from ingest.records import PreparedDocument
from ingest.source_aliases import SourceAliases
from ingest.textclean import one_line

DOCUMENT_EXTENSIONS = set(BINARY_EXTENSIONS) | set(TEXT_EXTENSIONS) | set(LEGACY_EXTENSIONS)
# Repository bookkeeping that sits beside documents in a folder; named explicitly, they are ingested.
_BOOKKEEPING = re.compile(r"^(readme|source|sources|license|licence|changelog|manifest)(\.[a-z]+)?$", re.IGNORECASE)
_FORMAT_SUFFIX = {"pdf": ".pdf", "docx": ".docx", "html": ".html", "markdown": ".md", "text": ".txt", "pptx": ".pptx",
                  "odt": ".odt", "doc": ".doc", "ppt": ".ppt"}
LOOKAHEAD_FILES = 64  # files read and chunked ahead of the encoder …
LOOKAHEAD_BYTES = 64 * 1024 * 1024  # … holding at most this much file data (one file may exceed it)
BATCH_TEXTS = 128  # chunks of consecutive files encoded together (once they are ready) …
# … and at least this many when more files are on their way (waiting for them, if need be): a forward pass
# over one short note's chunk wastes the model, and whether the next files were ready depended on timing
MIN_BATCH_TEXTS = 16


@dataclass(frozen=True)
class FileResult:
    """What became of one file: `status` added / updated / unchanged / failed, with the document's id
    (None when it failed), the reason of a failure, and warnings (a guessed encoding, pages without text)."""

    path: str
    status: str
    document_id: str | None
    detail: str = ""
    warnings: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # metadata fields kept from the document's earlier entry (none given now)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (path, warning)
    skipped: list[str] = field(default_factory=list)  # folder entries that are not documents
    kept: list[str] = field(default_factory=list)  # documents whose earlier metadata was kept (none given)
    aliases_added: dict[str, str] = field(default_factory=dict)  # a manifest's aliases the index keeps now
    aliases_refused: list[str] = field(default_factory=list)  # and those it did not take, with why
    renamed: list[str] = field(default_factory=list)  # documents indexed before whose source the new aliases rename

    def summary(self) -> str:
        return (f"added {len(self.added)}, updated {len(self.updated)}, "
                f"unchanged {len(self.unchanged)}, failed {len(self.failed)}")


@dataclass
class SourceFile:
    """One file to ingest: a path, or bytes under a name.

    Which document it becomes: by default its resolved path keys it (the same path is the same
    document, `cwg ingest`'s rule); `stored_path` keys it instead; `by_content` (uploads) makes it a new
    document unless the same bytes are indexed; `replace_id` replaces that document's file, keeping its
    id and metadata.
    """

    path: Path
    data: bytes | None = None
    entry: dict[str, str] = field(default_factory=dict)
    file_name: str | None = None
    stored_path: str | None = None
    by_content: bool = False
    replace_id: str | None = None

    def target(self, file_name: str) -> DocumentTarget:
        if self.replace_id is not None:
            return DocumentTarget(document_slug(file_name), document_id=self.replace_id)
        if self.by_content:
            return DocumentTarget(document_slug(file_name))
        return DocumentTarget(document_slug(file_name), key=self.stored_path or str(self.path.resolve()))


@dataclass
class _Pending:
    """A file on its way through the pipeline: read, hashed, then prepared (or failed)."""

    source: SourceFile
    target: DocumentTarget | None = None
    data: bytes = b""
    file_hash: str = ""
    entry: dict[str, str] = field(default_factory=dict)
    status: str = ""  # "" while it is to be written, else added / updated / unchanged / failed
    detail: str = ""  # the document id, or the reason it failed
    warnings: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # fields of the earlier entry that this file's entry leaves out
    prepared: Future[PreparedDocument] | None = None
    error: BaseException | None = None

    def result(self) -> FileResult:
        failed = self.status == "failed"
        return FileResult(str(self.source.path), self.status, None if failed else self.detail,
                          self.detail if failed else "", self.warnings, () if failed else self.kept)


@dataclass
class PathScan:
    """What a walk of the paths named on a command line found."""

    files: list[Path] = field(default_factory=list)  # documents to ingest
    skipped: list[Path] = field(default_factory=list)  # folder entries that are not documents
    refused: list[tuple[Path, str]] = field(default_factory=list)  # (entry, reason): never read


def scan_paths(paths: Iterable[Path], exclude: set[Path] | None = None) -> PathScan:
    """Files named directly, plus document files found (recursively) in folders.

    Nothing outside the folders and files named is read: a symbolic link in a folder that resolves
    outside that folder is refused with its reason (a link inside it is followed)."""
    scan = PathScan()
    exclude = exclude or set()
    for path in paths:
        if not path.is_dir():
            scan.files.append(path)
            continue
        root = path.resolve()
        for found in sorted(path.rglob("*")):
            rel_parts = found.relative_to(path).parts
            if any(part.startswith(".") for part in rel_parts) or not (found.is_file() or found.is_symlink()):
                continue
            resolved = found.resolve()
            if resolved in exclude or not resolved.exists():
                continue
            if not resolved.is_relative_to(root):
                kind = "folder" if resolved.is_dir() else "file"
                scan.refused.append((found, f"a symbolic link to a {kind} outside the folder: not read"))
                continue
            if not found.is_file():
                continue  # a link to a folder inside this one: its files are walked there
            if found.suffix.lower() not in DOCUMENT_EXTENSIONS or _BOOKKEEPING.match(found.name):
                scan.skipped.append(found)
                continue
            scan.files.append(found)
    return scan


def expand_paths(paths: Iterable[Path], exclude: set[Path] | None = None) -> tuple[list[Path], list[Path]]:
    """(files to ingest, folder entries that are not documents): `scan_paths` without the refused links."""
    scan = scan_paths(paths, exclude)
    return scan.files, scan.skipped


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
                 keep_files: bool = True, limits: ReadLimits | None = None) -> None:
        self.folder = folder
        self.store = folder.store
        self.progress = progress  # called with (chunks just embedded, chunks in this batch)
        self.keep_files = keep_files  # keep a copy of each original under files/ (to serve and cite it)
        self.limits = limits or ReadLimits()
        self._swept = False  # orphan copies are swept by this writer's first write
        self._aliases: SourceAliases | None = None  # the index's alias table, read as each ingest starts
        load_signals()  # parse the quality signals once here, not inside the first file's preparation
        self._meaning: tuple[MeaningModel | None, Encode | None] | None = None  # the quality model, loaded on first use

    def ingest(self, paths: Iterable[Path], entries: dict[Path, dict[str, str]] | None = None,
               on_result: Callable[[FileResult], None] | None = None,
               aliases: Mapping[str, str] | None = None) -> IngestReport:
        """Ingest every file; `on_result` is told of each as it finishes. `aliases` (a manifest's: other name →
        source) join the index's alias table first, so these files and every later ingest use them; documents
        indexed before are renamed by them too (index/sources.py)."""
        entries = entries or {}
        added, refused = keep_aliases(self.store, aliases) if aliases else ({}, [])
        report = self.ingest_sources((SourceFile(p, entry=entries.get(p.resolve(), {})) for p in paths), on_result)
        report.aliases_added, report.aliases_refused = added, refused
        if added:
            report.renamed = [c.document_id for c in apply_sources(self.store)]
        return report

    def ingest_sources(self, sources: Iterable[SourceFile],
                       on_result: Callable[[FileResult], None] | None = None) -> IngestReport:
        """Like `ingest`, for files given as `SourceFile`s (bytes in memory, a stored path of your own)."""
        report = IngestReport()
        self._aliases = alias_table(self.store)  # with the aliases a manifest added before this ingest
        for pending in self._pipeline(sources):
            result = pending.result()
            if result.status == "failed":
                report.failed.append((result.path, result.detail))
            else:
                {"added": report.added, "updated": report.updated, "unchanged": report.unchanged}[
                    result.status].append(str(result.document_id))
            report.warnings.extend((result.path, w) for w in result.warnings)
            if result.kept and result.document_id:
                report.kept.append(result.document_id)
            if on_result:
                on_result(result)
        return report

    def ingest_file(self, source: SourceFile) -> FileResult:
        """One file, now; a file that cannot be used raises its `CwgError` (nothing is written)."""
        self._aliases = alias_table(self.store)
        pending = self._check(source, _run_now)
        for done in self._write_batch([pending]):
            if done.error is not None:
                raise done.error
        return pending.result()

    def replace_file(self, document_id: str, file_name: str, data: bytes) -> FileResult:
        """Replace document `document_id`'s file with new bytes; it keeps its id and its metadata entry."""
        with self.store.snapshot():
            entry = self.store.document(document_id).entry  # NotFound when there is no such document
        return self.ingest_file(SourceFile(Path(file_name), data, dict(entry), file_name, replace_id=document_id))

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
        """The first pending file, and those after it that are ready (waited for while the batch is small), up
        to a batch of chunk texts."""
        batch = [window.popleft()]
        if batch[0].prepared is not None:
            wait([batch[0].prepared])
        texts = _text_count(batch[0])
        while window and texts < BATCH_TEXTS:
            nxt = window[0]
            if nxt.prepared is not None and not nxt.prepared.done():
                if texts >= MIN_BATCH_TEXTS:
                    break
                wait([nxt.prepared])
            batch.append(window.popleft())
            texts += _text_count(nxt)
        return batch

    def _check_safely(self, source: SourceFile, submit: Callable[..., Future[PreparedDocument]]) -> _Pending:
        try:
            return self._check(source, submit)
        except IndexUnavailable:
            raise  # not this file's fault: no other file can be written either
        except CwgError as exc:
            return _Pending(source, status="failed", detail=str(exc))
        except MemoryError:
            return _Pending(source, status="failed", detail="out of memory while reading the file")

    def _check(self, source: SourceFile, submit: Callable[..., Future[PreparedDocument]]) -> _Pending:
        """Read and hash the file; skip it when it is indexed already, else start preparing it."""
        # kept as one line of text, as the metadata built from it is (no control character: PostgreSQL's
        # text cannot hold NUL, and both stores keep the same)
        entry = {one_line(k): one_line(v) for k, v in source.entry.items() if one_line(v) != ""}
        data = source.data
        if data is None:
            path = source.path
            if not path.is_file():
                raise LoadError("no such file" if not path.exists() else "not a regular file")
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
        file_name = source.file_name or source.path.name
        pending = _Pending(source, source.target(file_name), data, file_sha256(data), entry)
        indexed, existing = self._indexed_already(pending)
        earlier = self._earlier_entry(pending, indexed, existing)
        pending.kept = tuple(sorted(set(earlier) - set(entry)))
        if indexed is not None:
            pending.status, pending.detail = "unchanged", indexed
        else:
            pending.entry = merged_entry(earlier, entry)  # what the document's metadata is built from
            pending.prepared = submit(self._prepare, pending, existing)
        return pending

    def _earlier_entry(self, pending: _Pending, indexed: str | None,
                       existing: DocumentRecord | None) -> dict[str, str]:
        """The entry the document under this file's key was written with (empty for a new document)."""
        if existing is not None:
            return existing.entry
        if indexed is None or pending.target is None or pending.target.key is None:
            return {}
        with self.store.snapshot():
            found = self.store.document(indexed)
        return found.entry if found.path == pending.target.key else {}

    def _indexed_already(self, pending: _Pending) -> tuple[str | None, DocumentRecord | None]:
        """(id of the document holding these bytes already, the document a write would replace): a
        first look, to skip reading unchanged files; the write decides again inside its transaction."""
        assert pending.target is not None
        with self.store.snapshot():
            indexed, existing = self.store.indexed_already(pending.target, pending.file_hash, pending.entry)
        return (indexed.id if indexed else None), existing

    def _prepare(self, pending: _Pending, existing: DocumentRecord | None) -> PreparedDocument:
        """Load, clean and chunk one file (no store access: it runs in the worker thread)."""
        chunking = self.folder.manifest.chunking
        key = existing.path if existing else (pending.target.key if pending.target else None)
        return prepare_document(Path(key or pending.source.path), pending.data, pending.entry,
                                file_name=pending.source.file_name or pending.source.path.name,
                                min_words=chunking["min_words"], max_words=chunking["max_words"],
                                limits=self.limits, aliases=self._aliases)

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
            indexed, existing = self._indexed_already(pending)  # an earlier file of this batch may hold them
            if indexed is not None:
                pending.status, pending.detail = "unchanged", indexed
                continue
            pending.warnings = tuple(prepared.warnings)
            texts = [embedding_text(prepared.meta.title, c.section, c.text) for c in prepared.chunks]
            hashes = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:24] for t in texts]
            jobs.append((pending, prepared, existing, texts, hashes))
        vectors = {space: self._embed(space, [(j[3], j[4], j[2].id if j[2] else None) for j in jobs])
                   for space in self.folder.spaces}
        for n, (pending, prepared, _existing, _texts, hashes) in enumerate(jobs):
            assert pending.target is not None
            prepared = self._scored(prepared, _existing)
            try:
                outcome = self.store.write_document(pending.target, prepared, hashes,
                                                    {s: v[n] for s, v in vectors.items()}, pending.entry,
                                                    self._file_keeper(prepared, pending.data))
            except IndexUnavailable:
                raise  # the database is away: the files reported so far are committed, none after
            except CwgError as exc:  # the document to replace was removed meanwhile
                pending.status, pending.detail, pending.error = "failed", str(exc), exc
                continue
            if outcome.replaced_file:
                self.folder.drop_original(outcome.replaced_file)
            pending.status, pending.detail = outcome.status, outcome.document_id
        for pending in batch:
            pending.data = b""  # written: let the bytes go
        yield from batch

    def _scored(self, prepared: PreparedDocument, existing: DocumentRecord | None) -> PreparedDocument:
        """The quality profile read by meaning (issue 23) where the index has the multilingual space, with the
        curators' word on the signals of a document they corrected (its id is kept on re-ingest)."""
        if prepared.quality is None:
            return prepared
        if self._meaning is None and MODEL_SPACE in self.folder.spaces:
            model = quality_corrections.index_model(self.store)
            self._meaning = (model, quality_corrections.sentence_encoder(self.folder.embedder(MODEL_SPACE),
                                                                          self.folder.path, model))
        model, encode = self._meaning or (None, None)
        spans = [(c.char_start, c.char_end, c.page_start) for c in prepared.chunks]
        quality = assess(prepared.text, spans, encode=encode, model=model) if encode else prepared.quality
        if existing is not None:
            with self.store.snapshot():
                corrections = self.store.quality_corrections(existing.id)
            if corrections:
                quality = apply_corrections(quality, corrections, prepared.text, spans)
        prepared.quality = quality
        return prepared

    def _embed(self, space: str, docs: list[tuple[list[str], list[str], str | None]]) -> list[np.ndarray]:
        """Vectors per document; only new texts are encoded (unchanged chunk texts reuse theirs by hash),
        all documents' new texts in one call so that small files fill the model's batches."""
        dim = self.folder.dimension(space)
        outs = [np.zeros((len(texts), dim), dtype=np.float32) for texts, _, _ in docs]
        todo: list[tuple[int, int]] = []
        for d, (_texts, hashes, previous) in enumerate(docs):
            with self.store.snapshot():
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

    def _file_keeper(self, prepared: PreparedDocument, data: bytes) -> Callable[[str], str | None] | None:
        """What the store calls inside the write transaction, once the document's id is decided."""
        if not self.keep_files:
            return None

        def keep(doc_id: str) -> str:
            if not self._swept:
                self._sweep_orphans()
            return self._store_file(doc_id, prepared, data)

        return keep

    def _store_file(self, doc_id: str, prepared: PreparedDocument, data: bytes) -> str:
        """Keep a copy of the original so it can be served (and cited) even if the source moves."""
        # Named by content: the copy an older committed state points to is never overwritten.
        name = f"{doc_id}-{prepared.file_hash[:12]}{_FORMAT_SUFFIX.get(prepared.format, '.bin')}"
        self.folder.keep_original(name, data)
        return name

    def _sweep_orphans(self) -> None:
        """Delete copies no committed document points to (left by a write that was killed); runs inside
        the first write transaction (see `IndexFolder.sweep_originals`)."""
        self._swept = True
        self.folder.sweep_originals()

    def remove(self, document_id: str) -> None:
        record = self.store.remove_document(document_id)
        if record.stored_file:
            self.folder.drop_original(record.stored_file)


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
