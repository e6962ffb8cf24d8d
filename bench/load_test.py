"""Bounded load test of `cwg serve` on 127.0.0.1: N concurrent clients for S seconds.

The index is the sample corpus plus ../shared/data/policy_pdfs, built once into bench/out/ (a few
minutes). The server runs as its own process (its RSS is measured before and after); the clients
are asyncio tasks sharing one HTTP connection pool, each sending its next request as soon as the
previous one is answered (closed loop), with a mix of searches (some filtered), facets, similar
initiatives and document reads. Prints requests/s, p50/p95 per endpoint, errors and RSS, and
writes bench/out/load_test.json.

    .venv/bin/python bench/load_test.py [--clients 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

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
QUERIES = [
    "training teachers to keep children safe online", "helpline for children who report abuse",
    "age verification on social media platforms", "legislation against online grooming",
    "national strategy for child online protection", "sexual extortion of teenagers",
    "parents guide to screen time", "artificial intelligence to detect abuse material",
    "end-to-end encryption and child safety", "digital literacy in school curricula",
    "financial coalition against exploitation", "offender registry", "youth engagement and participation",
    "protection des enfants en ligne", "data protection for minors", "cyberbullying prevention programme",
    "COP guidelines for industry", "reporting hotline for illegal content", "safety by design", "sport",
]
FILTERS = [{}, {}, {}, {"doc_type": "contribution"}, {"meeting": "CWG-COP-20"}, {"language": "en"},
           {"region": "Africa"}, {"date_from": "2020"}]


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


def start_server(index: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("CWG_READ_REQUIRES_KEY", None)
    log = (OUT / "load_test_server.log").open("wb")  # the server's own account of any failure
    proc = subprocess.Popen([*CWG, "serve", "--index", str(index), "--port", str(port)], env=env,
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


def next_request(rng: random.Random, doc_ids: list[str]) -> tuple[str, str, dict[str, str | int]]:
    """(endpoint label, path, params) drawn from the mix."""
    roll = rng.random()
    if roll < 0.50:
        return "search", "/search", {"q": rng.choice(QUERIES), "k": 10, **rng.choice(FILTERS)}
    if roll < 0.65:
        return "facets", "/facets", dict(rng.choice(FILTERS))
    if roll < 0.80:
        return "similar", "/similar", {"document_id": rng.choice(doc_ids), "k": 5}
    if roll < 0.90:
        return "documents", "/documents", {"limit": 50, **rng.choice(FILTERS)}
    doc = rng.choice(doc_ids)
    return "document", f"/documents/{doc}", {}


async def run_clients(base: str, clients: int, seconds: float, doc_ids: list[str]) -> dict[str, object]:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    samples: list[str] = []  # the first few failures, to say what went wrong
    stop_at = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        async def client(n: int) -> None:
            rng = random.Random(n)
            while time.monotonic() < stop_at:
                label, path, params = next_request(rng, doc_ids)
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

        started = time.monotonic()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.monotonic() - started
    per_endpoint = {}
    for label, values in sorted(latencies.items()):
        arr = np.array(values) * 1000
        per_endpoint[label] = {"requests": len(values), "errors": errors.get(label, 0),
                               "p50_ms": round(float(np.percentile(arr, 50)), 1),
                               "p95_ms": round(float(np.percentile(arr, 95)), 1)}
    everything = np.array([v for values in latencies.values() for v in values]) * 1000
    return {"elapsed_s": round(elapsed, 1), "requests": int(everything.size),
            "requests_per_s": round(everything.size / elapsed, 1), "errors": sum(errors.values()),
            "p50_ms": round(float(np.percentile(everything, 50)), 1),
            "p95_ms": round(float(np.percentile(everything, 95)), 1), "endpoints": per_endpoint,
            "error_samples": samples}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--index", type=Path, default=OUT / "load-index")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if not (args.index / MANIFEST_NAME).exists():
        print(f"building {args.index} (sample corpus + policy PDFs; a few minutes, once)", file=sys.stderr)
        build_index(args.index)
    port = free_port()
    server = start_server(args.index, port)
    base = f"http://127.0.0.1:{port}"
    try:
        health = httpx.get(base + "/health").json()
        doc_ids = [d["document_id"] for d in httpx.get(base + "/documents", params={"limit": 1000}).json()["documents"]]
        httpx.get(base + "/search", params={"q": "warm up"})
        rss_before = psutil.Process(server.pid).memory_info().rss
        result = asyncio.run(run_clients(base, args.clients, args.seconds, doc_ids))
        rss_after = psutil.Process(server.pid).memory_info().rss
    finally:
        server.terminate()
        server.wait(timeout=30)
    report = {"clients": args.clients, "seconds": args.seconds, "documents": health["documents"],
              "chunks": health["chunks"], "cpu_count": os.cpu_count(),
              "rss_before_mb": round(rss_before / 2**20, 1), "rss_after_mb": round(rss_after / 2**20, 1), **result}
    (OUT / "load_test.json").write_text(json.dumps(report, indent=2))
    print(f"{report['documents']} documents, {report['chunks']} chunks; {args.clients} clients for {args.seconds:g} s "
          f"on {os.cpu_count()} cores")
    print(f"{report['requests']} requests, {report['requests_per_s']} req/s, p50 {report['p50_ms']} ms, "
          f"p95 {report['p95_ms']} ms, errors {report['errors']}")
    for label, row in report["endpoints"].items():  # type: ignore[union-attr]
        print(f"  {label:<10} {row['requests']:>6} req  p50 {row['p50_ms']:>7} ms  p95 {row['p95_ms']:>7} ms  "
              f"errors {row['errors']}")
    for sample in report["error_samples"]:  # type: ignore[attr-defined]
        print(f"  error: {sample}")
    print(f"server RSS {report['rss_before_mb']} MB before, {report['rss_after_mb']} MB after")
    print(f"wrote {OUT / 'load_test.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
