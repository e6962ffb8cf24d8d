"""`cwg sources` and sources named once through the CLI (issue 25), with the real model on real files: two Raspberry
Pi Foundation guides whose manifest names the organisation once by name and once by its web site are one source in
`cwg documents`, in `cwg matrix --rows source` and in `cwg similar` (one result per source); an index that stored
the web site as the source (before the alias table) is renamed by `cwg sources --apply`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, shared_data

pytestmark = pytest.mark.slow
CWG = [sys.executable, "-m", "api.cli"]
GUIDES = ("en__safeguarding_code_of_behaviour_for_volunteers.pdf", "en__online_code_of_behaviour_for_young_people.pdf")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CWG, *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1",
                               "PYTHONPATH": str(Path(__file__).parents[2])})


def test_an_alias_and_its_organisation_are_one_source_everywhere(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in GUIDES:
        (docs / name).write_bytes(shared_data("policy_pdfs", "multilingual_child_online_safety", name).read_bytes())
    (docs / "roblox.md").write_bytes((SAMPLE / "roblox-safety-and-civility.md").read_bytes())
    (docs / "manifest.csv").write_text(f"path,source\n{GUIDES[0]},Raspberry Pi Foundation\n"
                                       f"{GUIDES[1]},https://www.raspberrypi.org/\nroblox.md,Roblox Corporation\n")
    proc = run("ingest", "docs", "--manifest", "docs/manifest.csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    documents = json.loads(run("documents", "--json", cwd=tmp_path).stdout)["documents"]
    assert sorted(d["source"] for d in documents) == ["Raspberry Pi Foundation", "Raspberry Pi Foundation", "Roblox"]

    assert run("tag", cwd=tmp_path).returncode == 0
    proc = run("matrix", "--rows", "source", "--format", "csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split(",")[0] for line in proc.stdout.strip().splitlines()[1:]]
    assert "raspberrypi.org" not in rows and rows.count("Raspberry Pi Foundation") == 1

    proc = run("similar", "--text", "online coding club sessions: rules for young people and for volunteers who run them",
               "--json", cwd=tmp_path)
    results = json.loads(proc.stdout)["results"]
    guides = [r for r in results if r["source"] == "Raspberry Pi Foundation"]
    assert len(guides) == 1 and len(guides[0]["also"]) == 1  # one result per source, the other guide under it

    listed = json.loads(run("sources", "--json", cwd=tmp_path).stdout)["sources"]
    first = listed[0]
    assert (first["source"], first["documents"], first["becomes"]) == ("Raspberry Pi Foundation", 2, "")
    assert "raspberrypi.org" in first["aliases"]


def test_sources_apply_renames_an_index_built_before_the_alias(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in GUIDES:
        (docs / name).write_bytes(shared_data("policy_pdfs", "multilingual_child_online_safety", name).read_bytes())
    assert run("ingest", "docs", cwd=tmp_path).returncode == 0
    # what an earlier version stored: the web site the guide gives, as its source
    subprocess.run([sys.executable, "-c", "from index.folder import IndexFolder; f = IndexFolder.open('cwg-index'); "
                    "f.store.set_sources({'en-online-code-of-behaviour-for-young-people': ('raspberrypi.org', "
                    "'other')}); f.close()"], check=True, cwd=tmp_path, timeout=120,
                   env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(Path(__file__).parents[2])})
    before = run("sources", cwd=tmp_path).stdout
    assert "raspberrypi.org  → Raspberry Pi Foundation (run `cwg sources --apply`)" in before
    dry = json.loads(run("sources", "--dry-run", "--json", cwd=tmp_path).stdout)
    assert dry["applied"] is False and [c["after"] for c in dry["changes"]] == ["Raspberry Pi Foundation"]
    proc = run("sources", "--apply", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("1 document renamed")
    documents = json.loads(run("documents", "--json", cwd=tmp_path).stdout)["documents"]
    young = next(d for d in documents if d["document_id"] == "en-online-code-of-behaviour-for-young-people")
    assert (young["source"], young["actor_type"]) == ("Raspberry Pi Foundation", "civil_society")
    assert run("sources", "--apply", cwd=tmp_path).stdout.strip() == "every source is named as the table names it"
