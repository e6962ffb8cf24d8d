"""What makes a quoted sentence stand on its own in a synthesis.

A sentence quoted away from its neighbours must not begin with a pronoun or connective whose referent
is in the sentence before ("It discussed…", "Moreover, the strategy…"), and must be a sentence: not a
table-of-contents line, a heading, a list stub or a phrase without a verb.
"""

from __future__ import annotations

import re

# Openers that lean on what came before. "This/These/Such + noun" too ("This approach…"), except when
# the noun is the document itself ("This report…" is clear once the quote is attributed).
_CONNECTIVES = (
    "moreover", "furthermore", "however", "in addition", "additionally", "also", "therefore", "thus", "hence",
    "consequently", "similarly", "likewise", "besides", "nevertheless", "nonetheless", "meanwhile", "finally",
    "secondly", "thirdly", "lastly", "then", "as a result", "on the other hand", "in this regard", "to this end",
    "for this reason", "in turn", "in particular", "for example", "for instance", "otherwise", "instead",
    "accordingly", "subsequently", "further", "in this context", "at the same time", "on this basis",
    # French, Spanish, Portuguese
    "de plus", "en outre", "par ailleurs", "cependant", "toutefois", "ainsi", "donc", "enfin", "aussi",
    "además", "asimismo", "sin embargo", "por lo tanto", "por ello", "finalmente", "también",
    "além disso", "no entanto", "portanto",
)
_PRONOUNS = ("it", "its", "they", "their", "them", "he", "she", "his", "her", "these", "those", "this", "that",
             "such", "both", "which", "there", "here", "the latter", "the former", "the same", "the above",
             "il", "elle", "ils", "elles", "cela", "ceci", "celui-ci", "celle-ci", "ces", "cette", "ce",
             "ello", "esto", "esta", "este", "estos", "estas", "dicho", "dicha", "ele", "ela", "isso", "isto")
_SELF_NOUNS = {"report", "document", "contribution", "paper", "study", "brief", "note", "presentation", "guide",
               "guidance", "submission", "publication", "chapter", "section", "annex", "survey", "toolkit",
               "rapport", "documento", "informe", "estudio", "relatório"}
_OPENER = re.compile(
    r"^[\"'“‘(\[]*(?P<word>" + "|".join(sorted((re.escape(w) for w in (*_CONNECTIVES, *_PRONOUNS)),
                                               key=len, reverse=True)) + r")\b(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL)
_DEMONSTRATIVES = {"this", "these", "that", "those", "such", "ces", "cette", "ce", "esta", "este", "estos", "estas",
                   "dicho", "dicha"}

_TOC_LINE = re.compile(r"(\.{3,}|…{2,}|\s\.\s*$|^\s*\d+(\.\d+)*\s+[A-Z]|\s\d{1,4}\s*$)")
_VERB_HINT = re.compile(
    r"\b(is|are|was|were|be|been|being|has|have|had|do|does|did|will|would|can|could|may|might|must|shall|"
    r"should|est|sont|a|ont|était|sera|peut|doit|es|son|fue|ha|han|puede|debe|foi|são|tem|têm)\b|"
    r"\b\w{3,}(ed|es|ing|s)\b|\b\w{3,}(é|ée|és|ées|ó|aron|ado|ada|ou|aram)\b",
    re.IGNORECASE)


def dangling_start(sentence: str) -> str | None:
    """The opening word(s) that need an antecedent outside `sentence`, or None when it stands alone."""
    match = _OPENER.match(sentence.strip())
    if match is None:
        return None
    word = match.group("word").lower()
    rest = match.group("rest")
    if word in _CONNECTIVES and re.match(r"\s+(to|of|with|from)\b", rest, re.IGNORECASE):
        return None  # "In addition to laws, …", "Further to the request, …": the referent follows
    if word in _DEMONSTRATIVES:
        following = re.match(r"\s+([\w-]+)", rest)
        if following and following.group(1).lower().rstrip("s") in _SELF_NOUNS:
            return None  # "This report…": the cited document itself
    if word == "that" and not re.match(r"\s+\w", rest):
        return None
    if word in ("there", "here") and re.match(r"\s+(is|are|was|were|has|have|exists?)\b", rest, re.IGNORECASE):
        return None  # "There are three…": existential, no antecedent
    if word == "also" and not rest.startswith(","):
        return word  # "Also, …" and "Also the …" both lean on what came before
    return word


def strip_connective(sentence: str) -> int:
    """How many leading characters a connective takes ("Moreover, " → 10); 0 when there is none or what
    follows would still need its antecedent."""
    match = _OPENER.match(sentence)
    if match is None or match.group("word").lower() not in _CONNECTIVES:
        return 0
    rest = match.group("rest")
    lead = re.match(r"\s*,\s*", rest)
    if lead is None:
        return 0  # no comma: the word belongs to the sentence ("Also the ministry…", "Then, …" aside)
    cut = match.start("rest") + lead.end()
    remainder = sentence[cut:]
    if not remainder or not remainder[0].isalpha() or dangling_start(remainder) is not None:
        return 0
    return cut


def is_fragment(sentence: str) -> bool:
    """A contents line, a heading, a list stub or a phrase without a verb: not a sentence to quote."""
    text = " ".join(sentence.split())
    words = text.split()
    if len(words) < 5:
        return True
    if _TOC_LINE.search(text):
        return True
    letters = [w for w in words if w[:1].isalpha()]
    capitalised = sum(1 for w in letters if w[0].isupper())
    if letters and capitalised / len(letters) > 0.6:
        return True  # Title Case: a heading
    if not re.search(r"[.!?…:;)\"”']\s*$", text):
        return True  # cut off
    return _VERB_HINT.search(text) is None
