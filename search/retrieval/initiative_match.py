"""Similar by what they do: two documents compared by their initiatives (search/characterization/initiatives.py).

A pair of initiatives scores by the same kind of action (`initiative_type`), the same problem (shared `risk`
labels), a comparable audience (shared `audience` labels), then by their text: the passages that describe them,
with what never counts as shared masked out before they are encoded (country and organisation names, the
document's source, meeting boilerplate, generic policy words). A document's initiative score is its best pair
with the query document's initiatives; the result says why (the shared kind, risks and audiences, and the two
matched passages).

Across languages the passages are compared in the multilingual space (when the finder has one): a pair of
initiatives whose documents are in two languages scores its text by their cosine there, mapped onto the English
model's scale (the same linear map as the documents', similar.py's `CROSS_SCALE`); the masking only removes
English words and the vocabularies' names, which is what the English model would otherwise match on.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index.embedders import Embedder
from index.store_api import Store
from index.text_vectors import TextVectorCache
from search.characterization.initiatives import Initiative, stored_initiatives

MASKED_CHARS = 1200  # of an initiative's passages, encoded


@dataclass(frozen=True)
class MatchWeights:
    """How a pair of initiatives scores, chosen on the 13 dev pairs (bench/initiatives_eval.py): the same kind counts
    in full, audience by how alike their label profiles are, the masked passages by their cosine. Risk profiles
    added nothing on dev (the records' risk labels are the noisiest field), so risk weighs 0 by default."""

    kind: float = 0.4  # the same initiative_type
    risk: float = 0.0  # the cosine of their risk profiles
    audience: float = 0.1  # the cosine of their audience profiles
    text: float = 1.0  # the cosine of their passages, names and boilerplate masked


@dataclass
class Match:
    score: float
    mine: Initiative
    theirs: Initiative
    kinds: list[str]
    risks: list[str]
    audiences: list[str]

    def why(self) -> dict[str, object]:
        return {"initiative_type": self.kinds, "risk": self.risks, "audience": self.audiences,
                "initiative": _brief(self.theirs), "matched_initiative": _brief(self.mine),
                "score": round(self.score, 4)}


def _brief(item: Initiative) -> dict[str, object]:
    quote = item.evidence.get("initiative_type") or item.evidence.get("name")
    return {"id": item.id, "name": item.name, "initiative_type": item.initiative_type,
            "evidence": {"text": quote.text, "page": quote.page} if quote else None}


_GENERIC = re.compile(
    r"\b(council working group|child online protection|cwg[- ]cop|itu|member states?|information document|"
    r"contribution|meeting|session|delegat\w*|secretariat|geneva|stakeholders?|development|outcomes?|effective\w*|"
    r"targeting|implementation|ensure|important|various|support\w*|national|international|government|policy|"
    r"policies|framework|approach|efforts?|initiatives?|programmes?|programs?|project|activities)\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _name_pattern() -> re.Pattern[str]:
    """Every country and organisation name of the project's vocabularies, as one case-sensitive pattern."""
    from ingest.countries import all_countries
    from ingest.organisations import organisations

    names = {c.name for c in all_countries()}
    for org in organisations():
        names.add(org.name)
        names.update(org.names)
    alternatives = sorted((re.escape(n) for n in names if len(n) >= 2), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?:'s|’s|n|ns|ian|ians|ese)?(?!\w)")


def mask(text: str, source: str = "", country: str = "") -> str:
    """`text` without what never counts as shared: names of countries and organisations (and the document's own
    source and country), meeting boilerplate and generic policy words."""
    out = _name_pattern().sub(" ", text)
    for own in (source, country):
        if own:
            out = re.sub(r"(?<!\w)" + re.escape(own) + r"\w*", " ", out, flags=re.IGNORECASE)
    out = _GENERIC.sub(" ", out)
    return " ".join(out.split())


class InitiativeMatcher:
    """The initiatives of a store, their masked passages encoded once (kept in the text-vector cache)."""

    def __init__(self, store: Store, embedder: Embedder, texts: TextVectorCache,
                 weights: MatchWeights | None = None, *, cross: Embedder | None = None,
                 cross_scale: tuple[float, float] = (1.0, 0.0)) -> None:
        self.store = store
        self.embedder = embedder
        self.cross = cross  # the multilingual encoder two initiatives in two languages are compared with
        self.cross_scale = cross_scale  # its cosine s reads as cross_scale[0] * s + cross_scale[1]
        self.texts = texts
        self.weights = weights or MatchWeights()
        self._lock = threading.Lock()
        self._state: tuple[tuple[int, int], dict[str, list[Initiative]]] | None = None
        self._vectors: dict[tuple[str, str], np.ndarray] = {}  # (model id, initiative id) → masked passages

    def by_document(self) -> dict[str, list[Initiative]]:
        key = (self.store.generation(), self.store.marks_generation())
        with self._lock:
            if self._state is not None and self._state[0] == key:
                return self._state[1]
        grouped: dict[str, list[Initiative]] = {}
        for item in stored_initiatives(self.store):
            grouped.setdefault(item.document_id, []).append(item)
        with self._lock:
            self._state = (key, grouped)
        return grouped

    def _encode(self, embedder: Embedder, items: list[Initiative]) -> None:
        model = embedder.model_id
        missing = [i for i in items if (model, i.id) not in self._vectors]
        if not missing:
            return
        chunks = self.store.chunks_by_id(sorted({c for i in missing for c in i.chunk_ids[:2]}))
        texts = []
        for item in missing:
            said = " ".join(chunks[c].text for c in item.chunk_ids[:2] if c in chunks)
            texts.append(mask(said, item.source, item.country)[:MASKED_CHARS] or item.initiative_type)
        vectors = self.texts.encode(embedder, texts)
        with self._lock:
            for item, vector in zip(missing, vectors):
                self._vectors[(model, item.id)] = vector

    def vectors(self, embedder: Embedder, items: list[Initiative]) -> np.ndarray:
        """The masked passages of `items` encoded by `embedder` (what `cross_scale` is fitted on)."""
        self._encode(embedder, items)
        return np.array([self._vectors[(embedder.model_id, i.id)] for i in items], dtype=np.float32)

    def _text(self, mine: Initiative, theirs: Initiative, cross: bool) -> float:
        if not cross:
            model = self.embedder.model_id
            return float(self._vectors[(model, mine.id)] @ self._vectors[(model, theirs.id)])
        assert self.cross is not None
        model = self.cross.model_id
        a, b = self.cross_scale
        return a * float(self._vectors[(model, mine.id)] @ self._vectors[(model, theirs.id)]) + b

    def best(self, query: list[Initiative], candidates: dict[str, list[Initiative]],
             languages: dict[str, str] | None = None) -> dict[str, Match]:
        """Each candidate document's best-matching initiative pair with the query's initiatives. `languages`
        (document id → language) marks the pairs in two languages, whose texts are compared in the multilingual
        space when the matcher has one."""
        if not query:
            return {}
        w = self.weights
        languages = languages or {}
        mine_language = languages.get(query[0].document_id, "")
        across = {doc_id for doc_id in candidates if self.cross is not None and mine_language
                  and languages.get(doc_id, "") not in ("", mine_language)}
        if w.text:
            self._encode(self.embedder, query + [i for d, items in candidates.items() if d not in across for i in items])
            if across:
                assert self.cross is not None
                self._encode(self.cross, query + [i for d in across for i in candidates[d]])
        out: dict[str, Match] = {}
        for doc_id, items in candidates.items():
            best: Match | None = None
            for theirs in items:
                for mine in query:
                    kinds = [mine.initiative_type] if mine.initiative_type == theirs.initiative_type else []
                    risks = sorted(set(mine.risk) & set(theirs.risk))
                    audiences = sorted(set(mine.audience) & set(theirs.audience))
                    text = self._text(mine, theirs, doc_id in across) if w.text else 0.0
                    score = (w.kind * bool(kinds) + w.risk * _cosine(mine, theirs, "risk")
                             + w.audience * _cosine(mine, theirs, "audience") + w.text * text)
                    if best is None or score > best.score:
                        best = Match(score, mine, theirs, kinds, risks, audiences)
            if best is not None:
                out[doc_id] = best
        return out


def _profile(item: Initiative, facet: str) -> dict[str, float]:
    """The facet's label scores of the initiative's passages; the labels themselves where a curator set them."""
    if facet in item.corrected:
        value = getattr(item, facet)
        return {label: 1.0 for label in (value if isinstance(value, list) else [value]) if label}
    prefix = facet + ":"
    return {k[len(prefix):]: v for k, v in item.profile.items() if k.startswith(prefix)} or \
        {label: 1.0 for label in (getattr(item, facet) if facet != "initiative_type" else [item.initiative_type])}


def _cosine(a: Initiative, b: Initiative, facet: str) -> float:
    """How alike two initiatives are on one facet: the cosine of their label-score profiles."""
    pa, pb = _profile(a, facet), _profile(b, facet)
    dot = sum(v * pb.get(k, 0.0) for k, v in pa.items())
    norm = (sum(v * v for v in pa.values()) * sum(v * v for v in pb.values())) ** 0.5
    return dot / norm if norm else 0.0
