"""What was tried to rank SciFact well, measured on its *train* queries only (809), never on test.

    .venv/bin/python bench/tune_ranking.py [--variants default doc c90-150 c100-200]

Each chunking variant is a real index built by `search.retrieval.evaluate.build_index` (cached under
bench/out/cache/scifact-<variant>): `default` is the shipped chunking (150-250 words, the title with
every passage), `doc` one passage per document (the document-level set-up of the published numbers),
`c90-150` / `c100-200` shorter passages. For every train query the script takes the real candidate
lists once (FTS5 BM25 from `search.retrieval.lexical`, FAISS from `IndexFolder.vector_index`, 1,000 deep) and
ranks documents many ways from them: each way is a small function below. The row `default` must equal
`cwg eval --split train` through the engine, which the script checks. Prints a table, writes
bench/out/tune_ranking.json. The decisions it supports are listed in docs/measurements.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

from index.folder import IndexFolder  # noqa: E402
from search.retrieval.engine import RankingSettings  # noqa: E402
from search.retrieval.evaluate import (  # noqa: E402
    BeirCollection,
    DocumentRanker,
    build_index,
    load_beir,
    run_queries,
    score_runs,
)
from search.retrieval.fusion import convex_columns, rrf_columns  # noqa: E402
from search.retrieval.lexical import _WORD, FIELD_WEIGHTS, STOPWORDS, lexical_search  # noqa: E402

SCIFACT = ROOT.parent / "shared" / "data" / "ir_benchmarks" / "scifact"
CACHE = ROOT / "bench" / "out" / "cache"
CHUNKING = {"default": None, "doc": (3000, 3000), "c90-150": (90, 150), "c100-200": (100, 200)}
Ranked = tuple[np.ndarray, np.ndarray]


@dataclass
class Signals:
    """The candidate lists of every train query on one index, and what maps passages to documents."""

    qids: list[str]
    qvecs: np.ndarray
    lexical: list[Ranked]
    dense: list[Ranked]
    doc_of: dict[int, str]
    matrix: np.ndarray  # the FAISS vectors (a view), by position
    position: dict[int, int]  # chunk id -> position in `matrix`
    folder: IndexFolder
    queries: dict[str, str]


def open_variant(name: str, collection: BeirCollection, log: Callable[[str], None]) -> IndexFolder:
    path = CACHE / f"scifact-{name}"
    chunking = CHUNKING[name]
    if chunking is not None and not (path / "index.json").exists():
        folder = IndexFolder.open(path, create=True)
        folder.manifest.chunking = {"min_words": chunking[0], "max_words": chunking[1]}
        folder.manifest.write(path)
        folder.close()
    start = time.perf_counter()
    folder, report = build_index(collection, path)
    if report.added:
        log(f"built {path.name}: {len(report.added)} documents in {time.perf_counter() - start:.0f} s")
    return folder


def collect(folder: IndexFolder, collection: BeirCollection, depth: int = 1000) -> Signals:
    qids = list(collection.queries)
    embedder = folder.embedder("minilm")  # one query at a time, as the engine encodes them
    qvecs = np.stack([embedder.encode([collection.queries[q]])[0] for q in qids])
    index = folder.vector_index("minilm")
    rows = folder.store.conn.execute("SELECT c.id, d.path FROM chunks c JOIN documents d ON d.id = c.document_id")
    doc_of = {int(r[0]): str(r[1]).removeprefix("beir:") for r in rows}
    lexical = [lexical_search(folder.store, collection.queries[q], depth) for q in qids]
    dense = [index.search(v, depth) for v in qvecs]
    position = {int(c): i for i, c in enumerate(index.ids.tolist())}
    return Signals(qids, qvecs, lexical, dense, doc_of, index.matrix, position, folder, collection.queries)


def to_documents(ids: np.ndarray, scores: np.ndarray, doc_of: dict[int, str], depth: int = 100) -> list[str]:
    order = np.argsort(-scores, kind="stable")
    out: dict[str, None] = {}
    for i in order.tolist():
        out.setdefault(doc_of[int(ids[i])], None)
        if len(out) == depth:
            break
    return list(out)


def fuse(lists: list[Ranked], weights: list[float], how: str = "convex") -> Ranked:
    ids, table = (convex_columns if how == "convex" else rrf_columns)(lists)
    w = np.asarray(weights, dtype=np.float32)
    return ids, (table * w).sum(axis=1) / max(float(w.sum()), 1e-9)


# --- ways to rank (each: signals, query number -> ranked document ids) -----------------------------
def lexical_only(s: Signals, i: int) -> list[str]:
    return to_documents(*s.lexical[i], s.doc_of)


def dense_only(s: Signals, i: int) -> list[str]:
    return to_documents(*s.dense[i], s.doc_of)


def convex(weight: float = 0.5, depth: int = 1000) -> Callable[[Signals, int], list[str]]:
    def rank(s: Signals, i: int) -> list[str]:
        lists = [(a[:depth], b[:depth]) for a, b in (s.lexical[i], s.dense[i])]
        return to_documents(*fuse(lists, [1 - weight, weight]), s.doc_of)
    return rank


def rrf(k: int = 60) -> Callable[[Signals, int], list[str]]:
    def rank(s: Signals, i: int) -> list[str]:
        ids, table = rrf_columns([s.lexical[i], s.dense[i]], k)
        return to_documents(ids, table.sum(axis=1), s.doc_of)
    return rank


def title_weight(weight: float) -> Callable[[Signals, int], list[str]]:
    def rank(s: Signals, i: int) -> list[str]:
        lexical = lexical_search(s.folder.store, s.queries[s.qids[i]], 1000, weights=(weight, *FIELD_WEIGHTS[1:]))
        return to_documents(*fuse([lexical, s.dense[i]], [0.5, 0.5]), s.doc_of)
    return rank


def dense_feedback(top: int, beta: float) -> Callable[[Signals, int], list[str]]:
    """Rocchio on the dense side: the query vector moved toward the first pass's best passages."""
    def rank(s: Signals, i: int) -> list[str]:
        ids, fused = fuse([s.lexical[i], s.dense[i]], [0.5, 0.5])
        best = ids[np.argsort(-fused, kind="stable")[:top]]
        moved = s.qvecs[i] + beta * s.matrix[[s.position[int(c)] for c in best]].mean(axis=0)
        moved /= np.linalg.norm(moved)
        scores = s.matrix @ moved
        deep = np.argpartition(-scores, 1000)[:1000]
        index_ids = np.fromiter(s.position.keys(), dtype=np.int64)
        return to_documents(*fuse([s.lexical[i], (index_ids[deep], scores[deep])], [0.5, 0.5]), s.doc_of)
    return rank


def phrase_signal(weight: float) -> Callable[[Signals, int], list[str]]:
    """A third list: BM25 of adjacent query-word pairs as phrases (sequential dependence)."""
    def rank(s: Signals, i: int) -> list[str]:
        words = [w for w in _WORD.findall(s.queries[s.qids[i]].lower()) if w not in STOPWORDS]
        pairs = list(dict.fromkeys(f'"{a} {b}"' for a, b in zip(words, words[1:])))
        lists, weights = [s.lexical[i], s.dense[i]], [0.5, 0.5]
        if pairs:
            rows = s.folder.store.conn.execute(
                "SELECT rowid, bm25(chunks_fts, 1.5, 1.0, 1.0) AS b FROM chunks_fts WHERE chunks_fts MATCH ? "
                "ORDER BY b LIMIT 1000", (" OR ".join(pairs),)).fetchall()
            if len(rows) > 1:
                lists.append((np.array([r[0] for r in rows]), -np.array([r[1] for r in rows], dtype=np.float32)))
                weights = [0.5 - weight / 2, 0.5 - weight / 2, weight]
        return to_documents(*fuse(lists, weights), s.doc_of)
    return rank


def document_level_fusion(s: Signals, i: int) -> list[str]:
    """Each signal first reduced to documents (best passage), then z-scored and fused."""
    per_list = []
    for ids, scores in (s.lexical[i], s.dense[i]):
        best: dict[str, float] = {}
        for c, v in zip(ids.tolist(), scores.tolist()):
            d = s.doc_of[int(c)]
            best[d] = max(best.get(d, -1e30), v)
        per_list.append(best)
    names = sorted(set(per_list[0]) | set(per_list[1]))
    code = {n: k for k, n in enumerate(names)}
    lists = [(np.array([code[d] for d in b]), np.array(list(b.values()), dtype=np.float32)) for b in per_list]
    ids, fused = fuse(lists, [0.5, 0.5])
    return [names[int(ids[j])] for j in np.argsort(-fused, kind="stable")[:100]]


WAYS: dict[str, Callable[[Signals, int], list[str]]] = {
    "default: convex z-score, dense weight 0.5, 1000 deep": convex(0.5),
    "lexical (FTS5 BM25, porter, title x1.5)": lexical_only,
    "dense (MiniLM)": dense_only,
    **{f"convex, dense weight {w}": convex(w) for w in (0.3, 0.4, 0.45, 0.55, 0.6, 0.7)},
    **{f"convex, {d} deep": convex(0.5, d) for d in (100, 300)},
    "RRF k=60": rrf(60),
    **{f"title weight {w}": title_weight(w) for w in (1.0, 2.0, 3.0)},
    **{f"dense feedback: top {m}, beta {b}": dense_feedback(m, b) for m, b in ((3, 0.3), (3, 1.0), (10, 0.3))},
    **{f"phrase pairs as a third list, weight {w}": phrase_signal(w) for w in (0.1, 0.2)},
    "document-level fusion (best passage per signal)": document_level_fusion,
}
PER_VARIANT = ("default: convex z-score, dense weight 0.5, 1000 deep", "lexical (FTS5 BM25, porter, title x1.5)",
               "dense (MiniLM)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(CHUNKING), choices=list(CHUNKING),
                        help="chunking variants (default first: the others are compared with it)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "tune_ranking.json")
    args = parser.parse_args()
    collection = load_beir(SCIFACT, "train")
    results: dict[str, dict[str, object]] = {}
    baseline: np.ndarray | None = None
    print(f"SciFact train: {len(collection.queries)} queries, {len(collection.corpus)} documents")
    print(f"{'index':<9} {'ranking':<52} {'nDCG@10':>8} {'R@100':>7} {'MRR@10':>7} {'+/- queries':>12}")
    for variant in args.variants:
        folder = open_variant(variant, collection, print)
        try:
            signals = collect(folder, collection)
            ways = WAYS if variant == "default" else {k: WAYS[k] for k in PER_VARIANT}
            for name, way in ways.items():
                runs = {q: [(d, 0.0) for d in way(signals, i)] for i, q in enumerate(signals.qids)}
                scored = score_runs(runs, collection)
                per_query = np.array([scored.per_query[q]["ndcg@10"] for q in signals.qids])
                if baseline is None:  # the first row: the shipped ranking on the shipped index
                    baseline = per_query
                better = int((per_query > baseline + 1e-9).sum())
                worse = int((per_query < baseline - 1e-9).sum())
                results[f"{variant} | {name}"] = {"index": variant, "ranking": name, "ndcg@10": round(scored.ndcg_at_10, 4),
                                                  "recall@100": round(scored.recall_at_100, 4),
                                                  "mrr@10": round(scored.mrr_at_10, 4), "better": better, "worse": worse}
                print(f"{variant:<9} {name[:52]:<52} {scored.ndcg_at_10:>8.4f} {scored.recall_at_100:>7.4f} "
                      f"{scored.mrr_at_10:>7.4f} {f'+{better}/-{worse}':>12}", flush=True)
            if variant == "default":  # the script's default row is the engine's ranking
                engine_runs, _ = run_queries(DocumentRanker(folder, RankingSettings()), collection)
                engine = score_runs(engine_runs, collection).ndcg_at_10
                script = results[f"default | {PER_VARIANT[0]}"]["ndcg@10"]
                print(f"engine (cwg eval --split train): nDCG@10 {engine:.4f}")
                if abs(engine - float(script)) > 5e-4:  # type: ignore[arg-type]
                    raise SystemExit(f"the script's default ({script}) differs from the engine ({engine:.4f})")
        finally:
            folder.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"split": "train", "queries": len(collection.queries), "rows": results}, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
