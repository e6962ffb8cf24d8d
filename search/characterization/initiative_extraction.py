"""Reading initiative records from a document's stored passages and vectors (nothing is re-embedded but the label
prototypes), with the taxonomy the index is tagged with (`initiative_type`, `audience` and `risk` are its label ids):

- a passage describes an initiative when it reads like one (a cue: "launched", "established", "we run", a named
  programme, law, helpline or campaign, in English, French, Spanish or Portuguese; initiative_names.py) and one
  `initiative_type` label scores on it (the tagger's two signals, the label prototypes' cosine to the passage vector
  and the label's phrases, judged per passage rather than per document);
- a document's initiative passages are grouped by the name they give (SafeSurf, the National Tipline), else by
  kind; a short contribution (up to `SHORT_DOCUMENT` passages) is one initiative unless it names two of different
  kinds; a long report keeps its strongest `MAX_PER_DOCUMENT`;
- its status is read from what the sentences naming it say (initiative_status.py) and each field carries its
  evidence (initiative_evidence.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from index.records import ChunkRecord, DocumentRecord
from index.store_api import Store
from search.characterization.initiative_evidence import label_evidence, slice_of, status_of, year_of
from search.characterization.initiative_names import CUE, KIND_HINTS, RUNS_IT, kind_stated_in, names_in
from search.characterization.initiatives import Evidence, Initiative
from search.characterization.phrases import label_regex
from search.characterization.taxonomy import Label, Taxonomy

SHORT_DOCUMENT = 10  # passages: a contribution, judged by what it describes
MAX_PER_DOCUMENT = 8  # initiatives kept from one long report


@dataclass(frozen=True)
class InitiativeWeights:
    """Passage-level thresholds (chosen on the dev documents of tests/data/sample_labels.csv,
    bench/initiatives_eval.py)."""

    kind: float = 0.30  # an initiative_type label's passage score from which the passage describes that kind
    audience: float = 0.40
    risk: float = 0.40
    lexical_half: float = 1.0  # phrase hits in one passage that give half the lexical signal
    dense_weight: float = 0.4


# --- scoring passages ------------------------------------------------------------------------------------------------
@dataclass
class PassageScores:
    """Every passage × every label of the three facets an initiative is described by."""

    chunk_ids: np.ndarray
    labels: list[Label]
    scores: np.ndarray  # (passages, labels) in [0, 1]
    hits: np.ndarray  # (passages, labels) phrase hits


def score_passages(texts: list[str], vectors: np.ndarray, labels: list[Label], label_vectors: np.ndarray,
                   weights: InitiativeWeights, floor: float, ceiling: float) -> tuple[np.ndarray, np.ndarray]:
    """The tagger's two signals per passage: the prototypes' cosine (rescaled between `floor` and `ceiling`)
    and the label phrases found in the passage (saturating at `weights.lexical_half` hits)."""
    regexes = [label_regex(label) for label in labels]
    hits = np.array([[len(rx.findall(t)) for rx in regexes] for t in texts], dtype=np.int64).reshape(len(texts),
                                                                                                   len(labels))
    dense = np.clip((vectors @ label_vectors.T - floor) / (ceiling - floor), 0.0, 1.0) if len(texts) else \
        np.zeros((0, len(labels)), dtype=np.float32)
    lexical = 1.0 - np.power(0.5, hits / weights.lexical_half)
    return (weights.dense_weight * dense + (1 - weights.dense_weight) * lexical).astype(np.float32), hits


def extract(doc: DocumentRecord, chunks: list[ChunkRecord], scores: np.ndarray, hits: np.ndarray,
            labels: list[Label], weights: InitiativeWeights | None = None) -> list[Initiative]:
    """The initiatives of one document, from its passages' label scores (rows of `scores` follow `chunks`)."""
    w = weights or InitiativeWeights()
    if not chunks:
        return []
    kinds = [j for j, lb in enumerate(labels) if lb.facet == "initiative_type"]
    audiences = [j for j, lb in enumerate(labels) if lb.facet == "audience"]
    risks = [j for j, lb in enumerate(labels) if lb.facet == "risk"]
    short = len(chunks) <= SHORT_DOCUMENT
    # a passage describes an initiative: a cue or a name, and a kind that scores on it
    candidates: list[tuple[int, int, float, list[tuple[str, int, int]]]] = []  # (passage, kind, strength, names)
    for i, chunk in enumerate(chunks):
        cues = len(CUE.findall(chunk.text))
        names = names_in(chunk.text, doc.source)
        kind = max(kinds, key=lambda j: float(scores[i, j]))
        strength = float(scores[i, kind])
        if (cues or names) and strength >= w.kind:
            candidates.append((i, kind, strength * (1 + 0.1 * min(cues, 5)), names))
    if not candidates:
        if not short:
            return []
        # a short contribution describes something even when it never says "launched": its best passage
        i = max(range(len(chunks)), key=lambda r: float(scores[r, kinds].max()))
        kind = max(kinds, key=lambda j: float(scores[i, j]))
        if float(scores[i, kind]) < w.kind / 2:
            return []
        candidates = [(i, kind, float(scores[i, kind]), names_in(chunks[i].text, doc.source))]
    groups = _group(candidates, short)
    out = []
    for ordinal, members in enumerate(groups[: (2 if short else MAX_PER_DOCUMENT)]):
        out.append(_record(doc, chunks, scores, labels, members, kinds, audiences, risks, w, ordinal))
    return out


def _group(candidates: list[tuple[int, int, float, list[tuple[str, int, int]]]], short: bool
           ) -> list[list[tuple[int, int, float, list[tuple[str, int, int]]]]]:
    """Passages grouped into initiatives: by the name they give first, else by kind; strongest first. In a short
    contribution the passages all describe its one initiative unless a second name comes with another kind."""
    by_key: dict[str, list[tuple[int, int, float, list[tuple[str, int, int]]]]] = {}
    for item in candidates:
        names = item[3]
        key = ("name:" + names[0][0].lower()) if names else f"kind:{item[1]}"
        by_key.setdefault(key, []).append(item)
    groups = sorted(by_key.values(), key=lambda g: -sum(x[2] for x in g))
    if short and groups:
        first = groups[0]
        first_kinds = {x[1] for x in first}
        rest = [g for g in groups[1:] if any(x[3] for x in g) and not {x[1] for x in g} & first_kinds
                and max(x[2] for x in g) >= 0.8 * max(x[2] for x in first)]
        merged = first + [x for g in groups[1:] if g not in rest for x in g]
        return [merged, *rest[:1]]
    return groups


def _record(doc: DocumentRecord, chunks: list[ChunkRecord], scores: np.ndarray, labels: list[Label],
            members: list[tuple[int, int, float, list[tuple[str, int, int]]]], kinds: list[int], audiences: list[int],
            risks: list[int], w: InitiativeWeights, ordinal: int) -> Initiative:
    short = len(chunks) <= SHORT_DOCUMENT
    rows = sorted({m[0] for m in members})
    best = max(members, key=lambda m: m[2])
    total = scores[rows].max(axis=0)  # each label's best passage among the initiative's
    kind = max(kinds, key=lambda j: float(scores[rows, j].sum()))
    evidence: dict[str, Evidence] = {}
    kind_row = rows[int(np.argmax(scores[rows, kind]))]
    evidence["initiative_type"] = label_evidence(chunks[kind_row], labels[kind])
    name = ""
    named = [n for m in sorted(members, key=lambda m: m[0]) for n in m[3] if not RUNS_IT.search(n[0])]
    if named:
        counts: dict[str, int] = {}
        for n in named:
            counts[n[0].lower()] = counts.get(n[0].lower(), 0) + 1
        hint = KIND_HINTS.get(labels[kind].id)
        in_kind_row = {n[0].lower() for m in members if m[0] == kind_row for n in m[3]}
        top = max(named, key=lambda n: (counts[n[0].lower()] + 2 * bool(hint and hint.search(n[0]))
                                        + (n[0].lower() in in_kind_row), -named.index(n)))
        name = top[0]
        owner = next(chunks[m[0]] for m in members if top in m[3])
        evidence["name"] = slice_of(owner, top[1], top[2])
    title = chunks[0].text.strip().split("\n")[0] if short and ordinal == 0 else ""
    titled, named_kind = kind_stated_in(title), kind_stated_in(name)
    if titled and named_kind and titled != named_kind and name.lower() not in title.lower():
        name = ""  # a contribution titled a training seminar whose name candidate is a law: the law is another thing
        evidence.pop("name", None)
    stated = (titled if not name or name.lower() in title.lower() else "") or named_kind
    chosen = next((j for j in kinds if labels[j].id == stated), None)
    if chosen is not None and chosen != kind:  # its name (a short contribution's title) says what it is
        kind = chosen
        kind_row = rows[int(np.argmax(scores[rows, kind]))]
        evidence["initiative_type"] = label_evidence(chunks[kind_row], labels[kind])
    audience = [labels[j].id for j in sorted(audiences, key=lambda j: -float(total[j])) if total[j] >= w.audience][:4]
    risk = [labels[j].id for j in sorted(risks, key=lambda j: -float(total[j])) if total[j] >= w.risk][:4]
    for facet, chosen in (("audience", audience), ("risk", risk)):
        if chosen:
            j = next(j for j in range(len(labels)) if labels[j].facet == facet and labels[j].id == chosen[0])
            row = rows[int(np.argmax(scores[rows, j]))]
            evidence[facet] = label_evidence(chunks[row], labels[j])
    # a short contribution's main initiative is what the whole contribution is about: all its passages speak of it
    status = status_of(chunks, list(range(len(chunks))) if short and ordinal == 0 else rows, name, evidence, short)
    evidence["status"] = status[1]
    year, year_evidence = year_of(chunks, [best[0], *rows], [evidence[k] for k in ("status", "name") if k in evidence])
    if year_evidence is not None:
        evidence["year"] = year_evidence
    ident = hashlib.sha1(f"{doc.id}\x00{name.lower() or labels[kind].id}\x00{ordinal if not name else ''}".encode()
                         ).hexdigest()[:12]
    profile = {f"{labels[j].facet}:{labels[j].id}": round(float(total[j]), 3) for j in range(len(labels)) if total[j] >= 0.05}
    return Initiative(id=f"{doc.id}~{ident}", document_id=doc.id, source=doc.source, country=doc.country,
                      actor_type=doc.actor_type, name=name, initiative_type=labels[kind].id, audience=audience,
                      risk=risk, status=status[0], year=year, score=round(float(best[2]), 4),
                      chunk_ids=[chunks[r].id for r in rows], evidence=evidence, profile=profile)


# --- the whole index ---------------------------------------------------------------------------------------------
def extract_all(store: Store, space: str, dimension: int, label_vectors: np.ndarray, labels: list[Label],
                floor: float, ceiling: float, weights: InitiativeWeights | None = None,
                document_ids: Iterable[str] | None = None) -> list[Initiative]:
    """Every document's initiatives (inside the caller's snapshot), reading stored passages and vectors only."""
    w = weights or InitiativeWeights()
    wanted = set(document_ids) if document_ids is not None else None
    out: list[Initiative] = []
    for doc in store.documents():
        if wanted is not None and doc.id not in wanted:
            continue
        chunks = store.chunks_of(doc.id)
        if not chunks:
            continue
        vectors = store.vectors_for(space, [c.id for c in chunks], dimension)
        scores, hits = score_passages([c.text for c in chunks], vectors, labels, label_vectors, w, floor, ceiling)
        out.extend(extract(doc, chunks, scores, hits, labels, w))
    return out


def facet_labels(taxonomy: Taxonomy) -> list[Label]:
    return [label for f in ("initiative_type", "audience", "risk") for label in taxonomy.facets[f].labels]
