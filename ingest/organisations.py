"""Organisations that often submit or publish child online protection documents, with their names.

The vocabulary is ingest/organisations.yaml (one entry per organisation: canonical name, kind of actor, names,
whole-value aliases, web domains), read once when first needed. Here it is used to infer a document's `source`
when no manifest or front matter names it: matched only in the file name, the title and the file's author field,
where a name is a claim of authorship rather than a mention. ingest/source_aliases.py reads the same vocabulary to
name each source once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import yaml

from ingest.records import ACTOR_TYPES

VOCABULARY = "organisations.yaml"


@dataclass(frozen=True)
class Organisation:
    name: str  # the canonical source
    kind: str  # an id of ACTOR_TYPES
    names: tuple[str, ...]  # matched in text, and aliases as a whole value
    also: tuple[str, ...] = ()  # aliases as a whole source value only (acronyms too common as words)
    domains: tuple[str, ...] = ()  # web sites (lower case, no "www.")


@lru_cache(maxsize=1)
def organisations() -> tuple[Organisation, ...]:
    """The shipped vocabulary, checked (a broken file is a defect of the package: it raises)."""
    raw = yaml.safe_load(files("ingest").joinpath(VOCABULARY).read_text(encoding="utf-8"))
    out = []
    for entry in raw["organisations"]:
        kind = entry.get("type", "other")
        if kind not in ACTOR_TYPES:
            raise ValueError(f"{VOCABULARY}: {entry['name']}: type {kind!r} is not one of {', '.join(ACTOR_TYPES)}")
        out.append(Organisation(str(entry["name"]), kind, tuple(map(str, entry.get("names", ()))),
                                tuple(map(str, entry.get("also", ()))),
                                tuple(str(d).lower().removeprefix("www.") for d in entry.get("domains", ()))))
    return tuple(out)


def organisation_type(name: str) -> str:
    """The kind of actor a canonical organisation name is ("" when the vocabulary does not know it)."""
    return next((o.kind for o in organisations() if o.name == name), "")


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for organisation in organisations():
        name, parts = organisation.name, []
        for alias in organisation.names:
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
    for organisation in organisations():
        name = organisation.name
        for alias in organisation.names:
            words = re.findall(r"[a-z]+|\d+", alias.lower())
            if not words or (len(words) == 1 and len(words[0]) < 2):
                continue
            for i in range(len(tokens) - len(words) + 1):
                if tokens[i:i + len(words)] == words and (best is None or i < best[0]):
                    best = (i, name)
                    break
    return best[1] if best else ""
