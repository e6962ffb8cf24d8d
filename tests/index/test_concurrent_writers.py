"""Two real processes writing one index never lose a document.

Regression: the id of a new document was chosen before its write transaction and the write deleted
any document with that id first. Process A chose `report` for R1/report.txt; process B added
R2/report.txt as `report` meanwhile; A then replaced B's document. Both printed `added`.

The interleaving is forced with a hook, not a sleep: A stops just before its write and waits until
B has committed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from index.embedders import FakeEmbedder
from index.folder import IndexFolder
from tests.conftest import ROOT

WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from api.uploads import UploadedFile, ingest_uploads
    from index.embedders import FakeEmbedder
    from index.folder import IndexFolder
    from index.store import SqliteStore
    from index.writer import IndexWriter
    from ingest.limits import ReadLimits

    index, mode, file, signals = Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), sys.argv[5:]
    if signals:  # the hook: say "ready" just before the write, then wait for "go"
        ready, go = Path(signals[0]), Path(signals[1])
        real_write = SqliteStore.write_document

        def paused_write(self, *args, **kwargs):
            ready.touch()
            deadline = time.monotonic() + 120
            while not go.exists():
                if time.monotonic() > deadline:
                    sys.exit("never told to go on")
                time.sleep(0.01)
            return real_write(self, *args, **kwargs)

        SqliteStore.write_document = paused_write
    folder = IndexFolder.open(index, embedders={"minilm": FakeEmbedder()})
    if mode == "upload":
        [result] = ingest_uploads(folder, [UploadedFile(file.name, file.read_bytes())], {}, ReadLimits())
        print(result["status"], result["document_id"])
    else:
        report = IndexWriter(folder).ingest([file])
        print("added" if report.added else "?", (report.added or report.failed)[0])
    folder.close()
""")


def _start(index: Path, mode: str, file: Path, *signals: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(ROOT), str(index), mode, str(file),
                             *map(str, signals)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"writer A ended early: {proc.communicate()}")
        assert time.monotonic() < deadline, "writer A never reached its write"
        time.sleep(0.01)


@pytest.mark.parametrize("mode_a", ["path", "upload"])
def test_two_writers_adding_files_of_one_name_both_keep_their_document(tmp_path: Path, mode_a: str) -> None:
    index = tmp_path / "ix"
    IndexFolder.open(index, create=True, embedders={"minilm": FakeEmbedder()}).close()
    first, second = tmp_path / "R1" / "report.txt", tmp_path / "R2" / "report.txt"
    for path, words in ((first, "a national helpline for children"), (second, "age assurance for platforms")):
        path.parent.mkdir()
        path.write_text(f"Report\n\nThis report describes {words} in detail.\n", encoding="utf-8")
    ready, go = tmp_path / "a-ready", tmp_path / "b-done"

    writer_a = _start(index, mode_a, first, ready, go)
    _wait_for(ready, writer_a)  # A has read, chunked and embedded its file, and is about to write
    writer_b = _start(index, "path", second)
    out_b, err_b = writer_b.communicate(timeout=120)
    assert writer_b.returncode == 0, err_b
    go.touch()
    out_a, err_a = writer_a.communicate(timeout=120)
    assert writer_a.returncode == 0, err_a

    assert out_b.split() == ["added", "report"]
    assert out_a.split() == ["added", "report-2"]  # A saw B's commit inside its own transaction
    folder = IndexFolder.open(index, embedders={"minilm": FakeEmbedder()})
    try:
        docs = {d.id: d for d in folder.store.documents()}
        assert sorted(docs) == ["report", "report-2"]
        assert "age assurance" in folder.store.document_text("report")
        assert "helpline" in folder.store.document_text("report-2")
        assert sorted(p.name.split("-")[0] for p in folder.files_dir.iterdir()) == ["report", "report"]
    finally:
        folder.close()
