"""CPU per search of `GET /search`'s work, in one thread, without a server: what one search costs the machine.

`bench/load_test.py` measures requests per second, which moves ±15% between runs on a shared machine; the CPU a
search's work takes (process CPU time, every thread: the request's and the encoders') moves less, so changes to
the search path are compared here, code against code in one sitting (an older checkout runs the same way:
`PYTHONPATH=../older .venv/bin/python bench/search_cpu.py`). The route's work is `api.read_routes._search` on the
load test's index (bench/out/load-index), over the load test's distinct queries: a warm-up pass over `--warm`
of them (models, the words' postings, the caches), then `--queries` others, `--rounds` times.

    .venv/bin/python bench/search_cpu.py [--queries 400] [--warm 100] [--rounds 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ (load_test's queries and index)

from load_test import OUT, QueryCycle, load_queries

from api.read_routes import _search
from api.schemas import SearchParams
from api.service import Service
from api.settings import Settings
from index.folder import IndexFolder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=OUT / "load-index")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--warm", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the same queries (caches warm)")
    parser.add_argument("--threads", type=int, default=1,
                        help="searches at once (as under many clients: the encoders batch the queries that wait)")
    parser.add_argument("--out", type=Path, default=OUT / "search_cpu.json")
    args = parser.parse_args()
    folder = IndexFolder.open(args.index)
    cycle = QueryCycle(load_queries(), seed=7)
    warm = [cycle.next() for _ in range(args.warm)]
    timed = [cycle.next() for _ in range(args.queries)]
    try:
        service = Service.start(Settings(index=args.index, workers=1), folder)
        for q in warm:
            _search(SearchParams(q=q), service)
        rounds = []
        for _ in range(args.rounds):
            cpu, wall = time.process_time(), time.perf_counter()
            with ThreadPoolExecutor(args.threads) as pool:
                list(pool.map(lambda q: _search(SearchParams(q=q), service), timed))
            rounds.append({"cpu_ms": (time.process_time() - cpu) / len(timed) * 1000,
                           "wall_ms": (time.perf_counter() - wall) / len(timed) * 1000})
            print(f"CPU {rounds[-1]['cpu_ms']:.2f} ms a search, wall {rounds[-1]['wall_ms']:.2f} ms "
                  f"({len(timed)} distinct queries, {args.threads} at once)", flush=True)
    finally:
        folder.close()
    report = {"queries": len(timed), "threads": args.threads, "rounds": rounds,
              "cpu_ms_median": round(statistics.median(r["cpu_ms"] for r in rounds), 3)}
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"median CPU {report['cpu_ms_median']:.2f} ms a search; wrote {args.out}")


if __name__ == "__main__":
    main()
