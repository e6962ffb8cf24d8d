"""The language of a question, for cross-language weighting: grammar words first, langdetect's guess
trusted by how much text it had."""

from __future__ import annotations

import pytest

from ingest.language import query_language


@pytest.mark.parametrize(("question", "language"), [
    ("Which laws protect children from online sexual exploitation?", "en"),
    ("Foxk2 regulates autophagy genes in muscle cells and fibroblast cells.", "en"),
    ("Quels pays ont une ligne d'assistance pour les enfants ?", "fr"),
    ("¿Qué organización propone una legislación modelo sobre el abuso sexual infantil?", "es"),
    ("Quais países treinam professores sobre segurança on-line?", "pt"),
    ("Какие страны обучают учителей безопасности в интернете?", "ru"),
    ("哪些组织在推动网络年龄验证的技术标准？", "zh"),
    ("ما هي الدول التي لديها خط مساعدة للأطفال؟", "ar"),
])
def test_questions_are_read_in_their_language_with_full_trust(question: str, language: str) -> None:
    shares, trust = query_language(question)
    assert max(shares, key=shares.get) == language and trust == 1.0  # type: ignore[arg-type]


def test_a_two_word_query_is_trusted_little() -> None:
    shares, trust = query_language("age assurance")  # langdetect: French, probability 1.0
    assert trust < 0.2
    assert query_language("")[1] == 0.0
