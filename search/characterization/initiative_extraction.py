"""Reading initiative records from a document's stored passages and vectors (nothing is re-embedded but the label
prototypes), with the taxonomy the index is tagged with (`initiative_type`, `audience` and `risk` are its label ids):

- a passage describes an initiative when it reads like one (a cue: "launched", "established", "we run", a named
  programme, law, helpline or campaign, in English, French, Spanish, Portuguese, Russian, Arabic or Chinese;
  initiative_names.py) and one `initiative_type` label scores on it (the tagger's two signals, the label
  prototypes' cosine to the passage vector and the label's phrases, judged per passage rather than per document);
- a document in a language the label phrases are not written in (`PHRASE_LANGUAGES`: Arabic, Chinese, Russian, …)
  is scored by the prototypes alone, in the index's multilingual space when the English model does not read its
  language (MiniLM reads English only: its cosines to an Arabic passage are noise); that space's cosines are put on
  the English model's scale first, label by label (`calibrated`: the two spaces' cosines of English passages to
  each prototype matched in mean and spread, which also takes out a label every passage is close to there);
- a document's initiative passages are grouped by the name they give (SafeSurf, the National Tipline), else by
  kind; a short contribution (up to `SHORT_DOCUMENT` passages) is one initiative unless it names two of different
  kinds; a long report keeps its strongest `MAX_PER_DOCUMENT`;
- its status is read from what the sentences naming it say (initiative_status.py) and each field carries its
  evidence (initiative_evidence.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from index.filters import Filters
from index.records import ChunkRecord, DocumentRecord
from index.store_api import Store
from ingest.language import detect_language
from search.characterization.initiative_evidence import label_evidence, slice_of, status_of, year_of
from search.characterization.initiative_names import KIND_HINTS, RUNS_IT, cue_count, kind_stated_in, names_in
from search.characterization.initiatives import Evidence, Initiative
from search.characterization.phrases import label_regex
from search.characterization.taxonomy import Label, Taxonomy

SHORT_DOCUMENT = 10  # passages: a contribution, judged by what it describes
MAX_PER_DOCUMENT = 8  # initiatives kept from one long report
# the languages the cues' fullest wording and the shipped taxonomy's label phrases are written in: a passage in
# another language gets no phrase hits, and is scored by the label prototypes alone
PHRASE_LANGUAGES = frozenset({"en", "fr", "es", "pt"})
# A passage×label cosine s of the multilingual space (USE v3) reads as LABEL_CROSS_SCALE[0] * s + [1] on the English
# model's (MiniLM) scale: the two spaces' cosines of every English passage of the held-out repository to every
# initiative_type, audience and risk prototype matched in mean and spread (bench/initiatives_eval.py --parts
# records prints the fit). Used where an index has too few English passages to fit each label (`calibrated`).
LABEL_CROSS_SCALE = (1.44, 0.11)
CALIBRATION_PASSAGES = 2000  # English passages (evenly spread over the index) each label's fit is read on
CALIBRATION_MIN = 50  # fewer: the one scale above


@dataclass(frozen=True)
class LabelSpace:
    """A vector space passages are scored in: the label prototypes embedded there, the cosines between which the
    dense signal rises from 0 to 1, and the languages its encoder reads (None: any)."""

    space: str
    dimension: int
    label_vectors: np.ndarray
    floor: float
    ceiling: float
    languages: frozenset[str] | None = None
    scale: np.ndarray | None = None  # (2, labels): a cosine s here reads as scale[0] * s + scale[1] (None: as is)

    def reads(self, language: str) -> bool:
        return self.languages is None or language in self.languages

    def cosines(self, vectors: np.ndarray) -> np.ndarray:
        cos = vectors @ self.label_vectors.T
        return cos if self.scale is None else cos * self.scale[0] + self.scale[1]


def calibrated(store: Store, main: LabelSpace, multilingual: LabelSpace) -> LabelSpace:
    """`multilingual` with its cosines put on the main space's scale, label by label: over up to
    `CALIBRATION_PASSAGES` English passages, each label's cosines in the two spaces matched in mean and spread
    (`LABEL_CROSS_SCALE` for every label where the index has fewer than `CALIBRATION_MIN`)."""
    ids = store.chunk_ids(Filters({"language": ["en"]}))
    ids = ids[:: max(1, len(ids) // CALIBRATION_PASSAGES)][:CALIBRATION_PASSAGES].tolist()
    n = len(multilingual.label_vectors)
    if len(ids) < CALIBRATION_MIN:
        a, b = LABEL_CROSS_SCALE
        return replace(multilingual, scale=np.array([[a] * n, [b] * n], dtype=np.float32))
    there = store.vectors_for(multilingual.space, ids, multilingual.dimension) @ multilingual.label_vectors.T
    here = store.vectors_for(main.space, ids, main.dimension) @ main.label_vectors.T
    a = here.std(axis=0) / np.maximum(there.std(axis=0), 1e-6)
    return replace(multilingual, scale=np.stack([a, here.mean(axis=0) - a * there.mean(axis=0)]).astype(np.float32))


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


def score_passages(texts: list[str], vectors: np.ndarray, labels: list[Label], space: LabelSpace,
                   weights: InitiativeWeights) -> tuple[np.ndarray, np.ndarray]:
    """The tagger's two signals per passage: the prototypes' cosine (on the space's scale, rescaled between its
    floor and ceiling) and the label phrases found in the passage (saturating at `weights.lexical_half` hits)."""
    regexes = [label_regex(label) for label in labels]
    hits = np.array([[len(rx.findall(t)) for rx in regexes] for t in texts], dtype=np.int64).reshape(len(texts),
                                                                                                   len(labels))
    dense = np.clip((space.cosines(vectors) - space.floor) / (space.ceiling - space.floor), 0.0, 1.0) \
        if len(texts) else np.zeros((0, len(labels)), dtype=np.float32)
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
        cues = cue_count(chunk.text)
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
        record = _record(doc, chunks, scores, labels, members, kinds, audiences, risks, w, ordinal)
        base, n = record.id, 1
        while any(r.id == record.id for r in out):  # one name, two kinds (SafeSurf's tool and its campaign)
            record.id, n = (f"{base}-{record.initiative_type}" if n == 1 else f"{base}-{n}"), n + 1
        out.append(record)
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
                document_ids: Iterable[str] | None = None, languages: frozenset[str] | None = None,
                multilingual: LabelSpace | None = None) -> list[Initiative]:
    """Every document's initiatives (inside the caller's snapshot), reading stored passages and vectors only.
    `languages`: those the encoder of `space` reads (None: any); `multilingual`: the space (floor and ceiling on its
    main space's scale, `calibrated`) a document in a language `space` does not read is scored in, if any."""
    w = weights or InitiativeWeights()
    main = LabelSpace(space, dimension, label_vectors, floor, ceiling, languages)
    wanted = set(document_ids) if document_ids is not None else None
    out: list[Initiative] = []
    for doc in store.documents():
        if wanted is not None and doc.id not in wanted:
            continue
        chunks = store.chunks_of(doc.id)
        if not chunks:
            continue
        read, doc_weights = reading_space(doc.language or detect_language(chunks[0].text), main, multilingual, w)
        vectors = store.vectors_for(read.space, [c.id for c in chunks], read.dimension)
        scores, hits = score_passages([c.text for c in chunks], vectors, labels, read, doc_weights)
        out.extend(extract(doc, chunks, scores, hits, labels, w))
    return out


def reading_space(language: str, main: LabelSpace, multilingual: LabelSpace | None, weights: InitiativeWeights
                  ) -> tuple[LabelSpace, InitiativeWeights]:
    """The space a document in `language` is scored in and how: a language the label phrases are written in, or
    one the main space reads, with both signals there; another, where the multilingual space reads it, there by
    the prototypes alone (its phrases would find nothing); else the main space as before."""
    if (multilingual is None or not language or language in PHRASE_LANGUAGES or main.reads(language)
            or not multilingual.reads(language)):
        return main, weights
    return multilingual, replace(weights, dense_weight=1.0)


def facet_labels(taxonomy: Taxonomy) -> list[Label]:
    return [label for f in ("initiative_type", "audience", "risk") for label in taxonomy.facets[f].labels]
