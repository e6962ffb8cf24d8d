"""Lexical search over arrays (index/lexical_arrays.py) against the store's row-by-row BM25 (issue 26).

    .venv/bin/python bench/lexical_arrays.py [--parts sqlite postgresql quality] [--queries 200] [--split train]

On bench/out/scifact-index and the 100k-chunk synthetic index (bench/synthetic_index.py), with real SciFact
claims: per query, `lexical_search(k=1000)` as a hybrid search calls it (the store's FTS5 BM25 within the
20,000-row budget; the arrays: every word), with no filter and the 5% and 25% filters of
bench/query_latency.py; the arrays' first pass (each word's postings read once: the cost of a new
generation) and a second pass (held), their memory; the whole `SearchEngine.search(k=10)` both ways at 100k;
the same at 100k on PostgreSQL (bench/stores.py's copy, its server); and SciFact nDCG@10 both ways (hybrid
and lexical) on `--split` (train: no tuning here, test stays unread). Writes bench/out/lexical_arrays.json
(or `--out`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
from query_latency import FILTERS, percentiles, queries, timed  # noqa: E402
from synthetic_index import build_synthetic_index  # noqa: E402

from index.filters import Filters  # noqa: E402
from index.folder import IndexFolder  # noqa: E402
from search.retrieval.engine import RankingSettings, SearchEngine  # noqa: E402
from search.retrieval.evaluate import evaluate, load_beir  # noqa: E402
from search.retrieval.lexical import lexical_search  # noqa: E402

OUT = ROOT / "bench" / "out"
SCIFACT = ROOT.parent / "shared" / "data" / "ir_benchmarks" / "scifact"


def lexical_parts(folder: IndexFolder, texts: list[str], filters: dict[str, list[str]]) -> dict[str, object]:
    """Lexical search alone, k=1000, per filter: the store's BM25 (second pass: its row counts cached) and
    the folder's arrays (before the first filter: a first pass from nothing; then held)."""
    store, out = folder.store, {}
    arrays = folder.lexical  # as the engine holds them: the first filter's first pass reads every word
    for name, where in filters.items():
        parsed = Filters.parse(where)
        allowed = store.chunk_ids(parsed) if where else None
        row: dict[str, object] = {}
        for _ in range(2):
            ms, current = timed(lambda q, f=parsed, a=allowed: lexical_search(store, q, 1000, f, allowed=a), texts)
        row["store_bm25"] = percentiles(ms)
        for label in ("arrays_first_pass", "arrays_held") if not arrays.memory_bytes() else ("arrays_held",):
            ms, found = timed(lambda q, f=parsed, a=allowed: lexical_search(store, q, 1000, f, allowed=a, arrays=arrays),
                              texts)
            row[label] = percentiles(ms)
            row[label + "_total_s"] = round(sum(ms) / 1000, 2)
        # by scores, not ids: the synthetic index repeats its texts, so its ties are many and broken apart
        row["same_top10_scores"] = round(sum(len(a[1]) >= min(10, len(b[1])) and np.allclose(
            a[1][:10][:len(b[1])], b[1][:10], rtol=1e-5) for a, b in zip(found, current)) / len(texts), 3)
        out[name] = row
        print(f"  lexical {name:<28} {row}", flush=True)
    out["arrays_mb"] = round(arrays.memory_bytes() / 2**20, 1)
    out["chunks"] = store.chunk_count()
    return out


def engine_search(folder: IndexFolder, texts: list[str]) -> dict[str, object]:
    out = {}
    for label, on in (("store_bm25", False), ("arrays", True)):
        engine = SearchEngine(folder, RankingSettings(lexical_arrays=on))
        engine.search(texts[0], k=10)
        for name, where in FILTERS.items():
            parsed = Filters.parse(where)
            ms, _ = timed(lambda q, f=parsed, e=engine: e.search(q, k=10, filters=f), texts)
            out[f"{label} {name}"] = percentiles(ms)
            print(f"  search {label:<10} {name:<28} {out[f'{label} {name}']}", flush=True)
    return out


def scifact_quality(split: str) -> dict[str, object]:
    collection = load_beir(SCIFACT, split)
    out = {}
    with IndexFolder.open(OUT / "scifact-index") as folder:
        for mode in ("lexical", "hybrid"):
            for label, on in (("store_bm25", False), ("arrays", True)):
                result = evaluate(collection, folder, mode, RankingSettings(lexical_arrays=on))
                out[f"{mode} {label}"] = {"ndcg@10": round(result.ndcg_at_10, 4), "p50_ms": round(result.latency_p50_ms, 1),
                                          "p95_ms": round(result.latency_p95_ms, 1), "queries": result.queries}
                print(f"  scifact {split} {mode} {label:<10} {out[f'{mode} {label}']}", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--split", default="train")
    parser.add_argument("--parts", nargs="+", default=["sqlite", "postgresql", "quality"],
                        choices=("sqlite", "postgresql", "quality"))
    parser.add_argument("--out", type=Path, default=OUT / "lexical_arrays.json")
    args = parser.parse_args()
    texts = queries(args.queries)
    flags = subprocess.run("lscpu | grep -io 'avx512_bf16\\|avx2' | sort -u", shell=True, capture_output=True,
                           text=True).stdout.split()
    results: dict[str, object] = {"queries": len(texts), "cpu_flags": flags, "load_before": os.getloadavg()[0]}
    if "sqlite" in args.parts:
        print("--- scifact-index", flush=True)
        with IndexFolder.open(OUT / "scifact-index") as folder:
            results["scifact_lexical"] = lexical_parts(folder, texts, {"none": []})
        print("--- synthetic 100,000", flush=True)
        with IndexFolder.open(build_synthetic_index(100_000)) as folder:
            results["synthetic_100k_lexical"] = lexical_parts(folder, texts, FILTERS)
            results["synthetic_100k_search"] = engine_search(folder, texts)
    if "postgresql" in args.parts:
        print("--- synthetic 100,000 on PostgreSQL (bench/stores.py's copy)", flush=True)
        import stores

        server, admin_uri = stores.start_postgres()
        try:
            uri, _ = stores.copied(admin_uri, "synthetic100k", build_synthetic_index(100_000))
            with IndexFolder.open(uri) as folder:
                results["postgresql_100k_lexical"] = lexical_parts(folder, texts, FILTERS)
                results["postgresql_100k_search"] = engine_search(folder, texts)
        finally:
            server.cleanup()  # type: ignore[attr-defined]
    if "quality" in args.parts:
        print(f"--- scifact {args.split}", flush=True)
        results["scifact_ndcg"] = scifact_quality(args.split)
    results["load_after"] = os.getloadavg()[0]
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"load average {results['load_before']:.2f} -> {results['load_after']:.2f}; cpu {flags}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
