"""Organisations that often submit or publish child online protection documents, with their aliases.

Used to infer a document's `source` when no manifest or front matter names it; matched only in the
file name, the title and the file's author field, where a name is a claim of authorship rather than
a mention.
"""

from __future__ import annotations

import re
from functools import lru_cache

# canonical name: (actor type, aliases). Acronyms are matched case-sensitively, other names case-insensitively.
# Actor types: see ingest.records.ACTOR_TYPES.
ORGANISATION_TABLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "ITU": ("un_agency", ("International Telecommunication Union", "ITU")),
    "UNICEF": ("un_agency", ("UNICEF", "United Nations Children's Fund", "United Nations Children’s Fund")),
    "UNESCO": ("un_agency", ("UNESCO", "United Nations Educational, Scientific and Cultural Organization")),
    "UNICRI": ("un_agency", ("UNICRI", "United Nations Interregional Crime and Justice Research Institute")),
    "UNODC": ("un_agency", ("UNODC", "United Nations Office on Drugs and Crime")),
    "OHCHR": ("un_agency", ("OHCHR", "Office of the High Commissioner for Human Rights")),
    "UNDP": ("un_agency", ("UNDP", "United Nations Development Programme")),
    "UNHCR": ("un_agency", ("UNHCR",)),
    "UN Women": ("un_agency", ("UN Women",)),
    "UNFPA": ("un_agency", ("UNFPA", "United Nations Population Fund")),
    "ILO": ("un_agency", ("International Labour Organization",)),
    "WHO": ("un_agency", ("World Health Organization",)),
    "World Bank": ("intergovernmental", ("World Bank", "worldbank")),
    "OECD": ("intergovernmental", ("OECD", "Organisation for Economic Co-operation and Development")),
    "European Union": ("intergovernmental", ("European Union", "European Commission", "European Parliament", "EU",
                                             "Joint Research Centre")),
    "Council of Europe": ("intergovernmental", ("Council of Europe",)),
    "African Union": ("intergovernmental", ("African Union",)),
    "League of Arab States": ("intergovernmental", ("League of Arab States", "Arab League")),
    "ASEAN": ("intergovernmental", ("ASEAN", "Association of Southeast Asian Nations")),
    "Commonwealth Secretariat": ("intergovernmental", ("Commonwealth Secretariat",)),
    "INTERPOL": ("intergovernmental", ("INTERPOL", "Interpol")),
    "Europol": ("intergovernmental", ("Europol", "EUROPOL")),
    "ECPAT International": ("civil_society", ("ECPAT",)),
    "ICMEC": ("civil_society", ("ICMEC", "International Centre for Missing & Exploited Children",
                                "International Centre for Missing and Exploited Children")),
    "NCMEC": ("civil_society", ("NCMEC", "National Center for Missing & Exploited Children")),
    "WeProtect Global Alliance": ("other", ("WeProtect",)),
    "End Violence Partnership": ("other", ("End Violence Against Children", "End Violence Partnership",
                                           "Global Partnership to End Violence")),
    "5Rights Foundation": ("civil_society", ("5Rights",)),
    "Internet Watch Foundation": ("civil_society", ("Internet Watch Foundation", "IWF")),
    "INHOPE": ("civil_society", ("INHOPE",)),
    "Thorn": ("civil_society", ("Thorn",)),
    "Save the Children": ("civil_society", ("Save the Children",)),
    "Plan International": ("civil_society", ("Plan International",)),
    "World Vision": ("civil_society", ("World Vision",)),
    "Terre des Hommes": ("civil_society", ("Terre des Hommes",)),
    "Child Helpline International": ("civil_society", ("Child Helpline International",)),
    "Internet Society": ("civil_society", ("Internet Society",)),
    "SWGfL": ("civil_society", ("SWGfL", "South West Grid for Learning")),
    "euCONSENT": ("civil_society", ("euCONSENT",)),
    "Stairway Foundation": ("civil_society", ("Stairway Foundation",)),
    "SCORT Foundation": ("civil_society", ("SCORT",)),
    "Stiftung Digitale Chancen": ("civil_society", ("Stiftung Digitale Chancen",)),
    "PKPA Foundation": ("civil_society", ("PKPA",)),
    "Voice of Children": ("civil_society", ("Voice of Children",)),
    "HAQ: Centre for Child Rights": ("civil_society", ("HAQ: Centre for Child Rights", "HAQ Centre for Child Rights")),
    "Center for Global IT Cooperation": ("civil_society", ("Center for Global IT Cooperation",
                                                           "Center for Global IT-Cooperation", "CGITC")),
    "Raspberry Pi Foundation": ("civil_society", ("Raspberry Pi Foundation", "Raspberry_Pi_Foundation", "CoderDojo",
                                                  "Code Club")),
    "Safe Online": ("other", ("Safe Online Initiative", "Safe Online")),
    "Global Cybersecurity Forum": ("other", ("Global Cybersecurity Forum",)),
    "World Economic Forum": ("other", ("World Economic Forum",)),
    "Oxford Insights": ("industry", ("Oxford Insights",)),
    "GSMA": ("industry", ("GSMA",)),
    "Kaspersky": ("industry", ("Kaspersky",)),
    "Microsoft": ("industry", ("Microsoft Corporation",)),
    "Google": ("industry", ("Google LLC",)),
    "Meta": ("industry", ("Meta Platforms",)),
    "Roblox": ("industry", ("Roblox",)),
    "TikTok": ("industry", ("TikTok",)),
    "LEGO Group": ("industry", ("LEGO Group",)),
    "Yoti": ("industry", ("Yoti",)),
}
ORGANISATIONS: dict[str, tuple[str, ...]] = {name: aliases for name, (_kind, aliases) in ORGANISATION_TABLE.items()}
ORGANISATION_TYPES: dict[str, str] = {name: kind for name, (kind, _aliases) in ORGANISATION_TABLE.items()}


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for name, aliases in ORGANISATIONS.items():
        parts = []
        for alias in aliases:
            escaped = re.escape(alias).replace(r"\ ", r"[\s_\-]+")
            parts.append(escaped if alias.isupper() or any(c.isdigit() for c in alias) else f"(?i:{escaped})")
        out.append((name, re.compile(r"(?<![A-Za-z0-9])(" + "|".join(parts) + r")(?![A-Za-z0-9])")))
    return out


def organisation_span(text: str) -> tuple[str, int, int] | None:
    """(organisation, start, end) of the earliest organisation named in `text`, by any of its names."""
    best: tuple[str, int, int] | None = None
    for name, pattern in _patterns():
        match = pattern.search(text)
        if match and (best is None or match.start() < best[1]):
            best = (name, match.start(), match.end())
    return best


def find_organisation(*texts: str) -> str:
    """The organisation named earliest in the first of `texts` that names one, else ""."""
    for text in texts:
        if not text:
            continue
        best: tuple[int, str] | None = None
        for name, pattern in _patterns():
            match = pattern.search(text)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), name)
        if best:
            return best[1]
    return ""


def find_organisation_in_filename(file_name: str) -> str:
    """Like `find_organisation`, for lower-case, run-together file names ("unesco2019beijing_…")."""
    tokens = re.findall(r"[a-z]+|\d+", file_name.lower())
    best: tuple[int, str] | None = None
    for name, aliases in ORGANISATIONS.items():
        for alias in aliases:
            words = re.findall(r"[a-z]+|\d+", alias.lower())
            if not words or (len(words) == 1 and len(words[0]) < 2):
                continue
            for i in range(len(tokens) - len(words) + 1):
                if tokens[i:i + len(words)] == words and (best is None or i < best[0]):
                    best = (i, name)
                    break
    return best[1] if best else ""
