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
    if text[0].islower() and not words[0][1:2].isupper():
        return True  # a list item ("providing practical tools…"): its lead-in is elsewhere ("eSafety…" is a name)
    if text.rstrip().endswith(":"):
        return True  # a lead-in ("…principles, such as:"): what it introduces is elsewhere
    return _VERB_HINT.search(text) is None


_FOOTNOTE_MARK = re.compile(r"\d{1,3}\s+(?=[A-Z])")  # "135 A second prerequisite…": a footnote or page number
# "Digital Literacies. The digital divide…": a heading run into the sentence after it
_RUN_IN_HEADING = re.compile(r"(?:[A-Z][\w'’\-]*\s+){0,4}[A-Z][\w'’\-]*\.\s+(?=[A-Z])")
MIN_WORDS, MAX_WORDS = 6, 70


def quotable_spans(text: str, pieces: list[tuple[int, int]], max_words: int = MAX_WORDS) -> list[tuple[int, int]]:
    """The spans of `text` that can be quoted on their own, from its sentence pieces in reading order.

    A fragment is skipped. A sentence whose opening leans on the one before ("It…", "However, …") is
    quoted together with that sentence when it directly precedes it and stands alone itself; else its
    connective is dropped when what remains stands alone ("However, when…" → "when…"); else it is skipped.
    A leading footnote or page number is left out of the span. Spans never overlap.
    """
    out: list[tuple[int, int]] = []
    previous: tuple[int, int] | None = None  # the last piece that stands alone, if it is the piece just before
    for start, end in pieces:
        for lead in (_FOOTNOTE_MARK, _RUN_IN_HEADING):
            mark = lead.match(text, start)
            if mark and mark.end() < end and len(text[mark.end():end].split()) >= MIN_WORDS:
                start = mark.end()
        piece = text[start:end]
        words = len(piece.split())
        if words < MIN_WORDS or words > max_words or is_fragment(piece):
            previous = None
            continue
        if dangling_start(piece) is None:
            out.append((start, end))
            previous = (start, end)
            continue
        if previous is not None and words + len(text[previous[0]:previous[1]].split()) <= max_words \
                and "\n\n" not in text[previous[1]:start]:
            out[-1] = (previous[0], end)  # the sentence with its antecedent, one quote
            previous = None
            continue
        cut = strip_connective(piece)
        if cut:
            out.append((start + cut, end))
        previous = None
    return out
