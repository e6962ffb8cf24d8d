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
    entries = read_manifest(manifest).entries
    entry = entries[(tmp_path / "docs" / "a.txt").resolve()]
    assert entry["doc_type"] == "information" and entry["symbol"] == "INF/1"


def test_manifest_jsonl_and_a_manifest_that_cannot_be_used(tmp_path: Path):
    from ingest.metadata import read_manifest

    good = tmp_path / "m.jsonl"
    good.write_text(json.dumps({"path": "x.pdf", "source": "UNICEF", "doc_type": "report"}) + "\n\n")
    assert read_manifest(good).entries[(tmp_path / "x.pdf").resolve()]["source"] == "UNICEF"
    (tmp_path / "nopath.csv").write_text("file,title\nx,y\n")
    with pytest.raises(ManifestError, match="no 'path' column"):
        read_manifest(tmp_path / "nopath.csv")


def test_manifest_problems_are_per_row_and_every_bad_row_is_listed(tmp_path: Path):
    """Regression: one unknown doc_type or malformed date aborted the whole ingest, naming the first row only."""
    from ingest.metadata import read_manifest

    bad = tmp_path / "manifest.csv"
    bad.write_text("path,doc_type,date,title\n"
                   "a.pdf,Liaison statement,2024-01-22,A\n"     # a type of the group, by its name
                   "b.pdf,Secretariat,2024,B\n"                # and by a short form
                   "c.pdf,Meeting Notes,2024-02,C\n"           # not a type of the group: kept, warned
                   "d.pdf,contribution,22/01/2024,D\n"         # malformed date: dropped, warned
                   ",report,,E\n"                              # no path: skipped, warned
                   "f.pdf,presentation,2024-13-01,F\n")        # month 13
    manifest = read_manifest(bad)
    entries = {p.name: e for p, e in manifest.entries.items()}
    assert sorted(entries) == ["a.pdf", "b.pdf", "c.pdf", "d.pdf", "f.pdf"]
    assert entries["a.pdf"]["doc_type"] == "liaison_statement" and entries["a.pdf"]["date"] == "2024-01-22"
    assert entries["b.pdf"]["doc_type"] == "secretariat"
    assert entries["c.pdf"]["doc_type"] == "meeting_notes"
    assert "date" not in entries["d.pdf"] and entries["d.pdf"]["title"] == "D"
    assert [p.split(": ")[0] for p in manifest.problems] == ["manifest.csv:4", "manifest.csv:5", "manifest.csv:6",
                                                             "manifest.csv:7"]
    assert "'Meeting Notes'" in manifest.problems[0] and "kept as 'meeting_notes'" in manifest.problems[0]
    assert "22/01/2024" in manifest.problems[1] and "date left out" in manifest.problems[1]
    assert "empty 'path'" in manifest.problems[2]
    unmatched = manifest.unmatched([tmp_path / "a.pdf", tmp_path / "b.pdf"])
    assert len(unmatched) == 3 and unmatched[0].startswith("manifest.csv:4: no file")


def test_manifest_rows_naming_files_outside_its_folder_are_refused(tmp_path: Path):
    from ingest.metadata import read_manifest

    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "elsewhere.txt").write_text("x")
    (tmp_path / "docs" / "link.txt").symlink_to(tmp_path / "elsewhere.txt")
    manifest = tmp_path / "docs" / "manifest.csv"
    manifest.write_text("path,source\n"
                        "sub/a.txt,Kenya\n"                       # inside: used
                        "../elsewhere.txt,Kenya\n"                # a parent's file: refused
                        f"{tmp_path / 'elsewhere.txt'},Kenya\n"    # an absolute path outside: refused
                        "/etc/hostname,Kenya\n"
                        "link.txt,Kenya\n"                        # a link inside that points outside: refused
                        f"{tmp_path / 'docs' / 'b.txt'},Chile\n")  # absolute, but inside: used
    read = read_manifest(manifest)
    assert sorted(p.name for p in read.entries) == ["a.txt", "b.txt"]
    assert [p.split(": ")[0] for p in read.problems] == [f"manifest.csv:{n}" for n in (3, 4, 5, 6)]
    assert all("outside the manifest's folder; row not used" in p for p in read.problems)


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
