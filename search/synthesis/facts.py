"""Facts a sub-theme's lead paragraph is written from: who contributed, which initiatives they name, which
figures they give. Each fact is an exact slice of a quoted sentence, so it carries that sentence's citation.

No language model: the names and figures are found by patterns (`ingest/text_facts.py`), and the paragraph
is put together from templates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ingest.organisations import find_organisation
from ingest.records import ACTOR_TYPES
from ingest.text_facts import figures, initiative_names

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
    who = {name.lower() for name, _, _ in sources}
    for text, number in sentences:
        for start, end in initiative_names(text):
            name = text[start:end]
            if name.lower() in who or find_organisation(name):
                continue  # an organisation ("SWGfL", "UNICEF") is who acts, not an initiative
            names.setdefault(name.lower(), Fact("initiative", name, number, start, end))
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
