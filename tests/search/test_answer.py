"""Relevance users can trust (issue 21), with the real models on a small mixed repository: a meeting's
contributions (with their manifest) and reference files ingested as they come.

- every document is in `contributions` or `library` (a meeting says contributions; a manifest or a flag may say
  otherwise), in its JSON, as a filter and a facet, and can move without being read or encoded again;
- a question is answered from the contributions, the library apart, only by passages that clear the calibrated
  floor; an off-topic question gets nothing and says so; a language no model reads is named.
"""

from __future__ import annotations

import numpy as np
import pytest

from index.filters import Filters
from index.folder import IndexFolder
from search.retrieval.answer import NOTHING, answer
from search.retrieval.content import content_share
from search.retrieval.engine import SearchEngine
from search.retrieval.relevance import shipped_model

pytestmark = pytest.mark.slow


@pytest.fixture
def mixed(mixed_index: IndexFolder) -> IndexFolder:
    return mixed_index
def _ids(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.document_id for h in hits]


def test_every_document_is_in_one_collection_by_its_meeting(mixed: IndexFolder) -> None:
    contributions = len([d for d in mixed.store.documents() if d.collection == "contributions"])
    docs = {d.id: d for d in mixed.store.documents()}
    assert {d.collection for i, d in docs.items() if i != "australia-ai-action-plan-2021"
            and not i.startswith("en-safeguarding")} == {"contributions"}
    assert docs["australia-ai-action-plan-2021"].collection == "library"
    assert docs["en-safeguarding-code-of-behaviour-for-volunteers"].collection == "library"
    assert docs["malawi-training-of-trainers"].to_json()["collection"] == "contributions"
    with mixed.store.snapshot():
        library = mixed.store.document_ids(Filters.parse(["collection=Library"]))  # by name, any case
        counts = dict(mixed.store.facet_table().counts()["collection"])
    assert sorted(library) == ["australia-ai-action-plan-2021", "en-safeguarding-code-of-behaviour-for-volunteers"]
    assert counts == {"contributions": contributions, "library": 2} and contributions == 8


def test_an_on_topic_question_is_answered_from_the_contributions_most_likely_first(mixed: IndexFolder) -> None:
    found = answer(SearchEngine(mixed), "Which countries train teachers so that they can teach online safety to others?")
    assert found.hits and not found.nothing and found.notices == []
    assert found.hits[0].document_id == "malawi-training-of-trainers"
    assert all(h.collection == "contributions" for h in found.hits)
    relevance = [h.relevance for h in found.hits]
    assert relevance == sorted(relevance, reverse=True) and min(relevance) >= found.min_relevance == shipped_model().floor
    assert all(content_share(h.text) >= 0.5 for h in found.hits)


def test_an_off_topic_question_gets_nothing_and_says_so(mixed: IndexFolder) -> None:
    engine = SearchEngine(mixed)
    for question in ("What is the VAT rate on e-books in Germany?", "How do I fix a flat tyre on a bicycle?",
                     "¿Cuál es la receta tradicional de la paella valenciana?", "xqzvw blorf"):
        found = answer(engine, question)
        assert found.nothing and found.notices[0] == NOTHING, (question, _ids(found.hits), _ids(found.library))
        assert found.held_back > 0
        shown = answer(engine, question, min_relevance=0.0)  # asked for everything, the nearest is shown again
        assert shown.hits and shown.min_relevance == 0.0


def test_the_library_answers_apart_and_only_when_it_answers(mixed: IndexFolder) -> None:
    engine = SearchEngine(mixed)
    found = answer(engine, "What does Australia plan to invest in artificial intelligence for its economy?")
    assert found.library and {h.collection for h in found.library} == {"library"}
    assert found.library[0].document_id == "australia-ai-action-plan-2021"
    assert all(h.relevance >= found.min_relevance for h in found.library)
    both = answer(engine, "What does Australia plan to invest in artificial intelligence for its economy?",
                  filters=Filters.parse(["collection=all"]))
    assert both.library == [] and "australia-ai-action-plan-2021" in _ids(both.hits)
    only = answer(engine, "age verification methods", filters=Filters.parse(["collection=library"]))
    assert all(h.collection == "library" for h in only.hits)


def test_a_language_no_model_reads_is_named(mixed: IndexFolder) -> None:
    found = answer(SearchEngine(mixed), "बच्चों को ऑनलाइन सुरक्षा सिखाने के लिए शिक्षकों का प्रशिक्षण")
    assert any(n.startswith("Hindi is not among the languages the search models read") for n in found.notices)
    french = answer(SearchEngine(mixed), "Quels pays forment les enseignants à la protection des enfants en ligne ?")
    assert not any("not among the languages" in n for n in french.notices)
    assert french.hits and french.hits[0].document_id in ("malawi-training-of-trainers",
                                                          "uae-online-child-protection-in-curriculum")


def test_a_document_moves_between_collections_without_being_encoded_again(mixed: IndexFolder) -> None:
    store = mixed.store
    with store.snapshot():
        vectors = store.vector_count("minilm")
        before = store.vectors_for("minilm", [c.id for c in store.chunks_of("roblox-safety-and-civility")],
                                   mixed.dimension("minilm"))
    assert store.set_collection(["roblox-safety-and-civility"], "library") == ["roblox-safety-and-civility"]
    assert store.set_collection(["roblox-safety-and-civility"], "library") == []  # there already
    with store.snapshot():
        doc = store.document("roblox-safety-and-civility")
        after = store.vectors_for("minilm", [c.id for c in store.chunks_of(doc.id)], mixed.dimension("minilm"))
        assert doc.collection == "library" and doc.entry["collection"] == "library"
        assert store.vector_count("minilm") == vectors and np.array_equal(before, after)
        assert "roblox-safety-and-civility" in store.document_ids(Filters.parse(["collection=library"]))
    found = answer(SearchEngine(mixed), "parental controls and chat filters on a gaming platform")
    assert "roblox-safety-and-civility" not in _ids(found.hits)
    store.set_collection(["roblox-safety-and-civility"], "contributions")
