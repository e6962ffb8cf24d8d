"""Query text is normalised exactly as document text is (NFKC, then lower case), on both stores (issue 20).

Each query below failed before: its words were split at a combining accent or the dot of a lower-cased
"İ", or a full-width or ligature form matched nothing, and hybrid search fell back to dense silently."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from index.folder import IndexFolder
from index.writer import IndexWriter
from search.retrieval.engine import SearchEngine
from search.retrieval.lexical import lexical_search, query_terms

TEXTS = {
    "dakar.md": "Le ministère de l'éducation forme les enseignants à la protection des enfants en ligne.",
    "istanbul.md": "İstanbul hosted a regional workshop on child online protection for police officers.",
    "budget.md": "The finance ministry funds the national helpline for child abuse reports.",
    "strasse.md": "Die Straße der Kinderrechte: eine Kampagne gegen Cybermobbing in Schulen.",
}
# (a query as users type it, the document it must find lexically)
VARIANTS = [
    (unicodedata.normalize("NFD", "éducation"), "dakar"),  # decomposed accent (macOS input, some PDFs)
    ("ＥＤＵＣＡＴＩＯＮ", "dakar"),  # full-width letters
    ("İstanbul", "istanbul"),
    ("İSTANBUL workshop", "istanbul"),
    ("ﬁnance", "budget"),  # the "fi" ligature
    ("ｃｈｉｌｄ ａｂｕｓｅ ｈｅｌｐｌｉｎｅ", "budget"),
    ("STRAẞE", "strasse"),  # capital sharp s
]


@pytest.fixture(params=["sqlite", "postgresql"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> IndexFolder:
    folder: IndexFolder = request.getfixturevalue("fake_index" if request.param == "sqlite" else "pg_index")
    paths = []
    for name, text in TEXTS.items():
        (tmp_path / name).write_text(f"{text}\n", encoding="utf-8")
        paths.append(tmp_path / name)
    assert not IndexWriter(folder).ingest(paths).failed
    folder.refresh_vectors()
    return folder


def test_query_terms_are_whole_normalised_words() -> None:
    assert query_terms(unicodedata.normalize("NFD", "éducation")) == ["éducation"]
    assert query_terms("ｃｈｉｌｄ") == ["child"]
    assert query_terms("ﬁnance") == ["finance"]
    assert query_terms("İstanbul") == ["i̇stanbul"]  # one word: the dot stays with its letter
    assert query_terms("बच्चों की सुरक्षा") == ["बच्चों", "की", "सुरक्षा"]  # vowel signs belong to their words


@pytest.mark.parametrize("query,expected", VARIANTS)
def test_every_form_of_a_word_finds_its_document_lexically(index: IndexFolder, query: str, expected: str) -> None:
    store = index.store
    with store.snapshot():
        ids, _ = lexical_search(store, query, 5)
        owners = store.chunk_owners(ids.tolist())
    assert ids.size and owners[int(ids[0])] == expected


def test_the_lexical_list_of_a_hybrid_search_is_the_same_for_every_form(index: IndexFolder) -> None:
    engine = SearchEngine(index)
    plain = [h.chunk_id for h in engine.search("éducation", k=4, mode="lexical")]
    for form in (unicodedata.normalize("NFD", "éducation"), "ÉDUCATION", "ＥＤＵＣＡＴＩＯＮ"):
        assert [h.chunk_id for h in engine.search(form, k=4, mode="lexical")] == plain
