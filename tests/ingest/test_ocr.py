"""Scanned pages (issue 25): a page that is an image is read by OCR and its passages say so; a blank or drawn
page makes no "scanned" claim; without the OCR program the warning says what to install and the rest is kept."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from api.settings import Settings
from ingest.limits import ReadLimits
from ingest.loaders import load_file
from ingest.ocr import OcrSettings, parse_tsv
from ingest.pdf_text import classify_pages

ROOT = Path(__file__).resolve().parents[2]
TEXT = ("The national strategy on child online protection was adopted in 2022 after consultations with schools, "
        "parents and the telecommunication regulator. ") * 8  # a chunk of its own: page 1 ends it
SCANNED = ["Helplines in Malawi answered 4,210 calls about online",
           "grooming during the pilot year, twice the count before.",
           "The ministry trained teachers in every district to",
           "recognise sextortion and report it to the helpline."]
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract-ocr is not installed (apt-get install tesseract-ocr)")


def _scan_image():  # type: ignore[no-untyped-def]
    """A page as a scanner gives it: the text drawn by PIL on a 300-dpi A4 bitmap, turned slightly."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")), 44) \
        if Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf").exists() else ImageFont.load_default(44)
    for number, line in enumerate(SCANNED):
        draw.text((220, 320 + number * 80), line, font=font, fill=0)
    return page.rotate(0.6, fillcolor=255)


def scanned_pdf() -> bytes:
    """Page 1: a text layer; page 2: only an image of text (a scan); page 3: nothing; page 4: vector art only."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, TEXT)
    pdf.add_page()
    pdf.image(_scan_image(), x=0, y=0, w=210, h=297)
    pdf.add_page()  # blank
    pdf.add_page()
    pdf.set_fill_color(30, 60, 160)
    pdf.rect(20, 40, 170, 120, style="F")  # a divider page: drawn, no image, no text
    pdf.circle(x=105, y=220, radius=30, style="D")
    return bytes(pdf.output())


def test_pages_are_classified_by_what_they_hold():
    kinds = classify_pages(scanned_pdf(), [1, 2, 3])
    assert [kinds[i].kind for i in (1, 2, 3)] == ["image", "blank", "drawn"]
    assert kinds[1].image_share > 0.95 and kinds[3].image_share == 0 and kinds[3].ink_share > 0.05


@needs_tesseract
def test_scanned_page_is_read_by_ocr_with_its_confidence():
    doc = load_file(Path("scan.pdf"), scanned_pdf())
    ocr = [b for b in doc.blocks if b.ocr_confidence is not None]
    assert ocr and {b.page for b in ocr} == {2}
    read = " ".join(b.text for b in ocr)
    for word in ("Malawi", "4,210", "grooming", "sextortion", "helpline"):
        assert word in read
    assert all(0.5 < b.ocr_confidence <= 1 for b in ocr)  # type: ignore[operator]
    assert all(b.ocr_confidence is None for b in doc.blocks if b.page == 1)
    assert doc.metadata == {"pages_without_text": "2 pages (3–4) blank or drawn"}
    assert doc.warnings == ["page 2 scanned, read by OCR (" +
                            doc.warnings[0].split("(", 1)[1]]


def test_real_policy_pdfs_low_text_pages_are_blank_or_drawn_not_scanned():
    """Real files: the Villani report's empty pages, Chile's cover art, the World Bank report's circuit dividers."""
    from tests.conftest import shared_data

    folder = ("policy_pdfs", "digital_ai_policy")
    villani = load_file(shared_data(*folder, "villani2018ai_meaningful-ai-france.pdf"))
    assert villani.warnings == [] and villani.metadata == {"pages_without_text": "3 pages (114, 134, 151) blank or drawn"}
    chile = shared_data(*folder, "chile2021ia_politica-nacional-ia.pdf").read_bytes()
    assert {i + 1: c.kind for i, c in classify_pages(chile, [1, 77]).items()} == {2: "drawn", 78: "drawn"}
    world_bank = load_file(shared_data(*folder, "worldbank2020reimagining_technology-innovation-education.pdf"))
    assert not any("scanned" in w for w in world_bank.warnings)
    assert world_bank.metadata["pages_without_text"] == "2 pages (3–4) blank or drawn"


def test_blank_and_drawn_pages_make_no_scanned_claim():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, TEXT)
    pdf.add_page()
    pdf.add_page()
    pdf.rect(30, 30, 150, 90, style="F")
    doc = load_file(Path("divider.pdf"), bytes(pdf.output()))
    assert doc.warnings == [] and doc.metadata == {"pages_without_text": "2 pages (2–3) blank or drawn"}
    assert not any("scanned" in w for w in doc.warnings)


def test_without_the_ocr_program_the_warning_says_what_to_install_and_the_rest_is_indexed():
    settings = Settings.from_env({"CWG_OCR_COMMAND": "/nonexistent/bin/tesseract"})
    doc = load_file(Path("scan.pdf"), scanned_pdf(), settings.read_limits)
    assert {b.page for b in doc.blocks} == {1}
    [scan] = [w for w in doc.warnings if "scanned" in w]
    assert scan.startswith("page 2 scanned, not read: install tesseract-ocr (apt-get install tesseract-ocr")


def test_ocr_can_be_turned_off():
    limits = Settings.from_env({"CWG_OCR": "0"}).read_limits
    assert limits.ocr.enabled is False
    doc = load_file(Path("scan.pdf"), scanned_pdf(), limits)
    assert "page 2 scanned, not read: OCR is off (setting CWG_OCR)" in doc.warnings
    assert {b.page for b in doc.blocks} == {1}


def test_a_document_of_scans_only_is_refused_with_the_install_advice_when_ocr_is_absent():
    from fpdf import FPDF

    from ingest.errors import LoadError

    pdf = FPDF()
    pdf.add_page()
    pdf.image(_scan_image(), x=0, y=0, w=210, h=297)
    limits = ReadLimits(ocr=OcrSettings(command="/nonexistent/tesseract"))
    with pytest.raises(LoadError, match="no text on any of its 1 pages: page 1 scanned, not read: install tesseract"):
        load_file(Path("scan.pdf"), bytes(pdf.output()), limits)


@needs_tesseract
def test_the_page_cap_leaves_pages_unread_with_a_warning():
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.image(_scan_image(), x=0, y=0, w=210, h=297)
    doc = load_file(Path("two.pdf"), bytes(pdf.output()), ReadLimits(ocr=OcrSettings(max_pages=1)))
    assert {b.page for b in doc.blocks} == {1}
    assert doc.warnings[-1] == ("page 2 scanned, not read: past the limit of 1 OCR pages per document "
                                "(setting CWG_OCR_MAX_PAGES)")


def test_tesseract_tsv_becomes_paragraphs_with_mean_word_confidence():
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = ["5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\tOnline", "5\t1\t1\t1\t2\t1\t0\t0\t1\t1\t80\tsafety",
            "4\t1\t1\t2\t1\t0\t0\t0\t1\t1\t-1\t", "5\t1\t1\t2\t1\t1\t0\t0\t1\t1\t70\t儿童", "5\t1\t1\t2\t1\t2\t0\t0\t1\t1\t60\t安全"]
    page = parse_tsv("\n".join([header, *rows]))
    assert [(p.text, p.confidence) for p in page.paragraphs] == [("Online safety", 0.85), ("儿童安全", 0.65)]


def test_a_word_cut_at_a_line_end_is_joined_again():
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = ["5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\tchild", "5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t90\tprotec-",
            "5\t1\t1\t1\t2\t1\t0\t0\t1\t1\t90\ttion", "5\t1\t1\t1\t2\t2\t0\t0\t1\t1\t90\tSouth-",
            "5\t1\t1\t1\t3\t1\t0\t0\t1\t1\t90\tEast"]
    assert parse_tsv("\n".join([header, *rows])).paragraphs[0].text == "child protection South-East"


def test_bad_ocr_settings_stop_with_the_setting_named():
    from api.settings import SettingsError

    with pytest.raises(SettingsError, match="CWG_OCR_LANGUAGES"):
        Settings.from_env({"CWG_OCR_LANGUAGES": "eng; rm -rf"})
    with pytest.raises(SettingsError, match="CWG_OCR_PAGE_SECONDS"):
        Settings.from_env({"CWG_OCR_PAGE_SECONDS": "-1"})
    with pytest.raises(SettingsError, match="CWG_OCR"):
        Settings.from_env({"CWG_OCR": "maybe"})


def test_ocr_confidence_is_kept_by_both_stores(fake_index, pg_index, tmp_path: Path, monkeypatch):
    """The chunk's OCR confidence survives the SQLite and the PostgreSQL store (a chunk from Chunk, not OCR)."""
    from index.writer import IndexWriter
    from ingest import loaders

    real = loaders.load_pdf

    def as_if_read(data, deadline=None, ocr=None):  # type: ignore[no-untyped-def]
        doc = real(data, deadline, OcrSettings(enabled=False))
        from dataclasses import replace

        doc.blocks = [replace(b, ocr_confidence=0.87) if b.page == 1 else b for b in doc.blocks]
        return doc

    monkeypatch.setattr(loaders, "load_pdf", as_if_read)
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_pdf())
    for folder in (fake_index, pg_index):
        report = IndexWriter(folder).ingest([path])
        assert not report.failed
        [document_id] = report.added
        chunks = folder.store.chunks_of(document_id)
        assert chunks and {c.ocr_confidence for c in chunks} == {0.87}


@pytest.mark.slow
@needs_tesseract
def test_cwg_finds_a_scanned_page_by_its_words_on_the_right_page_marked_ocr(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "strategy-scan.pdf").write_bytes(scanned_pdf())
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    cwg = [sys.executable, "-m", "api.cli"]
    ingest = subprocess.run([*cwg, "ingest", str(docs), "--index", str(tmp_path / "ix")], capture_output=True,
                            text=True, env=env, timeout=600)
    assert ingest.returncode == 0, ingest.stderr
    assert "page 2 scanned, read by OCR" in ingest.stderr and "(scanned?)" not in ingest.stderr
    found = subprocess.run([*cwg, "search", "teachers trained to recognise sextortion", "--index",
                            str(tmp_path / "ix"), "--json"], capture_output=True, text=True, env=env, timeout=600)
    assert found.returncode == 0, found.stderr
    top = json.loads(found.stdout)["hits"][0]
    assert top["page"] == 2 and "sextortion" in top["text"] and 0.5 < top["ocr_confidence"] <= 1
    text = subprocess.run([*cwg, "search", "teachers trained to recognise sextortion", "--index",
                           str(tmp_path / "ix")], capture_output=True, text=True, env=env, timeout=600)
    assert f"p. 2, OCR {top['ocr_confidence']:.0%}" in text.stdout
