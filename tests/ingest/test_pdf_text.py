"""PDF text by pdfium with pypdf as the fallback, on the real policy PDFs (skipped when they are absent)."""

from __future__ import annotations

import difflib
import re
import threading
from pathlib import Path

import pytest

import ingest.pdf_text as pdf_text
from ingest.errors import LoadError
from ingest.limits import Deadline
from ingest.loaders import load_file
from ingest.pdf_text import PdfiumUnreadable, mend_pdfium_hyphens, read_pdf, read_pdf_pdfium, read_pdf_pypdf
from tests.conftest import shared_data

MULTILINGUAL = ("policy_pdfs", "multilingual_child_online_safety")
SUPREME_COURT = ("policy_pdfs", "child_protection", "supreme_court_india_smw_crl_04_2019_child_sexual_abuse.pdf")


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


def test_pdfium_reads_real_pdfs_by_default():
    read = read_pdf(shared_data(*SUPREME_COURT).read_bytes())
    assert read.parser == "pdfium" and read.fallback_pages == []
    assert len(read.pages) == 18 and "Lalita Kumari" in read.pages[2]


@pytest.mark.parametrize("parts", [
    SUPREME_COURT,
    pytest.param(("policy_pdfs", "digital_ai_policy", "japan2019ai_ai-strategy-everyone.pdf"),  # encrypted
                 marks=pytest.mark.slow),
    pytest.param(("policy_pdfs", "french_policy_briefs", "onp_ci_note-politique-3.pdf"), marks=pytest.mark.slow),
])
def test_pdfium_pages_are_pypdfs_pages(parts: tuple[str, ...]):
    data = shared_data(*parts).read_bytes()
    ours, theirs = read_pdf_pdfium(data).pages, read_pdf_pypdf(data).pages
    assert len(ours) == len(theirs)
    for number, (a, b) in enumerate(zip(ours, theirs), start=1):
        wa, wb = _words(a), _words(b)
        if max(len(wa), len(wb)) >= 20:  # same words on the same page (order and spacing may differ a little)
            bag = difflib.SequenceMatcher(None, sorted(wa), sorted(wb), autojunk=False).ratio()
            assert bag > 0.85, (number, bag)


def test_a_file_pdfium_cannot_open_is_read_by_pypdf(monkeypatch: pytest.MonkeyPatch):
    import pypdfium2

    def refuse(*_args: object, **_kwargs: object):
        raise pypdfium2.PdfiumError("Failed to load document (PDFium: Data format error).", err_code=3)

    data = shared_data(*SUPREME_COURT).read_bytes()
    monkeypatch.setattr(pypdfium2, "PdfDocument", refuse)
    with pytest.raises(PdfiumUnreadable, match="pdfium cannot open it"):
        read_pdf_pdfium(data)
    read = read_pdf(data)
    assert read.parser == "pypdf" and len(read.pages) == 18 and "Lalita Kumari" in read.pages[2]
    doc = load_file(Path("order.pdf"), data)
    assert [b.page for b in doc.blocks if "Lalita Kumari" in b.text][0] == 3


def test_a_page_pdfium_finds_empty_takes_pypdfs_text(monkeypatch: pytest.MonkeyPatch):
    data = shared_data(*SUPREME_COURT).read_bytes()
    real = pdf_text._pdfium_page_text
    monkeypatch.setattr(pdf_text, "_pdfium_page_text",
                        lambda document, index, deadline: "" if index == 2 else real(document, index, deadline))
    read = read_pdf(data)
    assert read.parser == "pdfium" and read.fallback_pages == [3]
    assert read.pages[2] == read_pdf_pypdf(data).pages[2] and "Lalita Kumari" in read.pages[2]


def test_a_page_pdfium_garbles_takes_pypdfs_text(monkeypatch: pytest.MonkeyPatch):
    data = shared_data(*SUPREME_COURT).read_bytes()
    real = pdf_text._pdfium_page_text
    monkeypatch.setattr(pdf_text, "_pdfium_page_text", lambda document, index, deadline:
                        "\x00\ufffd" * 200 + "text" if index == 0 else real(document, index, deadline))
    assert read_pdf(data).fallback_pages == [1]


def test_hindi_is_read_as_devanagari_not_nuls():
    path = shared_data(*MULTILINGUAL, "hi__parent_guide_supporting_online_coding_session.pdf")
    read = read_pdf(path.read_bytes())
    assert read.parser == "pdfium" and read.fallback_pages == []
    assert all("\x00" not in page for page in read.pages)
    assert all("\x00" in page for page in read_pdf_pypdf(path.read_bytes()).pages)  # what pypdf made of it
    text = " ".join(b.text for b in load_file(path).blocks)
    letters = [c for c in text if c.isalpha()]
    assert sum("\u0900" <= c <= "\u097f" for c in letters) / len(letters) > 0.9
    for word in ("ऑनलाइन", "क्लब", "बच्चे", "प्रश्न"):  # online, club, child, question: conjuncts pypdf loses
        assert word in text


def test_arabic_pages_come_from_pypdf_with_words_spelled_forwards():
    path = shared_data(*MULTILINGUAL, "ar__parent_guide_supporting_online_coding_session.pdf")
    by_pdfium = read_pdf_pdfium(path.read_bytes()).pages
    arabic = [n for n, page in enumerate(by_pdfium, start=1) if re.search("[\u0600-\u06ff]", page)]
    assert arabic and read_pdf(path.read_bytes()).fallback_pages == arabic
    text = " ".join(b.text for b in load_file(path).blocks)
    assert "جلسة" in text and "ةسلج" not in text  # "session"; pdfium spells it backwards
    assert "ةسلج" in " ".join(by_pdfium)  # the reason for the rule


def test_pdfium_line_end_hyphens_are_mended_like_pypdfs():
    assert mend_pdfium_hyphens("Innova\ufffeción") == "Innovación"
    assert mend_pdfium_hyphens("E\ufffeCourts, K\ufffe12") == "E-Courts, K-12"
    path = shared_data("policy_pdfs", "digital_ai_policy", "chile2021ia_politica-nacional-ia.pdf")
    pages = read_pdf(path.read_bytes()).pages
    assert not any("\ufffe" in page for page in pages)
    assert "Tecnología, Conocimiento e Innovación" in " ".join(" ".join(page.split()) for page in pages)


def test_password_protected_pdf_is_refused_by_pdfium_with_reason():
    import io

    import pypdf
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Some text on the only page of this file.")
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(bytes(pdf.output())))
    writer.encrypt("secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(LoadError, match="needs a password") as refused:
        read_pdf_pdfium(out.getvalue())
    assert not isinstance(refused.value, PdfiumUnreadable)  # no second try with pypdf


def test_the_parse_deadline_stops_pdfium():
    data = shared_data(*SUPREME_COURT).read_bytes()
    with pytest.raises(LoadError, match="reading took longer than 0 s"):
        read_pdf(data, Deadline(0.0, started=0.0))
    assert len(read_pdf(data).pages) == 18  # the lock was released and the document closed


def test_pdfium_waits_while_another_thread_is_in_pdfium():
    data = shared_data(*SUPREME_COURT).read_bytes()
    done: list[int] = []
    with pdf_text._PDFIUM_LOCK:  # another thread inside pdfium
        worker = threading.Thread(target=lambda: done.append(len(read_pdf_pdfium(data).pages)))
        worker.start()
        worker.join(0.5)
        assert worker.is_alive() and not done
    worker.join(30)
    assert done == [18]


def test_parallel_reads_give_the_same_text_as_one_at_a_time():
    """Without the lock, pdfium in 4 threads crashes the process or mixes up text, though not every time."""
    names = [SUPREME_COURT, ("policy_pdfs", "digital_ai_policy", "oecd2019ai_recommendation-ai.pdf"),
             ("policy_pdfs", "child_protection", "unicef_global_education_thematic_fund_spotlight_2024.pdf"),
             (*MULTILINGUAL, "hi__parent_guide_supporting_online_coding_session.pdf")]
    files = [shared_data(*parts).read_bytes() for parts in names]
    expected = [read_pdf(data).pages for data in files]
    results: dict[tuple[int, int], list[str]] = {}
    errors: list[BaseException] = []

    def work(slot: int) -> None:
        try:
            for turn in range(3):
                results[slot, turn] = read_pdf(files[(slot + turn) % len(files)]).pages
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 12
    assert all(pages == expected[(slot + turn) % len(files)] for (slot, turn), pages in results.items())
