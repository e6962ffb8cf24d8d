"""Hybrid retrieval: dense (FAISS) + lexical (FTS5 BM25), filtered before ranking, fused, diversified."""

from __future__ import annotations

import re
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from functools import cached_property

import numpy as np

from index.filters import Filters
from index.folder import IndexFolder
from index.records import ChunkRecord, DocumentRecord
from ingest.errors import QueryError
from ingest.language import query_language
from ingest.records import DocumentFacts, facts_of
from ingest.textclean import normalize_text
from search.retrieval.fusion import get_fusion
from search.retrieval.lexical import ROW_BUDGET, TermStats, lexical_search, query_terms

MAX_QUERY_CHARS = 10_000  # the longest query accepted at all
# ... and the part of it that is read (encoded, and searched for words): a question's meaning is in its
# opening. MiniLM reads 256 tokens (~1,400 characters of English) and no more; USE reads every character,
# its cost growing with each (one thread, the sample index: a search of 10,000 characters cost 0.41 s, of
# 1,000 characters 0.16 s, of a question 0.04 s; MiniLM's 256 tokens were 1,400-1,500 characters of English).
QUERY_CHARS = 1_000
MAX_K = 1000
MODES = ("hybrid", "dense", "lexical")


@dataclass
class RankingSettings:
    """Ranking parameters; defaults chosen on SciFact *train* (see docs/measurements.md, bench/tune_ranking.py)."""

    fusion: str = "convex"
    dense_weight: float = 0.5  # share of the dense signal against the lexical one
    candidates: int = 1000  # depth of each list before fusion
    cross_language_use_weight: float = 1.0  # weight of the multilingual space for another language
    same_language_use_weight: float = 0.05  # … for an English query on an English passage (MiniLM reads English well; chosen on SciFact train, docs/measurements.md)
    other_language_use_weight: float = 0.1  # … for a query on a passage in its own language, not English
    lexical_arrays: bool = True  # BM25 over arrays in memory (index/lexical_arrays.py), else the store's, budgeted


@dataclass(kw_only=True)
class Hit(DocumentFacts):
    """A passage that answers, with its document's facts (`DocumentFacts`, defined there once) and its place."""

    document_id: str
    chunk_id: int
    page: int | None
    page_end: int | None
    section: str
    text: str
    score: float
    char_start: int = 0
    char_end: int = 0
    ocr_confidence: float | None = None  # the passage was read by OCR from a scanned page, with this confidence
    quality: float | None = None  # the document's quality score
    curation: str = "none"  # the document's curation status
    relevance: float | None = None  # the estimated probability that the passage answers (`answer`), else None
    versions: list[dict[str, str]] = field(default_factory=list)  # the document's other language versions
    signals: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """The hit as `cwg search --json` and the HTTP API show it: its fields but the ranking's `signals`."""
        data = asdict(self)
        data.pop("signals")
        return {"document_id": data.pop("document_id"), "chunk_id": data.pop("chunk_id"), **data}

    @classmethod
    def make(cls, doc: DocumentRecord, chunk: ChunkRecord, score: float) -> Hit:
        return cls(**facts_of(doc), document_id=doc.id, chunk_id=chunk.id, page=chunk.page_start,
                   page_end=chunk.page_end, section=chunk.section, text=chunk.text, score=round(float(score), 6),
                   char_start=chunk.char_start, char_end=chunk.char_end, ocr_confidence=chunk.ocr_confidence,
                   quality=doc.quality, curation=doc.curation)


class BoundError(QueryError):
    """A search parameter outside its bounds. `parameter` is its name as Python and HTTP callers spell it (a
    front door may name it its own way: the CLI's `--per-source`), `rule` what it must be."""

    def __init__(self, parameter: str, rule: str) -> None:
        super().__init__(f"{parameter} {rule}")
        self.parameter, self.rule = parameter, rule


def check_bounds(k: int, per_source: int | None = None, min_relevance: float | None = None) -> None:
    """The bounds of one search (`BoundError` when outside): the one place they are checked, for the CLI, HTTP and
    Python callers alike (`answer.Question` on being made, `SearchEngine.search`)."""
    if not 1 <= k <= MAX_K:
        raise BoundError("k", f"must be between 1 and {MAX_K}")
    if per_source is not None and per_source < 1:
        raise BoundError("per_source", "must be at least 1")
    if min_relevance is not None and not 0.0 <= min_relevance <= 1.0:
        raise BoundError("min_relevance", "must be between 0 and 1")


def read_query(query: str, limit: int = MAX_QUERY_CHARS) -> tuple[str, bool]:
    """(the query as the engine reads it: normalised as document text is (NFKC, no control characters), and its
    first `limit` characters only (`cut_query`); whether that is less than the whole of it)."""
    text = normalize_text(query).strip() if isinstance(query, str) else ""
    if not text:
        raise QueryError("empty query: type a few words to search for")
    return cut_query(text, limit), len(text) > limit


def validate_query(query: str, limit: int = MAX_QUERY_CHARS) -> str:
    """The query as the engine reads it (`read_query`)."""
    return read_query(query, limit)[0]


def cut_query(query: str, limit: int) -> str:
    """The first `limit` characters of `query`, ending before a word that the limit would split (when that
    word starts near the end: a run without spaces is cut where the limit falls)."""
    if len(query) <= limit:
        return query
    head = query[:limit]
    if not query[limit].isspace():
        split = re.search(r"\s\S*$", head)
        if split and split.start() >= limit - 40:
            head = head[:split.start()]
    return head.rstrip()


def query_is_cut(query: str, limit: int) -> bool:
    """Whether the engine reads less than the whole of `query` (see `validate_query`)."""
    return len(normalize_text(query).strip()) > limit


@dataclass(frozen=True)
class PreparedQuery:
    """A query read once (`SearchEngine.prepare`): what each list and the relevance estimate need of it (its
    text, terms, vectors and language are taken here and nowhere else)."""

    text: str
    mode: str
    terms: list[str]
    vectors: dict[str, Future[np.ndarray]]
    cut: bool = False  # the query was longer than the part read (`query_cut` in the HTTP answer)

    def vector(self, space: str) -> np.ndarray:
        return self.vectors[space].result()

    @cached_property
    def language(self) -> tuple[dict[str, float], float]:
        """(language shares, how far to trust them): `query_language` of the text, guessed once, when first asked."""
        return query_language(self.text)


class SearchEngine:
    def __init__(self, folder: IndexFolder, settings: RankingSettings | None = None, *,
                 query_chars: int = QUERY_CHARS) -> None:
        self.folder = folder
        self.store = folder.store
        self.settings = settings or RankingSettings()
        self.query_chars = query_chars  # the part of a query that is read (CWG_QUERY_CHARS)

    # --- candidate lists --------------------------------------------------------------------------
    def prepare(self, query: str, mode: str = "hybrid", *, vectors: bool | None = None) -> PreparedQuery:
        """The query as every list reads it, once: its text (normalised, cut), its terms, and its vectors
        on their way (the encoders batch it with other requests' queries, on their own threads). `vectors`:
        encode it whatever the mode (the relevance estimate reads them), default only where the mode ranks
        by them."""
        text, cut = read_query(query, self.query_chars)  # cut before encoding and before its words are taken
        if mode not in MODES:
            raise QueryError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
        encode = mode in ("hybrid", "dense") if vectors is None else vectors
        futures = {space: self.folder.query_encoder(space).submit(text) for space in self.folder.spaces} if encode else {}
        return PreparedQuery(text, mode, query_terms(text, normalized=True), futures, cut)

    def rank(self, query: str | PreparedQuery, *, k: int = 10, filters: Filters | None = None,
             mode: str = "hybrid", stats: TermStats | None = None) -> list[tuple[int, float]]:
        """(chunk id, score) best first, `k` deep (no diversification), among chunks passing `filters`. A
        `PreparedQuery` is ranked in its own mode, and can be ranked again under other filters at no cost of
        encoding. `stats`: its terms' counts in this state of the index, when the caller read them already."""
        plan = query if isinstance(query, PreparedQuery) else self.prepare(query, mode)
        query, mode = plan.text, plan.mode
        s = self.settings
        depth = max(k, s.candidates)
        allowed = None
        if filters is not None and not filters.is_empty():
            allowed = self.store.chunk_ids(filters)
            if len(allowed) == 0:
                return []
        lists, names = [], []
        # each vector search starts as its vector is ready (beside the lexical search, where the store can)
        vectors = plan.vectors if mode in ("hybrid", "dense") else {}
        dense = {space: self.folder.dense_search(space, vector, depth, allowed) for space, vector in vectors.items()}
        if mode in ("hybrid", "lexical") and plan.terms:
            # Asked for lexical results alone, the user gets every match scored, however many.
            budget = 0 if mode == "lexical" else ROW_BUDGET
            lists.append(lexical_search(self.store, query, depth, filters, allowed=allowed, budget=budget,
                                        terms=plan.terms, stats=stats,
                                        arrays=self.folder.lexical if s.lexical_arrays else None))
            names.append("lexical")
        for space, found in dense.items():
            lists.append(found.result())
            names.append(space)
        lists_nonempty = [(n, lst) for n, lst in zip(names, lists) if len(lst[0])]
        if not lists_nonempty:
            return []
        if len(lists_nonempty) == 1:
            ids, scores = lists_nonempty[0][1]
            return list(zip(ids.tolist(), scores.tolist()))[:k]
        names = [n for n, _ in lists_nonempty]
        ids, table = get_fusion(s.fusion)([lst for _, lst in lists_nonempty])
        weights = self._weights(names, ids, plan.language)
        fused = (table * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        order = np.argsort(-fused, kind="stable")[:k]
        return [(int(ids[i]), float(fused[i])) for i in order]

    def _weights(self, names: list[str], ids: np.ndarray, language: tuple[dict[str, float], float]) -> np.ndarray:
        """Per-candidate weights of each list. With a multilingual space, a document in another language
        than the query leans on it (lexical and English-model scores mean little across languages), in
        proportion to how sure we are that the languages differ: a short query's language is a guess, and
        an English question misread as Dutch must not lose its English documents' best signals."""
        s = self.settings
        base = np.array([{"lexical": 1.0 - s.dense_weight, "minilm": s.dense_weight,
                          "use": s.same_language_use_weight}.get(n, s.dense_weight) for n in names], dtype=np.float32)
        weights = np.tile(base, (len(ids), 1))
        if "use" in names:
            shares, trust = language
            if shares and trust > 0:
                # the English model means little for a question in another language, even on passages in it
                not_english = trust * (1.0 - shares.get("en", 0.0))
                weights[:, names.index("use")] = ((1.0 - not_english) * s.same_language_use_weight
                                                  + not_english * s.other_language_use_weight)
                cross = np.array([{"use": s.cross_language_use_weight}.get(n, 0.0) for n in names], dtype=np.float32)
                other = np.array([0.0 if lang in ("", "und") else trust * (1.0 - shares.get(lang, 0.0))
                                  for lang in self._languages(ids)], dtype=np.float32)[:, None]
                weights = (1.0 - other) * weights + other * cross
        return weights

    def _languages(self, ids: np.ndarray) -> list[str]:
        return self.store.chunk_languages(ids.tolist())

    # --- the public search ------------------------------------------------------------------------
    def search(self, query: str, *, k: int = 10, filters: Filters | None = None, per_source: int | None = None,
               mode: str = "hybrid") -> list[Hit]:
        """Ranked passages with citations; at most `per_source` per source when given."""
        check_bounds(k, per_source)
        with self.store.snapshot():
            depth = k if per_source is None else max(k * 20, self.settings.candidates)
            ranked = self.rank(query, k=depth, filters=filters, mode=mode)
            return self.hits(ranked, k, per_source)

    def hits(self, ranked: list[tuple[int, float]], k: int, per_source: int | None) -> list[Hit]:
        """The first `k` ranked passages as cited hits, at most `per_source` from one source when given.
        With `per_source`, the passages are chosen from the chunk → document map and the documents first, and
        only the chosen passages' rows are read: the library list of every search (one passage per source
        among 1,000 candidates of few sources) read every candidate's row, ~10 ms of interpreter time a
        search (py-spy over `cwg serve`, bench/load_test.py)."""
        if per_source is not None and ranked:
            chosen = self._per_source(ranked, k, per_source)
            chunks = self.store.chunks_by_id([cid for cid, _ in chosen])
            docs = self._documents({c.document_id for c in chunks.values()})
            if all(cid in chunks and chunks[cid].document_id in docs for cid, _ in chosen):
                return [Hit.make(docs[chunks[cid].document_id], chunks[cid], score) for cid, score in chosen]
            # a chunk removed meanwhile (not in this snapshot): choose again from the rows themselves
        return self._hits_from_rows(ranked, k, per_source)

    def _per_source(self, ranked: list[tuple[int, float]], k: int, per_source: int) -> list[tuple[int, float]]:
        """The first `k` of `ranked`, at most `per_source` from one source, without reading passage rows."""
        codes, names = self.store.chunk_documents(np.fromiter((cid for cid, _ in ranked), dtype=np.int64,
                                                              count=len(ranked)))
        docs = self._documents({names[c] for c in set(codes.tolist()) if c >= 0})
        chosen: list[tuple[int, float]] = []
        per: dict[str, int] = {}
        for (cid, score), code in zip(ranked, codes.tolist()):
            doc = docs.get(names[code]) if code >= 0 else None
            if doc is None:
                continue  # removed since the vector index was built
            key = doc.source_key
            if per.get(key, 0) >= per_source:
                continue
            per[key] = per.get(key, 0) + 1
            chosen.append((cid, score))
            if len(chosen) == k:
                break
        return chosen

    def _hits_from_rows(self, ranked: list[tuple[int, float]], k: int, per_source: int | None) -> list[Hit]:
        hits: list[Hit] = []
        per: dict[str, int] = {}
        docs: dict[str, DocumentRecord] = {}
        batch = 200
        for start in range(0, len(ranked), batch):
            part = ranked[start:start + batch]
            chunks = self.store.chunks_by_id([cid for cid, _ in part])
            need = {c.document_id for c in chunks.values()} - set(docs)
            docs.update(self._documents(need))
            for cid, score in part:
                chunk = chunks.get(cid)
                if chunk is None or chunk.document_id not in docs:
                    continue  # removed since the vector index was built
                doc = docs[chunk.document_id]
                if per_source is not None:
                    key = doc.source_key
                    if per.get(key, 0) >= per_source:
                        continue
                    per[key] = per.get(key, 0) + 1
                hits.append(Hit.make(doc, chunk, score))
                if len(hits) == k:
                    return hits
        return hits

    def _documents(self, ids: set[str]) -> dict[str, DocumentRecord]:
        return self.store.documents_by_id(sorted(ids))
