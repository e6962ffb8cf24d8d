from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.errors import ManifestError
from ingest.prepare import prepare_document
from tests.conftest import shared_data


def test_manifest_csv_resolves_paths_and_keeps_extra_columns(tmp_path: Path):
    from ingest.metadata import read_manifest

    (tmp_path / "docs").mkdir()
    manifest = tmp_path / "docs" / "m.csv"
    manifest.write_text("path,title,source,country,doc_type,meeting,date,language,symbol\n"
                        "a.txt,Title A,Egypt,Egypt (Arab Republic of),Information document,CWG-COP-20,2024-01-22,en,INF/1\n")
    entries = read_manifest(manifest)
    entry = entries[(tmp_path / "docs" / "a.txt").resolve()]
    assert entry["doc_type"] == "information" and entry["symbol"] == "INF/1"


def test_manifest_jsonl_and_errors(tmp_path: Path):
    from ingest.metadata import read_manifest

    good = tmp_path / "m.jsonl"
    good.write_text(json.dumps({"path": "x.pdf", "source": "UNICEF", "doc_type": "report"}) + "\n\n")
    assert read_manifest(good)[(tmp_path / "x.pdf").resolve()]["source"] == "UNICEF"
    bad = tmp_path / "bad.csv"
    bad.write_text("path,doc_type\nx.pdf,memo\n")
    with pytest.raises(ManifestError, match=r"bad.csv line 2: doc_type 'memo' is not one of"):
        read_manifest(bad)
    (tmp_path / "nopath.csv").write_text("file,title\nx,y\n")
    with pytest.raises(ManifestError, match="no 'path' column"):
        read_manifest(tmp_path / "nopath.csv")
    (tmp_path / "date.csv").write_text("path,date\nx,22/01/2024\n")
    with pytest.raises(ManifestError, match="not an ISO date"):
        read_manifest(tmp_path / "date.csv")


def test_precedence_manifest_over_front_matter_over_inference(tmp_path: Path):
    data = (b"---\ntitle: From front matter\nsource: Front Org\nlanguage: en\n---\n"
            b"# A heading\n\nThe Kingdom of Bahrain launched SafeSurf to protect children online.\n")
    doc = prepare_document(tmp_path / "x.md", data, {"title": "From manifest"})
    assert doc.meta.title == "From manifest"
    assert doc.meta.source == "Front Org"
    doc = prepare_document(tmp_path / "x.md", data, None)
    assert doc.meta.title == "From front matter"


def test_country_and_region_inferred_from_filename_and_text(tmp_path: Path):
    text = b"National report\n\nThe Republic of the Philippines adopted a law. The Philippines also trains teachers.\n"
    doc = prepare_document(tmp_path / "cop_report_2024.txt", text)
    assert (doc.meta.country, doc.meta.region, doc.meta.source) == ("Philippines", "Asia-Pacific", "Philippines")
    doc = prepare_document(tmp_path / "egypt_digital_citizenship.txt", b"Some text about digital citizenship.")
    assert (doc.meta.country, doc.meta.region) == ("Egypt", "Arab States")


def test_real_pdf_metadata_is_inferred():
    path = shared_data("policy_pdfs", "digital_ai_policy", "canada2017ai_pan-canadian-ai-strategy.pdf")
    doc = prepare_document(path)
    assert doc.meta.title == "Pan-Canadian Artificial Intelligence Strategy"
    assert (doc.meta.country, doc.meta.region, doc.meta.language) == ("Canada", "Americas", "en")
    assert doc.page_count == 5 and doc.format == "pdf"
    french = shared_data("policy_pdfs", "french_policy_briefs", "onp_ci_note-politique-1.pdf")
    assert prepare_document(french).meta.language == "fr"


def test_source_organisation_inferred_from_filename_title_or_author(tmp_path: Path):
    from ingest.organisations import find_organisation, find_organisation_in_filename

    assert find_organisation_in_filename("unesco2019beijing_beijing-consensus.pdf") == "UNESCO"
    assert find_organisation_in_filename("5rights-global-legislation.md") == "5Rights Foundation"
    assert find_organisation_in_filename("child_rights_report.pdf") == ""
    assert find_organisation("Report of the United Nations Children's Fund") == "UNICEF"
    assert find_organisation("the eu is big", "Who we are") == ""  # acronyms must be written as acronyms
    doc = prepare_document(tmp_path / "oecd2019_recommendation.txt", b"Recommendation on AI.")
    assert doc.meta.source == "OECD" and doc.meta.country == ""
