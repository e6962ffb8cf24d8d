"""Passages that are not content (issue 21): contents pages, dot leaders, bare headings, lists of names,
addresses or figures read as furniture; prose in any language reads as content."""

from __future__ import annotations

import pytest

from search.retrieval.content import content_share
from tests.conftest import shared_data

PROSE = {
    "en": "Malawi trained 120 teachers as trainers in 2023; each of them then ran awareness sessions for parents "
          "and pupils in their district, and schools reported cases to the national helpline.",
    "fr": "Le ministère a formé les enseignants de l'école primaire aux risques numériques ; la campagne a touché "
          "douze mille familles en deux ans.",
    "ar": "أطلقت الوزارة برنامجاً وطنياً لتدريب المعلمين على حماية الأطفال على الإنترنت، وشارك فيه أكثر من ألف معلم.",
    "zh": "该国教育部在全国中小学开展儿童网络安全教育，培训了两千名教师，并设立了面向家长的求助热线和举报渠道。",
    "ru": "Министерство запустило национальную горячую линию, по которой дети и родители сообщают о случаях "
          "травли и домогательств в интернете.",
}
FURNITURE = {
    "contents page": "Contents\nPreface ........................ 1\nExecutive summary .............. 3\n"
                     "1. Introduction ................. 5\n2. Methods .................... 9",
    "leaders only": ". . . . . . . . . . . . . . . . . . . . . . . . . 13\n2. Controversies . . . . . . . . . . . . 14",
    "bare heading": "What is the prospect for AI?",
    "chinese heading": "人工智能的前景",
    "names": "Andorra\nAntigua and Barbuda\nCentral African Republic\nComoros\nDominica\nEquatorial Guinea\nEritrea",
    "addresses": "Contact: info@example.org, https://www.example.org/contact, press@example.org, "
                 "https://example.org/media",
    "figures": "152 Papua New Guinea 30.41 25.82 22.56 42.84 153 Cameroon 30.27 30.91 22.07 37.84 154 Gambia 30.25",
}


@pytest.mark.parametrize("language", sorted(PROSE))
def test_prose_in_any_language_is_content(language: str) -> None:
    assert content_share(PROSE[language]) >= 0.9


@pytest.mark.parametrize("kind", sorted(FURNITURE))
def test_furniture_is_not(kind: str) -> None:
    assert content_share(FURNITURE[kind]) < 0.5


def test_a_legal_article_with_its_number_is_content() -> None:
    article = ("Article 81\n\nUnion safeguard procedure\n\n1. Where, within three months of receipt of the "
               "notification referred to in Article 79(5), objections are raised by a Member State against a "
               "measure taken by another Member State, the Commission shall consult the Member State concerned.")
    assert content_share(article) >= 0.8


def test_the_contents_pages_of_a_real_report_are_furniture_and_its_body_is_not() -> None:
    from pathlib import Path

    from ingest.loaders import load_file

    path: Path = shared_data("policy_pdfs", "digital_ai_policy", "unesco2023genai_guidance-generative-ai-education.pdf")
    blocks = load_file(path, path.read_bytes(), None).blocks
    by_page: dict[int, str] = {}
    for block in blocks:
        by_page[block.page or 0] = by_page.get(block.page or 0, "") + block.text + "\n"
    contents = [text for text in by_page.values() if text.count(". . . .") >= 5]
    assert contents, "the report's contents pages were expected"
    assert all(content_share(text) < 0.3 for text in contents)
    body = [text for text in by_page.values() if len(text) > 1500 and ". . . ." not in text]
    assert sum(content_share(text) >= 0.8 for text in body) >= 0.8 * len(body)
