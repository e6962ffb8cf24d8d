"""The embedded store (SQLite + FAISS) beside the PostgreSQL store (pgvector), measured on this machine (issue 13).

    .venv/bin/python bench/stores.py [--parts scifact latency replicas] [--queries 200] [--seconds 30]

PostgreSQL 16 with pgvector 0.6 runs from the `pgserver` package (a unix socket under bench/out/pg, started
here and stopped at the end), on the same 2 cores as everything else. Each PostgreSQL index is a copy of
an embedded one made by `cwg migrate` (index/transfer.py: no re-embedding), so both stores hold the same
chunks and vectors; copies are kept between runs.

- scifact: hybrid SciFact (test split) through each store: nDCG@10, Recall@100, MRR@10 and per-query
  p50/p95 (bench/out/scifact-index, as `cwg eval` builds it). PostgreSQL twice: vectors searched in each
  process's FAISS copy (CWG_VECTOR_SEARCH=memory, the default) and by pgvector.
- latency: `SearchEngine.search(claim, k=10[, filters])` at 100k chunks (bench/synthetic_index.py) through
  each store (PostgreSQL both ways), no filter and `country=France` (5% of chunks) and `doc_type=contribution`
  (25%): p50/p95 over the first `--queries` SciFact claims, timed twice: a first pass (models, the filter's
  caches and the words' lexical postings read as they are first asked for) and then the steady state; and the
  time the copy took.
- replicas: requests/s of `cwg serve` on one PostgreSQL database, one replica and then two (50 closed-loop
  clients spread over them, as a load balancer spreads connections; bench/load_test.py's request mix), in
  one run: the ratio is the figure, the absolute numbers move with the machine's load.
Writes bench/out/stores.json.
"""

from __future__ import annotations

import argparse
import asyncio
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
OUT = ROOT / "bench" / "out"
os.environ.setdefault("XDG_RUNTIME_DIR", str(OUT / "pg-run"))  # pgserver asks for one
os.environ.setdefault("CWG_CACHE", str(OUT / "pg-cache"))

import numpy as np  # noqa: E402
import psutil  # noqa: E402
import psycopg  # noqa: E402

from index.filters import Filters  # noqa: E402
from index.folder import IndexFolder  # noqa: E402
from index.transfer import copy_index  # noqa: E402
from search.retrieval.engine import SearchEngine  # noqa: E402
from search.retrieval.evaluate import evaluate, load_beir  # noqa: E402

SCIFACT = ROOT.parent / "shared" / "data" / "ir_benchmarks" / "scifact"
FILTERS = {"none": None, "country=France (5%)": Filters.parse(["country=France"]),
           "doc_type=contribution (25%)": Filters.parse(["doc_type=contribution"])}


def start_postgres() -> tuple[object, str]:
    import pgserver

    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    server = pgserver.get_server(OUT / "pg", cleanup_mode="stop")
    return server, server.get_uri()


def database(admin_uri: str, name: str) -> str:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f"CREATE DATABASE {name}")
    head, sep, query = admin_uri.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}{sep}{query}"


def copied(admin_uri: str, name: str, source: Path) -> tuple[str, float | None]:
    """The PostgreSQL copy of the index folder `source` (made once; None seconds when it was there)."""
    uri = database(admin_uri, name)
    with IndexFolder.open(source) as folder:
        wanted = folder.store.document_count()
        try:
            with IndexFolder.open(uri) as pg:
                if pg.store.document_count() == wanted:
                    return uri, None
        except Exception:  # noqa: BLE001 - no index there yet
            pass
        with psycopg.connect(admin_uri, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        start = time.perf_counter()
        copy_index(folder, uri)
        return uri, time.perf_counter() - start


def scifact(admin_uri: str) -> dict[str, object]:
    collection = load_beir(SCIFACT, "test")
    source = OUT / "scifact-index"
    if not (source / "index.json").exists():
        from search.retrieval.evaluate import build_index

        print("building bench/out/scifact-index (once; long)", file=sys.stderr)
        build_index(collection, source)[0].close()
    uri, copy_s = copied(admin_uri, "scifact", source)
    out: dict[str, object] = {"copy_s": copy_s}
    for name, location, way in (("sqlite", source, "memory"), ("postgresql", uri, "memory"),
                                ("postgresql-pgvector", uri, "pgvector")):
        with IndexFolder.open(location, vector_search=way) as folder:
            result = evaluate(collection, folder)
        out[name] = {"ndcg@10": round(result.ndcg_at_10, 4), "recall@100": round(result.recall_at_100, 4),
                     "mrr@10": round(result.mrr_at_10, 4), "p50_ms": round(result.latency_p50_ms, 1),
                     "p95_ms": round(result.latency_p95_ms, 1), "queries": result.queries}
        print(f"scifact {name:<10} {out[name]}", flush=True)
    return out


def latency(admin_uri: str, queries: int) -> dict[str, object]:
    from synthetic_index import build_synthetic_index

    source = build_synthetic_index(100_000)
    uri, copy_s = copied(admin_uri, "synthetic100k", source)
    claims = list(load_beir(SCIFACT, "test").queries.values())[:queries]
    out: dict[str, object] = {"copy_s": None if copy_s is None else round(copy_s, 1), "queries": len(claims)}
    for name, location, way in (("sqlite", source, "memory"), ("postgresql", uri, "memory"),
                                ("postgresql-pgvector", uri, "pgvector")):
        with IndexFolder.open(location, vector_search=way) as folder:
            engine = SearchEngine(folder)
            out.setdefault("chunks", folder.store.chunk_count())
            rows = {}
            for label, filters in FILTERS.items():
                first = []
                for claim in claims:  # warm-up, timed apart: models, this filter's caches, the words' postings
                    start = time.perf_counter()
                    with folder.store.snapshot():
                        engine.search(claim, k=10, filters=filters)
                    first.append((time.perf_counter() - start) * 1000)
                times = []
                for claim in claims:
                    start = time.perf_counter()
                    with folder.store.snapshot():
                        engine.search(claim, k=10, filters=filters)
                    times.append((time.perf_counter() - start) * 1000)
                rows[label] = {"p50_ms": round(float(np.percentile(times, 50)), 1),
                               "p95_ms": round(float(np.percentile(times, 95)), 1),
                               "first_pass_p50_ms": round(float(np.percentile(first, 50)), 1),
                               "first_pass_p95_ms": round(float(np.percentile(first, 95)), 1)}
                print(f"100k {name:<10} {label:<28} {rows[label]}", flush=True)
            out[name] = rows
    return out


def replicas(admin_uri: str, seconds: float, clients: int) -> dict[str, object]:
    import load_test

    source = OUT / "load-index"
    if not (source / "index.json").exists():
        load_test.build_index(source)
    uri, _ = copied(admin_uri, "loadtest", source)
    queries = load_test.QueryCycle(load_test.load_queries())
    out: dict[str, object] = {"clients": clients, "seconds": seconds}
    for count in (1, 2):
        ports = [load_test.free_port() for _ in range(count)]
        servers = [load_test.start_server(uri, port) for port in ports]
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        try:
            import httpx

            doc_ids = [d["document_id"] for d in
                       httpx.get(bases[0] + "/documents", params={"limit": 1000}).json()["documents"]]
            for base in bases:
                httpx.get(base + "/search", params={"q": "warm up"}, timeout=120)
            processes = [psutil.Process(s.pid) for s in servers]
            row = asyncio.run(load_test.run_clients(bases, clients, seconds, doc_ids, queries, processes))
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=60)
        search = row["endpoints"].get("search", {})  # type: ignore[attr-defined]
        out[f"{count}_replica"] = {k: row[k] for k in ("requests_per_s", "p50_ms", "p95_ms", "errors", "requests",
                                                       "server_cpu_cores", "load_average_1min")} | {
            "search_p50_ms": search.get("p50_ms"), "search_p95_ms": search.get("p95_ms")}
        print(f"{count} replica(s): {out[f'{count}_replica']}", flush=True)
    one, two = out["1_replica"], out["2_replica"]
    out["ratio_2_to_1"] = round(float(two["requests_per_s"]) / max(float(one["requests_per_s"]), 1e-9), 2)  # type: ignore[index]
    print(f"two replicas / one: {out['ratio_2_to_1']}x", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", nargs="+", default=["scifact", "latency", "replicas"],
                        choices=("scifact", "latency", "replicas"))
    parser.add_argument("--queries", type=int, default=200, help="claims timed per filter at 100k (default 200)")
    parser.add_argument("--seconds", type=float, default=30, help="seconds of load per replica count (default 30)")
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    report_path = OUT / "stores.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    server, admin_uri = start_postgres()
    try:
        for part in args.parts:
            if part == "scifact":
                report["scifact"] = scifact(admin_uri)
            elif part == "latency":
                report["latency_100k"] = latency(admin_uri, args.queries)
            else:
                report["replicas"] = replicas(admin_uri, args.seconds, args.clients)
            report["cpu_count"] = os.cpu_count()
            report_path.write_text(json.dumps(report, indent=2))
    finally:
        server.cleanup()  # type: ignore[attr-defined]
    print(f"wrote {report_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
