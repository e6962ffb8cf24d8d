"""Who wrote a document without a manifest or an ITU header, read from the document itself.

In order of trust:
1. a credit statement: "This report was produced by Oxford Insights", "a Science for Policy report by the
   Joint Research Centre", "Code Club and CoderDojo are part of the Raspberry Pi Foundation", "Published by…",
   "© 2023 Oxford Insights" (a photo credit such as "© UNICEF/UNI724524/Nader" names a photographer's
   agency, not the author, and is skipped);
2. the government a cover page names ("REPUBLIQUE DE CÔTE D'IVOIRE", "Government of Japan", "Republic of
   Korea"), when it names one only;
3. a known organisation named on the cover page (the organisation table);
4. a cover line that is an organisation's name ("HAQ: CENTRE FOR CHILD RIGHTS");
5. the file's author field when it names an organisation (not a person or a program).
"""

from __future__ import annotations

import re

from ingest.countries import find_countries, lookup_country
from ingest.organisations import find_organisation

_NAME = (r"([A-Z][\w&'’.\-]*(?:\s+(?:(?:of|for|and|&|the|on|de|du|des|la|pour)\s+){0,2}[A-Z][\w&'’.\-]*){0,7}"
         r"(?:\s*\([A-Z]{2,}\))?)")
_CREDITS = [
    re.compile(r"\b(?:produced|prepared|published|written|developed|issued|commissioned|compiled)\s+by\s+(?:the\s+)?"
               + _NAME),
    re.compile(r"\breport\s+(?:by|of|from)\s+the\s+" + _NAME),
    re.compile(r"\bare\s+(?:a\s+)?part\s+of\s+the\s+" + _NAME),
    re.compile(r"\b(?:publié|élaboré|préparé)\s+par\s+(?:l[ae']\s*)?" + _NAME),
    re.compile(r"\b(?:publicado|elaborado|preparado)\s+por\s+(?:el\s+|la\s+)?" + _NAME),
]
_COPYRIGHT = re.compile(r"(?:©|\(c\)|Copyright)\s*(?:\d{4}\s*,?\s*)?(?:by\s+)?(?:the\s+)?" + _NAME
                        + r"(?!\s*/)(?![\w/])")
_GOVERNMENT = re.compile(
    r"\b(?i:r[ée]publi(?:que|c|ca)|kingdom|royaume|reino|government|gouvernement|gobierno|state|etat|état|"
    r"federation|commonwealth)\s+(?i:of|de|du|d[’'])\s*(?:(?i:the|la)\s+|(?i:l)[’'])?"
    r"([A-ZÀ-Ý][\w’'\-]*(?:\s+[A-ZÀ-Ý][\w’'\-]*){0,3})")
_ORG_WORDS = re.compile(
    r"\b(foundation|institute|institution|centre|center|lab|laboratory|ministry|minist[eè]re|ministerio|agency|"
    r"university|universit[ée]|universidad|organi[sz]ation|council|commission|bank|fund|insights|observatory|"
    r"observatoire|office|association|society|network|alliance|coalition|trust|company|corporation|inc|ltd|"
    r"llc|gmbh|charity|authority|secretariat|department|bureau|forum|initiative|research\s+centre)\b",
    re.IGNORECASE)
_PERSONISH = re.compile(r"^(?:[A-Z][a-z]+,?\s+){1,3}[A-Z][a-z]+$|^(?:user|admin|owner|author|windows user)$",
                        re.IGNORECASE)
_PROGRAMS = re.compile(r"word|acrobat|indesign|latex|tex\b|pdf|writer|office|quartz|printer|canva|illustrator",
                       re.IGNORECASE)
_NOT_AUTHORS = {"European Union"}  # © European Union is the licence of every EU publication, not its author


def _clean(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip(" .,;:")
    name = re.sub(r"\s+(?:and|&|of|for|the|on|de|du|des|la|pour)$", "", name)
    return name


def _organisation(candidate: str) -> str:
    """The organisation a candidate name is, or "" when it does not look like one."""
    candidate = _clean(candidate)
    if not candidate or len(candidate) > 100:
        return ""
    known = find_organisation(candidate)
    if known:
        return known
    words = candidate.split()
    if len(words) == 1 and _ORG_WORDS.fullmatch(candidate):
        return ""  # "Organisation", "Foundation": a word, not a name
    if _ORG_WORDS.search(candidate) or (len(words) <= 3 and words[0].isupper() and len(words[0]) >= 3):
        return candidate
    if 2 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and not lookup_country(candidate):
        return candidate  # "Oxford Insights": a capitalised name a credit line gives
    return ""


def credited_source(text: str) -> str:
    """The organisation a credit statement or a copyright line names, else ""."""
    for pattern in _CREDITS:
        for match in pattern.finditer(text):
            found = _organisation(match.group(1))
            if found:
                return found
    for match in _COPYRIGHT.finditer(text):
        found = _organisation(match.group(1))
        if found and found not in _NOT_AUTHORS:
            return found
    return ""


def government_source(cover: str) -> str:
    """The country whose government the cover names ("RÉPUBLIQUE DE CÔTE D'IVOIRE"), when it names one only."""
    countries = set()
    for match in _GOVERNMENT.finditer(cover):
        phrase = match.group(0)
        found = find_countries(phrase) or find_countries(phrase.title())
        if found:
            countries.add(found[0].name)
    return countries.pop() if len(countries) == 1 else ""


def cover_organisation(cover_lines: list[str]) -> str:
    """A cover line that is an organisation's name ("HAQ: CENTRE FOR CHILD RIGHTS", "CIVIC DATA LAB")."""
    for line in cover_lines[:12]:
        line = line.strip()
        words = line.split()
        if 2 <= len(words) <= 8 and _ORG_WORDS.search(line) and not line.endswith((".", ",")) \
                and sum(w[:1].isupper() for w in words if w[:1].isalpha()) >= len(words) - 2:
            return " ".join(w if not w.isupper() or len(w) <= 4 else w.title() for w in words).strip(" :")
    return ""


def author_source(author: str | None) -> str:
    """The file's author field, when it names an organisation rather than a person or a program."""
    if not author:
        return ""
    author = " ".join(author.split())
    if _PROGRAMS.search(author) or _PERSONISH.match(author) or not _ORG_WORDS.search(author):
        return find_organisation(author)
    return author[:100]


_SUBMITTER_LINE = re.compile(
    r"^[^\n:]{0,60}?\b(?i:submitted\s+by|contribution\s+(?:from|by|of)|presented\s+by|source|soumis\s+par|"
    r"contribution\s+de|presentado\s+por|contribución\s+de)\s*(?::|–|-|\s)\s*(?:(?i:the)\s+)?([^\n]{2,160})$",
    re.MULTILINE)


def submitter(cover: str) -> str:
    """Who a submitter line on the cover names ("Submitted by: Republic of Korea", "Contribution from ECPAT
    International", "Source: Ministry of Education"): the country when it names a state, else the organisation;
    "" for a placeholder ("(member state or organisation)") or none."""
    for match in _SUBMITTER_LINE.finditer(cover[:3000]):
        value = match.group(1).strip()
        if value.startswith(("(", "[", "…", "<")):
            continue
        first = _clean(re.split(r"[;,(]|\s[–-]\s", value)[0])
        state = government_source(first) or (lookup_country(first).name if lookup_country(first) else "")
        if state:
            return state
        found = find_organisation(value) or _organisation(first)
        if found:
            return found
        countries = find_countries(first)
        if countries:
            return countries[0].name
    return ""


def infer_source(cover: str, ending: str, author: str | None) -> str:
    """Who wrote a document, from its cover page (`cover`: the first page or two) and its last page."""
    return (credited_source(cover) or government_source(cover) or find_organisation(cover[:600])
            or credited_source(ending) or cover_organisation(cover.splitlines()) or author_source(author)
            or website(cover + "\n" + ending))


def website(text: str) -> str:
    """The publisher's web site when the document gives one ("www.raspberrypi.org"): who put it out."""
    match = re.search(r"\bwww\.([a-z0-9\-]+(?:\.[a-z0-9\-]+)*?\.(?:org|int|gov|edu|com|net|[a-z]{2}))(?![a-z0-9])", text)
    return match.group(1) if match else ""
