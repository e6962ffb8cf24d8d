"""Named initiatives and figures in a sentence, found by patterns: a run of capitalised words holding a
word like Act, Strategy, Programme or Helpline ("National Strategy for Child Online Protection", "SafeSurf");
a number with the words it counts ("more than 10,000 teachers", "35% of schools"). Used by the synthesis
(lead paragraphs) and the quality profile (signals `initiative` and `figures`)."""

from __future__ import annotations

import re

_HEADS = (
    "Act", "Acts", "Law", "Laws", "Code", "Bill", "Decree", "Ordinance", "Strategy", "Policy", "Plan", "Programme",
    "Program", "Programmes", "Initiative", "Campaign", "Project", "Platform", "Helpline", "Hotline", "Tipline",
    "Portal", "Toolkit", "Guidelines", "Guide", "Framework", "Convention", "Directive", "Regulation", "Alliance",
    "Coalition", "Network", "Centre", "Center", "App", "Charter", "Protocol", "Curriculum", "Academy", "Challenge",
    "Index", "Standard", "Standards", "Principles", "Fund", "Lab", "Observatory",
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
_WORDS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                     "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())}
_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
               "hundred": 100, "hundreds": 100, "thousands": 1000})
_NUMBER = (r"\d{1,3}(?:[,\u00a0\u202f]\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?|(?i:"
           + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")(?![\w-])")
_UNIT = r"(?:\s?%|\s(?:per\s?cent|percent|million|billion|thousand|millions?|milliards?|mil))?"
_FIGURE = re.compile(rf"(?<![\w.,/-])({_QUALIFIER}(?:{_NUMBER}){_UNIT})((?:\s+of)?(?:\s+[^\W\d_][\w\-]*){{1,2}})")
_FILLER = {"and", "or", "the", "a", "an", "in", "to", "for", "on", "at", "by", "from", "with", "were", "was",
           "are", "is", "have", "has", "had", "been", "be", "will", "that", "which", "who", "as", "per", "each",
           "et", "de", "des", "y", "e", "que", "en", "par", "le", "la", "les", "el", "los", "las", "since", "across",
           "within", "through", "into", "over", "under", "around", "worldwide", "globally", "nationwide", "during", "after", "before", "between", "among", "than",
           "this", "these", "those", "it", "they", "their", "its", "not", "only", "also"}
_YEAR = re.compile(r"(?:19|20)\d\d$")
_DECIMAL = re.compile(r"\d[.,]\d{1,2}(?!\d)")  # 4.0, 67.47 (not 12,000)
_UNIT_GIVEN = re.compile(r"%|per\s?cent|percent|million|billion|thousand|milliard|\bmil\b", re.IGNORECASE)
_REFERENCE = re.compile(r"(?:article|art|section|sec|para|paragraph|page|p|pp|no|chapter|annex|figure|table|"
                        r"resolution|decision|item|point|recommendation|goal|target|sdg|level)\.?\s*$", re.IGNORECASE)

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
        spelled = [_WORDS[w.lower()] for w in number.split() if w.lower() in _WORDS]
        digits = re.sub(r"\D", "", number) or (str(spelled[-1]) if spelled else "")
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
        if keep[0].isupper() and len(keep[0]) > 1:
            continue  # "38 FORMACIÓN", "2 OBJECTIVES": a numbered heading, not a count
        if _DECIMAL.search(number) and not _UNIT_GIVEN.search(number):
            continue  # "4.0", "67.47": a version or a score; a count is whole, a share has its unit
        if spelled and (not keep[0].lower().endswith("s") or int(digits) < 10):
            continue  # "one of the", "three pillars": a spelled number counts from ten ("Nineteen companies")
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
