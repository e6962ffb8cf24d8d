"""A taxonomy label's phrases as regular expressions: each word matches its own inflections (used by the tagger
per document and by the initiative records per passage)."""

from __future__ import annotations

import re

from search.characterization.taxonomy import Label

__all__ = ["label_regex", "phrase_pattern"]


def phrase_pattern(phrase: str) -> str:
    """A regex for a phrase whose words match their inflections ("encrypt" → "encrypted", "encryption").

    Only common English endings are added, so "police" does not match "policy". Short words (up to 4
    letters) and acronyms match exactly, with an optional plural, so "AI" does not match "aim".
    """
    words = [w for w in re.split(r"[\s\-]+", phrase.strip()) if w]
    parts = []
    for word in words:
        if len(word) < 5 or not word.isalpha() or word.isupper():
            parts.append(re.escape(word) + r"(?:s|es)?")
        elif word[-1].lower() == "y":
            parts.append(re.escape(word[:-1]) + r"(?:y|ies|ied)")
        elif word[-1].lower() == "e":
            parts.append(re.escape(word[:-1]) + r"(?:e|es|ed|ing|ion|ions|ation|ations|er|ers|al)")
        else:
            parts.append(re.escape(word) + r"(?:s|es|ed|ing|ion|ions|ation|ations|er|ers|al|ally)?")
    return r"(?<!\w)" + r"[\s\-]+".join(parts) + r"(?!\w)"


def label_regex(label: Label) -> re.Pattern[str]:
    patterns = sorted({phrase_pattern(p) for p in label.phrases}, key=len, reverse=True)
    return re.compile("|".join(patterns), re.IGNORECASE)
