"""Query latency of hybrid search at 10k, 100k and 1M chunks, with and without filters; ANN vs exact.

    .venv/bin/python bench/query_latency.py [--sizes 10000 100000 1000000] [--queries 200]

Index folders come from bench/synthetic_index.py (repeated real SciFact text through `Store.write_document`,
synthetic vectors shaped like real MiniLM ones; built once and cached). Queries are real SciFact test
claims. Each timed call is the whole `SearchEngine.search(query, k=10[, filters])` — the query encoded by
the real model, BM25 (over arrays: bench/lexical_arrays.py), FAISS, fusion, and the hits with their citations read from SQLite — after one
untimed warm-up query per index (model and FAISS loading belong to the cold-start benchmark). Filters:
`country=France` (5% of chunks) and `doc_type=contribution` (25%).

Also per size: the parts of a query (encode, lexical, dense) timed alone, and exact (flat) against HNSW
search of the same vectors: latency at k=10 and k=1000, recall@10 of HNSW against exact, build time.
Writes bench/out/query_latency.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import faiss  # noqa: E402
import numpy as np  # noqa: E402
from synthetic_index import build_synthetic_index  # noqa: E402

from index.filters import Filters  # noqa: E402
from index.folder import IndexFolder  # noqa: E402
from index.vectors import HNSW_EF_SEARCH, HNSW_THRESHOLD, VectorIndex  # noqa: E402
from search.retrieval.engine import SearchEngine  # noqa: E402
from search.retrieval.lexical import lexical_search  # noqa: E402

SCIFACT_QUERIES = ROOT.parent / "shared" / "data" / "ir_benchmarks" / "scifact" / "queries.jsonl"
FILTERS = {"none": [], "country=France (5%)": ["country=France"], "doc_type=contribution (25%)": ["doc_type=contribution"]}


def queries(limit: int) -> list[str]:
    rows = [json.loads(line) for line in SCIFACT_QUERIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [str(r["text"]) for r in rows][-limit:]  # the last ones: SciFact test claims


def percentiles(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {"p50": round(float(np.percentile(a, 50)), 2), "p95": round(float(np.percentile(a, 95)), 2),
            "mean": round(float(a.mean()), 2), "max": round(float(a.max()), 2)}


def timed(fn, items) -> tuple[list[float], list[object]]:  # type: ignore[no-untyped-def]
    out, ms = [], []
    for item in items:
        start = time.perf_counter()
        out.append(fn(item))
        ms.append((time.perf_counter() - start) * 1000)
    return ms, out


def ann_versus_exact(folder: IndexFolder, qvecs: np.ndarray) -> dict[str, object]:
    """Flat and HNSW over the same stored vectors: latency, recall@10 of HNSW, build time."""
    store = folder.store
    count, dim = store.vector_count("minilm"), folder.dimension("minilm")
    out: dict[str, object] = {}
    built = {}
    for kind, threshold in (("flat", count + 1), ("hnsw", 0)):
        start = time.perf_counter()
        built[kind] = VectorIndex.build_from_batches(store.vector_batches("minilm", dim), count, dim, threshold)
        out[f"{kind}_build_s"] = round(time.perf_counter() - start, 1)
        for k in (10, 1000):
            ms, _ = timed(lambda q, k=k, kind=kind: built[kind].search(q, k), qvecs)
            out[f"{kind}_k{k}_ms"] = percentiles(ms)
    exact = [set(built["flat"].search(q, 10)[0].tolist()) for q in qvecs]
    approx = [set(built["hnsw"].search(q, 10)[0].tolist()) for q in qvecs]
    out["hnsw_recall_at_10"] = round(float(np.mean([len(a & e) / 10 for a, e in zip(approx, exact)])), 4)
    deep_exact = [set(built["flat"].search(q, 1000)[0].tolist()) for q in qvecs[:50]]
    deep_approx = [set(built["hnsw"].search(q, 1000)[0].tolist()) for q in qvecs[:50]]
    out["hnsw_recall_at_1000"] = round(float(np.mean([len(a & e) / 1000 for a, e in zip(deep_approx, deep_exact)])), 4)
    out["hnsw_ef_search"] = HNSW_EF_SEARCH
    return out


def bench_size(n_chunks: int, texts: list[str], ann: bool) -> dict[str, object]:
    path = build_synthetic_index(n_chunks)
    folder = IndexFolder.open(path)
    try:
        engine = SearchEngine(folder)
        start = time.perf_counter()
        engine.search(texts[0], k=10)
        warm_ms = (time.perf_counter() - start) * 1000
        result: dict[str, object] = {"chunks": folder.store.chunk_count(), "faiss_kind": folder.vector_index("minilm").kind,
                                     "first_query_ms": round(warm_ms, 1)}
        for name, where in FILTERS.items():
            filters = Filters.parse(where)
            ms, hits = timed(lambda q, f=filters: engine.search(q, k=10, filters=f), texts)
            result[f"search_{name}"] = percentiles(ms)
            result[f"empty_results_{name}"] = sum(1 for h in hits if not h)
        embedder = folder.embedder("minilm")
        ms, vecs = timed(lambda q: embedder.encode([q])[0], texts)
        result["part_encode"] = percentiles(ms)
        ms, _ = timed(lambda q: lexical_search(folder.store, q, engine.settings.candidates), texts)
        result["part_lexical_1000"] = percentiles(ms)  # the store's BM25 within its row budget
        timed(lambda q: lexical_search(folder.store, q, engine.settings.candidates, arrays=folder.lexical), texts)
        ms, _ = timed(lambda q: lexical_search(folder.store, q, engine.settings.candidates, arrays=folder.lexical),
                      texts)
        result["part_lexical_arrays_1000"] = percentiles(ms)  # over arrays, every word (index/lexical_arrays.py)
        index = folder.vector_index("minilm")
        qvecs = np.asarray(vecs)
        ms, _ = timed(lambda v: index.search(v, engine.settings.candidates), qvecs)
        result["part_dense_1000"] = percentiles(ms)
        if ann:
            result["ann_vs_exact"] = ann_versus_exact(folder, qvecs)
        db = sum(p.stat().st_size for p in path.glob("store.sqlite*"))
        result["store_mb"] = round(db / 2**20, 1)
        return result
    finally:
        folder.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-ann", action="store_true", help="skip the flat-versus-HNSW comparison")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "query_latency.json")
    args = parser.parse_args()
    texts = queries(args.queries)
    results = {"queries": len(texts), "hnsw_threshold": HNSW_THRESHOLD, "faiss_threads": faiss.omp_get_max_threads(),
               "cpus": os.cpu_count(), "sizes": {}}
    for n in args.sizes:
        print(f"--- {n} chunks", flush=True)
        results["sizes"][str(n)] = row = bench_size(n, texts, not args.no_ann)
        for key, value in row.items():
            print(f"  {key:<36} {value}", flush=True)
        results["load_average_1min"] = round(os.getloadavg()[0], 2)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{'chunks':>9} {'index':>6} | " + " | ".join(f"{name[:24]:>24}" for name in FILTERS) + "   (p50 / p95 ms)")
    for n, row in results["sizes"].items():
        cells = " | ".join(f"{row[f'search_{name}']['p50']:>10.1f} / {row[f'search_{name}']['p95']:>9.1f}" for name in FILTERS)
        print(f"{n:>9} {row['faiss_kind']:>6} | {cells}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
