"""The `cwg` command-line contract: output lines, JSON shapes and exit codes (real model, small inputs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLE

pytestmark = pytest.mark.slow
CWG = [sys.executable, "-m", "api.cli"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CWG, *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(Path(__file__).parents[2])})


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("cli")
    (work / "docs").mkdir()
    for name in ("malawi-training-of-trainers.txt", "euconsent-age-assurance.md", "council-of-europe-lanzarote.pdf"):
        (work / "docs" / name).write_bytes((SAMPLE / name).read_bytes())
    (work / "docs" / "broken.pdf").write_text("<html><body>not a pdf</body></html>")
    (work / "docs" / "manifest.csv").write_text(
        "path,source,country,doc_type,meeting\nmalawi-training-of-trainers.txt,Malawi,Malawi,information,CWG-COP-20\n")
    proc = run("ingest", "docs", "--manifest", "docs/manifest.csv", cwd=work)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.strip().endswith("added 3, updated 0, unchanged 0, failed 1")
    assert proc.stderr.strip().splitlines() == ["docs/broken.pdf: named .pdf but the content is HTML, not PDF: "
                                                "rename it to .html to index it"]
    return work


def test_default_index_folder_and_reingest(indexed: Path):
    assert (indexed / "cwg-index" / "index.json").exists()
    proc = run("ingest", "docs/malawi-training-of-trainers.txt", "--manifest", "docs/manifest.csv", cwd=indexed)
    assert proc.returncode == 0 and proc.stdout.strip() == "added 0, updated 0, unchanged 1, failed 0"


def test_reingest_without_the_manifest_keeps_its_metadata(indexed: Path):
    def malawi() -> dict:
        docs = json.loads(run("documents", "--json", cwd=indexed).stdout)["documents"]
        return next(d for d in docs if d["document_id"] == "malawi-training-of-trainers")

    before = malawi()
    proc = run("ingest", "docs", cwd=indexed)  # the same folder, without --manifest
    assert proc.returncode == 1  # broken.pdf still fails
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == "added 0, updated 0, unchanged 3, failed 1"
    assert lines[-2].startswith("kept the metadata given earlier for 1 document:")
    after = malawi()
    assert (after["source"], after["doc_type"], after["country"]) == ("Malawi", "information", "Malawi")
    assert after == before


def test_search_json_shape_and_filters(indexed: Path):
    proc = run("search", "training of educators", "--json", "-k", "3", "--where", "country=Malawi", cwd=indexed)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["query"] == "training of educators" and data["hits"]
    for hit in data["hits"]:
        assert {"document_id", "chunk_id", "title", "source", "country", "doc_type", "meeting", "page", "text",
                "score"} <= set(hit)
        assert hit["country"] == "Malawi" and hit["page"] is None
    pdf = json.loads(run("search", "Lanzarote Committee", "--json", "-k", "1", cwd=indexed).stdout)["hits"][0]
    assert isinstance(pdf["page"], int) and pdf["page"] >= 1


def test_documents_similar_and_remove(indexed: Path):
    docs = json.loads(run("documents", "--json", cwd=indexed).stdout)["documents"]
    assert {d["document_id"] for d in docs} == {"malawi-training-of-trainers", "euconsent-age-assurance",
                                               "council-of-europe-lanzarote"}
    sim = json.loads(run("similar", "--document", "euconsent-age-assurance", "--json", "--where", "collection=all",
                         cwd=indexed).stdout)["results"]
    # nothing here is an age-assurance initiative: what is offered clears the similarity floor
    assert all({"document_id", "source", "score", "passage", "matched"} <= set(r) for r in sim)
    assert all(r["score"] >= 0.5 for r in sim)
    proc = run("similar", "--text", "a law that requires age verification on adult websites", "--json",
               "--where", "collection=library", cwd=indexed)
    found = json.loads(proc.stdout)["results"]
    assert [r["document_id"] for r in found][:1] == ["euconsent-age-assurance"]
    assert run("remove", "euconsent-age-assurance", cwd=indexed).returncode == 0
    docs = json.loads(run("documents", "--json", cwd=indexed).stdout)["documents"]
    assert len(docs) == 2
    proc = run("remove", "euconsent-age-assurance", cwd=indexed)
    assert proc.returncode == 1 and "no document 'euconsent-age-assurance'" in proc.stderr


def test_versions_are_listed_linked_and_proposed(indexed: Path):
    proc = run("versions", "--link", "malawi-training-of-trainers", cwd=indexed)
    assert proc.returncode == 2 and "at least two" in proc.stderr
    proc = run("versions", "--link", "malawi-training-of-trainers", "nowhere", cwd=indexed)
    assert proc.returncode == 1 and "no document 'nowhere'" in proc.stderr
    pair = ["council-of-europe-lanzarote", "malawi-training-of-trainers"]
    assert json.loads(run("versions", "--link", *pair, "--json", cwd=indexed).stdout) == {"linked": pair}
    groups = json.loads(run("versions", "--json", cwd=indexed).stdout)["versions"]
    assert [[v["document_id"] for v in g] for g in groups] == [pair]
    docs = {d["document_id"]: d for d in json.loads(run("documents", "--json", cwd=indexed).stdout)["documents"]}
    assert docs["malawi-training-of-trainers"]["versions"] == [{"document_id": pair[0], "language": "en"}]
    shown = run("search", "training teachers as trainers in Malawi", "-k", "3", cwd=indexed).stdout
    assert "also in: English <council-of-europe-lanzarote>" in shown
    proposed = run("versions", "--propose", "--json", cwd=indexed)
    assert proposed.returncode == 0 and json.loads(proposed.stdout) == {"proposals": []}  # one language here


@pytest.mark.parametrize("args, code, message", [
    (["search", ""], 2, "empty query"),
    (["search", "x", "--where", "colour=red"], 2, "unknown filter field"),
    (["search", "x", "--per-source", "0"], 2, "--per-source must be at least 1"),
    (["frobnicate"], 2, "invalid choice"),
    (["search", "x", "--index", "nowhere"], 1, "no index at nowhere"),
])
def test_usage_errors_are_clean(indexed: Path, args: list[str], code: int, message: str):
    proc = run(*args, cwd=indexed)
    assert proc.returncode == code and message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_parser_and_the_dispatch_come_from_one_table():
    """Every command of the modules' COMMANDS tables is a sub-command, once, in the order of `cwg --help`; the
    CLI dispatches through the same records (no lookup of a function by its name)."""
    from api.cli import COMMANDS, build_parser

    names = [c.name for c in COMMANDS]
    assert len(names) == len(set(names)) and {"ingest", "search", "tag", "curate"} <= set(names)
    assert "{" + ",".join(names) + "}" in build_parser().format_usage()
    parsed = build_parser().parse_args(["search", "teachers", "--per-source", "2"])
    assert parsed.command == "search" and parsed.per_source == 2 and parsed.index is None
    assert not hasattr(build_parser().parse_args(["template"]), "index")  # a command that reads no index
