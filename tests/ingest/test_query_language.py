"""The language of a question, for cross-language weighting: grammar words first, the identifier's
guess trusted by how much text it had."""

from __future__ import annotations

import pytest

from ingest.language import language_shares, query_language


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
    shares, trust = query_language("age assurance")  # langdetect said French, probability 1.0
    assert trust < 0.2
    assert max(shares.values()) < 0.5  # two words: no language is likely
    assert query_language("")[1] == 0.0


def test_shares_are_probabilities_over_base_codes() -> None:
    shares = language_shares("Quels pays forment les enseignants à la sécurité en ligne des enfants ?")
    assert max(shares, key=shares.get) == "fr"  # type: ignore[arg-type]
    assert 0.99 <= sum(shares.values()) <= 1.0 + 1e-6 and all("-" not in code for code in shares)
    assert language_shares("12") == {}  # too few letters to tell
