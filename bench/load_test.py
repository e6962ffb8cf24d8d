"""Bounded load test of `cwg serve` on 127.0.0.1: N concurrent clients for S seconds, for several N.

The index is the sample corpus plus ../shared/data/policy_pdfs, built once into bench/out/ (a few
minutes). The server runs as its own process; the clients are asyncio tasks in this process sharing one
HTTP connection pool, each sending its next request as soon as the previous one is answered (closed
loop), with a mix of searches (half; some filtered), facets, similar initiatives, document lists and
documents. Searches draw from more than 1,000 distinct queries (our delegate questions in 7 languages and
every SciFact claim) in a shuffled cycle: no query repeats before all have been asked, so no cache can
answer the load from memory. Each client count runs in turn against the same server; per count it prints
requests/s, p50/p95 (overall and per endpoint), errors, the server's and the load generator's CPU use
(in cores) and the server's peak RSS, and writes bench/out/load_test.json (with `distinct_queries`).

    .venv/bin/python bench/load_test.py [--clients 1,10,50,200] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import httpx
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from index.manifest import MANIFEST_NAME  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SAMPLE = ROOT / "examples" / "cwg-cop-20"
POLICY_PDFS = ROOT.parent / "shared" / "data" / "policy_pdfs"
CWG = [sys.executable, "-m", "api.cli"] if not (ROOT / ".venv" / "bin" / "cwg").exists() else [str(ROOT / ".venv" / "bin" / "cwg")]
# A few delegate-style questions of our own, the labelled delegate questions (7 languages) and every
# SciFact claim: well over 1,000 distinct queries, sent in a shuffled cycle (no query repeats before all
# have been sent), so no cache can answer most of the load from memory.
OWN_QUERIES = [
    "training teachers to keep children safe online", "helpline for children who report abuse",
    "age verification on social media platforms", "legislation against online grooming",
    "national strategy for child online protection", "sexual extortion of teenagers",
    "parents guide to screen time", "artificial intelligence to detect abuse material",
    "end-to-end encryption and child safety", "digital literacy in school curricula",
    "financial coalition against exploitation", "offender registry", "youth engagement and participation",
    "protection des enfants en ligne", "data protection for minors", "cyberbullying prevention programme",
    "COP guidelines for industry", "reporting hotline for illegal content", "safety by design", "sport",
]
DELEGATE_QUESTIONS = ROOT / "bench" / "labels" / "delegate_questions.jsonl"
SCIFACT_CLAIMS = ROOT.parent / "shared" / "data" / "ir_benchmarks" / "scifact" / "queries.jsonl"
FILTERS = [{}, {}, {}, {"doc_type": "contribution"}, {"meeting": "CWG-COP-20"}, {"language": "en"},
           {"region": "Africa"}, {"date_from": "2020"}]


def load_queries() -> list[str]:
    queries = list(OWN_QUERIES)
    for path, field in ((DELEGATE_QUESTIONS, "question"), (SCIFACT_CLAIMS, "text")):
        if path.exists():
            with path.open(encoding="utf-8") as handle:
                queries += [json.loads(line)[field] for line in handle if line.strip()]
        else:
            print(f"note: {path} is absent; fewer distinct queries", file=sys.stderr)
    return list(dict.fromkeys(q.strip() for q in queries if q.strip()))


class QueryCycle:
    """The queries in a shuffled order, reshuffled after each full pass (the clients share one cycle)."""

    def __init__(self, queries: list[str], seed: int = 0) -> None:
        self.queries = list(queries)
        self.rng = random.Random(seed)
        self.order: list[str] = []
        self.sent: list[str] = []

    def next(self) -> str:
        if not self.order:
            self.order = self.rng.sample(self.queries, len(self.queries))
        query = self.order.pop()
        self.sent.append(query)
        return query


def build_index(index: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    subprocess.run([*CWG, "ingest", str(SAMPLE), "--manifest", str(SAMPLE / "manifest.csv"), "--index", str(index)],
                   check=True, env=env)
    if POLICY_PDFS.exists():
        # exit code 1 when some files fail (the fake PDF is refused on purpose): the rest is indexed
        subprocess.run([*CWG, "ingest", str(POLICY_PDFS), "--index", str(index)], env=env)
    else:
        print(f"note: {POLICY_PDFS} is absent; the index holds the sample corpus only", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(index: Path | str, port: int, workers: int | None = 1) -> subprocess.Popen[bytes]:
    """`cwg serve` on `port` with `workers` processes (None: the server's default, one per core)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("CWG_READ_REQUIRES_KEY", None)
    log = (OUT / "load_test_server.log").open("wb")  # the server's own account of any failure
    count = [] if workers is None else ["--workers", str(workers)]
    proc = subprocess.Popen([*CWG, "serve", "--index", str(index), "--port", str(port), *count], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not start within 180 s")


def _tree(server: psutil.Process | list[psutil.Process]) -> list[psutil.Process]:
    """The server and its worker processes (`--workers N`); of each server, given several (replicas)."""
    servers = server if isinstance(server, list) else [server]
    return [p for s in servers for p in (s, *s.children(recursive=True))]


def tree_rss(server: psutil.Process) -> int:
    total = 0
    for proc in _tree(server):
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def tree_cpu(server: psutil.Process) -> SimpleNamespace:
    """User and system CPU seconds of the server and its workers, together."""
    user = system = 0.0
    for proc in _tree(server):
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        user, system = user + times.user, system + times.system
    return SimpleNamespace(user=user, system=system)


def next_request(rng: random.Random, doc_ids: list[str], queries: QueryCycle) -> tuple[str, str, dict[str, str | int]]:
    """(endpoint label, path, params) drawn from the mix."""
    roll = rng.random()
    if roll < 0.50:
        return "search", "/search", {"q": queries.next(), "k": 10, **rng.choice(FILTERS)}
    if roll < 0.65:
        return "facets", "/facets", dict(rng.choice(FILTERS))
    if roll < 0.80:
        return "similar", "/similar", {"document_id": rng.choice(doc_ids), "k": 5}
    if roll < 0.90:
        return "documents", "/documents", {"limit": 50, **rng.choice(FILTERS)}
    doc = rng.choice(doc_ids)
    return "document", f"/documents/{doc}", {}


async def run_clients(base: str | list[str], clients: int, seconds: float, doc_ids: list[str], queries: QueryCycle,
                      server: psutil.Process | list[psutil.Process]) -> dict[str, object]:
    """Closed-loop clients for `seconds`. Several `base` addresses (replicas): client n talks to base n mod
    their number, as a load balancer spreading connections would; `server` is then every replica's process."""
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    samples: list[str] = []  # the first few failures, to say what went wrong
    stop_at = time.monotonic() + seconds
    rss_peak = tree_rss(server)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    bases = base if isinstance(base, list) else [base]
    async with contextlib.AsyncExitStack() as stack:
        pools = [await stack.enter_async_context(httpx.AsyncClient(base_url=b, timeout=60, limits=limits)) for b in bases]

        async def client(n: int) -> None:
            http = pools[n % len(pools)]
            rng = random.Random(n)
            while time.monotonic() < stop_at:
                label, path, params = next_request(rng, doc_ids, queries)
                start = time.perf_counter()
                try:
                    r = await http.get(path, params=params)
                    ok = r.status_code == 200
                    if ok:
                        r.json()
                    elif len(samples) < 5:
                        samples.append(f"{path} {r.status_code}: {r.text[:200]}")
                except httpx.HTTPError as exc:
                    ok = False
                    if len(samples) < 5:
                        samples.append(f"{path}: {exc!r}")
                latencies[label].append(time.perf_counter() - start)
                if not ok:
                    errors[label] += 1

        async def watch_memory() -> None:
            nonlocal rss_peak
            while time.monotonic() < stop_at:
                rss_peak = max(rss_peak, tree_rss(server))
                await asyncio.sleep(0.5)

        started = time.monotonic()
        cpu_before, own_before = tree_cpu(server), psutil.Process().cpu_times()
        await asyncio.gather(watch_memory(), *(client(n) for n in range(clients)))
        elapsed = time.monotonic() - started
        cpu_after, own_after = tree_cpu(server), psutil.Process().cpu_times()
    per_endpoint = {}
    for label, values in sorted(latencies.items()):
        arr = np.array(values) * 1000
        per_endpoint[label] = {"requests": len(values), "errors": errors.get(label, 0),
                               "p50_ms": round(float(np.percentile(arr, 50)), 1),
                               "p95_ms": round(float(np.percentile(arr, 95)), 1)}
    everything = np.array([v for values in latencies.values() for v in values]) * 1000
    def busy(after: object, before: object) -> float:  # CPU seconds (user + system) per wall second
        return round((after.user + after.system - before.user - before.system) / elapsed, 2)  # type: ignore[attr-defined]
    return {"clients": clients, "elapsed_s": round(elapsed, 1), "requests": int(everything.size),
            "requests_per_s": round(everything.size / elapsed, 1), "errors": sum(errors.values()),
            "p50_ms": round(float(np.percentile(everything, 50)), 1),
            "p95_ms": round(float(np.percentile(everything, 95)), 1), "endpoints": per_endpoint,
            "server_cpu_cores": busy(cpu_after, cpu_before), "load_generator_cpu_cores": busy(own_after, own_before),
            # requests answered per CPU-second the server used: its efficiency, whatever else ran on the cores
            "requests_per_server_cpu_s": round(everything.size / max(elapsed * busy(cpu_after, cpu_before), 1e-9), 1),
            "rss_peak_mb": round(rss_peak / 2**20, 1), "rss_after_mb": round(tree_rss(server) / 2**20, 1),
            "load_average_1min": round(os.getloadavg()[0], 2), "error_samples": samples}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,10,50,200",
                        help="client counts, comma-separated, run in turn against one server (default 1,10,50,200)")
    parser.add_argument("--seconds", type=float, default=60, help="seconds per client count (default 60)")
    parser.add_argument("--index", type=Path, default=OUT / "load-index")
    parser.add_argument("--out", type=Path, default=OUT / "load_test.json")
    parser.add_argument("--workers", type=int, default=None,
                        help="`cwg serve --workers` (default: none given, so the server's own: one process per core)")
    args = parser.parse_args()
    levels = [int(c) for c in str(args.clients).split(",") if c.strip()]
    OUT.mkdir(parents=True, exist_ok=True)
    if not (args.index / MANIFEST_NAME).exists():
        print(f"building {args.index} (sample corpus + policy PDFs; a few minutes, once)", file=sys.stderr)
        build_index(args.index)
    queries = QueryCycle(load_queries())
    port = free_port()
    server = start_server(args.index, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    runs = []
    try:
        process = psutil.Process(server.pid)
        health = httpx.get(base + "/health").json()
        doc_ids = [d["document_id"] for d in httpx.get(base + "/documents", params={"limit": 1000}).json()["documents"]]
        httpx.get(base + "/search", params={"q": "warm up"})
        rss_start = tree_rss(process)
        for clients in levels:
            runs.append(asyncio.run(run_clients(base, clients, args.seconds, doc_ids, queries, process)))
            row = runs[-1]
            print(f"{clients:>4} clients: {row['requests_per_s']:>6} req/s  p50 {row['p50_ms']:>7} ms  "
                  f"p95 {row['p95_ms']:>7} ms  errors {row['errors']} of {row['requests']}  "
                  f"server RSS peak {row['rss_peak_mb']} MB", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    report = {"seconds": args.seconds, "workers": args.workers or "default", "documents": health["documents"], "chunks": health["chunks"],
              "spaces": health.get("spaces"), "cpu_count": os.cpu_count(),
              "distinct_queries": len(queries.queries), "searches_sent": len(queries.sent),
              "distinct_queries_sent": len(set(queries.sent)), "rss_start_mb": round(rss_start / 2**20, 1),
              "runs": runs}
    if len(runs) > 1 and runs[0]["requests_per_s"]:
        report["throughput_vs_first"] = {str(r["clients"]): round(float(r["requests_per_s"])  # type: ignore[arg-type]
                                                                  / float(runs[0]["requests_per_s"]), 2)  # type: ignore[arg-type]
                                         for r in runs}
    args.out.write_text(json.dumps(report, indent=2))
    print(f"{report['documents']} documents, {report['chunks']} chunks, spaces {report['spaces']}; "
          f"{report['distinct_queries']} distinct queries ({report['distinct_queries_sent']} of them sent, "
          f"{report['searches_sent']} searches); {os.cpu_count()} cores; server RSS at start {report['rss_start_mb']} MB")
    print("| clients | req/s | p50 ms | p95 ms | errors | search p50/p95 | server CPU (cores) | req per server CPU-s "
          "| client CPU | RSS peak MB | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in runs:
        search = row["endpoints"].get("search", {})  # type: ignore[attr-defined]
        print(f"| {row['clients']} | {row['requests_per_s']} | {row['p50_ms']} | {row['p95_ms']} | "
              f"{row['errors']} of {row['requests']} | {search.get('p50_ms')} / {search.get('p95_ms')} | "
              f"{row['server_cpu_cores']} | {row['requests_per_server_cpu_s']} | {row['load_generator_cpu_cores']} | "
              f"{row['rss_peak_mb']} | {row['load_average_1min']} |")
    for row in runs:
        for label, ep in row["endpoints"].items():  # type: ignore[attr-defined]
            print(f"  {row['clients']:>4} clients {label:<10} {ep['requests']:>6} req  p50 {ep['p50_ms']:>7} ms  "
                  f"p95 {ep['p95_ms']:>7} ms  errors {ep['errors']}")
        for sample in row["error_samples"]:  # type: ignore[attr-defined]
            print(f"  error: {sample}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
