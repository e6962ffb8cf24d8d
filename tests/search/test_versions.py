"""Language versions (issue 27): documents whose symbols name one document (its language letter aside) are
versions of one contribution; views show and count the contribution once."""

from __future__ import annotations

import pytest

from index.folder import IndexFolder
from index.records import DocumentRecord
from search.retrieval.versions import Version, Versions, contribution_key, versions


@pytest.mark.parametrize("symbol, key", [
    ("CWG-COP/20/INF/11-S", "CWG-COP/20/INF/11"),
    ("cwg-cop/20/inf/07 (F)", "CWG-COP/20/INF/07"),
    ("CWG\u2011COP/20/INF/11\u2013R", "CWG-COP/20/INF/11"),  # non-breaking hyphen, en dash
    ("CWG-COP/20/INF/11-fr", "CWG-COP/20/INF/11"),
    ("CWG-COP/20/C/01", "CWG-COP/20/C/01"),  # no language letter: the symbol itself
    ("CWG-COP/20/INF/11-E", "CWG-COP/20/INF/11"),
    ("", ""),
])
def test_the_language_letter_is_set_aside(symbol: str, key: str) -> None:
    assert contribution_key(symbol) == key


def _doc(doc_id: str, language: str, symbol: str) -> DocumentRecord:
    record = DocumentRecord.__new__(DocumentRecord)
    for name, value in {"id": doc_id, "language": language, "extra": {"symbol": symbol} if symbol else {}}.items():
        object.__setattr__(record, name, value)
    return record


def test_versions_group_show_and_count_once() -> None:
    docs = [_doc("guide-en", "en", "X/20/INF/11"), _doc("guide-es", "es", "X/20/INF/11-S"),
            _doc("guide-fr", "fr", "X/20/INF/11-F"), _doc("alone", "en", "X/20/C/02"), _doc("none", "en", "")]
    v = Versions(docs)
    assert len(v) == 1 and v.others("alone") == [] and v.others("none") == []
    assert v.others("guide-es") == [Version("guide-en", "en"), Version("guide-fr", "fr")]
    assert v.counted("guide-fr") == "guide-en" and v.counted("guide-en", "es") == "guide-es"
    assert [d.id for d in v.once(docs)] == ["guide-en", "alone", "none"]
    assert [d.id for d in v.once(docs, "fr")] == ["guide-fr", "alone", "none"]
    assert v.once_ids(["guide-es", "guide-fr"]) == {"guide-es"}  # the English one is not among them
    ranked = ["guide-es", "alone", "guide-en", "guide-es", "guide-fr"]  # hits, best first, by document
    assert v.first_of_each(ranked, str) == ["guide-es", "alone", "guide-es"]  # the best-matching version
    assert v.first_of_each(ranked, str, "fr") == ["alone", "guide-fr"]  # the question's language wins
    assert v.first_of_each(ranked, str, "ar") == ["guide-es", "alone", "guide-es"]


@pytest.mark.slow
def test_the_sample_meetings_versions_are_one_contribution_each(real_sample_index: IndexFolder) -> None:
    from index.filters import Filters
    from search.characterization.matrix import build_matrix
    from search.characterization.repository import select
    from search.characterization.tagging import taxonomy_for
    from search.retrieval.similar import SimilarFinder

    store = real_sample_index.store
    found = versions(store)
    assert found.others("unicef-legislative-guidance") == [Version("unicef-guia-legislativa-es", "es")]
    assert found.others("maroc-ateliers-protection-en-ligne-fr") == [Version("morocco-cop-workshops-rabat", "en")]
    every = store.documents(Filters.parse(["collection=all"]))
    listed = {e.document.id for e in select(real_sample_index, taxonomy_for(store), limit=200)}
    assert len(listed) == len(every) - 2  # two contributions published in two languages each
    assert "unicef-legislative-guidance" in listed and "unicef-guia-legislativa-es" not in listed
    matrix = build_matrix(store, rows="source", cols="theme", taxonomy=taxonomy_for(store))
    assert sum(matrix.row_documents.values()) == len(every) - 2
    from search.retrieval.versions import alignment

    for a, b in (("unicef-guia-legislativa-es", "unicef-legislative-guidance"),
                 ("maroc-ateliers-protection-en-ligne-fr", "morocco-cop-workshops-rabat")):
        assert alignment(real_sample_index, a, b)[0] >= 0.6  # translations align: they would be proposed
    assert alignment(real_sample_index, "unicef-guia-legislativa-es", "morocco-cop-workshops-rabat")[0] < 0.6
    similar = SimilarFinder(real_sample_index).similar(document_id="morocco-cop-workshops-rabat", k=10)
    assert "maroc-ateliers-protection-en-ligne-fr" not in {r.document_id for r in similar}


@pytest.mark.slow
def test_an_answer_shows_a_contribution_once_in_the_questions_language(real_sample_index: IndexFolder) -> None:
    from search.retrieval.answer import answer
    from search.retrieval.engine import SearchEngine

    engine = SearchEngine(real_sample_index)
    english = answer(engine, "Which laws protect children from online sexual exploitation?", k=10)
    ids = [h.document_id for h in english.hits]
    assert "unicef-legislative-guidance" in ids and "unicef-guia-legislativa-es" not in ids
    unicef = next(h for h in english.hits if h.document_id == "unicef-legislative-guidance")
    assert unicef.versions == [{"document_id": "unicef-guia-legislativa-es", "language": "es"}]
    spanish = answer(engine, "¿Qué leyes protegen a los niños frente a la explotación sexual en línea?", k=10)
    ids = [h.document_id for h in spanish.hits]
    assert "unicef-guia-legislativa-es" in ids and "unicef-legislative-guidance" not in ids
    french = answer(engine, "Quels ateliers de formation sur la protection des enfants en ligne à Rabat ?", k=10)
    ids = [h.document_id for h in french.hits]
    assert "maroc-ateliers-protection-en-ligne-fr" in ids and "morocco-cop-workshops-rabat" not in ids


@pytest.mark.slow
def test_every_document_json_names_its_versions(real_sample_index: IndexFolder) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    with TestClient(create_app(Settings(index=real_sample_index.path), real_sample_index)) as client:
        one = client.get("/documents/maroc-ateliers-protection-en-ligne-fr").json()
        listed = {d["document_id"]: d["versions"] for d in client.get("/documents", params={"limit": 100}).json()[
            "documents"]}
    assert one["versions"] == [{"document_id": "morocco-cop-workshops-rabat", "language": "en"}]
    assert listed["unicef-legislative-guidance"] == [{"document_id": "unicef-guia-legislativa-es", "language": "es"}]
    assert sum(bool(v) for v in listed.values()) == 4 and listed["malawi-training-of-trainers"] == []


@pytest.mark.slow
def test_a_card_names_the_versions_and_never_pairs_with_them(real_sample_index: IndexFolder) -> None:
    from search.characterization.repository import card
    from search.characterization.tagging import taxonomy_for

    spanish = card(real_sample_index, taxonomy_for(real_sample_index.store), "unicef-guia-legislativa-es")
    assert spanish["document"]["versions"] == [{"document_id": "unicef-legislative-guidance", "language": "en"}]
    assert "unicef-legislative-guidance" not in {s["document_id"] for s in spanish["similar"]}
    english = card(real_sample_index, taxonomy_for(real_sample_index.store), "unicef-legislative-guidance")
    # one quality profile for the contribution, read on its most complete version and shown on both
    assert spanish["quality"] == english["quality"] and spanish["document"]["quality"] == english["document"]["quality"]
    assert spanish["document"]["quality_from"] == english["quality"]["document_id"]



@pytest.mark.slow
def test_versions_without_a_symbol_are_proposed_and_linked_by_a_curator(mixed_index: IndexFolder) -> None:
    """Documents on different subjects do not align and are not proposed; what is proposed aligns above the
    floor across languages; a curator's link makes two documents one contribution in every view."""
    from search.retrieval.versions import alignment, link, propose

    store = mixed_index.store
    a, b = "euconsent-age-assurance", "canada-combating-child-sexual-exploitation"
    score, _ = alignment(mixed_index, a, b)
    assert score < 0.6
    assert all(p.alignment >= 0.6 and p.a.language != p.b.language for p in propose(mixed_index))

    class Stopped(Exception):
        pass

    def stop() -> None:  # a heavy request whose client left: the work ends at its next checkpoint
        raise Stopped

    with pytest.raises(Stopped):
        propose(mixed_index, checkpoint=stop)
    assert versions(store).others(a) == []
    with pytest.raises(Exception, match="at least two"):
        link(store, [a])
    try:
        assert link(store, [a, b]) == sorted([a, b])
        assert [v.document_id for v in versions(store).others(a)] == [b]
        assert all(a not in (p.a.document_id, p.b.document_id) or b not in (p.a.document_id, p.b.document_id)
                   for p in propose(mixed_index))
    finally:  # the fixture is shared: put it back
        with store.transaction() as conn:
            store.set_state(conn, "versions", '{"groups": []}')
    assert versions(store).others(a) == []


@pytest.mark.slow
def test_a_synthesis_quotes_one_version_and_names_the_others(real_sample_index: IndexFolder) -> None:
    """UNICEF's guidance in English and Spanish is quoted from one version, the other named in its reference,
    whatever language is asked for (the Spanish one when its own sentences answer the topic)."""
    from search.characterization.tagging import taxonomy_for
    from search.synthesis.pipeline import SynthesisOptions, Synthesizer
    from search.synthesis.render import render_markdown

    synthesizer = Synthesizer(real_sample_index, taxonomy_for(real_sample_index.store))
    pair = {"unicef-legislative-guidance", "unicef-guia-legislativa-es"}
    for topic, language in (("legislation against online child sexual exploitation and abuse", ""),
                            ("legislation against online child sexual exploitation and abuse", "es"),
                            ("legislación contra la explotación y el abuso sexual de niños en línea", "es")):
        synthesis = synthesizer.synthesize(topic, options=SynthesisOptions(language=language))
        quoted = {c.document_id for c in synthesis.citations} & pair
        assert len(quoted) == 1, (topic, language, quoted)
        reference = next(c for c in synthesis.citations if c.document_id in pair)
        assert [v["document_id"] for v in reference.versions] == list(pair - quoted)
        assert "also in" in render_markdown(synthesis)
