"""Retrieval evaluation on a collection in the BEIR layout, through the normal ingest/index/search code.

A BEIR folder holds `corpus.jsonl` ({"_id", "title", "text"}), `queries.jsonl` ({"_id", "text"}) and
`qrels/<split>.tsv` (query-id, corpus-id, score; graded). Each corpus entry becomes one text document
ingested by `IndexWriter` (title from the entry, stored path `beir:<id>`), so chunking, the store,
FTS5, the encoders, FAISS and `SearchEngine` are the ones users get. Passage hits map to documents by
their best passage (the max over passages), as the brief of `cwg eval` asks.

Metrics (relevance graded, linear gain as in trec_eval): nDCG@10, Recall@100 (a document counts as
relevant when its grade is > 0), MRR@10. tests/search/test_evaluate.py checks them against trec_eval.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.embedders import Embedder
from index.folder import IndexFolder
from index.writer import FileResult, IndexWriter, IngestReport, SourceFile
from ingest.errors import CwgError
from search.retrieval.engine import MODES, RankingSettings, SearchEngine

STORED_PREFIX = "beir:"
DOCUMENT_DEPTH = 100  # documents ranked per query (Recall@100 needs 100)


class DatasetError(CwgError):
    """A folder that is not a usable BEIR collection."""


@dataclass
class BeirCollection:
    corpus: dict[str, tuple[str, str]]  # id -> (title, text)
    queries: dict[str, str]  # id -> text, only those judged in the split
    qrels: dict[str, dict[str, int]]  # query id -> {document id: grade}
    split: str = "test"


@dataclass
class EvalResult:
    ndcg_at_10: float
    recall_at_100: float
    mrr_at_10: float
    queries: int
    latency_p50_ms: float
    latency_p95_ms: float
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {"ndcg@10": round(self.ndcg_at_10, 4), "recall@100": round(self.recall_at_100, 4),
                "mrr@10": round(self.mrr_at_10, 4), "queries": self.queries,
                "latency_ms": {"p50": round(self.latency_p50_ms, 2), "p95": round(self.latency_p95_ms, 2)}}


# --- loading -------------------------------------------------------------------------------------
def _jsonl(path: Path) -> Iterator[dict[str, object]]:
    if not path.is_file():
        raise DatasetError(f"{path.name} not found in {path.parent}: a BEIR folder holds corpus.jsonl, "
                           f"queries.jsonl and qrels/<split>.tsv")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise DatasetError(f"{path.name} line {number} is not JSON ({exc})") from exc
            if not isinstance(row, dict) or "_id" not in row:
                raise DatasetError(f"{path.name} line {number} has no \"_id\"")
            yield row


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """query id -> {document id: grade} from a BEIR qrels TSV (a header line is allowed)."""
    if not path.is_file():
        raise DatasetError(f"qrels file {path} not found (expected qrels/<split>.tsv)")
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.strip().split("\t")
        if not line.strip() or (number == 1 and parts[0] == "query-id"):
            continue
        if len(parts) != 3:
            raise DatasetError(f"{path.name} line {number}: expected query-id, corpus-id, score separated by tabs")
        try:
            grade = int(float(parts[2]))
        except ValueError as exc:
            raise DatasetError(f"{path.name} line {number}: score {parts[2]!r} is not a number") from exc
        qrels.setdefault(parts[0], {})[parts[1]] = grade
    return qrels


def load_beir(folder: Path, split: str = "test") -> BeirCollection:
    """The corpus, the queries judged in `split` and their judgements."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"no dataset folder at {folder}")
    qrels = read_qrels(folder / "qrels" / f"{split}.tsv")
    corpus = {str(r["_id"]): (str(r.get("title") or ""), str(r.get("text") or ""))
              for r in _jsonl(folder / "corpus.jsonl")}
    all_queries = {str(r["_id"]): str(r.get("text") or "") for r in _jsonl(folder / "queries.jsonl")}
    queries = {q: all_queries[q] for q in qrels if all_queries.get(q, "").strip()}
    if not corpus:
        raise DatasetError(f"corpus.jsonl in {folder} holds no documents")
    if not queries:
        raise DatasetError(f"no query of qrels/{split}.tsv has a text in queries.jsonl")
    return BeirCollection(corpus, queries, {q: qrels[q] for q in queries}, split)


# --- metrics (pure functions over a ranked list of document ids) ---------------------------------
def ndcg_at_k(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    """Normalised DCG with linear gain and log2 discount; the ideal ranking is built from the judgements."""
    dcg = sum(grades.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if grades.get(d, 0) > 0)
    ideal = sorted((g for g in grades.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: list[str], grades: dict[str, int], k: int = 100) -> float:
    relevant = {d for d, g in grades.items() if g > 0}
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at_k(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k]):
        if grades.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


# --- building the index and running the queries ---------------------------------------------------
def build_index(collection: BeirCollection, path: Path, *, model: str = "default", dtype: str = "bfloat16",
                embedders: dict[str, Embedder] | None = None,
                on_result: Callable[[FileResult], None] | None = None) -> tuple[IndexFolder, IngestReport]:
    """Ingest the corpus into the index at `path` (created if needed; an existing one is brought up
    to date, so a kept folder makes reruns fast). One text document per corpus entry, no file copies."""
    folder = IndexFolder.open(path, model=model, create=True, embedders=embedders, dtype=dtype)
    sources = (SourceFile(Path(f"{doc_id}.txt"), data=(text or title).encode("utf-8"),
                          entry={"title": title, "beir_id": doc_id}, file_name=f"{doc_id}.txt",
                          stored_path=STORED_PREFIX + doc_id)
               for doc_id, (title, text) in collection.corpus.items())
    try:
        report = IndexWriter(folder, keep_files=False).ingest_sources(sources, on_result)
        folder.refresh_vectors()
    except BaseException:
        folder.close()
        raise
    return folder, report


class DocumentRanker:
    """Ranks BEIR documents for a query: the engine's passages, each document scored by its best one."""

    def __init__(self, folder: IndexFolder, settings: RankingSettings | None = None) -> None:
        self.engine = SearchEngine(folder, settings)
        with folder.store.snapshot():
            paths = folder.store.chunk_document_paths()
        self.document_of = {chunk_id: path.removeprefix(STORED_PREFIX) for chunk_id, path in paths.items()}

    def rank(self, query: str, mode: str = "hybrid", depth: int = DOCUMENT_DEPTH) -> list[tuple[str, float]]:
        passages = self.engine.rank(query, k=max(self.engine.settings.candidates, depth), mode=mode)
        best: dict[str, float] = {}
        for chunk_id, score in passages:  # best first: the first passage seen is the document's best
            doc = self.document_of.get(chunk_id)
            if doc is not None and doc not in best:
                best[doc] = score
                if len(best) == depth:
                    break
        return list(best.items())


def run_queries(ranker: DocumentRanker, collection: BeirCollection, mode: str = "hybrid",
                depth: int = DOCUMENT_DEPTH) -> tuple[dict[str, list[tuple[str, float]]], list[float]]:
    """The ranked documents of every query, and each query's wall time in milliseconds."""
    if mode not in MODES:
        raise DatasetError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
    runs: dict[str, list[tuple[str, float]]] = {}
    latencies: list[float] = []
    for qid, text in collection.queries.items():
        start = time.perf_counter()
        runs[qid] = ranker.rank(text, mode, depth)
        latencies.append((time.perf_counter() - start) * 1000)
    return runs, latencies


def score_runs(runs: dict[str, list[tuple[str, float]]], collection: BeirCollection,
               latencies: list[float] | None = None) -> EvalResult:
    per_query: dict[str, dict[str, float]] = {}
    for qid, grades in collection.qrels.items():
        ranked = [d for d, _ in runs.get(qid, [])]
        per_query[qid] = {"ndcg@10": ndcg_at_k(ranked, grades, 10), "recall@100": recall_at_k(ranked, grades, 100),
                          "mrr@10": mrr_at_k(ranked, grades, 10)}
    lat = np.asarray(latencies or [0.0], dtype=np.float64)

    def mean(metric: str) -> float:
        return float(np.mean([m[metric] for m in per_query.values()])) if per_query else 0.0

    return EvalResult(mean("ndcg@10"), mean("recall@100"), mean("mrr@10"), len(per_query),
                      float(np.percentile(lat, 50)), float(np.percentile(lat, 95)), per_query)


def evaluate(collection: BeirCollection, folder: IndexFolder, mode: str = "hybrid",
             settings: RankingSettings | None = None) -> EvalResult:
    ranker = DocumentRanker(folder, settings)
    if collection.queries:  # load the models before the clock starts: latency is per query, not start-up
        ranker.rank(next(iter(collection.queries.values())), mode, 10)
    runs, latencies = run_queries(ranker, collection, mode)
    return score_runs(runs, collection, latencies)
