"""Similar by what they do (issue 24): initiatives of the same kind, on the same problem, for a comparable audience
rank first, each result says why, and names never count as shared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main as cli_main
from index.folder import IndexFolder
from index.writer import IndexWriter
from search.characterization.tagging import Tagger
from search.characterization.taxonomy import load_taxonomy
from search.retrieval.initiative_match import mask
from search.retrieval.similar import SimilarFinder, SimilarWeights

DOCS = {
    "kenya.md": ("# Reporting abuse\n\nKenya launched a national tipline in 2021 where the public reports child sexual "
                 "abuse material; the hotline refers reports to the police.\n", "Kenya"),
    "canada.md": ("# Reporting abuse\n\nCanada runs a national tipline where members of the public report suspected "
                  "child sexual abuse material and sextortion; reports go to the police.\n", "Canada"),
    "egypt.md": ("# Egypt and digital literacy\n\nEgypt introduced digital literacy lessons in the school curriculum: "
                 "teachers teach pupils digital citizenship and online safety. Egypt trains teachers.\n", "Egypt"),
}


def tagged_index(tmp_path: Path) -> IndexFolder:
    """DOCS ingested into `tmp_path / "ix"` with the bundled model, tagged (so their initiatives are read)."""
    folder = IndexFolder.open(tmp_path / "ix", create=True)
    files, entries = [], {}
    for name, (text, country) in DOCS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(tmp_path / name)
        entries[(tmp_path / name).resolve()] = {"source": country, "country": country, "doc_type": "contribution"}
    assert not IndexWriter(folder).ingest(files, entries).failed
    folder.refresh_vectors()
    Tagger(folder, load_taxonomy()).tag()
    return folder


def test_same_kind_first_and_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    folder = tagged_index(tmp_path)
    finder = SimilarFinder(folder, floor=0.0)
    results = finder.similar(document_id="kenya", k=2)
    assert results[0].document_id == "canada"
    why = results[0].why
    assert why is not None and why["initiative_type"] == ["helpline_reporting"] and "csam" in why["risk"]  # shown, whatever it weighs
    assert why["initiative"]["id"].startswith("canada~") and why["matched_initiative"]["id"].startswith("kenya~")
    assert "Canada" not in results[0].shared and "Kenya" not in results[0].shared
    assert results[0].to_json()["why"] == why
    plain = SimilarFinder(folder, SimilarWeights(initiatives=0.0), floor=0.0).similar(document_id="kenya", k=2)
    assert all(r.why is None for r in plain)  # without initiatives: the passages alone
    finder.close()
    folder.close()
    assert cli_main(["similar", "--index", str(tmp_path / "ix"), "--document", "kenya", "-k", "1"]) == 0
    assert "why: helpline_reporting" in capsys.readouterr().out  # the CLI says why too
    kenya = why["matched_initiative"]["id"]  # like one initiative record, from the CLI
    assert cli_main(["similar", "--index", str(tmp_path / "ix"), "--initiative", kenya, "-k", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["results"]
    assert out[0]["document_id"] == "canada" and out[0]["why"]["matched_initiative"]["id"] == kenya
    assert cli_main(["similar", "--index", str(tmp_path / "ix"), "--initiative", "kenya~none"]) == 1
    assert "no initiative 'kenya~none'" in capsys.readouterr().err


def test_mask_drops_names_boilerplate_and_generic_words():
    text = ("The information document from Egypt highlighted that the Egyptian government and UNICEF run a national "
            "programme at the Council Working Group on Child Online Protection: teachers teach digital citizenship.")
    masked = mask(text, "Ministry of Communications", "Egypt")
    for gone in ("Egypt", "Egyptian", "UNICEF", "Council Working Group", "national", "programme"):
        assert gone not in masked
    assert "teachers teach digital citizenship" in masked
