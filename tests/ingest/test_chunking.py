from __future__ import annotations

from ingest.chunking import chunk_blocks, count_words, split_sentences
from ingest.loaders import load_file
from ingest.records import Block
from ingest.textclean import normalize_text
from tests.conftest import shared_data


def _para(n: int, word: str = "word") -> str:
    return " ".join(f"{word}{i}" for i in range(n)) + "."


def test_chunks_are_exact_slices_with_pages_and_sections():
    blocks = [Block("heading", "Legal framework", 1, 1), Block("paragraph", _para(120), 1),
              Block("paragraph", _para(100, "x"), 2), Block("heading", "Education", 3, 1),
              Block("paragraph", _para(90, "y"), 3)]
    text, chunks = chunk_blocks(blocks)
    assert all(text[c.char_start:c.char_end] == c.text for c in chunks)
    assert chunks[0].section == "Legal framework" and chunks[0].page_start == 1
    assert chunks[-1].section == "Education" and chunks[-1].page_start == 3
    assert len({c.content_hash for c in chunks}) == len(chunks)


def test_long_paragraph_is_cut_at_sentences_with_overlap():
    sentences = [f"Sentence number {i} talks about child online protection measures in schools." for i in range(80)]
    text, chunks = chunk_blocks([Block("paragraph", " ".join(sentences))])
    assert len(chunks) > 2
    assert all(count_words(c.text) <= 250 for c in chunks)
    for a, b in zip(chunks, chunks[1:]):
        assert b.char_start < a.char_end  # the next chunk repeats the last sentence of the previous one
        assert a.text.endswith(".") and b.text[0].isupper()


def test_paragraph_boundaries_are_preferred_and_not_overlapped():
    blocks = [Block("paragraph", _para(160, f"p{i}_")) for i in range(4)]
    text, chunks = chunk_blocks(blocks)
    assert len(chunks) == 4
    assert [c.text for c in chunks] == [b.text for b in blocks]


def test_sentence_splitter_keeps_abbreviations():
    text = "The law (e.g. Art. 5) was adopted by Mr. Smith in 2022. It protects children online. Short."
    spans = [text[s:e] for s, e in split_sentences(text)]
    assert spans[0] == "The law (e.g. Art. 5) was adopted by Mr. Smith in 2022."
    assert spans[1].startswith("It protects children online.")


def test_real_pdf_chunks_cite_the_page_their_text_is_on():
    path = shared_data("policy_pdfs", "child_protection", "supreme_court_india_smw_crl_04_2019_child_sexual_abuse.pdf")
    import pypdf

    reader = pypdf.PdfReader(str(path))
    # the page text as the loaders normalise it (NFKC: "………" is "........." in both)
    raw_pages = [" ".join(normalize_text(p.extract_text() or "").split()) for p in reader.pages]
    text, chunks = chunk_blocks(load_file(path).blocks)
    assert 10 <= len(chunks) <= 60
    for chunk in chunks:
        first_words = " ".join(chunk.text.split()[:6])
        assert first_words in raw_pages[chunk.page_start - 1], (chunk.page_start, first_words)


def test_cjk_text_is_chunked_by_characters():
    text, chunks = chunk_blocks([Block("paragraph", "子どもの安全" * 400)])
    assert len(chunks) > 1 and all(text[c.char_start:c.char_end] == c.text for c in chunks)
