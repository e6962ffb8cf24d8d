"""Ingest files into an index folder: idempotent, one transaction per file, bad files reported."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.folder import IndexFolder
from ingest.errors import CwgError, LoadError
from ingest.formats import BINARY_EXTENSIONS, TEXT_EXTENSIONS
from ingest.prepare import file_sha256, prepare_document
from ingest.records import PreparedDocument

DOCUMENT_EXTENSIONS = set(BINARY_EXTENSIONS) | set(TEXT_EXTENSIONS) | {".doc"}
# Repository bookkeeping that sits beside documents in a folder; named explicitly, they are ingested.
_BOOKKEEPING = re.compile(r"^(readme|source|sources|license|licence|changelog|manifest)(\.[a-z]+)?$", re.I)
_FORMAT_SUFFIX = {"pdf": ".pdf", "docx": ".docx", "html": ".html", "markdown": ".md", "text": ".txt"}


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
    def __init__(self, folder: IndexFolder, progress: Callable[[int, int], None] | None = None) -> None:
        self.folder = folder
        self.store = folder.store
        self.progress = progress  # called with (chunks just embedded, chunks in this file)

    def ingest(self, paths: Iterable[Path], entries: dict[Path, dict[str, str]] | None = None,
               on_result: Callable[[str, str, str], None] | None = None) -> IngestReport:
        """Ingest every file; `on_result(path, status, detail)` is told of each as it finishes."""
        entries = entries or {}
        report = IngestReport()
        for path in paths:
            entry = entries.get(path.resolve(), {})
            try:
                status, detail = self.ingest_file(path, entry=entry)
            except CwgError as exc:
                status, detail = "failed", str(exc)
            except MemoryError:
                status, detail = "failed", "out of memory while reading the file"
            bucket = {"added": report.added, "updated": report.updated, "unchanged": report.unchanged}
            if status == "failed":
                report.failed.append((str(path), detail))
            else:
                bucket[status].append(detail)
            if on_result:
                on_result(str(path), status, detail)
        return report

    def ingest_file(self, path: Path, data: bytes | None = None, entry: dict[str, str] | None = None,
                    file_name: str | None = None, stored_path: str | None = None) -> tuple[str, str]:
        """Returns (status, document id) with status one of added / updated / unchanged."""
        entry = {k: v for k, v in (entry or {}).items() if v != ""}
        if data is None:
            if not path.is_file():
                raise LoadError("no such file" if not path.exists() else "not a regular file")
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
        key = stored_path or str(path.resolve())
        file_hash = file_sha256(data)
        existing = self.store.find_by_path(key)
        if existing and existing.file_hash == file_hash and existing.entry == entry:
            return "unchanged", existing.id
        if existing is None:
            twin = self.store.find_by_hash(file_hash)
            if twin is not None and (not entry or twin.entry == entry):
                return "unchanged", twin.id  # the same bytes are indexed already, under another path
        prepared = prepare_document(Path(key), data, entry, file_name=file_name or path.name,
                                    min_words=self.folder.manifest.chunking["min_words"],
                                    max_words=self.folder.manifest.chunking["max_words"])
        doc_id = existing.id if existing else self.store.free_document_id(document_slug(prepared.file_name))
        texts = [embedding_text(prepared.meta.title, c.section, c.text) for c in prepared.chunks]
        hashes = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:24] for t in texts]
        vectors = {space: self._embed(space, texts, hashes, existing.id if existing else None)
                   for space in self.folder.spaces}
        stored = self._store_file(doc_id, prepared, data)
        self.store.write_document(doc_id, prepared, hashes, vectors, stored, entry)
        if existing and existing.stored_file and existing.stored_file != stored:
            (self.folder.files_dir / existing.stored_file).unlink(missing_ok=True)
        return ("updated" if existing else "added"), doc_id

    def _embed(self, space: str, texts: list[str], hashes: list[str], previous: str | None) -> np.ndarray:
        """Encode only what is new: vectors of unchanged chunk texts are reused (by content hash)."""
        cache = self.store.cached_vectors(previous, space) if previous else {}
        todo = [i for i, h in enumerate(hashes) if h not in cache]
        out = np.zeros((len(texts), self.folder.dimension(space)), dtype=np.float32)
        for i, h in enumerate(hashes):
            if h in cache:
                out[i] = cache[h]
        if todo:
            def tick(n: int) -> None:
                if self.progress:
                    self.progress(n, len(texts))
            out[todo] = self.folder.embedder(space).encode([texts[i] for i in todo], progress=tick)
        return out

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
