"""Who submitted a document: the kind of actor behind its source (`actor_type`).

A member state speaks for its country; an organisation has a country only where it is based. The
kind comes from the manifest when given, else from the source: a country name (or a ministry or
national authority of one), a known organisation (ingest/organisations.py), or words that say what
the source is ("Foundation", "University", "Secretariat", "Ltd").
"""

from __future__ import annotations

import re

from ingest.countries import find_countries, lookup_country
from ingest.organisations import find_organisation, organisation_type
from ingest.records import ACTOR_TYPES

_ALIASES = {"state": "member_state", "member state": "member_state", "government": "member_state",
            "country": "member_state", "igo": "intergovernmental", "intergovernmental organisation":
            "intergovernmental", "intergovernmental organization": "intergovernmental", "un": "un_agency",
            "un agency": "un_agency", "united nations": "un_agency", "ngo": "civil_society", "civil society":
            "civil_society", "cso": "civil_society", "private sector": "industry", "company": "industry",
            "business": "industry", "university": "academia", "research": "academia", "academic": "academia"}
# Words in a source name that say what it is, tried in this order (first match wins).
_KIND_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("secretariat", re.compile(r"\b(secretariat|secrétariat|secretaría|cwg-cop|council working group)\b", re.I)),
    ("academia", re.compile(r"\b(universit(y|é|ät|at|ad|à)|college|polytechnic|school of|institute of technology|"
                            r"academy of sciences|research (centre|center|institute)|laborator(y|ies))\b", re.I)),
    ("member_state", re.compile(r"\b(ministry|ministère|ministerio|government|gouvernement|gobierno|"
                                r"republic of|kingdom of)\b", re.I)),
    ("national_body", re.compile(r"\b((national|federal) (authority|agency|commission|council|police)|regulator|"
                                 r"regulatory authority|commissioner|board|office of)\b", re.I)),
    ("industry", re.compile(r"\b(inc|ltd|llc|plc|gmbh|corp|corporation|company|technologies|telecom\w*|"
                            r"s\.a\.|limited)\b\.?", re.I)),
    ("civil_society", re.compile(r"\b(foundation|fondation|fundaci[oó]n|stiftung|ngo|ong|association|society|"
                                 r"network|alliance|coalition|charity|trust|asbl|e\.v\.|children'?s)\b", re.I)),
    ("intergovernmental", re.compile(r"\b(union|organi[sz]ation of|organi[sz]ation for|development bank)\b", re.I)),
)


def normalize_actor_type(value: str) -> tuple[str, bool]:
    """(the actor type's id, whether it is one of ACTOR_TYPES); an unknown value gives ("", False)."""
    key = " ".join(value.strip().lower().replace("-", " ").replace("_", " ").split())
    if key.replace(" ", "_") in ACTOR_TYPES:
        return key.replace(" ", "_"), True
    if key in _ALIASES:
        return _ALIASES[key], True
    for kind, name in ACTOR_TYPES.items():
        if key == name.lower():
            return kind, True
    return "", False


def infer_actor_type(source: str, country: str = "") -> str:
    """The kind of actor `source` is ("" when there is no source to tell from)."""
    source = source.strip()
    if not source:
        return ""
    secretariat, *others = _KIND_WORDS
    if secretariat[1].search(source):
        return "secretariat"
    if lookup_country(source) is not None:
        return "member_state"
    known = find_organisation(source)
    if known and not _OWN_BODY.search(source):  # "UNICEF", not "Ministry of Education, with UNICEF"
        return organisation_type(known) or "other"
    for kind, pattern in others:
        if pattern.search(source):
            if kind == "national_body":  # a state body, if we know of which state
                if country or find_countries(source):
                    return "member_state"
                continue
            return kind
    return (organisation_type(known) or "other") if known else "other"


_OWN_BODY = re.compile(r"\b(ministry|ministère|ministerio|government|university|université)\b", re.I)
