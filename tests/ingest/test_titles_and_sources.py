"""Files without a manifest: the title and the source come from the document itself (cover lines, credit
and copyright lines, the government a cover names, a web site), a bullet line or "Dos" is no title, and
the file name is the last resort."""

from __future__ import annotations

import pytest

from ingest.authorship import credited_source, government_source, infer_source, website
from ingest.loaders import load_file
from ingest.metadata import build_meta, leading_title, weak_title
from ingest.records import Block, LoadedDocument
from tests.conftest import shared_data


def _meta(blocks: list[str], name: str = "some_file_2024.txt", title: str | None = None, kinds=None):  # type: ignore[no-untyped-def]
    loaded = LoadedDocument("pdf", [Block((kinds or {}).get(i, "paragraph"), text, page=1)
                                    for i, text in enumerate(blocks)], title=title)
    return build_meta(loaded, name, "\n\n".join(blocks), None)


def test_weak_titles():
    for weak in ("Dos", "Dos Don’ts", "À faire ● Fournissez un environnement sûr", "Versión 1.0 0",
                 "Spotlight on the", "INFORMATION BRIEF", "Here are our top five tips for your child.",
                 "United Nations Educational, Scientific and Cultural Organization"):
        assert weak_title(weak), weak
    for title in ("Online Child Protection in the School Curriculum", "AUSTRALIA’S AI ACTION PLAN",
                  "Spotlight on the Global Child Protection Thematic Fund"):
        assert not weak_title(title), title


def test_a_title_set_over_several_lines_is_read_whole_and_the_publisher_left_out():
    meta = _meta(["United Nations", "Educational, Scientific and", "Cultural Organization", "BEIJING CONSENSUS",
                  "on artificial intelligence and education, outcome document of the conference."],
                 kinds={0: "heading", 1: "heading", 2: "heading", 3: "heading"})
    assert meta.title == "BEIJING CONSENSUS"
    assert meta.source == "UNESCO"
    cut = _meta(["Spotlight on the", "Global Child Protection Thematic Fund 2024 A girl smiling in a settlement.",
                 "Spotlight on the Global Child Protection Thematic Fund", "1. Every child deserves to be safe."],
                kinds={0: "heading"})
    assert cut.title == "Spotlight on the Global Child Protection Thematic Fund"


def test_a_flattened_text_starts_with_its_title():
    assert leading_title("GPRN 11-1721000-000393-01 National Strategy for Artificial Intelligence Presidential "
                         "Initiative for Artificial Intelligence(AI) Fellow Koreans and the main architects") == \
        "National Strategy for Artificial Intelligence Presidential Initiative"
    assert leading_title("AUSTRALIA’S AI ACTION PLAN industry.gov.au/ai-action-plan JUNE 2021") == \
        "AUSTRALIA’S AI ACTION PLAN"
    assert leading_title("Versión 1.0 0. PRÓLOGO I. INTRODUCCIÓN II. OBJETIVOS DE LA ESTRATEGIA") == ""


def test_the_file_name_is_the_last_resort_and_made_readable():
    meta = _meta(["• Do treat all children with respect.", "• Do be aware of what is appropriate."],
                 name="en__safeguarding_code_of_behaviour_for_volunteers.pdf", title="Dos")
    assert meta.title == "Safeguarding code of behaviour for volunteers"


def test_sources_from_credits_governments_and_web_sites():
    assert credited_source("Credits This report was produced by Oxford Insights. Authors: Emma Hankins") == \
        "Oxford Insights"
    assert credited_source("This publication is a Science for Policy report by the Centre for Digital Childhood "
                           "(CDC), an independent institute.") == "Centre for Digital Childhood (CDC)"
    assert credited_source("Code Club and CoderDojo are part of the Raspberry Pi Foundation, UK charity") == \
        "Raspberry Pi Foundation"
    assert credited_source("A girl in a settlement. © UNICEF/UNI724524/Nader") == ""  # a photo credit
    assert credited_source("© 2023 Oxford Insights") == "Oxford Insights"
    assert government_source("REPUBLIQUE DE CÔTE D’IVOIRE Union - Discipline - Travail") == "Côte d'Ivoire"
    assert government_source("The Republic of Korea and the Republic of Chile signed") == ""  # two: neither
    assert website("Visit www.raspberrypi.org to learn more") == "raspberrypi.org"
    assert infer_source("Tips for parents.", "Find out more at www.raspberrypi.org", None) == "raspberrypi.org"
    assert infer_source("A note on tips.", "Nothing here.", "Microsoft Word") == ""


def test_real_pdfs_without_a_manifest():
    folder = shared_data("policy_pdfs")
    cases = {
        # the file's own title field is a file name: its words, after the text's own title
        "multilingual_child_online_safety/fr__safeguarding_code_of_behaviour_for_volunteers.pdf":
            ("Raspberry Pi Foundation safeguarding code of behaviour", "Raspberry Pi Foundation"),
        # the first line, without the "À faire ●" that follows it
        "multilingual_child_online_safety/fr__online_code_of_behaviour_for_young_people.pdf":
            # its source is its web site, named as its organisation (the alias table: issue 25)
            ("Conseils pour assister à ta session de codage en ligne", "Raspberry Pi Foundation"),
        "digital_ai_policy/unesco2019beijing_beijing-consensus-ai-education.pdf": ("BEIJING CONSENSUS", "UNESCO"),
        "digital_ai_policy/touretzky2019k12ai_ai-k12-every-child.pdf":
            (None, "Association for the Advancement of Artificial Intelligence"),
    }
    for rel, (title, source) in cases.items():
        path = folder / rel
        if not path.exists():
            pytest.skip(f"{path} is not on this machine")
        loaded = load_file(path)
        meta = build_meta(loaded, path.name, "\n\n".join(b.text for b in loaded.blocks), None)
        assert not weak_title(meta.title) and "●" not in meta.title, (rel, meta.title)
        if title:
            assert meta.title == title, (rel, meta.title)
        if source:
            assert meta.source == source, (rel, meta.source)


def test_a_submitter_line_gives_the_source():
    """Without a manifest, "Submitted by: Republic of …", "Contribution from …" and "Source: …" on the cover name
    the submitter (issue 23), before a country or an organisation the title or the text mentions; the
    template's placeholder names nobody."""
    meta = _meta(["Learning from Kenya's helpline", "Submitted by: Republic of Korea, Ministry of Science and ICT",
                  "In 2023 the ministry launched a programme with UNICEF for schools."])
    assert (meta.source, meta.country) == ("Republic of Korea", "Republic of Korea")
    meta = _meta(["UNICEF's guidance on age assurance, read by practitioners", "Contribution from ECPAT International",
                  "Age assurance must respect children's rights and their privacy."])
    assert meta.source == "ECPAT International"
    meta = _meta(["Digital literacy in schools", "Source: Ministry of Education",
                  "The curriculum includes online safety from the age of eight."])
    assert meta.source == "Ministry of Education"
    meta = _meta(["Safer play", "Submitted by: (member state or organisation)",
                  "Say what the initiative is for."])
    assert meta.source == ""
