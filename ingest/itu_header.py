"""Read the cover block of an ITU document: symbol, meeting, date, document type, source, title.

ITU working-group documents open with a standard header, e.g.::

    Council Working Group on Child Online Protection
    Twentieth meeting – Geneva, 22-23 January 2024
    Document CWG-COP-20/INF/7
    12 January 2024
    English only
    Information document by the Kingdom of Bahrain
    SAFESURF: A PROGRAMME FOR A CULTURE OF CYBER SAFETY

or the labelled form (``Source: …``, ``Title: …``). What it finds is used as inferred metadata, below
a manifest and front matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.countries import lookup_country
from ingest.organisations import find_organisation

_ORDINALS = {w: i for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split(), start=1)}
_ORDINALS.update({f"twenty-{w}": 20 + i for w, i in list(_ORDINALS.items())[:9]})
_ORDINALS.update({f"twenty {w}": 20 + i for w, i in list(_ORDINALS.items())[:9]})
_MONTHS = {m: i for i, m in enumerate("january february march april may june july august september october "
                                      "november december".split(), start=1)}
_SYMBOL = re.compile(r"\b(CWG[\s\-‑–]?COP)[\s\-‑–/]?(\d{1,2})/((?:INF|ADM|REP)/)?(\d{1,3})(?:\([^)]*\))?", re.I)
_MEETING = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\s+meeting\b|\b(" + "|".join(sorted(_ORDINALS, key=len, reverse=True))
                      + r")\s+meeting\b", re.I)
_DATE = re.compile(r"\b(\d{1,2})(?:\s*[-–]\s*\d{1,2})?\s+(" + "|".join(_MONTHS) + r")\s+(\d{4})\b", re.I)
_BY = re.compile(r"^\s*(contribution|information\s+document|report|note)\s+(?:submitted\s+)?(?:by|from|of)\s+"
                 r"(?:the\s+)?(.+?)\s*$", re.I)
_LABEL = re.compile(r"^\s*(source|title|subject)\s*:\s*(.+?)\s*$", re.I)
_STOP_TITLE = re.compile(r"^\s*(purpose|summary|abstract|action required|introduction|references?|"
                         r"keywords?|background|executive summary|\d+(\.\d+)*\.?\s)", re.I)


@dataclass
class HeaderFields:
    meeting: str = ""
    date: str = ""
    doc_type: str = ""
    source: str = ""
    country: str = ""
    title: str = ""
    symbol: str = ""

    def as_fields(self) -> dict[str, str]:
        out = {k: v for k, v in self.__dict__.items() if v and k != "symbol"}
        if self.symbol:
            out["symbol"] = self.symbol
        return out


def _source(raw: str) -> tuple[str, str]:
    raw = re.split(r"\s+(?:on|to|regarding|concerning|with)\s+|[:;,–—]| - ", raw, maxsplit=1)[0].strip(" .,")
    country = lookup_country(raw)
    if country is None:
        inner = re.sub(r"\s*\(.*?\)\s*", " ", raw).strip()
        country = lookup_country(inner)
    if country is not None:
        return country.name, country.name
    return (find_organisation(raw) or raw)[:120], ""


def _title_like(line: str) -> bool:
    return (4 <= len(line) <= 200 and not _SYMBOL.search(line) and not _DATE.search(line)
            and not _MEETING.search(line) and not re.search(r"\bonly\b|^original:", line, re.I)
            and not line.startswith("#"))


def parse_header(text: str) -> HeaderFields:
    """Fields found in the first page of an ITU document (empty fields when it is not one)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()][:60]
    head = "\n".join(lines)
    found = HeaderFields()
    symbol = _SYMBOL.search(head)
    if symbol:
        found.symbol = re.sub(r"\s+", "", symbol.group(0)).upper().replace("‑", "-").replace("–", "-")
        found.meeting = f"CWG-COP-{int(symbol.group(2))}"
        if (symbol.group(3) or "").upper().startswith("INF"):
            found.doc_type = "information"
    if not found.meeting and re.search(r"child\s+online\s+protection", head, re.I):
        meeting = _MEETING.search(head)
        if meeting:
            number = int(meeting.group(1)) if meeting.group(1) else _ORDINALS[meeting.group(2).lower().replace("‑", "-")]
            found.meeting = f"CWG-COP-{number}"
    own_line = next((m for m in (_DATE.fullmatch(ln) for ln in lines) if m), None)
    date = own_line or _DATE.search(head)  # a date on its own line is the document's; others are events
    if date:
        found.date = f"{int(date.group(3)):04d}-{_MONTHS[date.group(2).lower()]:02d}-{int(date.group(1)):02d}"
    for i, line in enumerate(lines[:30]):
        nxt_line = lines[i + 1] if i + 1 < len(lines) else ""
        if _BY.match(line) and not line.endswith(".") and len(nxt_line.split()) <= 6 \
                and nxt_line.endswith((".", ")")) and not _BY.match(nxt_line):
            line = f"{line} {nxt_line}"  # the submitter's name wrapped onto the next line
            lines[i + 1] = ""
        by = _BY.match(line)
        if by and len(line) < 160 and len(by.group(2).split()) <= 14:
            kind = by.group(1).lower()
            found.doc_type = found.doc_type or ("contribution" if kind == "contribution" else
                                                "information" if kind.startswith("information") else
                                                "report" if kind == "report" else "")
            found.source, found.country = _source(by.group(2))
            title: list[str] = []
            # a title follows the by-line in the ITU layout; after a by-sentence it came before it
            for nxt in ([] if line.endswith(".") else lines[i + 1:i + 4]):
                if not nxt:
                    continue
                if _STOP_TITLE.match(nxt) or _BY.match(nxt) or nxt.startswith("#") or \
                        len(" ".join([*title, nxt])) > 200:
                    break
                title.append(nxt)
                if nxt.endswith((".", ":")):
                    break
            if not title and i > 0 and _title_like(lines[i - 1]):
                title = [lines[i - 1]]  # the title stands just above the by-line
            if title:
                found.title = " ".join(title).rstrip(" .:")
            break
        label = _LABEL.match(line)
        if label:
            key, value = label.group(1).lower(), label.group(2)
            if key == "source" and not found.source:
                found.source, found.country = _source(value)
            elif key in ("title", "subject") and not found.title:
                found.title = value[:200]
    if found.title and found.title.isupper():
        found.title = found.title.capitalize()
    return found
