from __future__ import annotations

from pathlib import Path

from ingest.itu_header import parse_header
from ingest.prepare import prepare_document
from tests.conftest import SAMPLE

ITU_COVER = """Council Working Group on Child Online Protection
Twentieth meeting – Geneva, 22-23 January 2024
Document CWG-COP-20/INF/7
12 January 2024
English only
Information document by the Kingdom of Bahrain
SAFESURF: A PROGRAMME FOR A CULTURE OF CYBER SAFETY
Purpose
This document informs the group about SafeSurf."""


def test_itu_cover_page_fields():
    found = parse_header(ITU_COVER)
    assert (found.meeting, found.date, found.doc_type) == ("CWG-COP-20", "2024-01-12", "information")
    assert (found.source, found.country, found.symbol) == ("Bahrain", "Bahrain", "CWG-COP-20/INF/7")
    assert found.title == "Safesurf: a programme for a culture of cyber safety"


def test_contribution_with_wrapped_title_and_ordinal_meeting():
    found = parse_header("Council Working Group on Child Online Protection\n21st meeting, Geneva\n"
                         "Contribution from Egypt (Arab Republic of)\nDigital citizenship and awareness\n"
                         "within the national legal framework\nSummary\nText.")
    assert (found.meeting, found.doc_type, found.source) == ("CWG-COP-21", "contribution", "Egypt")
    assert found.title == "Digital citizenship and awareness within the national legal framework"


def test_submitter_wrapped_onto_next_line_and_labelled_form():
    found = parse_header("CWG-COP/20/INF/20 - CWG-COP-20 - 22-23 January 2024\nA Global Review\n"
                         "Information document submitted by the International Centre for Missing & Exploited\n"
                         "Children (ICMEC).\nBackground")
    assert (found.source, found.title, found.date) == ("ICMEC", "A Global Review", "2024-01-22")
    labelled = parse_header("Source: UNICEF\nTitle: Legislative guidance on online abuse\nDate: 3 March 2023")
    assert (labelled.source, labelled.title, labelled.date) == ("UNICEF", "Legislative guidance on online abuse",
                                                                "2023-03-03")


def test_ordinary_text_yields_nothing():
    found = parse_header("Annual report\nOur organisation worked hard this year.\nIt was a good year.")
    assert found.as_fields() == {}


def test_sample_corpus_metadata_without_manifest_matches_the_manifest():
    """Inference alone (no manifest) recovers the submitter and type the manifest states, for most files."""
    import csv

    rows = list(csv.DictReader((SAMPLE / "manifest.csv").open(encoding="utf-8")))
    same_source = same_type = 0
    for row in rows:
        meta = prepare_document(SAMPLE / row["path"]).meta
        same_source += meta.source.lower() == row["source"].lower() or \
            bool(row["country"]) and meta.country == row["country"]
        same_type += meta.doc_type == row["doc_type"]
    assert same_source >= 0.85 * len(rows), same_source
    assert same_type >= 0.85 * len(rows), same_type


def test_header_title_beats_a_generic_pdf_title(tmp_path: Path):
    data = (ITU_COVER + "\n\nMore text about the programme and its results for children.").encode()
    meta = prepare_document(tmp_path / "inf7.txt", data).meta
    assert meta.title.startswith("Safesurf") and meta.region == "Arab States" and meta.meeting == "CWG-COP-20"
