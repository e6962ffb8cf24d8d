"""Language versions: one contribution published in several languages is one contribution (issue 27).

ITU publishes a document in several of the six languages under one symbol (`CWG-COP/20/INF/11`), each version's
symbol carrying its language's letter (`CWG-COP/20/INF/11-S` for Spanish). Documents whose symbols name the same
document once the language letter is set aside are versions of one contribution. The symbol comes from the
manifest's `symbol` column, the ITU cover page or an upload field (kept in the document's `extra`).

`Versions` groups an index's documents so that the views can show and count a contribution once: a result list
keeps the version in the question's language when it has one, else the best-matching version, and names the others
(`versions`: their `document_id` and `language`); counts, reading lists and feeds keep one version per contribution.

`Contributions` adds what the versions of one contribution share: the curators' status (the latest set on any of
them, with the history of all) and the quality profile (that of the most complete version). The store keeps both
per document as they were written; every view reads them through `contributions(store)`.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from index.filters import EVERY_COLLECTION, Filters, fold
from index.records import DocumentRecord
from ingest.errors import NotFound, QueryError
from ingest.quality import QUALITY_BAND_NAMES, quality_band
from ingest.records import CURATION_STATUSES

if TYPE_CHECKING:
    from index.folder import IndexFolder
    from index.store_api import Store

# The language letters of ITU symbols (E, F, S, A, C, R) and the two-letter codes people also write, after a
# hyphen or in brackets at the end of a symbol: "…/INF/11-S", "…/INF/11(F)", "…/INF/11-fr".
_LANGUAGE_SUFFIX = re.compile(r"(?:-|\s*\()(?:[EFSACR]|EN|FR|ES|AR|ZH|RU)\)?$")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")
PREFERRED = "en"  # the version counted for a contribution when no language is asked for, if it has one

T = TypeVar("T")


def normal_symbol(symbol: str) -> str:
    """A symbol as compared: NFKC, upper case, no spaces, plain hyphens ("CWG-COP/20/INF/11-S")."""
    text = unicodedata.normalize("NFKC", symbol).translate(_DASHES).upper()
    return re.sub(r"\s+", "", text)


def contribution_key(symbol: str) -> str:
    """What the versions of one document share: its symbol without the language letter ("" for no symbol)."""
    text = normal_symbol(symbol)
    return _LANGUAGE_SUFFIX.sub("", text) if text else ""


def symbol_of(doc: DocumentRecord) -> str:
    return str((doc.extra or {}).get("symbol") or "")


@dataclass(frozen=True)
class Version:
    document_id: str
    language: str

    def to_json(self) -> dict[str, str]:
        return {"document_id": self.document_id, "language": self.language}


class Versions:
    """The version groups of a set of documents (every document with a symbol shared by another's)."""

    def __init__(self, docs: Iterable[DocumentRecord], linked: Iterable[Sequence[str]] = ()) -> None:
        docs = list(docs)
        group_of = {doc.id: contribution_key(symbol_of(doc)) for doc in docs}
        for ids in linked:  # versions a curator confirmed: they join the group of the first that has one
            present = [i for i in ids if i in group_of]
            key = next((group_of[i] for i in present if group_of[i]), f"linked:{min(present)}" if present else "")
            for i in present:
                old = group_of[i]
                for other, its in group_of.items():  # a whole symbol group follows its member
                    if old and its == old:
                        group_of[other] = key
                group_of[i] = key
        groups: dict[str, list[Version]] = {}
        for doc in docs:
            if group_of[doc.id]:
                groups.setdefault(group_of[doc.id], []).append(Version(doc.id, doc.language))
        self._key: dict[str, str] = {}
        self._groups: dict[str, list[Version]] = {}
        for key, members in groups.items():
            if len(members) > 1:
                members.sort(key=lambda v: v.document_id)
                self._groups[key] = members
                self._key.update((v.document_id, key) for v in members)

    def __len__(self) -> int:  # contributions with more than one version
        return len(self._groups)

    def groups(self) -> list[list[Version]]:
        """Every contribution with more than one version: its versions, by document id."""
        return [list(members) for _, members in sorted(self._groups.items())]

    def key(self, document_id: str) -> str:
        """The contribution a document is a version of: its group's key, else its own id."""
        return self._key.get(document_id, document_id)

    def members(self, document_id: str) -> list[Version]:
        """Every version of a document's contribution, itself among them, by id (none when it has no other)."""
        key = self._key.get(document_id)
        return list(self._groups[key]) if key else []

    def others(self, document_id: str) -> list[Version]:
        """The other versions of a document (none when it has no other)."""
        key = self._key.get(document_id)
        return [v for v in self._groups.get(key, []) if v.document_id != document_id] if key else []

    def counted(self, document_id: str, language: str = "") -> str:
        """The version that stands for the document's contribution: the one in `language` when there is one,
        else the English one, else the first by id."""
        key = self._key.get(document_id)
        if not key:
            return document_id
        members = self._groups[key]
        for wanted in (language, PREFERRED):
            for v in members:
                if wanted and v.language == wanted:
                    return v.document_id
        return members[0].document_id

    def once_ids(self, document_ids: Iterable[str], language: str = "") -> set[str]:
        """Of `document_ids`, one per contribution: the version `counted` names when it is among them, else the
        first of its versions there by id."""
        present: dict[str, list[str]] = {}
        for doc in sorted(set(document_ids)):
            present.setdefault(self.key(doc), []).append(doc)
        kept: set[str] = set()
        for members in present.values():
            chosen = self.counted(members[0], language)
            kept.add(chosen if chosen in members else members[0])
        return kept

    def once(self, docs: Sequence[DocumentRecord], language: str = "") -> list[DocumentRecord]:
        """`docs` with each contribution once (see `once_ids`), in their order."""
        kept = self.once_ids((d.id for d in docs), language)
        return [d for d in docs if d.id in kept]

    def first_of_each(self, items: Sequence[T], document_id: Callable[[T], str], language: str = "") -> list[T]:
        """Ranked `items` (hits, passages) with each contribution's items from one version only: the version in
        `language` when it has items, else the version of the best-ranked item. `document_id(item)` names an
        item's document."""
        chosen: dict[str, str] = {}
        for item in items:
            doc = document_id(item)
            key = self._key.get(doc)
            if key is None:
                continue
            current = chosen.get(key)
            if current is None or (language and self._language(doc) == language
                                   and self._language(current) != language):
                chosen[key] = doc
        return [item for item in items
                if (key := self._key.get(document_id(item))) is None or chosen[key] == document_id(item)]

    def _language(self, document_id: str) -> str:
        key = self._key.get(document_id)
        return next((v.language for v in self._groups.get(key, []) if v.document_id == document_id), "") if key else ""


LINKED_STATE = "versions"  # the store's state record of the groups curators confirmed: {"groups": [[id, …], …]}
_cache: weakref.WeakKeyDictionary[Any, tuple[int, Versions]] = weakref.WeakKeyDictionary()  # store → its state's
_lock = threading.Lock()


def versions(store: Store) -> Versions:
    """The version groups of every document in the index (both collections), per state of the index (kept with
    the store object: a search asks for them on its hot path, and reads nothing more while the state holds)."""
    generation = store.generation()
    with _lock:
        found = _cache.get(store)
    if found is not None and found[0] == generation:
        return found[1]
    record = store.state_record(LINKED_STATE) or {}
    built = Versions(store.documents(Filters.parse(["collection=all"])), record.get("groups", []))  # type: ignore[arg-type]
    with _lock:
        _cache[store] = (generation, built)
    return built


def document_json(doc: DocumentRecord, shared: Contributions) -> dict[str, object]:
    """A document's JSON (`DocumentRecord.to_json`) as its contribution shows it: its other language versions
    (`versions`), its contribution's curation status and quality, and the version that quality was read on
    (`quality_from`: its own id when it has no other version)."""
    return {**shared.record(doc).to_json(), "quality_from": shared.quality_from(doc.id),
            "versions": [v.to_json() for v in shared.versions.others(doc.id)]}


# --- what the versions of one contribution share: the curators' status and the quality profile -------------------
# A curator judges a contribution, not one of its translations: the status set last on any of its versions (in the
# order the store recorded the statuses, as a document's own latest status is read) holds for all of them, and the
# history shown is the whole contribution's, each event naming the version it was set on. The quality signals are
# read on every version as it is ingested (the per-file profile stays stored), but a contribution shows one
# profile: that of its most complete version, the one whose text shows the most signals (then the higher score,
# the more passages, the English one, the first by id). The signals' cues and their evidence are read in the text:
# where a translation misses a cue the original states, the version that shows most is the better reading of what
# the contribution reports, and the score then says the same of every version.


@dataclass(frozen=True)
class Shared:
    """What a version shows of its contribution."""

    curation: str  # the latest status set on any version ("none" when never curated)
    quality: float | None  # the score of the profile of the most complete version
    quality_from: str  # that version's document id


def most_complete(docs: Sequence[DocumentRecord], signals_found: dict[str, int]) -> DocumentRecord:
    """Of one contribution's versions, the one whose quality profile is the contribution's (see above)."""
    return max(sorted(docs, key=lambda d: d.id),
               key=lambda d: (signals_found.get(d.id, 0), d.quality if d.quality is not None else -1.0,
                              d.chunks or 0, d.language == PREFERRED))


class Contributions:
    """The version groups of an index (`versions`) with what each group's versions share (`Shared`): every view
    that reads a document's curation status or quality reads it through `record`, and filters on them through
    `filters`, so the versions of one contribution are never told apart by a status or a score."""

    def __init__(self, found: Versions, docs: Iterable[DocumentRecord], events: Sequence[dict[str, str]],
                 signals_found: dict[str, int]) -> None:
        self.versions = found
        by_id = {d.id: d for d in docs}
        self._own: dict[str, tuple[str, float | None]] = {i: (d.curation, d.quality) for i, d in by_id.items()}
        self._history: dict[str, list[dict[str, str]]] = {}  # group key → events on any of its versions, in order
        for event in events:
            if found.members(event["document_id"]):
                self._history.setdefault(found.key(event["document_id"]), []).append(dict(event))
        self._shared: dict[str, Shared] = {}
        for members in found.groups():
            present = [by_id[v.document_id] for v in members if v.document_id in by_id]
            if not present:
                continue
            history = self._history.get(found.key(present[0].id), [])
            source = most_complete(present, signals_found)
            shared = Shared(history[-1]["status"] if history else "none", source.quality, source.id)
            self._shared.update((d.id, shared) for d in present)

    def shared(self, document_id: str) -> Shared | None:
        """What a version shows of its contribution (None for a document with no other version)."""
        return self._shared.get(document_id)

    def record(self, doc: DocumentRecord) -> DocumentRecord:
        """`doc` with its contribution's curation status and quality score."""
        shared = self._shared.get(doc.id)
        if shared is None or (doc.curation, doc.quality) == (shared.curation, shared.quality):
            return doc
        return replace(doc, curation=shared.curation, quality=shared.quality)

    def records(self, docs: Iterable[DocumentRecord]) -> list[DocumentRecord]:
        return [self.record(d) for d in docs]

    def mark(self, hits: Iterable[Any]) -> None:
        """Give passages (`Hit`s: `document_id`, `curation`, `quality`) their contribution's status and score."""
        for hit in hits:
            shared = self._shared.get(hit.document_id)
            if shared is not None:
                hit.curation, hit.quality = shared.curation, shared.quality

    def quality_from(self, document_id: str) -> str:
        """The version whose quality profile a document shows (itself when it has no other version)."""
        shared = self._shared.get(document_id)
        return shared.quality_from if shared else document_id

    def history(self, document_id: str) -> list[dict[str, str]] | None:
        """The curation history of a document's whole contribution, oldest first (None when it has no other
        version: its own history is the store's)."""
        return list(self._history.get(self.versions.key(document_id), [])) if document_id in self._shared else None

    def recount(self, counts: dict[str, list[tuple[str, int]]], document_ids: Iterable[str]
                ) -> dict[str, list[tuple[str, int]]]:
        """Facet counts (`curation`, `quality_band`: value → documents) of `document_ids` as their contributions'
        values: each version whose own status or band is not its contribution's is counted under the latter."""
        tallies = {name: dict(counts.get(name, [])) for name in ("curation", "quality_band")}
        for doc_id in document_ids:
            shared, own = self._shared.get(doc_id), self._own.get(doc_id)
            if shared is None or own is None:
                continue
            for name, was, now in (("curation", own[0], shared.curation),
                                   ("quality_band", quality_band(own[1]), quality_band(shared.quality))):
                if was != now:
                    tallies[name][was] = tallies[name].get(was, 0) - 1
                    tallies[name][now] = tallies[name].get(now, 0) + 1
        return {**counts, **{name: [(v, n) for v, n in tally.items() if n > 0] for name, tally in tallies.items()
                             if name in counts}}

    def differs(self) -> bool:
        """Whether some version shows another status or score than its own."""
        return any(self._own.get(i) != (s.curation, s.quality) for i, s in self._shared.items())

    def filters(self, filters: Filters, store: Store) -> Filters:
        """`filters` with their `curation`, `quality_band` and `min_quality` read as each document's
        contribution's. The store compares a document's own values (in SQL, before ranking): where a version's own
        value would pass the filter and its contribution's not, or the other way round, the three are replaced by
        the documents that pass (`document_id`, intersected with a `document_id` already asked for). Unchanged
        otherwise."""
        asked = {name: filters.fields[name] for name in SHARED_FIELDS if filters.fields.get(name)}
        floor = filters.min_quality
        if not self._shared or (not asked and floor is None):
            return filters
        chosen = {name: {value for value, shown in VOCABULARY[name].items()
                         if {fold(value), fold(shown)} & {fold(v) for v in values}}
                  for name, values in asked.items()}

        def passes(curation: str, quality: float | None) -> bool:
            own = {"curation": curation, "quality_band": quality_band(quality)}
            return all(own[name] in values for name, values in chosen.items()) and (
                floor is None or (quality is not None and quality >= floor))

        turned = {i for i, s in self._shared.items()
                  if i in self._own and passes(*self._own[i]) != passes(s.curation, s.quality)}
        if not turned:
            return filters
        own = Filters({"collection": [EVERY_COLLECTION], **{name: list(v) for name, v in asked.items()}},
                      min_quality=floor)
        passing = {i for i in store.document_ids(own) if i not in self._shared}
        passing |= {i for i, s in self._shared.items() if passes(s.curation, s.quality)}
        rest = Filters({k: v for k, v in filters.fields.items() if k not in SHARED_FIELDS}, filters.date_from,
                       filters.date_to, None)
        if "document_id" in rest.fields:
            named = {fold(v) for v in rest.fields["document_id"]}
            passing = {i for i in passing if fold(i) in named}
        return rest.with_values("document_id", sorted(passing))


# the filter fields a contribution's versions share: read through `Contributions.filters` (with `min_quality`)
SHARED_FIELDS = ("curation", "quality_band")
VOCABULARY = {"curation": CURATION_STATUSES, "quality_band": QUALITY_BAND_NAMES}


_shared_cache: weakref.WeakKeyDictionary[Any, tuple[tuple[int, int], Contributions]] = weakref.WeakKeyDictionary()


def contributions(store: Store) -> Contributions:
    """The index's version groups with what their versions share, per state of the index (its documents and its
    curation statuses and quality scores). Reads only the grouped documents, their signals and the curation
    history; nothing at all when no contribution has versions."""
    state = (store.generation(), store.marks_generation())
    with _lock:
        found = _shared_cache.get(store)
    if found is not None and found[0] == state:
        return found[1]
    groups = versions(store)
    ids = [v.document_id for g in groups.groups() for v in g]
    if ids:
        docs = list(store.documents_by_id(ids).values())
        events = [e for e in store.curation_history(None) if groups.members(e["document_id"])]
        signals = {i: sum(1 for s in store.quality_signals(i) if s.get("found")) for i in ids}
        built = Contributions(groups, docs, events, signals)
    else:
        built = Contributions(groups, [], [], {})
    with _lock:
        _shared_cache[store] = (state, built)
    return built


# --- where no symbol says so: proposals a curator confirms ------------------------------------------------
# Alignment from which two documents are proposed as versions. bench/version_proposals.py, on the mixed repository
# (1,348 pairs in different languages, 29 of them versions): 0.55 proposes 45 (precision 0.51, recall 0.79), 0.6
# 25 (0.80, 0.69), 0.65 10 (1.00, 0.35). A curator confirms what is proposed, so recall weighs more. Of the 9 pairs
# missed at 0.6, 6 involve the Hindi version, which the multilingual model does not read; the other 3 join their
# group through pairs that are proposed (a link joins whole groups). (Chosen on the set it is reported on: there
# is no held-out set of versions yet.)
PROPOSAL_FLOOR = 0.6
PROPOSAL_RATIO = 0.5  # … when neither has more than twice the other's passages


def multilingual_space(folder: IndexFolder) -> str:
    """The index's vector space that reads the most languages (where translations meet)."""
    def reach(space: str) -> int:
        languages = folder.embedder(space).languages
        return 1000 if languages is None else len(languages)
    return max(folder.spaces, key=reach)


def alignment(folder: IndexFolder, a: str, b: str, space: str | None = None,
              cache: dict[str, np.ndarray] | None = None) -> tuple[float, float]:
    """(how closely two documents' passages match one by one, the ratio of their passage counts). Each
    passage's best match in the other document, averaged, in both directions, the lower of the two: a
    translation matches passage for passage; a document on the same subject matches some passages only."""
    space = space or multilingual_space(folder)
    cache = cache if cache is not None else {}
    vectors = []
    for doc_id in (a, b):
        if doc_id not in cache:
            ids = [c.id for c in folder.store.chunks_of(doc_id)]
            cache[doc_id] = folder.store.vectors_for(space, ids, folder.dimension(space)) if ids else np.zeros((0, 1))
        vectors.append(cache[doc_id])
    va, vb = vectors
    if len(va) == 0 or len(vb) == 0:
        return 0.0, 0.0
    sims = va @ vb.T
    score = min(float(sims.max(axis=1).mean()), float(sims.max(axis=0).mean()))
    return score, min(len(va), len(vb)) / max(len(va), len(vb))


@dataclass(frozen=True)
class Proposal:
    a: Version
    b: Version
    alignment: float

    def to_json(self) -> dict[str, object]:
        return {"a": self.a.to_json(), "b": self.b.to_json(), "alignment": round(self.alignment, 3)}


def propose(folder: IndexFolder, floor: float = PROPOSAL_FLOOR, min_ratio: float = PROPOSAL_RATIO,
            checkpoint: Callable[[], None] | None = None) -> list[Proposal]:
    """Pairs of documents in different languages, of one meeting (or both without), not yet versions of one
    another, whose passages align from `floor`: candidates for a curator to confirm (`link`). `checkpoint` is
    called between documents (a heavy request stops there when its client leaves or its deadline passes)."""
    store = folder.store
    with store.snapshot():
        docs = store.documents(Filters.parse(["collection=all"]))
        found = versions(store)
        space = multilingual_space(folder)
        by_meeting: dict[str, list[DocumentRecord]] = {}
        for doc in docs:
            by_meeting.setdefault(doc.meeting.upper(), []).append(doc)
        out = []
        for group in by_meeting.values():
            cache: dict[str, np.ndarray] = {}  # one meeting's passage vectors at a time
            for n, a in enumerate(group):
                if checkpoint is not None:
                    checkpoint()
                for b in group[n + 1:]:
                    sizes = sorted((a.chunks or 0, b.chunks or 0))
                    if a.language == b.language or found.key(a.id) == found.key(b.id) or \
                            sizes[0] < min_ratio * sizes[1]:  # a translation has about as many passages
                        continue
                    score, ratio = alignment(folder, a.id, b.id, space, cache)
                    if score >= floor and ratio >= min_ratio:
                        out.append(Proposal(Version(a.id, a.language), Version(b.id, b.language), score))
    return sorted(out, key=lambda p: (-p.alignment, p.a.document_id, p.b.document_id))


def link(store: Store, document_ids: Sequence[str]) -> list[str]:
    """Confirm that `document_ids` are versions of one contribution (with the versions they already have);
    the group is kept in the store's state (a new generation: every view counts them once from now on).
    Returns the whole group."""
    ids = list(dict.fromkeys(document_ids))
    if len(ids) < 2:
        raise QueryError("name at least two documents to link as versions of one contribution")
    with store.transaction() as conn:
        known = store.documents_by_id(ids)
        missing = [i for i in ids if i not in known]
        if missing:
            raise NotFound(f"no document {missing[0]!r} in this index (see `cwg documents`)")
        record = store.state_record(LINKED_STATE) or {}
        groups = [list(g) for g in record.get("groups", [])]  # type: ignore[union-attr]
        joined = set(ids)
        for group in [g for g in groups if joined & set(g)]:
            joined |= set(group)
            groups.remove(group)
        groups.append(sorted(joined))
        store.set_state(conn, LINKED_STATE, json.dumps({"groups": groups}))
    return sorted(joined)
