"""The parts a synthesis draft is written from, without the model: which sentences can be quoted alone,
the facts of a lead paragraph, sub-theme titles from key phrases."""

from __future__ import annotations

from ingest.chunking import split_sentences
from ingest.text_facts import figures, initiative_names
from search.synthesis.facts import compose_lead
from search.synthesis.keyphrases import cluster_key_phrases, noun_phrase_title
from search.synthesis.sentences import dangling_start, is_fragment, quotable_spans


def _quotes(text: str) -> list[str]:
    return [text[a:b] for a, b in quotable_spans(text, split_sentences(text))]


def test_a_sentence_leaning_on_the_one_before_is_quoted_with_it():
    text = ("Malawi trained 120 teachers on online safety in 2023. It also printed guides for parents in Chichewa. "
            "The regulator funds the programme every year.")
    quotes = _quotes(text)
    assert quotes[0] == ("Malawi trained 120 teachers on online safety in 2023. It also printed guides for "
                         "parents in Chichewa.")
    assert quotes[1] == "The regulator funds the programme every year."
    assert all(dangling_start(q) is None for q in quotes)


def test_a_connective_is_dropped_or_the_sentence_skipped_when_nothing_precedes_it():
    text = "However, schools in rural districts still lack trained staff and devices."
    assert _quotes(text) == ["schools in rural districts still lack trained staff and devices."]
    assert _quotes("It discussed various legal frameworks in the region and beyond them.") == []


def test_fragments_are_never_quotable():
    toc = "119 A. Legislative Reform Efforts to Prevent Abuse of Soft Law ."
    stub = "make media and digital literacy a regular part of education;"
    heading = "Legal Measures To Keep Children Safe Online And Offline"
    for fragment in (toc, stub, heading):
        assert is_fragment(fragment), fragment
        assert _quotes(fragment) == []
    # a footnote number or a run-in heading is left out of the quote, the sentence kept
    assert _quotes("135 A second prerequisite is digital education in all schools.") == [
        "A second prerequisite is digital education in all schools."]
    assert _quotes("Digital Literacies. The digital divide in education goes beyond access to devices.") == [
        "The digital divide in education goes beyond access to devices."]


def test_initiative_names_and_figures_are_exact_slices():
    sentence = ("In 2022 the Philippines passed Republic Act 11930 and the National Strategy for Child Online "
                "Protection, and the SafeSurf programme reached more than 10,000 teachers and 35% of schools.")
    names = [sentence[a:b] for a, b in initiative_names(sentence)]
    assert "National Strategy for Child Online Protection" in names and "SafeSurf" in names
    assert any(n.startswith("Republic Act") for n in names)
    numbers = [sentence[a:b] for a, b in figures(sentence)]
    assert numbers == ["more than 10,000 teachers", "35% of schools"]  # the year is not a figure
    assert figures("Article 3 of the law applies to 2023 and to section 12.") == []
    # regression (issue 21): a numbered heading and a version were quoted as figures
    assert figures("38 FORMACIÓN Y TALENTO") == [] and figures("Industry 4.0 technologies spread fast.") == []
    assert figures("Spain 67.47 72.86 50.96") == []
    assert [s[a:b] for s in ["The fund raised 5.5 million dollars."] for a, b in figures(s)] == ["5.5 million dollars"]


def test_the_lead_names_sources_by_kind_and_cites_every_fact():
    sentences = [("The SafeSurf programme trained more than 10,000 teachers.", 1),
                 ("ECPAT International reviewed the Lanzarote Convention in 12 countries.", 2)]
    lead, facts = compose_lead([("Bahrain", "member_state", 1), ("ECPAT International", "civil_society", 2)],
                               sentences)
    assert lead.startswith("Two sources address this: member state Bahrain [1]; civil society ECPAT International [2].")
    kinds = {(f.kind, f.text, f.citation) for f in facts}
    assert ("initiative", "Lanzarote Convention", 2) in kinds and ("figure", "more than 10,000 teachers", 1) in kinds
    for fact in facts:
        assert f"[{fact.citation}]" in lead and fact.text in lead
        if fact.kind != "source":
            text = dict((n, t) for t, n in sentences)[fact.citation]
            assert text[fact.start:fact.end] == fact.text


def test_titles_from_key_phrases_are_noun_phrases():
    assert noun_phrase_title(["happens", "effective digital", "parental controls", "abuse"]) == "Parental controls"
    assert noun_phrase_title(["address offences", "laws"]) == "Laws"
    assert noun_phrase_title(["underscored", "clearly"]) == ""
    clusters = [["ICMEC's review of laws on child sexual abuse material.", "ICMEC's model legislation."],
                ["Parental controls and filtering at home.", "Filtering tools, parental controls."]]
    phrases = cluster_key_phrases(clusters, [t for c in clusters for t in c])
    assert all("'" not in p and "’" not in p for c in phrases for p in c)  # "icmec's" is "icmec"
    assert "parental controls" in phrases[1]
