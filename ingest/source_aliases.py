"""One name per source: organisation names, acronyms and web domains → the canonical source.

The table is the organisation vocabulary (ingest/organisations.yaml: each organisation's names, whole-value
aliases and domains), the country names (ingest/countries.py: "USA" → "United States"), and the aliases a
manifest adds (an `aliases` column; the index keeps them, index/sources.py). A source is resolved by exact match
after folding: `fold` (the one folding rule of filter values: NFKC, case folding), punctuation read as a space,
"&" as "and", a leading "The" dropped. Nothing is matched by similarity: "UNICEF Innocenti" is not "UNICEF".

A source that is a web address or a bare domain ("https://www.raspberrypi.org/about", "raspberrypi.org") is
its organisation when the table knows the domain or a domain it is under; else it keeps a readable form, the
domain itself ("example.org").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from ingest.countries import lookup_country
from ingest.organisations import organisations
from ingest.textclean import fold

_WEB = re.compile(r"^(?:(?P<scheme>[a-z][a-z0-9+.\-]*://)|(?P<www>www\d?\.))?(?:www\d?\.)?"
                  r"(?P<host>(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+(?P<tld>[a-z]{2,24}))\.?(?::\d+)?"
                  r"(?:[/?#]\S*)?$", re.IGNORECASE)
# top-level domains read as a web site without a scheme or "www." ("unicef.org"); any two letters are a country's
_WEB_TLDS = {"org", "com", "net", "int", "gov", "edu", "info", "global", "io", "ngo", "foundation", "eu"}


def alias_key(name: str) -> str:
    """What two names of one source have in common: folded, punctuation as spaces, "&" as "and", no leading
    "The" ("The United Nations Children’s Fund" = "united nations children's fund" = "UNITED NATIONS CHILDREN'S
    FUND")."""
    words = re.sub(r"[\W_]+", " ", fold(name).replace("&", " and ")).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def web_domain(value: str) -> str:
    """The domain a source that is a web address or a bare domain names (lower case, no "www."), else ""."""
    text = value.strip()
    match = _WEB.match(text) if " " not in text else None
    if not match:
        return ""
    tld = match["tld"].lower()
    if not (match["scheme"] or match["www"] or tld in _WEB_TLDS or len(tld) == 2):
        return ""
    return match["host"].lower()


@dataclass
class SourceAliases:
    """The alias table: names (by `alias_key`) and domains → canonical source. Built from the shipped vocabulary
    plus `extra` aliases (alias → source, e.g. a manifest's); `conflicts` says which extra aliases were not
    taken because the vocabulary gives that name to another organisation."""

    names: dict[str, str] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)
    shown: dict[str, list[str]] = field(default_factory=dict)  # canonical → its aliases as written
    conflicts: list[str] = field(default_factory=list)

    @classmethod
    def shipped(cls) -> SourceAliases:
        """The table of the shipped vocabulary alone (shared: do not `add` to it; `build` a copy)."""
        return _shipped()

    @classmethod
    def build(cls, extra: Mapping[str, str] | None = None) -> SourceAliases:
        """The shipped table plus `extra` (alias → source), in their order."""
        table = _shipped()
        made = cls(dict(table.names), dict(table.domains), {k: list(v) for k, v in table.shown.items()})
        for alias, source in (extra or {}).items():
            made.add(alias, source)
        return made

    def add(self, alias: str, source: str) -> None:
        """`alias` names `source` from now on (a source the table knows keeps its canonical name)."""
        alias, source = " ".join(alias.split()), " ".join(source.split())
        if not alias or not source:
            return
        target = self.resolve(source)
        if self.resolve(alias) == target:
            return
        domain = web_domain(alias)
        known = _shipped().known(alias)
        if known is not None and known != target:
            self.conflicts.append(f"{alias!r} is {known!r} (ingest/organisations.yaml or the country names): not "
                                  f"made an alias of {target!r}")
            return
        if domain:
            self.domains[domain] = target
        else:
            self.names[alias_key(alias)] = target
        key = alias_key(domain or alias)
        for table in (self.names, self.domains):  # what pointed to the alias now points where it points
            for name, value in table.items():
                if alias_key(value) == key:
                    table[name] = target
        for canonical in [c for c in self.shown if alias_key(c) == key]:
            self.shown.setdefault(target, []).extend(self.shown.pop(canonical))
        self.shown.setdefault(target, []).append(alias)

    def resolve(self, source: str) -> str:
        """The canonical name of `source` (itself, tidied, when the table does not know it)."""
        source = " ".join(source.split())
        if not source:
            return ""
        domain = web_domain(source)
        if domain:
            parts = domain.split(".")
            for i in range(len(parts) - 1):  # data.unicef.org, then unicef.org
                found = self.domains.get(".".join(parts[i:]))
                if found:
                    return found
            return self.names.get(alias_key(domain), domain)
        found = self.names.get(alias_key(source))
        if found:
            return found
        country = lookup_country(source)
        return country.name if country else source

    def known(self, name: str) -> str | None:
        """The canonical source `name` is an alias of in this table, or None when it knows no such name."""
        domain = web_domain(name)
        if domain:
            found = self.resolve(domain)
            return found if found != domain else None
        found = self.names.get(alias_key(name))
        if found:
            return found
        country = lookup_country(name)
        return country.name if country else None

    def aliases_of(self, source: str) -> list[str]:
        """The names and domains that resolve to `source` (as written in the vocabulary or a manifest)."""
        return list(dict.fromkeys(self.shown.get(source, [])))


@lru_cache(maxsize=1)
def _shipped() -> SourceAliases:
    table = SourceAliases()
    for organisation in organisations():
        names = (organisation.name, *organisation.names, *organisation.also)
        for name in names:
            table.names.setdefault(alias_key(name), organisation.name)
        for domain in organisation.domains:
            table.domains[domain] = organisation.name
        table.shown[organisation.name] = [n for n in dict.fromkeys(names + organisation.domains)
                                          if n != organisation.name]
    return table
