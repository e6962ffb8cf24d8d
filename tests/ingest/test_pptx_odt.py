"""Slide decks, OpenDocument text and legacy Office files, on real files made here (issue 25)."""

from __future__ import annotations

import io
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from ingest.errors import LoadError
from ingest.limits import ReadLimits
from ingest.loaders import load_file
from ingest.prepare import prepare_document
from tests.ingest.office_files import NOTE, RESULT, TABLE_CELL, make_deck, make_odt

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _ole(stream: str) -> bytes:
    """The head of a compound file naming its stream the way Word/PowerPoint do (UTF-16 directory names)."""
    return OLE_MAGIC + bytes(504) + stream.encode("utf-16-le") + bytes(1024)


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    return make_deck(tmp_path / "malawi-helpline.pptx")


def test_each_slide_is_a_page_with_its_title_as_heading(deck: Path):
    doc = load_file(deck)
    assert doc.format == "pptx" and doc.page_count == 6
    assert doc.title == "Keeping children safe online in Malawi"
    headings = [(b.page, b.text) for b in doc.blocks if b.kind == "heading"]
    assert headings == [(1, "Keeping children safe online in Malawi"), (2, "Results"), (3, "Partners"),
                        (4, "How the programme works"), (6, "Next steps")]
    assert all(b.level == 1 for b in doc.blocks if b.kind == "heading")
    first_of_page = {}
    for block in doc.blocks:
        first_of_page.setdefault(block.page, block)
    assert all(first_of_page[p].kind == "heading" for p in (1, 2, 3, 4, 6))  # the title leads its slide


def test_text_boxes_keep_their_lines_and_notes_are_marked(deck: Path):
    slide2 = [b for b in load_file(deck).blocks if b.page == 2]
    assert [b.kind for b in slide2] == ["heading", "paragraph", "paragraph"]
    assert slide2[1].text == f"{RESULT}\nCalls came from every region of the country."
    assert slide2[2].text == f"Speaker notes: {NOTE}"  # last on its slide, and says what it is


def test_tables_join_cells_as_the_word_loader_does(deck: Path):
    tables = [b for b in load_file(deck).blocks if b.kind == "table"]
    assert len(tables) == 1 and tables[0].page == 3
    assert tables[0].text.splitlines() == ["Partner | Role", "UNICEF | funding of the national helpline",
                                           f"ECPAT | {TABLE_CELL}"]


def test_grouped_shapes_are_read_top_to_bottom_then_left_to_right(deck: Path):
    slide4 = [b.text for b in load_file(deck).blocks if b.page == 4 and b.kind == "paragraph"]
    assert slide4 == ["Schools display the number", "Children call the helpline", "Cases go to the police unit"]


def test_pictures_without_text_are_counted_not_read(deck: Path):
    doc = load_file(deck)
    assert not [b for b in doc.blocks if b.page == 5]
    assert doc.warnings == ["1 picture without text on slide 5: not read (their content is not indexed)"]


def test_embedded_objects_are_counted_and_hidden_slides_named(deck: Path):
    from pptx import Presentation
    from pptx.enum.shapes import PROG_ID
    from pptx.util import Inches

    edited = Presentation(str(deck))
    edited.slides[4].shapes.add_ole_object(io.BytesIO(b"a workbook's bytes"), PROG_ID.XLSX, Inches(4), Inches(3))
    edited.slides[5].element.set("show", "0")  # "Hide slide" in PowerPoint
    edited.save(str(deck))
    doc = load_file(deck)
    assert doc.warnings == [
        "1 picture without text on slide 5: not read (their content is not indexed)",
        "1 diagram or embedded object without text on slide 5: not read (their content is not indexed)",
        "slide 6 is hidden in the deck: indexed like the others"]
    assert [b.text for b in doc.blocks if b.page == 6][0] == "Next steps"


def test_passages_cite_their_slide_and_the_deck_is_a_presentation(deck: Path):
    prepared = prepare_document(deck)
    assert prepared.meta.doc_type == "presentation"
    assert prepared.meta.title == "Keeping children safe online in Malawi"
    assert all(c.page_start == c.page_end for c in prepared.chunks)  # a passage never spans two slides
    noted = next(c for c in prepared.chunks if NOTE in c.text)
    assert (noted.page_start, noted.section) == (2, "Results")
    cell = next(c for c in prepared.chunks if TABLE_CELL in c.text)
    assert (cell.page_start, cell.section) == (3, "Partners")


def test_a_manifest_doc_type_wins_over_the_presentation_default(deck: Path):
    assert prepare_document(deck, entry={"doc_type": "contribution"}).meta.doc_type == "contribution"


def test_a_results_slide_title_is_read_as_a_heading_by_the_quality_signals(tmp_path: Path):
    def results(title: str):
        profile = prepare_document(make_deck(tmp_path / f"{title}.pptx", results_title=title)).quality
        return next(r for r in profile.signals if r.id == "results")

    under_results = results("Results")
    assert under_results.found and under_results.evidence is not None
    assert (under_results.evidence.text, under_results.evidence.page) == (RESULT, 2)
    assert not results("Overview").found  # the same sentence under another title shows no results


def test_odt_headings_paragraphs_lists_and_tables_in_order(tmp_path: Path):
    doc = load_file(make_odt(tmp_path / "strategy.odt"))
    assert doc.format == "odt"
    assert (doc.title, doc.author) == ("Child online protection strategy", "Ministry of ICT")
    assert [(b.kind, b.level, b.text) for b in doc.blocks] == [
        ("heading", 1, "National strategy for child online protection"),  # the Title style
        ("heading", 1, "1 Background"),
        ("paragraph", 0, "The ministry consulted children, parents and teachers in 2023."),
        ("heading", 2, "1.1 Results"),
        ("paragraph", 0, "Reports of online abuse fell by a quarter after the campaign."),
        ("paragraph", 0, "• a national helpline\n• training for teachers\n• in every district"),
        ("table", 0, "Item | Amount\nHelpline staff salaries | 120,000 USD\nTotal under review"),
        ("heading", 1, "2 Next steps"),
        ("paragraph", 0, "The strategy will be reviewed in 2026."),
    ]


def test_odt_pages_come_from_soft_page_breaks_else_none(tmp_path: Path):
    paged = load_file(make_odt(tmp_path / "paged.odt"))
    assert paged.page_count == 2
    assert [b.page for b in paged.blocks] == [1, 1, 1, 1, 1, 2, 2, 2, 2]
    plain = load_file(make_odt(tmp_path / "plain.odt", body="<text:h>Scope</text:h><text:p>All schools.</text:p>"))
    assert plain.page_count is None and {b.page for b in plain.blocks} == {None}


def test_office_packages_are_told_apart_by_their_parts(deck: Path, tmp_path: Path):
    with pytest.raises(LoadError, match="named .docx but the content is PPTX"):
        load_file(Path("slides.docx"), deck.read_bytes())
    odt = make_odt(tmp_path / "s.odt").read_bytes()
    assert load_file(Path("no-extension"), odt).format == "odt"
    for parts, reason in ((("xl/workbook.xml",), "Excel workbook"),
                          (("mimetype:application/vnd.oasis.opendocument.presentation", "content.xml"),
                           "OpenDocument presentation")):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as package:
            for part in parts:
                name, _, value = part.partition(":")
                package.writestr(name, value or "<x/>")
        with pytest.raises(LoadError, match=reason):
            load_file(Path("file.bin"), buffer.getvalue())


def test_a_truncated_deck_is_refused_with_its_reason(deck: Path):
    data = deck.read_bytes()
    with pytest.raises(LoadError, match="damaged zip package"):
        load_file(Path("cut.pptx"), data[: len(data) // 2])


@pytest.mark.parametrize("name, parts, reason", [
    ("a.pptx", {"[Content_Types].xml": "<x/>", "ppt/presentation.xml": "<not xml"},
     "not a readable PowerPoint presentation"),
    ("a.odt", {"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<unclosed"},
     r"not a readable OpenDocument text \(ParseError"),
    ("b.odt", {"mimetype": "application/vnd.oasis.opendocument.text"}, "it has no content.xml"),
])
def test_malformed_packages_are_refused_with_their_reason(name: str, parts: dict[str, str], reason: str):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for part, text in parts.items():
            package.writestr(part, text)
    with pytest.raises(LoadError, match=reason):
        load_file(Path(name), buffer.getvalue())


def test_decks_and_odt_obey_the_unpacked_size_limit(deck: Path, tmp_path: Path):
    small = ReadLimits(max_unpacked_bytes=20_000)
    for path in (deck, make_odt(tmp_path / "s.odt", body="<text:p>" + "child safety " * 4000 + "</text:p>")):
        with pytest.raises(LoadError, match="unpacks to"):
            load_file(path, limits=small)


def test_reading_stops_at_the_parse_time_limit(deck: Path, tmp_path: Path):
    rows = "".join(f"<table:table-row><table:table-cell><text:p>row {i}</text:p></table:table-cell>"
                   "</table:table-row>" for i in range(200))
    odt = make_odt(tmp_path / "long.odt", body=f"<table:table>{rows}</table:table>")
    for path, where in ((odt, "element 64 of the text"), (deck, "slide 1")):
        with pytest.raises(LoadError, match=f"reading took longer than 0 s .*stopped at {where}"):
            load_file(path, limits=ReadLimits(max_parse_seconds=0))


def _path_without_converters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **scripts: str) -> None:
    """PATH holds only `scripts` (name → shell body): no LibreOffice, no antiword unless given."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in scripts.items():
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))


@pytest.mark.parametrize("stream, name, advice", [
    ("WordDocument", "old.doc", "legacy binary Word file (.doc): save it as .docx or PDF first, or install "
                                "LibreOffice (soffice) or antiword"),
    ("PowerPoint Document", "old.ppt", "legacy binary PowerPoint file (.ppt): save it as .pptx or PDF first, or "
                                       "install LibreOffice (soffice)"),
])
def test_legacy_files_without_a_converter_are_refused_with_advice(stream: str, name: str, advice: str,
                                                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _path_without_converters(tmp_path, monkeypatch)
    with pytest.raises(LoadError) as refused:
        load_file(Path(name), _ole(stream))
    assert str(refused.value).startswith(advice)


def test_a_failing_converter_is_reported_in_its_own_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _path_without_converters(tmp_path, monkeypatch, antiword='echo "I can\'t open this file" >&2; exit 1')
    with pytest.raises(LoadError, match=r"antiword could not convert the \.doc file \(exit status 1\): "
                                        r"I can't open this file"):
        load_file(Path("old.doc"), _ole("WordDocument"))


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed: the "
                                                            "conversion of .doc/.ppt is tested where it is")
def test_legacy_files_are_converted_by_libreoffice(tmp_path: Path):
    odt, deck = make_odt(tmp_path / "strategy.odt"), make_deck(tmp_path / "deck.pptx")
    for source, target, phrase in ((odt, "doc", "Reports of online abuse fell by a quarter"), (deck, "ppt", NOTE)):
        subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                        "--convert-to", target, "--outdir", str(tmp_path / "legacy"), str(source)],
                       check=True, capture_output=True, timeout=180)
        doc = load_file(tmp_path / "legacy" / f"{source.stem}.{target}")
        assert doc.format == target and f"converted from .{target} by LibreOffice" in doc.warnings
        assert phrase in "\n".join(b.text for b in doc.blocks)
