"""Ranking ideas for the default index (MiniLM + USE + BM25), measured on SciFact *train* only (809 claims).

    .venv/bin/python bench/tune_fusion.py [--index bench/out/scifact-index]

Needs the evaluation index kept by `cwg eval ../shared/data/ir_benchmarks/scifact --keep-index
bench/out/scifact-index`. For every train claim the engine's own lists are read once, as deep as the index
(BM25 over the lexical arrays: every matching passage; FAISS: every passage of each space), with the engine's
per-candidate weights (`SearchEngine._weights`: the language weighting of `RankingSettings`). Each way to rank
below is a small function of those lists: the fusion's normalisation (z-score, min-max, z-score with the
statistics of the top 100, reciprocal ranks), the depth of each list before fusion, how a document is scored
from its passages (best passage, or plus a share of its second best), and the lexical query (stop words kept,
a longer stop-word list, the title column's weight). The first row must equal the engine (`cwg eval --split
train`), which the script checks. Each row shows the paired difference to the first (mean ± standard error over
the claims) and how many claims gain or lose. Prints the table and writes bench/out/tune_fusion.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
from tune_ranking import to_documents  # type: ignore[import-not-found]  # noqa: E402

from index.folder import IndexFolder  # noqa: E402
from search.retrieval.engine import SearchEngine  # noqa: E402
from search.retrieval.evaluate import DocumentRanker, load_beir, run_queries, score_runs  # noqa: E402
from search.retrieval.fusion import _union, convex_columns, rrf_columns  # noqa: E402
from search.retrieval.lexical import _WORD, FIELD_WEIGHTS, STOPWORDS, lexical_search, query_terms  # noqa: E402

SCIFACT = ROOT.parent / "shared" / "data" / "ir_benchmarks" / "scifact"
Ranked = tuple[np.ndarray, np.ndarray]
# common English function words that the shipped list lacks (a longer list, not picked from SciFact's claims)
MORE_STOPWORDS = frozenset(
    "after again against among because been before being below between both during each few further had having "
    "he her here hers him his however itself may might more most much must my nor off once only other own same "
    "she shall since some such through too under until up upon very via while within without".split())


@dataclass
class Claim:
    text: str
    terms: list[str]
    names: list[str]
    lists: list[Ranked]  # every candidate, best first, one list per signal
    union: np.ndarray  # sorted ids of every candidate
    weights: np.ndarray  # the engine's weights, a row per id of `union`


def collect(engine: SearchEngine, queries: dict[str, str]) -> list[Claim]:
    folder, store = engine.folder, engine.store
    everything = store.chunk_count()
    claims = []
    for text in queries.values():
        plan = engine.prepare(text)
        names = ["lexical", *plan.vectors]
        lists = [lexical_search(store, plan.text, everything, terms=plan.terms, arrays=folder.lexical)]
        lists += [folder.dense_search(space, plan.vector(space), everything).result() for space in plan.vectors]
        union, _ = _union(lists)
        claims.append(Claim(plan.text, plan.terms, names, lists, union, engine._weights(names, union, plan.language)))
    return claims


# --- normalisations: ranked lists -> (ids, one column per list) -----------------------------------------
def minmax_columns(lists: Sequence[Ranked]) -> tuple[np.ndarray, np.ndarray]:
    """(score - min) / (max - min) per list; 0 where a list did not return the id."""
    ids, rows = _union(lists)
    table = np.zeros((len(ids), len(lists)), dtype=np.float32)
    for col, ((_, scores), where) in enumerate(zip(lists, rows)):
        s = np.asarray(scores, dtype=np.float32)
        if len(s):
            table[where, col] = (s - s.min()) / max(float(s.max() - s.min()), 1e-9)
    return ids, table


def top_z_columns(top: int) -> Callable[[Sequence[Ranked]], tuple[np.ndarray, np.ndarray]]:
    """z-scores with the mean and spread of each list's first `top` scores (the head that the fusion decides)."""
    def columns(lists: Sequence[Ranked]) -> tuple[np.ndarray, np.ndarray]:
        ids, rows = _union(lists)
        table = np.zeros((len(ids), len(lists)), dtype=np.float32)
        for col, ((_, scores), where) in enumerate(zip(lists, rows)):
            s = np.asarray(scores, dtype=np.float32)
            head = s[:top]
            z = (s - head.mean()) / max(float(head.std()), 1e-9) if len(s) else s
            table[:, col] = float(z.min()) if len(z) else 0.0
            table[where, col] = z
        return ids, table
    return columns


NORMS = {"z-score": convex_columns, "min-max": minmax_columns, "z-score of the top 100": top_z_columns(100),
         "reciprocal ranks (k=60)": rrf_columns}


# --- from passages to documents -----------------------------------------------------------------------------
def documents(ids: np.ndarray, scores: np.ndarray, doc_of: dict[int, str], second: float = 0.0,
              depth: int = 100) -> list[str]:
    """Documents by their best passage, plus `second` times their second best (scores shifted to be >= 0)."""
    if second == 0.0:
        return to_documents(ids, scores, doc_of, depth)
    order = np.argsort(-scores, kind="stable")
    floor = float(scores.min())
    best: dict[str, list[float]] = {}
    for i in order.tolist():
        got = best.setdefault(doc_of[int(ids[i])], [])
        if len(got) < 2:
            got.append(float(scores[i]) - floor)
    total = {d: s[0] + second * (s[1] if len(s) > 1 else 0.0) for d, s in best.items()}
    return sorted(total, key=lambda d: -total[d])[:depth]


def fuse(claim: Claim, lists: list[Ranked], norm: str = "z-score", depth: int = 1000) -> Ranked:
    cut = [(ids[:depth], scores[:depth]) for ids, scores in lists]
    cut_names = [n for n, (ids, _) in zip(claim.names, cut) if len(ids)]
    cut = [c for c in cut if len(c[0])]
    ids, table = NORMS[norm](cut)
    columns = [claim.names.index(n) for n in cut_names]
    weights = claim.weights[np.searchsorted(claim.union, ids)][:, columns]
    return ids, (table * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


Way = Callable[[Claim, dict[int, str], IndexFolder], list[str]]


def way(norm: str = "z-score", depth: int = 1000, second: float = 0.0,
        lexical: Callable[[Claim, IndexFolder], Ranked] | None = None) -> Way:
    def rank(claim: Claim, doc_of: dict[int, str], folder: IndexFolder) -> list[str]:
        lists = list(claim.lists)
        if lexical is not None:
            lists[0] = lexical(claim, folder)
        return documents(*fuse(claim, lists, norm, depth), doc_of, second)
    return rank


def lexical_terms(pick: Callable[[str], list[str]], weights: tuple[float, float, float] = FIELD_WEIGHTS
                  ) -> Callable[[Claim, IndexFolder], Ranked]:
    def run(claim: Claim, folder: IndexFolder) -> Ranked:
        terms = pick(claim.text)
        if not terms:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return lexical_search(folder.store, claim.text, folder.store.chunk_count(), weights=weights, terms=terms,
                              arrays=folder.lexical)
    return run


def all_words(text: str) -> list[str]:
    return list(dict.fromkeys(_WORD.findall(text.lower())))


def more_stopwords(text: str) -> list[str]:
    terms = query_terms(text, normalized=True)
    kept = [t for t in terms if t not in MORE_STOPWORDS]
    return kept or terms


WAYS: dict[str, Way] = {
    "shipped: z-score, 1,000 deep, best passage": way(),
    **{f"normalisation: {n}": way(norm=n) for n in NORMS if n != "z-score"},
    **{f"depth {d} per list": way(depth=d) for d in (300, 500, 2000)},
    "depth: every candidate (the whole index)": way(depth=10**9),
    **{f"document: best passage + {a} x second": way(second=a) for a in (0.1, 0.2, 0.3)},
    "lexical: stop words kept": way(lexical=lexical_terms(all_words)),
    "lexical: longer English stop-word list": way(lexical=lexical_terms(more_stopwords)),
    **{f"lexical: title weight {w}": way(lexical=lexical_terms(lambda t: query_terms(t, normalized=True),
                                                               (w, *FIELD_WEIGHTS[1:]))) for w in (1.0, 2.5)},
}
assert not (STOPWORDS & MORE_STOPWORDS), "the longer list adds words only"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=ROOT / "bench" / "out" / "scifact-index")
    parser.add_argument("--split", default="train")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "tune_fusion.json")
    args = parser.parse_args()
    collection = load_beir(SCIFACT, args.split)
    folder = IndexFolder.open(args.index)
    try:
        engine = SearchEngine(folder)
        start = time.perf_counter()
        claims = collect(engine, collection.queries)
        print(f"SciFact {args.split}: {len(claims)} claims, lists read in {time.perf_counter() - start:.0f} s", flush=True)
        with folder.store.snapshot():
            doc_of = {c: p.removeprefix("beir:") for c, p in folder.store.chunk_document_paths().items()}
        qids = list(collection.queries)
        rows: dict[str, dict[str, object]] = {}
        baseline: np.ndarray | None = None
        print(f"{'ranking':<48} {'nDCG@10':>8} {'R@100':>7} {'paired diff':>16} {'+/- claims':>11}")
        for name, rank in WAYS.items():
            runs = {q: [(d, 0.0) for d in rank(c, doc_of, folder)] for q, c in zip(qids, claims)}
            scored = score_runs(runs, collection)
            per_query = np.array([scored.per_query[q]["ndcg@10"] for q in qids])
            baseline = per_query if baseline is None else baseline
            diff = per_query - baseline
            se = float(diff.std(ddof=1) / np.sqrt(len(diff)))
            rows[name] = {"ndcg@10": round(scored.ndcg_at_10, 4), "recall@100": round(scored.recall_at_100, 4),
                          "paired_diff": round(float(diff.mean()), 4), "paired_se": round(se, 4),
                          "better": int((diff > 1e-9).sum()), "worse": int((diff < -1e-9).sum())}
            print(f"{name[:48]:<48} {scored.ndcg_at_10:>8.4f} {scored.recall_at_100:>7.4f} "
                  f"{diff.mean():>+8.4f} ± {se:.4f} {'+%d/-%d' % (rows[name]['better'], rows[name]['worse']):>11}",
                  flush=True)
        engine_runs, _ = run_queries(DocumentRanker(folder), collection)
        engine_ndcg = score_runs(engine_runs, collection).ndcg_at_10
        shipped = float(rows[next(iter(WAYS))]["ndcg@10"])  # type: ignore[arg-type]
        print(f"engine (cwg eval --split {args.split}): nDCG@10 {engine_ndcg:.4f}")
        if abs(engine_ndcg - shipped) > 5e-4:
            raise SystemExit(f"the script's first row ({shipped}) differs from the engine ({engine_ndcg:.4f})")
    finally:
        folder.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"split": args.split, "queries": len(qids), "engine_ndcg@10": round(engine_ndcg, 4),
                                    "rows": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
