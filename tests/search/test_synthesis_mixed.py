"""Syntheses and briefing packs a secretariat can send (issue 21), with the real models on the small mixed
repository (eight of the meeting's contributions with their manifest, two reference files as they come):

- a synthesis quotes the group's contributions unless a collection is named, and only prose sentences likely to
  answer the topic: no headings, fragments, addresses or reference files that share a word;
- every sub-theme rests on two sources or the synthesis says it does not;
- an off-topic topic gets a note, not quotes;
- a briefing pack's "not yet contributing" names only member states that contributed to the group.
"""

from __future__ import annotations

import re

import pytest

from index.filters import Filters
from index.folder import IndexFolder
from search.characterization.taxonomy import load_taxonomy
from search.synthesis.pipeline import Synthesizer
from search.synthesis.sentences import is_fragment

pytestmark = pytest.mark.slow

LIBRARY = ("australia", "safeguarding")  # the two reference files' document ids start so


def _quoted(synthesis):  # type: ignore[no-untyped-def]
    """(sentence text, its citation) for every sentence the synthesis quotes."""
    out = []
    for theme in synthesis.subthemes:
        for sentence in [*theme.summary, *(i.sentence for i in theme.initiatives)]:
            out.append((sentence.text, synthesis.citation(sentence.citation)))
    return out


@pytest.fixture(scope="module")
def age(mixed_index: IndexFolder):  # type: ignore[no-untyped-def]
    return Synthesizer(mixed_index, load_taxonomy()).synthesize("age verification and age assurance online")


def test_a_synthesis_quotes_the_contributions_on_the_topic(age, mixed_index: IndexFolder) -> None:
    quoted = _quoted(age)
    assert quoted, age.notes
    collections = {d.id: d.collection for d in mixed_index.store.documents(Filters.parse(["collection=all"]))}
    assert {collections[c.document_id] for _, c in quoted} == {"contributions"}
    assert "euconsent-age-assurance" in {c.document_id for _, c in quoted}  # the contribution on age assurance
    for text, citation in quoted:  # a quote is an exact slice of its passage, a whole prose sentence
        assert text in citation.passage
        assert not is_fragment(text) and "@" not in text and not re.fullmatch(r"[\W\d]*", text), text


def test_every_subtheme_has_two_sources_or_says_it_has_one(age) -> None:
    single = [t for t in age.subthemes if len(set(t.sources)) < 2]
    assert not single or any("one source" in n for n in age.notes), (single, age.notes)
    assert all(t.title and t.title[0].isupper() for t in age.subthemes)


def test_the_library_is_quoted_only_when_asked_for(mixed_index: IndexFolder) -> None:
    synthesizer = Synthesizer(mixed_index, load_taxonomy())
    library = synthesizer.synthesize("national artificial intelligence strategy and investment",
                                     Filters.parse(["collection=library"]))
    assert {c.document_id.split("-")[0] for c in library.citations} <= set(LIBRARY)
    assert library.citations, library.notes  # the AI action plan answers this, from the library
    default = synthesizer.synthesize("national artificial intelligence strategy and investment")
    assert not any(c.document_id.startswith(LIBRARY) for c in default.citations)


def test_an_off_topic_synthesis_quotes_nothing_and_says_so(mixed_index: IndexFolder) -> None:
    off = Synthesizer(mixed_index, load_taxonomy()).synthesize("sourdough bread fermentation and baking times")
    assert off.citations == [] and off.subthemes == []
    assert off.notes and off.notes[0].startswith("No ")


def test_a_briefing_pack_names_only_member_states_that_contribute(mixed_index: IndexFolder) -> None:
    from search.characterization.meetings import load_meetings
    from search.synthesis.brief import brief, brief_json

    store = mixed_index.store
    contributing = {d.country for d in store.documents() if d.actor_type == "member_state" and d.country}
    assert contributing >= {"Bahrain", "Canada", "Malawi"}
    pack = brief(mixed_index, load_taxonomy(), "CWG-COP-21", load_meetings())
    named = set(pack["not_yet"]["member_states"])
    on_topic = {d.country for d in store.documents_by_id(pack["synthesis"].topic_document_ids).values()}
    assert named <= contributing and not named & on_topic
    assert pack["not_yet"]["on"] == pack["focus"][0]["name"]
    assert '"not_yet"' in brief_json(pack) and '"subthemes"' in brief_json(pack)
