"""`cwg` with hostile but fair input: a DOCX bomb, legacy encodings, bad manifest rows, bad settings,
odd file names, two processes creating one index. Each test failed before the fix it guards."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.api.test_api_upload_rules import docx_bomb

CWG = [sys.executable, "-m", "api.cli"]
ROOT = Path(__file__).parents[2]
FRENCH = ("Protection des enfants en ligne\n\nLe ministère a formé les élèves et les enseignants de l'école "
          "primaire aux risques numériques ; la campagne « Internet sans crainte » a touché 12 000 familles.\n")


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CWG, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), **(env or {})})


def good_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Safer Internet programme", level=1)
    document.add_paragraph("Kenya trains teachers and parents to recognise grooming and to report it to the "
                           "national helpline; 4,000 teachers were trained in 2024.")
    document.save(str(path))


@pytest.mark.slow
def test_a_folder_with_a_docx_bomb_a_latin1_text_and_a_good_docx(tmp_path: Path) -> None:
    """The issue's acceptance check: exits 1, names the bomb, adds the other two; Latin-1 text is searchable."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bomb.docx").write_bytes(docx_bomb(150))
    (docs / "ecole.txt").write_bytes(FRENCH.encode("latin-1"))
    good_docx(docs / "kenya.docx")
    start = time.monotonic()
    proc = run("ingest", "docs", "--index", "ix", cwd=tmp_path)
    elapsed = time.monotonic() - start
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.strip().endswith("added 2, updated 0, unchanged 0, failed 1")
    errors = proc.stderr.strip().splitlines()
    assert any(line.startswith("docs/bomb.docx: unpacks to 150 MB") for line in errors), errors
    assert "docs/ecole.txt: warning: not UTF-8: read as latin-1 (guessed; the text reads as 'fr')" in errors
    assert elapsed < 120, elapsed  # minutes before the fix; a ceiling, not a benchmark
    found = run("search", "élèves et enseignants de l'école", "--index", "ix", "--json", "--mode", "lexical",
                cwd=tmp_path)
    hits = json.loads(found.stdout)["hits"]
    assert hits and hits[0]["document_id"] == "ecole" and "les élèves et les enseignants de l'école" in hits[0]["text"]


def test_a_bad_setting_is_one_line_naming_it_and_exit_2(tmp_path: Path) -> None:
    for name, value in (("CWG_MAX_UPLOAD_MB", "abc"), ("CWG_MAX_UNPACKED_MB", "-1"), ("CWG_MAX_PARSE_SECONDS", "nan"),
                        ("CWG_READ_REQUIRES_KEY", "maybe"), ("CWG_DTYPE", "int4"), ("CWG_LLM_URL", "localhost:8080"),
                        ("CWG_REQUEST_THREADS", "0"), ("CWG_ENCODER_THREADS", "two"), ("CWG_WORKERS", "65")):
        proc = run("documents", cwd=tmp_path, env={name: value})
        assert proc.returncode == 2, (name, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and name in lines[0] and repr(value) in lines[0], (name, lines)
        assert "Traceback" not in proc.stderr


def test_names_in_messages_are_escaped(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "two\nlines.txt").write_bytes(b"")
    proc = run("ingest", "docs", "--index", "ix", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == ["docs/two\\nlines.txt: empty file (0 bytes)"]


@pytest.mark.slow
def test_manifest_problems_are_warnings_per_row_and_the_rest_is_indexed(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a", "b", "c"):
        (docs / f"{name}.txt").write_text(f"Contribution {name}\n\nA programme on online safety number {name}.\n")
    (docs / "manifest.csv").write_text("path,doc_type,date,source\n"
                                       "a.txt,secretariat,2024-01,ITU\n"
                                       "b.txt,liaison statement,22/01/2024,ECPAT\n"
                                       "c.txt,Meeting notes,2024,UNICEF\n"
                                       "gone.txt,contribution,2024,Nobody\n")
    proc = run("ingest", "docs", "--manifest", "docs/manifest.csv", "--index", "ix", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr  # warnings do not change the exit code
    assert proc.stdout.strip().endswith("added 3, updated 0, unchanged 0, failed 0")
    warnings = proc.stderr.strip().splitlines()
    assert [w.split(": ")[1] for w in warnings] == ["manifest.csv:3", "manifest.csv:4", "manifest.csv:5"], warnings
    assert "22/01/2024" in warnings[0] and "'Meeting notes'" in warnings[1] and "gone.txt" in warnings[2]
    listed = json.loads(run("documents", "--index", "ix", "--json", cwd=tmp_path).stdout)["documents"]
    types = {d["path"].rsplit("/", 1)[1]: (d["doc_type"], d["date"], d["source"]) for d in listed}
    assert types == {"a.txt": ("secretariat", "2024-01", "ITU"), "b.txt": ("liaison_statement", "", "ECPAT International"),
                     "c.txt": ("meeting_notes", "2024", "UNICEF")}


def test_a_second_process_creating_the_same_index_waits_and_opens_it(tmp_path: Path) -> None:
    """Process A is in the middle of creating the index (holds the creation lock, has made the store);
    process B asks for the same new index: it waits for A, then opens what A made."""
    from index.embedders import FakeEmbedder
    from index.folder import CREATE_LOCK, IndexFolder

    index = tmp_path / "ix"
    index.mkdir()
    opener = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
              "from index.embedders import FakeEmbedder; from index.folder import IndexFolder; "
              "f = IndexFolder.open(Path(sys.argv[2]), create=True, embedders={'minilm': FakeEmbedder()}); "
              "print(f.manifest.model, f.store.chunk_count()); f.close()")
    with open(index / CREATE_LOCK, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # A: creating
        (index / "store.sqlite").write_bytes(b"")  # what A has written so far
        b = subprocess.Popen([sys.executable, "-c", opener, str(ROOT), str(index)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        _wait_until_blocked_on_a_lock(b)  # B has looked, and waits for A

        (index / "store.sqlite").unlink()
        IndexFolder.open(tmp_path / "elsewhere", create=True, embedders={"minilm": FakeEmbedder()}).close()
        (index / "index.json").write_bytes((tmp_path / "elsewhere" / "index.json").read_bytes())  # A finishes
    out, err = b.communicate(timeout=60)
    assert b.returncode == 0, err
    assert out.split() == ["default", "0"]


def _wait_until_blocked_on_a_lock(proc: subprocess.Popen[str]) -> None:
    """Until the kernel lists `proc` as waiting for a file lock (/proc/locks marks waiters with `->`)."""
    locks = Path("/proc/locks")
    if not locks.exists():
        pytest.skip("no /proc/locks on this system to see the second process wait")
    deadline = time.monotonic() + 60
    while not any("->" in line and f" {proc.pid} " in line for line in locks.read_text().splitlines()):
        if proc.poll() is not None:
            raise AssertionError(f"B did not wait for A: {proc.communicate()}")
        assert time.monotonic() < deadline, "B never reached the lock"
        time.sleep(0.01)


def test_a_folder_holding_other_files_is_still_refused(tmp_path: Path) -> None:
    from index.folder import IndexFolder
    from ingest.errors import IndexOpenError

    (tmp_path / "ix").mkdir()
    (tmp_path / "ix" / "notes.txt").write_text("mine")
    with pytest.raises(IndexOpenError, match=r"non-empty folder without an index \(it holds notes.txt\)"):
        IndexFolder.open(tmp_path / "ix", create=True)


@pytest.mark.slow
def test_a_link_to_a_file_outside_the_folder_is_skipped_with_its_reason(tmp_path: Path) -> None:
    """Regression (issue 20): a symlink to /etc/hostname in an ingested folder was read, indexed and its
    copy served; a manifest row naming ../ applied its metadata to a file outside."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "note.txt").write_text(FRENCH)
    secret = tmp_path / "secret.txt"
    secret.write_text("Le mot de passe du serveur est hunter2, ne le dites à personne.\n")
    (docs / "leak.txt").symlink_to(secret)
    (docs / "manifest.csv").write_text("path,source\nnote.txt,France\n../secret.txt,France\n")
    proc = run("ingest", "docs", "--manifest", "docs/manifest.csv", "--index", "ix", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("added 1, updated 0, unchanged 0, failed 0")
    assert "docs/leak.txt: skipped: a symbolic link to a file outside the folder: not read" in proc.stderr
    assert "manifest.csv:3: path '../secret.txt' is outside the manifest's folder; row not used" in proc.stderr
    docs_json = json.loads(run("documents", "--index", "ix", "--json", cwd=tmp_path).stdout)["documents"]
    assert [d["document_id"] for d in docs_json] == ["note"] and docs_json[0]["source"] == "France"
    found = json.loads(run("search", "mot de passe hunter2", "--index", "ix", "--json", cwd=tmp_path).stdout)
    assert all("hunter2" not in h["text"] for h in found["hits"])
    assert not any("hunter2" in p.read_text(errors="ignore") for p in (tmp_path / "ix").rglob("*") if p.is_file())
