"""The multilingual space's weight for a query in the passage's own language, tuned on SciFact *train*.

    .venv/bin/python bench/tune_language_weight.py [--weights 0 0.05 0.1 0.2] [--split train]

Needs the evaluation index kept by `cwg eval ../shared/data/ir_benchmarks/scifact --keep-index
bench/out/scifact-index` (default model). Prints nDCG@10 per weight and writes bench/out/tune_language_weight.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from index.folder import IndexFolder
from search.retrieval.engine import RankingSettings
from search.retrieval.evaluate import evaluate, load_beir

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", nargs="+", type=float, default=[0.0, 0.05, 0.1, 0.2])
    parser.add_argument("--split", default="train")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "ir_benchmarks" / "scifact")
    parser.add_argument("--index", type=Path, default=ROOT / "bench" / "out" / "scifact-index")
    args = parser.parse_args()
    collection = load_beir(args.data, args.split)
    folder = IndexFolder.open(args.index)
    rows = []
    try:
        for weight in args.weights:
            start = time.perf_counter()
            result = evaluate(collection, folder, settings=RankingSettings(same_language_use_weight=weight))
            rows.append({"same_language_use_weight": weight, "ndcg@10": round(result.ndcg_at_10, 4),
                         "recall@100": round(result.recall_at_100, 4), "queries": result.queries})
            print(f"weight {weight}: nDCG@10 {result.ndcg_at_10:.4f}  Recall@100 {result.recall_at_100:.4f} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
    finally:
        folder.close()
    out = ROOT / "bench" / "out" / "tune_language_weight.json"
    out.write_text(json.dumps({"split": args.split, "rows": rows}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
