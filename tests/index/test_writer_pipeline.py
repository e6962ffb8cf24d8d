"""The ingest pipeline: small files encoded together, the same result as one at a time, in input order."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.folder import IndexFolder
from index.writer import IndexWriter, SourceFile


def _files(tmp_path: Path, n: int) -> list[Path]:
    out = []
    for i in range(n):
        path = tmp_path / f"note{i:02d}.md"
        path.write_text(f"# Note {i}\n\nHelpline number {i} answers children about online safety topic {i}.\n")
        out.append(path)
    return out


def _vectors(folder: IndexFolder) -> dict[str, np.ndarray]:
    rows = folder.store.conn.execute(
        "SELECT c.document_id, v.vector FROM vectors v JOIN chunks c ON c.id = v.chunk_id ORDER BY c.id").fetchall()
    return {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in rows}


def test_small_files_are_encoded_together_with_the_same_result(fake_embedders, tmp_path: Path):
    files = _files(tmp_path, 12)
    batched = IndexFolder.open(tmp_path / "a", create=True, embedders=fake_embedders)
    calls: list[int] = []
    real = batched.embedder("minilm").encode
    batched._embedders["minilm"].encode = lambda texts, **kw: calls.append(len(texts)) or real(texts, **kw)
    seen: list[str] = []
    report = IndexWriter(batched).ingest(files, on_result=lambda result: seen.append(Path(result.path).name))
    assert len(report.added) == 12 and seen == [f.name for f in files]  # reported in input order
    assert sum(calls) == 12 and len(calls) < 12  # several files per encoder call
    one_by_one = IndexFolder.open(tmp_path / "b", create=True, embedders=fake_embedders)
    writer = IndexWriter(one_by_one)
    for f in files:
        writer.ingest_file(SourceFile(f))
    a, b = _vectors(batched), _vectors(one_by_one)
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    batched.close()
    one_by_one.close()


def test_sources_in_memory_without_file_copies(fake_index: IndexFolder):
    sources = [SourceFile(Path(f"{i}.txt"), data=f"Text number {i} about grooming.".encode(),
                          entry={"title": f"Doc {i}"}, stored_path=f"mem:{i}") for i in range(3)]
    sources.append(SourceFile(Path("3.txt"), data=b"", stored_path="mem:3"))  # a bad one among them
    report = IndexWriter(fake_index, keep_files=False).ingest_sources(sources)
    assert len(report.added) == 3 and len(report.failed) == 1
    assert not any(fake_index.files_dir.iterdir())
    assert {d.path for d in fake_index.store.documents()} == {"mem:0", "mem:1", "mem:2"}
    again = IndexWriter(fake_index, keep_files=False).ingest_sources(sources[:3])
    assert len(again.unchanged) == 3
