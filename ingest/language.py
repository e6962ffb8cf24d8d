"""Language identification (ISO 639-1 codes) for documents and queries."""

from __future__ import annotations

import re
from functools import lru_cache

_SCRIPTS = (
    (re.compile(r"[\u0600-\u06ff]"), "ar"),
    (re.compile(r"[\u0900-\u097f]"), "hi"),
    (re.compile(r"[\u3040-\u30ff]"), "ja"),
    (re.compile(r"[\uac00-\ud7af]"), "ko"),
    (re.compile(r"[\u4e00-\u9fff]"), "zh"),
    (re.compile(r"[\u0400-\u04ff]"), "ru"),
)


# English names of the languages this project meets (questions, documents, the models' own lists)
LANGUAGE_NAMES = {
    "ar": "Arabic", "de": "German", "en": "English", "es": "Spanish", "fr": "French", "hi": "Hindi",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch", "pl": "Polish", "pt": "Portuguese",
    "ru": "Russian", "th": "Thai", "tr": "Turkish", "zh": "Chinese", "bn": "Bengali", "ur": "Urdu",
    "fa": "Persian", "sw": "Swahili", "id": "Indonesian", "vi": "Vietnamese", "uk": "Ukrainian",
}


@lru_cache(maxsize=1)
def _factory() -> object:
    from langdetect import DetectorFactory
    from langdetect.detector_factory import init_factory

    init_factory()
    DetectorFactory.seed = 0  # deterministic results
    from langdetect import detector_factory

    return detector_factory._factory


def detect_language(text: str, default: str = "") -> str:
    """Best-guess ISO 639-1 code of `text`, or `default` when there is too little text to tell."""
    sample = text[:3000]
    letters = sum(c.isalpha() for c in sample)
    if letters < 3:
        return default
    for pattern, code in _SCRIPTS:  # a script unique to one language among ours decides at once
        if len(pattern.findall(sample)) > 0.3 * letters:
            if code == "zh" and _SCRIPTS[2][0].search(sample):
                return "ja"
            return code
    if letters < 12:
        return default
    try:
        detector = _factory().create()  # type: ignore[attr-defined]
        detector.append(sample)
        code = str(detector.detect())
    except Exception:  # langdetect raises LangDetectException on feature-less text
        return default
    return code.split("-")[0]


def language_probabilities(text: str) -> dict[str, float]:
    """langdetect's probability per language code (e.g. `fr`, `zh-cn`) for the first 5,000 characters."""
    try:
        detector = _factory().create()  # type: ignore[attr-defined]
        detector.append(text[:5000])
        return {p.lang: float(p.prob) for p in detector.get_probabilities()}
    except Exception:  # langdetect raises LangDetectException on feature-less text
        return {}


@lru_cache(maxsize=1)
def _identifier() -> object:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def language_shares(text: str) -> dict[str, float]:
    """How likely `text` is in each language (ISO 639-1 base codes summing to at most 1); {} when there
    is too little text to tell. A script unique to one of our languages decides alone.

    Scored by py3langid (naive Bayes over byte n-grams, its probabilities tempered by the text's length):
    on 371 questions and claims in 8 languages it named 370 right in 0.25 ms each, where langdetect named
    367 in 5.1 ms of Python holding the interpreter lock, a fifth of a loaded server's lock time
    (bench/language_id.py)."""
    sample = text[:3000]
    letters = sum(c.isalpha() for c in sample)
    if letters < 3:
        return {}
    for pattern, code in _SCRIPTS:
        if len(pattern.findall(sample)) > 0.3 * letters:
            if code == "zh" and _SCRIPTS[2][0].search(sample):
                return {"ja": 1.0}
            return {code: 1.0}
    shares: dict[str, float] = {}
    for code, p in _identifier().rank(sample):  # type: ignore[attr-defined]
        if p >= 0.001:
            base = code.split("-")[0]
            shares[base] = shares.get(base, 0.0) + p
    return shares


# Grammar words that give a sentence's language away even when it is short (langdetect called
# "age assurance" French with probability 1.0); a word shared by several languages counts for each
# in part.
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the of and in is are with for to an on by that which from as be this these it its or not "
                    "than was were has have does do what how who where when why can there their should".split()),
    "fr": frozenset("le la les des du de et est sont pour dans une un que qui quels quelles quel quelle avec sur "
                    "par au aux ce ces ne pas comment où leur leurs d l".split()),
    "es": frozenset("el la los las de del y es son para en una un que qué quién quiénes cómo con por al se su sus "
                    "hay cuáles cuál dónde".split()),
    "pt": frozenset("o os do da dos das e é são para em um uma que com por no na nos nas quais qual como onde há "
                    "não ao aos".split()),
    "de": frozenset("der die das und ist sind für mit von zu den dem ein eine nicht wie was wer auf im".split()),
    "it": frozenset("il lo gli della delle di e è sono per con che un una nel nella dei degli come".split()),
}


def query_language(text: str) -> tuple[dict[str, float], float]:
    """(language shares of a short text such as a question, how far to trust them in [0, 1]).

    Grammar words decide when the text has some ("Which laws…": English; "Quels pays…": French); without
    any, langdetect's guess is trusted in proportion to the letters it had, and half as much (a keyword
    query's language is genuinely open)."""
    shares = language_shares(text)
    if not shares or max(shares.values()) == 1.0 and any(p.search(text) for p, _ in _SCRIPTS):
        return shares, 1.0 if shares else 0.0
    votes: dict[str, float] = {}
    for word in re.findall(r"\w+", text.lower()):
        owners = [lang for lang, words in _FUNCTION_WORDS.items() if word in words]
        for lang in owners:
            votes[lang] = votes.get(lang, 0.0) + 1.0 / len(owners)
    total = sum(votes.values())
    letters = sum(c.isalpha() for c in text)
    if total >= 1.0:
        grammar = {lang: v / total for lang, v in votes.items()}
        weight = 0.85 if total >= 2.0 else 0.5
        mixed = {lang: weight * grammar.get(lang, 0.0) + (1 - weight) * shares.get(lang, 0.0)
                 for lang in set(grammar) | set(shares)}
        return mixed, 1.0 if total >= 2.0 else min(1.0, letters / 40)
    return shares, min(1.0, letters / 120)
