"""Every loader and every kind of bad input, on real files where they exist."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ingest.errors import LoadError
from ingest.loaders import load_file, page_ranges
from tests.conftest import SAMPLE, shared_data


def _pdf_bytes(pages: list[str | None]) -> bytes:
    """A PDF whose pages hold the given text, or (None) only a drawn square: no text layer, and no image."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 8, text)
        else:
            pdf.rect(20, 20, 100, 100, style="F")  # vector art: no text layer, not a scan
    return bytes(pdf.output())


def test_real_pdf_keeps_one_based_page_numbers():
    path = shared_data("policy_pdfs", "child_protection", "supreme_court_india_smw_crl_04_2019_child_sexual_abuse.pdf")
    doc = load_file(path)
    assert doc.format == "pdf" and doc.page_count == 18
    pages = {b.page for b in doc.blocks}
    assert min(pages) == 1 and max(pages) <= 18
    # "Lalita Kumari" is cited in paragraph 5, on the third page of the order
    lalita = [b.page for b in doc.blocks if "Lalita Kumari" in b.text]
    assert lalita and lalita[0] == 3


def test_encrypted_pdf_with_empty_password_opens():
    path = shared_data("policy_pdfs", "digital_ai_policy", "japan2019ai_ai-strategy-everyone.pdf")
    doc = load_file(path)
    assert doc.page_count == 74
    assert sum(len(b.text) for b in doc.blocks) > 50_000


def test_pdf_with_a_real_password_is_refused_with_reason(tmp_path: Path):
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(_pdf_bytes(["Some text on the only page of this file."])))
    writer.encrypt("secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(LoadError, match="password"):
        load_file(tmp_path / "locked.pdf", out.getvalue())


def test_drawn_pages_without_text_are_counted_not_called_scanned():
    text = "Child online protection training for educators was delivered in three regions. " * 3
    doc = load_file(Path("mixed.pdf"), _pdf_bytes([text, None, None, text, None]))
    assert doc.warnings == [] and doc.metadata == {"pages_without_text": "3 pages (2–3, 5) blank or drawn"}
    assert {b.page for b in doc.blocks} == {1, 4}


def test_pdf_with_only_drawn_pages_is_refused_as_drawn_not_scanned():
    with pytest.raises(LoadError, match=r"no text on any of its 2 pages \(they are blank or drawn") as caught:
        load_file(Path("drawn.pdf"), _pdf_bytes([None, None]))
    assert "scanned" not in str(caught.value)


def test_html_named_pdf_is_refused_with_reason():
    path = shared_data("policy_pdfs", "edge_cases", "maslej2024aiindex_ai-index-2024__actually_html.pdf")
    with pytest.raises(LoadError, match="named .pdf but the content is HTML"):
        load_file(path)


def test_truncated_pdf_is_refused_not_crashing():
    data = shared_data("policy_pdfs", "multilingual_child_online_safety",
                       "en__online_code_of_behaviour_for_young_people.pdf").read_bytes()
    with pytest.raises(LoadError):
        load_file(Path("broken.pdf"), data[:2000])


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "unsupported binary"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "legacy binary Office"),
    (b"PK\x03\x04" + b"\x00" * 100, "damaged zip package"),
    (b"   \n\n \t", "no text"),
])
def test_bad_inputs_have_reasons(data: bytes, reason: str):
    with pytest.raises(LoadError, match=reason):
        load_file(Path("input.txt"), data)


def test_docx_headings_paragraphs_and_tables():
    docx_files = sorted(SAMPLE.glob("*.docx"))
    assert docx_files, "the sample corpus has DOCX files"
    doc = load_file(docx_files[0])
    kinds = {b.kind for b in doc.blocks}
    assert {"heading", "paragraph", "table"} <= kinds
    table = next(b for b in doc.blocks if b.kind == "table")
    assert " | " in table.text and all(b.page is None for b in doc.blocks)


def test_docx_named_txt_is_refused():
    data = sorted(SAMPLE.glob("*.docx"))[0].read_bytes()
    with pytest.raises(LoadError, match="content is DOCX"):
        load_file(Path("notes.txt"), data)


def test_markdown_front_matter_becomes_metadata():
    data = (b"---\ntitle: Safer Internet Day in Ruritania\ncountry: Philippines\ndoc_type: contribution\n---\n"
            b"# Background\n\nA paragraph of text about awareness.\n\n## Results\n\nMore text here.\n")
    doc = load_file(Path("a.md"), data)
    assert doc.metadata["title"] == "Safer Internet Day in Ruritania"
    assert doc.metadata["country"] == "Philippines"
    assert [(b.kind, b.text) for b in doc.blocks][:2] == [("heading", "Background"),
                                                          ("paragraph", "A paragraph of text about awareness.")]


def test_non_utf8_text_is_detected_with_a_warning():
    text = "La protection des enfants en ligne est une priorité nationale. Les élèves, les parents et " \
           "les éducateurs reçoivent une formation spécifique sur les risques numériques."
    doc = load_file(Path("fr.txt"), text.encode("cp1252"))
    assert "priorité" in doc.blocks[0].text
    assert doc.warnings and "not UTF-8" in doc.warnings[0]


def test_utf16_with_bom_is_read():
    doc = load_file(Path("u16.txt"), "Online safety education for children.".encode("utf-16"))
    assert doc.blocks[0].text == "Online safety education for children."


def test_html_visible_text_only():
    html = (b"<!DOCTYPE html><html><head><title>COP page</title><style>p{color:red}</style>"
            b"<script>var secret = 'do not index';</script></head><body><h1>Helpline</h1>"
            b"<p>Call the national helpline.</p><div hidden>hidden text</div><noscript>enable js</noscript>"
            b"<ul><li>Report abuse online</li></ul></body></html>")
    doc = load_file(Path("page.html"), html)
    text = " ".join(b.text for b in doc.blocks)
    assert doc.title == "COP page" and doc.blocks[0] == doc.blocks[0].__class__("heading", "Helpline", None, 1)
    assert "Call the national helpline." in text and "Report abuse online" in text
    for hidden in ("secret", "hidden text", "enable js", "color:red"):
        assert hidden not in text


def test_arabic_presentation_forms_are_normalised():
    path = shared_data("policy_pdfs", "multilingual_child_online_safety", "ar__parent_guide_supporting_online_coding_session.pdf")
    text = " ".join(b.text for b in load_file(path).blocks)
    assert not any("\ufb50" <= c <= "\ufeff" for c in text)
    assert "الإنترنت" in text  # "the internet", as a normal Arabic word


def test_page_ranges_formatting():
    assert page_ranges([3, 4, 5, 9]) == "3–5, 9"
    assert page_ranges([1]) == "1"


def test_html_text_in_divs_and_tables_is_kept_and_navigation_dropped():
    html = (b"<html><body><nav><a href='/'>Home</a> <a href='/x'>Menu item</a></nav>"
            b"<div class='intro'>Intro text in a div <b>with bold</b> words.</div>"
            b"<p>A paragraph.</p><table><tr><td>Cell one</td><td>Cell two</td></tr></table>"
            b"<div style='display: none'>invisible</div><!-- a comment --></body></html>")
    texts = [b.text for b in load_file(Path("p.html"), html).blocks]
    assert texts == ["Intro text in a div with bold words.", "A paragraph.", "Cell one", "Cell two"]


def test_an_unexpected_parser_exception_becomes_a_load_error(monkeypatch: pytest.MonkeyPatch):
    import ingest.loaders as loaders

    def explode(data: bytes, *_limits: object):
        raise struct_error("unpack requires a buffer of 4 bytes")

    struct_error = __import__("struct").error
    monkeypatch.setattr(loaders, "load_docx", explode)
    data = sorted(SAMPLE.glob("*.docx"))[0].read_bytes()
    with pytest.raises(LoadError, match=r"malformed DOCX content could not be read \(error: unpack"):
        load_file(Path("x.docx"), data)


@pytest.mark.parametrize("seed", range(30))
def test_mangled_real_files_never_raise_anything_but_load_error(seed: int):
    import random

    rng = random.Random(seed)
    sources = sorted(SAMPLE.glob("*.pdf")) + sorted(SAMPLE.glob("*.docx"))
    original = rng.choice(sources)
    data = bytearray(original.read_bytes())
    for _ in range(rng.randint(1, 40)):  # flip bytes, cut, duplicate: typical damage from bad transfers
        pos = rng.randrange(len(data))
        data[pos] = rng.randrange(256)
    if seed % 3 == 0:
        data = data[: rng.randrange(len(data))]
    try:
        doc = load_file(original, bytes(data))
    except LoadError:
        return
    assert doc.blocks  # when it still reads, it yields text


def test_plain_text_headings_and_list_items():
    doc = load_file(SAMPLE / "malawi-training-of-trainers.txt")
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert headings[:3] == ["1. Background", "2. Objectives", "3. Participants"]
    assert any(b.text.startswith("- to make participants aware") for b in doc.blocks)


def test_markdown_list_items_are_blocks_of_their_own():
    """A Markdown list (items on consecutive lines) is read item by item, as the same list in a text file or a
    DOCX: the real contribution's lead-in and its three items, not one run-on paragraph."""
    doc = load_file(SAMPLE / "saudi-arabia-gcf-child-protection-in-cyberspace.md")
    texts = [b.text for b in doc.blocks]
    lead = texts.index("Working with ITU, the GCF Institute has:")
    items = texts[lead + 1:lead + 4]
    assert [t[:14] for t in items] == ["- contributed ", "- implemented ", "- supported tr"]
    assert all(b.kind == "paragraph" for b in doc.blocks[lead + 1:lead + 4])


def test_pdf_style_headings_after_a_full_line_are_headings():
    """Lines as a PDF in large type for headings gives them: a heading after a paragraph that ended at the
    margin, a heading with a year in it, a heading in sentence case; a short last line is still text."""
    from ingest.textclean import lines_to_blocks

    full = "Each stakeholder has a part to play: governments set the rules and companies run services well."
    lines = [full, "and law enforcement investigates and prosecutes the offenders it can identify in time.",
             "Expected Trends for 2024", "Based on our threat research, we expect the following to affect children.",
             full, "Global alliances", "Canada takes part in the WePROTECT Global Alliance and in the Virtual Task.",
             full, "and this sentence ends short.", "Another paragraph starts here and runs on to the margin of it."]
    blocks = lines_to_blocks(lines, 1)
    assert [b.text for b in blocks if b.kind == "heading"] == ["Expected Trends for 2024", "Global alliances"]
    assert any(b.text.endswith("prosecutes the offenders it can identify in time.") for b in blocks)
