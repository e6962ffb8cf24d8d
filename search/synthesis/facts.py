"""Facts a sub-theme's lead paragraph is written from: who contributed, which initiatives they name, which
figures they give. Each fact is an exact slice of a quoted sentence, so it carries that sentence's citation.

No language model: the names and figures are found by patterns (a run of capitalised words holding a word
like Act, Strategy, Programme or Helpline; a number with the words it counts), and the paragraph is put
together from templates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.records import ACTOR_TYPES

_HEADS = (
    "Act", "Acts", "Law", "Laws", "Code", "Bill", "Decree", "Ordinance", "Strategy", "Policy", "Plan", "Programme",
    "Program", "Programmes", "Initiative", "Campaign", "Project", "Platform", "Helpline", "Hotline", "Tipline",
    "Portal", "Toolkit", "Guidelines", "Guide", "Framework", "Convention", "Directive", "Regulation", "Alliance",
    "Coalition", "Network", "Centre", "Center", "App", "Charter", "Protocol", "Curriculum", "Academy", "Challenge",
    "Index", "Standard", "Standards", "Principles", "Fund", "Lab", "Observatory", "Commission", "Council",
    "Loi", "Stratégie", "Programa", "Ley", "Estrategia", "Plano", "Lei",
)
_CAP = r"(?:[A-Z][\w'’\-]*\d*|[A-Z]{2,}\d*)"
_CONNECT = r"(?:of|for|on|the|to|in|against|de|la|le|du|des|del|para|contra|sobre|&)"  # not "and": it joins two names
_NAME = re.compile(rf"(?<![\w'’]){_CAP}(?:\s+(?:{_CONNECT}\s+)*{_CAP})*(?:\s+(?:of\s+)?(?:19|20)\d\d)?(?:\s+\([A-Z][\w\-]+\))?")
_CAMEL = re.compile(r"(?<![\w'’])[a-zA-Z]+[A-Z][a-z]+[A-Za-z]*(?![\w'’])")  # SafeSurf, eSafety
_QUOTED = re.compile(r"[“\"]((?:[A-Z][\w'’\-]*[ ,!]*){2,7})[”\"]")
_GENERIC_FIRST = {"The", "This", "These", "Our", "Its", "Their", "A", "An", "In", "On", "For", "Of", "And", "To"}

_QUALIFIER = r"(?:(?:more than|over|nearly|almost|about|around|approximately|some|up to|at least|close to|"\
             r"plus de|près de|más de|cerca de|mais de)\s+)?"
_NUMBER = r"\d{1,3}(?:[,\u00a0\u202f]\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
_UNIT = r"(?:\s?%|\s(?:per\s?cent|percent|million|billion|thousand|millions?|milliards?|mil))?"
_FIGURE = re.compile(rf"(?<![\w.,/-])({_QUALIFIER}(?:{_NUMBER}){_UNIT})((?:\s+of)?(?:\s+[^\W\d_][\w\-]*){{1,2}})")
_FILLER = {"and", "or", "the", "a", "an", "in", "to", "for", "on", "at", "by", "from", "with", "were", "was",
           "are", "is", "have", "has", "had", "been", "be", "will", "that", "which", "who", "as", "per", "each",
           "et", "de", "des", "y", "e", "que", "en", "par", "le", "la", "les", "el", "los", "las", "since", "across",
           "within", "through", "into", "over", "under", "during", "after", "before", "between", "among", "than",
           "this", "these", "those", "it", "they", "their", "its", "not", "only", "also"}
_YEAR = re.compile(r"(?:19|20)\d\d$")
_REFERENCE = re.compile(r"(?:article|art|section|sec|para|paragraph|page|p|pp|no|chapter|annex|figure|table|"
                        r"resolution|decision|item|point|recommendation|goal|target|sdg|level)\.?\s*$", re.IGNORECASE)

_GROUPS = {"member_state": ("member state", "member states"),
           "intergovernmental": ("intergovernmental organisation", "intergovernmental organisations"),
           "un_agency": ("UN agency", "UN agencies"), "civil_society": ("civil society", "civil society"),
           "industry": ("industry", "industry"), "academia": ("academia", "academia"),
           "secretariat": ("the secretariat", "the secretariat"), "other": ("other", "other"),
           "": ("unattributed", "unattributed")}
_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@dataclass(frozen=True)
class Fact:
    """One fact of a lead paragraph: `text` is what the paragraph says, `citation` where it comes from.

    For a named initiative or a figure, `text` is an exact slice `sentence[start:end]` of the quoted sentence.
    """

    kind: str  # source, initiative or figure
    text: str
    citation: int
    start: int = -1
    end: int = -1


def initiative_names(sentence: str) -> list[tuple[int, int]]:
    """Spans of the named initiatives in a sentence: laws, strategies, programmes, tools, campaigns…"""
    spans: list[tuple[int, int]] = []
    for match in _NAME.finditer(sentence):
        start, end = match.span()
        words = sentence[start:end].split()
        while words and words[0] in _GENERIC_FIRST:  # "The National Strategy…" → "National Strategy…"
            start = sentence.index(words[1], start + len(words[0])) if len(words) > 1 else end
            words = words[1:]
        if len(words) < 2 or not any(w.strip("()") in _HEADS for w in words):
            continue
        spans.append((start, end))
    spans += [m.span() for m in _CAMEL.finditer(sentence) if len(m.group()) >= 5]
    spans += [m.span(1) for m in _QUOTED.finditer(sentence)]
    return _outermost(spans)


def figures(sentence: str) -> list[tuple[int, int]]:
    """Spans of the figures in a sentence: a number with what it counts ("more than 10,000 teachers",
    "35% of children"); years, references ("Article 3") and bare numbers are not figures."""
    spans = []
    for match in _FIGURE.finditer(sentence):
        number, follow = match.group(1), match.group(2)
        digits = re.sub(r"\D", "", number)
        if _YEAR.match(number.strip()) or _REFERENCE.search(sentence[:match.start()]) or not digits:
            continue
        words = follow.split()
        keep = []
        for i, word in enumerate(words):
            if (word.lower() in _FILLER and not (i == 0 and word == "of")) or (i and word.endswith("ed")):
                break  # a verb or a preposition: what is counted has ended
            keep.append(word)
        if keep and keep[-1] == "of":
            keep.pop()
        if not keep or (int(digits) < 2 and "%" not in number and "per" not in number):
            continue
        end = match.start(2) + follow.index(keep[-1]) + len(keep[-1])
        spans.append((match.start(1), end))
    return spans


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if out and start < out[-1][1]:
            continue
        out.append((start, end))
    return out


def compose_lead(sources: list[tuple[str, str, int]], sentences: Iterable[tuple[str, int]],
                 max_items: int = 4) -> tuple[str, list[Fact]]:
    """The lead paragraph of a sub-theme and its facts.

    `sources`: (name, actor_type, citation) per source, in the order to name them; `sentences`: the quoted
    sentences (text, citation) the names and figures are taken from. Every fact ends with its citation.
    """
    facts: list[Fact] = [Fact("source", name, number) for name, _, number in sources]
    parts = []
    if sources:
        grouped: dict[str, list[str]] = {}
        for name, actor, number in sources:
            grouped.setdefault(actor if actor in _GROUPS else "other", []).append(f"{name} [{number}]")
        order = [a for a in (*ACTOR_TYPES, "") if a in grouped]
        groups = [f"{_GROUPS[a][len(grouped[a]) > 1]} {_and(grouped[a])}" for a in order]
        n = len(sources)
        count = _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else str(n)
        verb = "addresses" if n == 1 else "address"
        parts.append(f"{count.capitalize()} source{'s' if n != 1 else ''} {verb} this: {'; '.join(groups)}.")
    names: dict[str, Fact] = {}
    numbers: dict[str, Fact] = {}
    for text, number in sentences:
        for start, end in initiative_names(text):
            names.setdefault(text[start:end].lower(), Fact("initiative", text[start:end], number, start, end))
        for start, end in figures(text):
            numbers.setdefault(text[start:end].lower(), Fact("figure", text[start:end], number, start, end))
    chosen_names = list(names.values())[:max_items]
    chosen_numbers = list(numbers.values())[:max_items]
    if chosen_names:
        label = "Initiative named" if len(chosen_names) == 1 else f"{len(chosen_names)} initiatives named"
        parts.append(f"{label}: " + ", ".join(f"{f.text} [{f.citation}]" for f in chosen_names) + ".")
    if chosen_numbers:
        parts.append("Figures given: " + "; ".join(f"“{f.text}” [{f.citation}]" for f in chosen_numbers) + ".")
    return " ".join(parts), [*facts, *chosen_names, *chosen_numbers]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
