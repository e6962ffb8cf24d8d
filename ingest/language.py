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


def language_shares(text: str) -> dict[str, float]:
    """How likely `text` is in each language (ISO 639-1 base codes summing to at most 1); {} when there
    is too little text to tell. A script unique to one of our languages decides alone."""
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
    for code, p in language_probabilities(sample).items():
        base = code.split("-")[0]
        shares[base] = shares.get(base, 0.0) + p
    return shares
