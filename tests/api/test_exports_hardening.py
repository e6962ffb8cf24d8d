"""Exports a spreadsheet opens safely (issue 20): a title, source or meeting that a spreadsheet would run as a
formula is written neutralised in every CSV the product writes (`cwg select/matrix/trends --format csv` and
`GET /select`, `GET /trends`), and a control character in a curator's reason never reaches an export."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from index.folder import IndexFolder
from index.writer import IndexWriter
from search.characterization.csv_export import safe_cell

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = {"title": '=HYPERLINK("http://evil.example/x","Click")', "source": "+cmd|' /C calc'!A0",
           "meeting": "@SUM(1)", "date": "2024-01-22", "doc_type": "contribution"}


def test_a_cell_a_spreadsheet_would_run_is_quoted_and_numbers_stay_numbers() -> None:
    for formula in ("=1+1", "+1", "-2+3", "@SUM(1)", "\t=1", "\r=1"):
        assert safe_cell(formula).startswith("'")
    assert safe_cell("Malawi") == "Malawi" and safe_cell(-0.5) == -0.5 and safe_cell(3) == 3
    assert safe_cell("reason\x00with a NUL") == "reason with a NUL"


@pytest.fixture
def hostile_index(fake_index: IndexFolder, tmp_path: Path) -> IndexFolder:
    path = tmp_path / "docs" / "hostile.md"
    path.parent.mkdir()
    path.write_text("# Helpline\n\nA national helpline where children report online abuse and grooming.\n")
    assert not IndexWriter(fake_index).ingest([path], {path.resolve(): dict(HOSTILE)}).failed
    fake_index.store.curate("hostile", "noted", "kept\x00for the record", "secretariat")
    fake_index.refresh_vectors()
    return fake_index


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _assert_safe(text: str, *expected: str) -> None:
    cells = _cells(text)
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))], cells
    assert "\x00" not in text
    for value in expected:
        assert "'" + value in cells, (value, cells)


def test_every_csv_export_neutralises_formulas(hostile_index: IndexFolder, tmp_path: Path) -> None:
    with TestClient(create_app(Settings(index=hostile_index.path), hostile_index)) as client:
        selected = client.get("/select", params={"format": "csv"})
        assert selected.status_code == 200
        _assert_safe(selected.text, HOSTILE["title"], HOSTILE["source"], HOSTILE["meeting"])
        trends = client.get("/trends", params={"format": "csv", "facet": "actor_type"})
        assert trends.status_code == 200
        _assert_safe(trends.text, HOSTILE["meeting"])
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    for args, expected in ((["select", "--format", "csv"], (HOSTILE["title"], HOSTILE["source"])),
                           (["matrix", "--rows", "source", "--format", "csv"], (HOSTILE["source"],)),
                           (["trends", "--facet", "actor_type", "--format", "csv"], (HOSTILE["meeting"],))):
        proc = subprocess.run([sys.executable, "-m", "api.cli", *args, "--index", str(hostile_index.path)],
                              capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        _assert_safe(proc.stdout, *expected)


def test_control_characters_never_reach_titles_reasons_or_cli_lines(hostile_index: IndexFolder, tmp_path: Path) -> None:
    assert hostile_index.store.curation_history("hostile")[-1]["reason"] == "kept for the record"
    odd = tmp_path / "docs" / "report\nsecond line\u202e.md"  # a newline and a right-to-left override
    odd.write_text("A report on grooming prevention in schools and the training of teachers.\n")
    entry = {"source": "Kenya\r\nInjected: yes", "meeting": "CWG-COP-21\x00"}
    report = IndexWriter(hostile_index).ingest([odd], {odd.resolve(): entry})
    assert not report.failed, report.failed
    doc = hostile_index.store.document(report.added[0])
    assert (doc.title, doc.source, doc.meeting) == ("Report second line", "Kenya Injected: yes", "CWG-COP-21")
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    listed = subprocess.run([sys.executable, "-m", "api.cli", "documents", "--index", str(hostile_index.path)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert listed.returncode == 0, listed.stderr
    assert [line for line in listed.stdout.splitlines() if "second line" in line]
    assert not any(ch in listed.stdout for ch in "\r\x00\u202e")
