"""Organisations that often submit or publish child online protection documents, with their aliases.

Used to infer a document's `source` when no manifest or front matter names it; matched only in the
file name, the title and the file's author field, where a name is a claim of authorship rather than
a mention.
"""

from __future__ import annotations

import re
from functools import lru_cache

# canonical name: aliases (acronyms are matched case-sensitively, other names case-insensitively)
ORGANISATIONS: dict[str, tuple[str, ...]] = {
    "ITU": ("International Telecommunication Union", "ITU"),
    "UNICEF": ("UNICEF", "United Nations Children's Fund", "United Nations Children’s Fund"),
    "UNESCO": ("UNESCO", "United Nations Educational, Scientific and Cultural Organization"),
    "UNICRI": ("UNICRI", "United Nations Interregional Crime and Justice Research Institute"),
    "UNODC": ("UNODC", "United Nations Office on Drugs and Crime"),
    "OHCHR": ("OHCHR", "Office of the High Commissioner for Human Rights"),
    "WHO": ("World Health Organization",),
    "OECD": ("OECD", "Organisation for Economic Co-operation and Development"),
    "World Bank": ("World Bank", "worldbank"),
    "European Union": ("European Union", "European Commission", "European Parliament", "EU"),
    "Council of Europe": ("Council of Europe",),
    "African Union": ("African Union",),
    "INTERPOL": ("INTERPOL", "Interpol"),
    "Europol": ("Europol", "EUROPOL"),
    "ECPAT International": ("ECPAT",),
    "ICMEC": ("ICMEC", "International Centre for Missing & Exploited Children",
              "International Centre for Missing and Exploited Children"),
    "WeProtect Global Alliance": ("WeProtect",),
    "5Rights Foundation": ("5Rights",),
    "Internet Watch Foundation": ("Internet Watch Foundation", "IWF"),
    "INHOPE": ("INHOPE",),
    "Save the Children": ("Save the Children",),
    "Child Helpline International": ("Child Helpline International",),
    "SWGfL": ("SWGfL", "South West Grid for Learning"),
    "Safe Online": ("Safe Online Initiative",),
    "Raspberry Pi Foundation": ("Raspberry Pi Foundation", "Raspberry_Pi_Foundation", "CoderDojo", "Code Club"),
    "World Economic Forum": ("World Economic Forum",),
    "GSMA": ("GSMA",),
    "Kaspersky": ("Kaspersky",),
    "Microsoft": ("Microsoft Corporation",),
    "Google": ("Google LLC",),
    "Meta": ("Meta Platforms",),
    "Roblox": ("Roblox",),
}


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
