"""Initiatives as records: what each document describes or proposes (a helpline, a law, a training programme).

Read from the stored passages and their stored vectors (nothing is re-embedded but the label prototypes), with
the taxonomy the index is tagged with (one vocabulary: `initiative_type`, `audience` and `risk` are its label ids):

- a passage describes an initiative when it reads like one (a cue: "launched", "established", "we run", a named
  programme, law, helpline or campaign, in English, French, Spanish or Portuguese) and one `initiative_type` label
  scores on it (the tagger's two signals, the label prototypes' cosine to the passage vector and the label's
  phrases, judged per passage rather than per document);
- a document's initiative passages are grouped by the name they give (SafeSurf, the National Tipline), else by
  kind; a short contribution (up to `SHORT_DOCUMENT` passages) is one initiative unless it names two of different
  kinds; a long report keeps its strongest `MAX_PER_DOCUMENT`;
- its status is read from what the sentences naming it say (search/characterization/initiative_status.py);
- each field carries its evidence: an exact slice of the document's text (`char_start`/`char_end` in the
  document, `page` the first page of its passage).

Computed by `cwg tag` (and again whenever a tagged index takes new documents) and kept as a state record of the
store, so both stores hold them; curators' corrections are kept apart, with their history, and applied on read.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import numpy as np

from index.filters import Filters
from index.records import ChunkRecord, DocumentRecord
from index.store_api import Store
from ingest.errors import NotFound, QueryError
from search.characterization.initiative_status import STATUSES, read_status
from search.characterization.phrases import label_regex
from search.characterization.taxonomy import Label, Taxonomy

INITIATIVES_STATE_KEY = "initiatives"
CORRECTIONS_STATE_KEY = "initiative_corrections"
FIELDS = ("name", "initiative_type", "audience", "risk", "status", "year")  # what a curator may correct
LIST_FIELDS = ("audience", "risk")
FILTER_FIELDS = ("initiative_type", "audience", "risk", "status", "year", "name")
SHORT_DOCUMENT = 10  # passages: a contribution, judged by what it describes
MAX_PER_DOCUMENT = 8  # initiatives kept from one long report
FORMATS = ("json", "csv", "md")


@dataclass(frozen=True)
class InitiativeWeights:
    """Passage-level thresholds (chosen on the dev documents of tests/data/sample_labels.csv,
    bench/initiatives_eval.py)."""

    kind: float = 0.30  # an initiative_type label's passage score from which the passage describes that kind
    audience: float = 0.40
    risk: float = 0.40
    lexical_half: float = 1.0  # phrase hits in one passage that give half the lexical signal
    dense_weight: float = 0.4


@dataclass(frozen=True)
class Evidence:
    text: str  # an exact slice of the document's text
    char_start: int
    char_end: int
    page: int | None
    chunk_id: int


@dataclass
class Initiative:
    """One initiative a document describes or proposes, each field with its evidence."""

    id: str
    document_id: str
    source: str
    country: str
    actor_type: str
    name: str
    initiative_type: str
    audience: list[str]
    risk: list[str]
    status: str  # one of STATUSES (initiative_status.py: read from the sentences around the initiative)
    year: int | None
    score: float
    chunk_ids: list[int]  # the passages that describe it
    evidence: dict[str, Evidence] = field(default_factory=dict)  # field → where the text says it
    corrected: list[str] = field(default_factory=list)  # fields a curator set
    profile: dict[str, float] = field(default_factory=dict)  # "facet:label" → its best passage score

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["evidence"] = {k: asdict(v) for k, v in self.evidence.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Initiative:
        values = dict(data)
        values["evidence"] = {k: Evidence(**v) for k, v in dict(values.get("evidence") or {}).items()}  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


# --- cues ----------------------------------------------------------------------------------------------------------
_CUE = re.compile(
    r"\b(launch(?:ed|es|ing)?|establish(?:ed|es|ing)?|set up|introduc(?:ed|es|ing)|creat(?:ed|es|ing)|develop(?:ed|s|ing)"
    r"|we run|runs|operat(?:es|ed|ing)|implement(?:ed|s|ing)|adopt(?:ed|s|ing)|enact(?:ed|s)|roll(?:ed)? out"
    r"|programmes?|programs?|initiatives?|projects?|campaigns?|helplines?|hotlines?|tiplines?|platforms?|app"
    r"|curricul(?:um|a)|workshops?|trainings?|training of trainers|roadshows?|law|act|bill|regulations?|strateg(?:y|ies)"
    r"|action plan|framework|standards?|guidelines?|toolkits?|coalitions?|alliances?|partnerships?|survey|study"
    r"|lanc[ée]e?s?|mis en place|programme national|cr[ée]{2}e?s?|atelier|campagne|ligne d'assistance|loi"
    r"|lanz[óa]|puesto en marcha|creó|programa|campaña|ley|línea de ayuda|implementó|lançou|lançado|programa"
    r"|projeto|campanha|lei|linha de apoio)\b", re.IGNORECASE)
_KIND_WORDS = (r"Programme|Program|Initiative|Project|Campaign|Strategy|Framework|Act|Law|Bill|Code|Platform|Helpline"
               r"|Hotline|Tipline|Network|Alliance|Coalition|Council|Centre|Center|Fund|Academy|Policy|Plan|Curriculum|Decree"
               r"|Guidelines?|Guide|Standard|Index|Registry|Register|Portal|App|Toolkit|Principles|Taskforce|Task Force"
               r"|Day|Week|Charter|Convention|Roadshow|Club|Lab|Hub|Label|Clinic")
_CAP = r"[A-Z][\w'’\-]*(?:\.[a-z]{2,3})?"
_NAMED = re.compile(
    rf"\b((?:{_CAP}[ \t]+(?:(?:of|for|on|the|to|in)[ \t]+)?){{0,6}}(?:{_KIND_WORDS})\b"
    rf"(?:[ \t]+(?:on|for|of|to)[ \t]+(?:the[ \t]+)?(?:{_CAP}[ \t]*){{1,5}})?)")
_COINED = re.compile(r"\b([A-Z][a-z]+[A-Z][A-Za-z]+(?:\.[a-z]{2,3})?|[a-z]{2,}[A-Z]{3,}\w*)\b")  # SafeSurf, euCONSENT
# a name headed by one of these is who runs the initiative (it groups passages, but names no initiative)
_RUNS_IT = re.compile(r"\b(Centre|Center|Institute|University|Foundation|Ministry|Commission|Authority)\b")
_LEADING = {"the", "a", "an", "this", "its", "our", "their", "before", "after", "under", "through", "with", "in", "on",
            "by", "for", "from", "to", "at", "as", "of", "and", "since", "during", "while", "when", "each", "every"}
# a capitalised name its text abbreviates: "the Child Protection in Cyberspace (CPC) global initiative"
_ACRONYMED = re.compile(r"\b((?:[A-Z][\w'’\-]*[ \t]+(?:(?:of|for|on|in|the|and|against|to)[ \t]+)*){1,8}[A-Z][\w'’\-]*)"
                        r"[ \t]*\([A-Z][A-Za-z]{1,9}\)")
_QUOTED = re.compile(r"[“\"«]\s*([A-Z][^”\"»\n]{2,60}?)\s*[”\"»]")
_NOT_NAMES = re.compile(
    r"^(the\s+)?(member states?|united nations|information document|working group|the government|government|"
    r"national|international|introduction|conclusion|commitment|platform|project|programme|initiative|framework|"
    r"strategy|this document|key principles.*|itu council|un council)$|council working group|child online protection$"
    r"|^(why|how|what|propose|proposals?|developing|progress in)\b|\binstitute\b", re.I)
# a name that says the initiative's kind is its name (the Tipline of a helpline, not the strategy it belongs to)
_KIND_HINTS = {kind: re.compile(pattern, re.IGNORECASE) for kind, pattern in {
    "law_regulation": r"\b(act|law|bill|code|convention|decree|regulation)\b",
    "strategy_policy": r"\b(strategy|policy|plan|framework|guidelines?|principles|charter)\b",
    "awareness_campaign": r"\b(campaign|day|week|roadshow|initiative)\b",
    "training_capacity": r"\b(training|workshops?|academy|trainers?|course)\b",
    "curriculum": r"\b(curriculum|framework|course|lessons?|literacy)\b",
    "tool_app": r"\b(app|platform|tool|database|filter|portal|game)\b|(?-i:[a-z][A-Z])",  # SafeSurf: a coined name
    "research_study": r"\b(study|survey|index|report|research)\b",
    "helpline_reporting": r"\b(helpline|tipline|hotline|line|centre|center)\b",
    "partnership_alliance": r"\b(alliance|coalition|network|partnership|taskforce|task force|hub)\b",
    "technical_standard": r"\b(standard|iso|ieee|p\d{4})\b",
}.items()}
# the words by which a name or a title says its kind outright, in the corpus' languages (one kind, or none)
_STATED_KINDS = {kind: re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE) for kind, pattern in {
    "law_regulation": r"act|law|bill|decree|amendments?|loi|décret|ley|decreto|lei",
    "strategy_policy": r"strategy|action plan|policy|guidance|guidelines|stratégie|politique|lignes directrices"
                       r"|estrategia|política|directrices|estratégia|diretrizes",
    "awareness_campaign": r"campaign|campagne|campaña|campanha|awareness|sensibilisation",
    "training_capacity": r"training|seminars?|workshops?|formation|séminaire|formación|seminario|formação",
    "curriculum": r"curriculum|programme scolaire|currículo",
    "tool_app": r"app|application|platform|database|plateforme|plataforma|outil|herramienta|ferramenta",
    "research_study": r"survey|study|research|consultation|enquête|étude|encuesta|estudio|consulta|pesquisa",
    "helpline_reporting": r"helpline|tipline|hotline|ligne d'écoute|línea de ayuda|linha de apoio",
    "partnership_alliance": r"alliance|coalition|network|partnership|council|réseau|alianza|coalición|parceria",
    "technical_standard": r"standard|norme|ISO|IEEE",
}.items()}
_YEAR = re.compile(r"\b(19[89]\d|20[0-3]\d)\b")
_YEAR_CUE = re.compile(
    r"\b(?:launched|established|created|introduced|adopted|enacted|started|began|founded|set up|since|in|from|"
    r"lancée?|créée?|depuis|en|desde|lanzad[oa]|em)\s+(?:\w+\s+){0,2}?(19[89]\d|20[0-3]\d)\b", re.IGNORECASE)



def _slice(chunk: ChunkRecord, start: int, end: int) -> Evidence:
    return Evidence(chunk.text[start:end], chunk.char_start + start, chunk.char_start + end, chunk.page_start,
                    chunk.id)


def _sentence_around(chunk: ChunkRecord, start: int, end: int) -> Evidence:
    """The sentence (or line) of the chunk holding [start, end), as an exact slice."""
    text = chunk.text
    left = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start))
    left = 0 if left < 0 else left + 1
    while left < start and text[left].isspace():
        left += 1
    right_candidates = [i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0]
    right = min(right_candidates) + 1 if right_candidates else len(text)
    right = min(right, left + 400) if right - left > 400 else right
    right = max(right, end)
    while right > end and text[right - 1].isspace():
        right -= 1
    return _slice(chunk, left, right)


def names_in(text: str, source: str = "") -> list[tuple[str, int, int]]:
    """Candidate initiative names in `text`: (name, start, end), in order; country and organisation names alone,
    the source itself and generic headings are not names."""
    from ingest.countries import lookup_country
    from ingest.organisations import organisation_span

    found: list[tuple[str, int, int]] = []
    for pattern in (_NAMED, _COINED, _QUOTED, _ACRONYMED):
        for match in pattern.finditer(text):
            name = match.group(1).strip(" .,;:'’-")
            start = match.start(1) + match.group(1).find(name)
            words = name.split()
            while pattern is not _QUOTED and len(words) > 1 and words[0].lower() in _LEADING:  # "Before the Act": a sentence's first words
                name, start = name[len(words[0]):].lstrip(), start + len(name) - len(name[len(words[0]):].lstrip())
                words = words[1:]
            if len(name) < 4 or _NOT_NAMES.match(name) or lookup_country(name) is not None:
                continue
            if source and name.lower() == source.lower():
                continue
            organisation = organisation_span(name)
            if organisation and organisation[2] - organisation[1] >= len(name) - 4:
                continue  # an organisation is who runs it, not what it is
            if pattern is _NAMED and len(name.split()) < 2:
                continue  # a bare "Programme" or "Law" is no name
            found.append((name, start, start + len(name)))
    found.sort(key=lambda t: t[1])
    out: list[tuple[str, int, int]] = []
    for item in found:  # drop names inside a longer one already kept
        if out and item[1] < out[-1][2]:
            if item[2] - item[1] > out[-1][2] - out[-1][1]:
                out[-1] = item
            continue
        out.append(item)
    return out


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
        cues = len(_CUE.findall(chunk.text))
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
    evidence["initiative_type"] = _label_evidence(chunks[kind_row], labels[kind])
    name = ""
    named = [n for m in sorted(members, key=lambda m: m[0]) for n in m[3] if not _RUNS_IT.search(n[0])]
    if named:
        counts: dict[str, int] = {}
        for n in named:
            counts[n[0].lower()] = counts.get(n[0].lower(), 0) + 1
        hint = _KIND_HINTS.get(labels[kind].id)
        in_kind_row = {n[0].lower() for m in members if m[0] == kind_row for n in m[3]}
        top = max(named, key=lambda n: (counts[n[0].lower()] + 2 * bool(hint and hint.search(n[0]))
                                        + (n[0].lower() in in_kind_row), -named.index(n)))
        name = top[0]
        owner = next(chunks[m[0]] for m in members if top in m[3])
        evidence["name"] = _slice(owner, top[1], top[2])
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
        evidence["initiative_type"] = _label_evidence(chunks[kind_row], labels[kind])
    audience = [labels[j].id for j in sorted(audiences, key=lambda j: -float(total[j])) if total[j] >= w.audience][:4]
    risk = [labels[j].id for j in sorted(risks, key=lambda j: -float(total[j])) if total[j] >= w.risk][:4]
    for facet, chosen in (("audience", audience), ("risk", risk)):
        if chosen:
            j = next(j for j in range(len(labels)) if labels[j].facet == facet and labels[j].id == chosen[0])
            row = rows[int(np.argmax(scores[rows, j]))]
            evidence[facet] = _label_evidence(chunks[row], labels[j])
    # a short contribution's main initiative is what the whole contribution is about: all its passages speak of it
    status = _status(chunks, list(range(len(chunks))) if short and ordinal == 0 else rows, name, evidence, short)
    evidence["status"] = status[1]
    year, year_evidence = _year(chunks, [best[0], *rows], [evidence[k] for k in ("status", "name") if k in evidence])
    if year_evidence is not None:
        evidence["year"] = year_evidence
    ident = hashlib.sha1(f"{doc.id}\x00{name.lower() or labels[kind].id}\x00{ordinal if not name else ''}".encode()
                         ).hexdigest()[:12]
    profile = {f"{labels[j].facet}:{labels[j].id}": round(float(total[j]), 3) for j in range(len(labels)) if total[j] >= 0.05}
    return Initiative(id=f"{doc.id}~{ident}", document_id=doc.id, source=doc.source, country=doc.country,
                      actor_type=doc.actor_type, name=name, initiative_type=labels[kind].id, audience=audience,
                      risk=risk, status=status[0], year=year, score=round(float(best[2]), 4),
                      chunk_ids=[chunks[r].id for r in rows], evidence=evidence, profile=profile)


def kind_stated_in(text: str) -> str:
    """The one kind `text` (a name or a title) says outright, or "" (none, or words of two kinds)."""
    stated = [kind for kind, pattern in _STATED_KINDS.items() if pattern.search(text)]
    return stated[0] if len(stated) == 1 else ""


def _year(chunks: list[ChunkRecord], rows: list[int], said: list[Evidence]) -> tuple[int | None, Evidence | None]:
    """The initiative's year: one that the sentences saying its status or naming it give ("was held on 14-15 May
    2026", "Republic Act 11930 of July 2022"), else one its passages give with a cue ("launched in 2019"),
    strongest passage first. A year elsewhere is some other event's."""
    by_id = {c.id: c for c in chunks}
    for evidence in said:
        chunk = by_id[evidence.chunk_id]
        around = _sentence_around(chunk, evidence.char_start - chunk.char_start, evidence.char_end - chunk.char_start)
        offset = around.char_start - chunk.char_start
        match = _YEAR_CUE.search(around.text) or _YEAR.search(around.text)
        if match:
            group = match.lastindex or 0
            return int(match.group(group)), _slice(chunk, offset + match.start(group), offset + match.end(group))
    for row in rows:
        match = _YEAR_CUE.search(chunks[row].text)
        if match:
            return int(match.group(1)), _slice(chunks[row], match.start(1), match.end(1))
    return None, None


def _status(chunks: list[ChunkRecord], rows: list[int], name: str, evidence: dict[str, Evidence], short: bool
            ) -> tuple[str, Evidence]:
    """The status the initiative's passages give it, read around where they name it (its name, else the sentence
    of its kind; a short contribution's title too), with the sentence that says it."""
    texts = [chunks[r].text for r in rows]
    anchors = [(p, m.start(), m.end()) for p, text in enumerate(texts) if name
               for m in re.finditer(re.escape(name), text, re.IGNORECASE)]
    if not anchors:
        kind = evidence["initiative_type"]
        anchors = [(p, kind.char_start - chunks[r].char_start, kind.char_end - chunks[r].char_start)
                   for p, r in enumerate(rows) if chunks[r].id == kind.chunk_id]
    if short and rows[0] == 0:
        anchors.append((0, 0, max(1, texts[0].find("\n"))))
    reading = read_status(texts, anchors)
    return reading.status, _slice(chunks[rows[reading.passage]], reading.start, reading.end)


def _label_evidence(chunk: ChunkRecord, label: Label) -> Evidence:
    """The sentence of the passage where the label's phrase occurs (else the passage's first sentence)."""
    match = label_regex(label).search(chunk.text)
    if match:
        return _sentence_around(chunk, match.start(), match.end())
    stripped = len(chunk.text) - len(chunk.text.lstrip())
    return _sentence_around(chunk, stripped, stripped)


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


def write_initiatives(store: Store, found: list[Initiative], taxonomy: Taxonomy) -> None:
    state = {"taxonomy": taxonomy.source, "extracted_at": _now(), "initiatives": [i.to_json() for i in found]}
    with store.transaction("marks") as conn:
        store.set_state(conn, INITIATIVES_STATE_KEY, json.dumps(state, ensure_ascii=False))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --- reading, filtering, correcting --------------------------------------------------------------------------------
def stored_initiatives(store: Store) -> list[Initiative]:
    """The extracted initiatives with every curator's correction applied (latest wins), or [] if never extracted."""
    state = store.state_record(INITIATIVES_STATE_KEY) or {}
    found = [Initiative.from_json(x) for x in state.get("initiatives", [])]  # type: ignore[union-attr]
    events = correction_history(store)
    if events:
        by_id = {i.id: i for i in found}
        for event in events:
            item = by_id.get(str(event["initiative_id"]))
            if item is None:
                continue
            fld = str(event["field"])
            setattr(item, fld, event["value"])
            if fld not in item.corrected:
                item.corrected.append(fld)
    return found


def correction_history(store: Store, initiative_id: str | None = None) -> list[dict[str, object]]:
    events = list((store.state_record(CORRECTIONS_STATE_KEY) or {}).get("events", []))  # type: ignore[union-attr]
    return [e for e in events if initiative_id is None or e["initiative_id"] == initiative_id]


def split_where(pairs: list[str]) -> tuple[Filters, dict[str, list[str]]]:
    """`--where` pairs: the initiative's own fields (kind, audience, risk, status, year, name) and the
    document filters (source, country, collection, …) every read route takes."""
    own: dict[str, list[str]] = {}
    rest = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().lower().replace("-", "_")
        if sep and key in FILTER_FIELDS:
            if not value.strip():
                raise QueryError(f"filter {key!r} has an empty value")
            own.setdefault(key, []).append(value.strip())
        else:
            rest.append(pair)
    return Filters.parse(rest), own


def select(store: Store, filters: Filters | None = None, own: dict[str, list[str]] | None = None,
           taxonomy: Taxonomy | None = None) -> list[Initiative]:
    """The initiatives of the documents passing `filters` (the group's contributions unless a collection is named)
    whose own fields match `own` (values of one field are alternatives; a label's id or its name)."""
    from search.retrieval.scope import in_scope

    own = own or {}
    if "status" in own:
        bad = [v for v in own["status"] if v.lower() not in STATUSES]
        if bad:
            raise QueryError(f"unknown status {bad[0]!r}: choose from {', '.join(STATUSES)}")
    with store.snapshot():
        found = stored_initiatives(store)
        passing = set(store.document_ids(in_scope(filters or Filters(), store)))
    wanted = {k: {_norm(v, k, taxonomy) for v in vals} for k, vals in own.items()}

    def keep(item: Initiative) -> bool:
        for key, values in wanted.items():
            have = getattr(item, key)
            have_set = {str(x).lower() for x in have} if isinstance(have, list) else {str(have or "").lower()}
            if key == "name":
                if not any(v in str(item.name).lower() for v in values):
                    return False
            elif not have_set & values:
                return False
        return True

    return [i for i in found if i.document_id in passing and keep(i)]


def _norm(value: str, key: str, taxonomy: Taxonomy | None) -> str:
    if taxonomy is not None and key in ("initiative_type", "audience", "risk"):
        for label in taxonomy.facets[key].labels:
            if value.lower() in (label.id.lower(), label.name.lower()):
                return label.id.lower()
    return value.lower()


def correct(store: Store, initiative_id: str, field_name: str, value: object, curator: str, reason: str = "",
            taxonomy: Taxonomy | None = None) -> Initiative:
    """Set one field of a record (one function for the CLI and the HTTP route); the event joins the history."""
    if field_name not in FIELDS:
        raise QueryError(f"field {field_name!r} cannot be corrected: choose from {', '.join(FIELDS)}")
    if not curator.strip():
        raise QueryError("a correction needs the curator's name")
    checked = _checked_value(field_name, value, taxonomy)
    with store.snapshot():
        current = {i.id: i for i in stored_initiatives(store)}
    if initiative_id not in current:
        raise NotFound(f"no initiative {initiative_id!r} (list them with `cwg initiatives`)")
    with store.transaction("marks") as conn:
        events = correction_history(store)
        events.append({"initiative_id": initiative_id, "field": field_name, "value": checked, "curator": curator,
                       "reason": reason, "at": _now()})
        store.set_state(conn, CORRECTIONS_STATE_KEY, json.dumps({"events": events}, ensure_ascii=False))
    with store.snapshot():
        return {i.id: i for i in stored_initiatives(store)}[initiative_id]


def _checked_value(field_name: str, value: object, taxonomy: Taxonomy | None) -> object:
    if field_name == "year":
        if value in (None, ""):
            return None
        try:
            year = int(str(value))
        except ValueError:
            raise QueryError(f"year {value!r} is not a year") from None
        if not 1900 <= year <= 2100:
            raise QueryError(f"year {year} is out of range")
        return year
    if field_name == "status":
        text = str(value or "").strip().lower()
        if text and text not in STATUSES:
            raise QueryError(f"unknown status {value!r}: choose from {', '.join(STATUSES)}")
        return text
    if field_name == "name":
        return " ".join(str(value or "").split())[:200]
    values = value if isinstance(value, list) else [v for v in re.split(r"[;,]", str(value or "")) if v.strip()]
    ids = []
    for v in values:
        text = str(v).strip()
        if taxonomy is not None:
            facet = taxonomy.facets[field_name]
            match = next((lb.id for lb in facet.labels if text.lower() in (lb.id.lower(), lb.name.lower())), None)
            if match is None:
                raise QueryError(f"{field_name} {text!r} is not a label: choose from "
                                 f"{', '.join(lb.id for lb in facet.labels)}")
            text = match
        ids.append(text)
    if field_name == "initiative_type":
        if len(ids) != 1:
            raise QueryError("initiative_type takes exactly one label")
        return ids[0]
    return ids


# --- output -------------------------------------------------------------------------------------------------------
def render(items: list[Initiative], fmt: str) -> str:
    from search.characterization.csv_export import csv_text

    if fmt == "json":
        return json.dumps({"initiatives": [i.to_json() for i in items]}, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        head = ["id", "document_id", "source", "country", "actor_type", "name", "initiative_type", "audience", "risk",
                "status", "year", "evidence", "page"]
        return csv_text(head, ([i.id, i.document_id, i.source, i.country, i.actor_type, i.name, i.initiative_type,
                                ";".join(i.audience), ";".join(i.risk), i.status, i.year or "",
                                i.evidence["initiative_type"].text if "initiative_type" in i.evidence else "",
                                i.evidence["initiative_type"].page if "initiative_type" in i.evidence else ""]
                               for i in items))
    if fmt == "md":
        lines = ["| source | country | initiative | kind | audience | risk | status | year |",
                 "|---|---|---|---|---|---|---|---|"]
        for i in items:
            cells = [i.source or i.document_id, i.country, i.name or "(unnamed)", i.initiative_type,
                     ", ".join(i.audience), ", ".join(i.risk), i.status, str(i.year or "")]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines) + "\n"
    raise QueryError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
