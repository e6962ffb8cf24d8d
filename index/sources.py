"""Sources named once in an index: the aliases it keeps, and its documents' sources re-resolved through them.

The alias table (ingest/source_aliases.py) is the shipped vocabulary plus the aliases manifests added; those are
kept in the store's state (`ALIASES_STATE`, both stores; a copy of the index takes them along), so every later
ingest and `apply_sources` use them. `apply_sources` is the one write task behind `cwg sources --apply` (and any
route that does the same): a metadata update only, nothing read or encoded again.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from index.store_api import Store
from ingest.actors import infer_actor_type
from ingest.source_aliases import SourceAliases

ALIASES_STATE = "source_aliases"  # {"aliases": {alias as written: source}}


@dataclass
class SourceChange:
    document_id: str
    title: str
    before: str
    after: str
    actor_type: str

    def to_json(self) -> dict[str, str]:
        return {"document_id": self.document_id, "title": self.title, "before": self.before, "after": self.after,
                "actor_type": self.actor_type}


@dataclass
class SourceRow:
    source: str
    documents: int
    aliases: list[str] = field(default_factory=list)  # names and domains the table resolves to this source
    becomes: str = ""  # the canonical name, when this source is an alias (until `apply_sources`)

    def to_json(self) -> dict[str, object]:
        return {"source": self.source, "documents": self.documents, "aliases": self.aliases, "becomes": self.becomes}


def stored_aliases(store: Store) -> dict[str, str]:
    """The aliases manifests added to this index (alias → source), oldest first."""
    record = store.state_record(ALIASES_STATE) or {}
    aliases = record.get("aliases", {})
    return {str(k): str(v) for k, v in aliases.items()} if isinstance(aliases, dict) else {}


def alias_table(store: Store) -> SourceAliases:
    """The table this index resolves sources by: the shipped vocabulary and the aliases it keeps."""
    return SourceAliases.build(stored_aliases(store))


def keep_aliases(store: Store, aliases: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Add `aliases` (alias → source) to those the index keeps, a later one replacing an earlier for the same
    name. Returns (the aliases that are new or changed, what was refused and why); nothing is written when
    nothing is new."""
    with store.snapshot():
        kept = stored_aliases(store)
    trial = SourceAliases.build(kept)
    new: dict[str, str] = {}
    refused: list[str] = []
    for alias, source in aliases.items():
        if trial.resolve(alias) == trial.resolve(source):
            continue  # known already
        before = len(trial.conflicts)
        trial.add(alias, source)
        if len(trial.conflicts) > before:
            refused.extend(trial.conflicts[before:])
            continue
        new[alias] = source
    if new:
        with store.transaction() as conn:
            merged = {**stored_aliases(store), **new}  # read again inside the write: another writer may have added
            store.set_state(conn, ALIASES_STATE, json.dumps({"aliases": merged}, ensure_ascii=False))
    return new, refused


def plan_sources(store: Store, table: SourceAliases | None = None) -> list[SourceChange]:
    """The documents whose stored source the table names otherwise, with the new source (and actor type, unless
    their manifest entry gave one)."""
    table = table or alias_table(store)
    changes = []
    with store.snapshot():
        documents = store.documents()
    for doc in documents:
        after = table.resolve(doc.source)
        if after and after != doc.source:
            kind = doc.actor_type if doc.entry.get("actor_type") else infer_actor_type(after, doc.country)
            changes.append(SourceChange(doc.id, doc.title, doc.source, after, kind))
    return changes


def apply_sources(store: Store) -> list[SourceChange]:
    """Re-resolve every stored document's source through the index's alias table (a metadata update, one
    transaction); returns what changed."""
    changes = plan_sources(store)
    if changes:
        done = set(store.set_sources({c.document_id: (c.after, c.actor_type) for c in changes}))
        changes = [c for c in changes if c.document_id in done]
    return changes


def source_rows(store: Store) -> list[SourceRow]:
    """Each source the index holds, with its document count and the aliases that resolve to it, most documents
    first."""
    table = alias_table(store)
    with store.snapshot():
        counts = Counter(doc.source for doc in store.documents())
    rows = []
    for source, n in sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold())):
        becomes = table.resolve(source) if source else ""
        rows.append(SourceRow(source, n, table.aliases_of(source), becomes if becomes != source else ""))
    return rows
