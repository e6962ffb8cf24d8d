"""Cold start: a new process opens a 100k-chunk index and answers its first query (target <= 3 s).

    .venv/bin/python bench/cold_start.py [--chunks 100000] [--runs 3]

Each run is a fresh Python process (the interpreter itself is not counted: the clock starts at the
first line of the child, before any import of ours, and stops when the first hits are in hand). The
child reports its phases: imports, opening the index (manifest, SQLite, migrations check), the FAISS
index loaded from its cache file, the model loaded, and the first search itself. Also timed: the
whole `cwg search` command from the shell (interpreter included), and a start without a usable FAISS
cache (rebuilt from the stored vectors; after a write the cache only catches up: see
bench/incremental_vectors.py). Writes bench/out/cold_start.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

CHILD = r"""
import time
t0 = time.perf_counter()
import json, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from index.folder import IndexFolder
from search.retrieval.engine import SearchEngine
t_import = time.perf_counter()
folder = IndexFolder.open(Path(sys.argv[2]))
t_open = time.perf_counter()
folder.refresh_vectors()
t_faiss = time.perf_counter()
folder.embedder("minilm").encode(["warm"])
t_model = time.perf_counter()
hits = SearchEngine(folder).search(sys.argv[3], k=10)
t_query = time.perf_counter()
print(json.dumps({"imports_s": t_import - t0, "open_s": t_open - t_import, "faiss_s": t_faiss - t_open,
                  "model_s": t_model - t_faiss, "first_search_s": t_query - t_model,
                  "total_s": t_query - t0, "hits": len(hits)}))
"""
QUERY = "Vitamin D deficiency increases the risk of respiratory infections in children"


def child_run(index: Path) -> dict[str, float]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(index), QUERY], capture_output=True,
                         text=True, env=env, timeout=600, check=True)
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in json.loads(out.stdout.splitlines()[-1]).items()}


def cli_run(index: Path) -> float:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    cwg = Path(sys.executable).parent / "cwg"
    start = time.perf_counter()
    subprocess.run([str(cwg), "search", QUERY, "--index", str(index), "-k", "10"], capture_output=True, env=env,
                   timeout=600, check=True)
    return round(time.perf_counter() - start, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "cold_start.json")
    args = parser.parse_args()
    from synthetic_index import build_synthetic_index

    index = build_synthetic_index(args.chunks)
    runs = [child_run(index) for _ in range(args.runs)]
    cli = [cli_run(index) for _ in range(args.runs)]
    # no FAISS cache (an index written by a version before the change log, or a cache that does not match
    # the store): the cache files are moved aside, and back afterwards
    stale = []
    aside = index / "vectors-aside"
    aside.mkdir(exist_ok=True)
    for cached in sorted(index.glob("vectors-*")):
        if cached != aside:
            cached.replace(aside / cached.name)
    try:
        stale.append(child_run(index))
    finally:
        for made in index.glob("vectors-*"):
            if made != aside:
                made.unlink()
        for cached in aside.iterdir():
            cached.replace(index / cached.name)
        aside.rmdir()
    result = {"chunks": args.chunks, "runs": runs, "cwg_search_command_s": cli, "stale_faiss_cache": stale,
              "best_total_s": min(r["total_s"] for r in runs), "worst_total_s": max(r["total_s"] for r in runs),
              "load_average_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
    print(f"{'run':<6}{'imports':>9}{'open':>7}{'faiss':>7}{'model':>7}{'search':>8}{'total s':>9}")
    for n, r in enumerate(runs + stale, start=1):
        label = str(n) if n <= len(runs) else "stale"
        print(f"{label:<6}{r['imports_s']:>9.2f}{r['open_s']:>7.2f}{r['faiss_s']:>7.2f}{r['model_s']:>7.2f}"
              f"{r['first_search_s']:>8.2f}{r['total_s']:>9.2f}")
    print(f"`cwg search` wall time, interpreter included: {cli} s; load average {result['load_average_1min']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
