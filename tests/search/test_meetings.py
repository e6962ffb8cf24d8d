"""Meetings and trends against hand counts: two meetings in an index (the seed: Malawi and the Philippines
at CWG-COP-20, UNICEF at CWG-COP-19), a meeting the file does not list, filters, charts that open."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from index.filters import Filters
from search.characterization.meetings import MeetingsError, load_meetings, meeting_summaries, trends
from search.characterization.render_trends import trends_chart, trends_csv, trends_markdown
from search.characterization.taxonomy import load_taxonomy
from tests.api.conftest import seed


@pytest.fixture
def two_meetings(fake_index, tmp_path: Path):
    seed(fake_index, tmp_path / "seed")
    return fake_index


def test_the_shipped_meetings_follow_the_programme():
    meetings = load_meetings()
    ids = [m.id for m in meetings]
    assert ids[:2] == ["CWG-COP-19", "CWG-COP-20"]
    twentieth = meetings[1]
    assert twentieth.date == "2024-01-22" and twentieth.focus == ("legal_frameworks",)
    taxonomy_ids = {lb.id for lb in load_taxonomy().labels()}
    assert all(set(m.focus) <= taxonomy_ids for m in meetings)
    assert [m.date for m in meetings] == sorted(m.date for m in meetings)


def test_meetings_in_date_order_with_counts(two_meetings, tmp_path: Path):
    taxonomy = load_taxonomy()
    rows = {s.meeting.id: s for s in meeting_summaries(two_meetings.store, taxonomy, load_meetings())}
    assert rows["CWG-COP-20"].documents == 2 and rows["CWG-COP-20"].actor_types == {"member_state": 2}
    assert rows["CWG-COP-19"].documents == 1 and rows["CWG-COP-19"].doc_types == {"report": 1}
    assert rows["CWG-COP-21"].documents == 0 and rows["CWG-COP-21"].focus == {"regulatory_reporting": 0}
    only_20 = tmp_path / "meetings.yaml"
    only_20.write_text("meetings:\n  - id: CWG-COP-20\n    date: 2024-01-22\n", encoding="utf-8")
    listed = meeting_summaries(two_meetings.store, taxonomy, load_meetings(only_20))
    assert [(s.meeting.id, s.meeting.date, s.meeting.in_file) for s in listed] == [
        ("CWG-COP-19", "2023-06-01", False), ("CWG-COP-20", "2024-01-22", True)]  # dated by its document
    bad = tmp_path / "bad.yaml"
    bad.write_text("meetings:\n  - id: CWG-COP-20\n    date: 22 January\n", encoding="utf-8")
    with pytest.raises(MeetingsError, match="CWG-COP-20"):
        load_meetings(bad)


def test_trends_by_meeting_and_year_match_hand_counts(two_meetings):
    taxonomy = load_taxonomy()
    data = trends(two_meetings.store, taxonomy, "actor_type", "meeting", None, load_meetings())
    assert [(p["period"], p["date"], p["documents"], p["counts"]) for p in data["periods"]] == [
        ("CWG-COP-19", "2023-10", 1, {"un_agency": 1}), ("CWG-COP-20", "2024-01-22", 2, {"member_state": 2})]
    assert data["periods"][1]["shares"] == {"member_state": 1.0} and data["unplaced"] == 0
    by_year = trends(two_meetings.store, taxonomy, "actor_type", "year", Filters.parse(["country=Malawi"]))
    assert [(p["period"], p["documents"]) for p in by_year["periods"]] == [("2024", 1)]
    assert "| CWG-COP-19 (2023-10) | 1 |" in trends_markdown(data)
    assert trends_csv(data).splitlines()[1].startswith("CWG-COP-19,2023-10,1,")
    with pytest.raises(MeetingsError):
        trends(two_meetings.store, taxonomy, "colour", "meeting")


def test_charts_open(two_meetings):
    from PIL import Image

    data = trends(two_meetings.store, load_taxonomy(), "actor_type", "meeting", None, load_meetings())
    png = trends_chart(data, "png")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size[0] > 600
    svg = trends_chart(data, "svg").decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg


@pytest.mark.slow
def test_the_brief_cites_only_documents_that_exist(tagged_sample_index):
    from docx import Document

    from search.synthesis.brief import brief, brief_docx, brief_markdown

    store = tagged_sample_index.store
    taxonomy = load_taxonomy()
    ids = {d.id for d in store.documents()}
    upcoming = brief(tagged_sample_index, taxonomy, "CWG-COP-21", load_meetings())
    assert upcoming["focus"] == [{"facet": "theme", "label": "regulatory_reporting",
                                  "name": "Regulatory frameworks and reporting mechanisms"}]
    carrying = {d.id for d in store.documents(Filters.parse(["theme=regulatory_reporting"]))}
    assert upcoming["earlier"] and {e["document_id"] for e in upcoming["earlier"]} <= carrying
    assert {c.document_id for c in upcoming["synthesis"].citations} <= ids and upcoming["own"] == []
    assert set(upcoming["not_yet"]["regions"]) >= {"CIS"}  # no sample document from there at all
    held = brief(tagged_sample_index, taxonomy, "cwg-cop-20", load_meetings())
    translations = {"unicef-guia-legislativa-es", "maroc-ateliers-protection-en-ligne-fr"}  # counted once, in English
    assert {d["document_id"] for d in held["own"]} == ids - translations and held["earlier"] == []  # nothing before
    text = brief_markdown(upcoming)
    assert "## What earlier meetings contributed" in text and "### Thematic synthesis" in text
    assert any(p.text.startswith("Briefing pack") for p in Document(io.BytesIO(brief_docx(upcoming))).paragraphs)
    with pytest.raises(MeetingsError, match="no meeting"):
        brief(tagged_sample_index, taxonomy, "CWG-COP-99", load_meetings())
    with pytest.raises(MeetingsError, match="no theme focus"):
        brief(tagged_sample_index, taxonomy, "CWG-COP-19", load_meetings())
