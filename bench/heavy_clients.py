"""Hostile heavy clients beside one well-behaved searcher: does an ordinary search stay fast?

Starts a real `cwg serve` on the sample index (built into bench/out/ when missing), or uses --url. After a
warm-up, one ordinary client searches alone for a few seconds (the quiet p50), then N hostile clients
(default 10) run for --seconds beside it, each sending its kind of heavy request again and again and giving
up after --give-up seconds (as a real impatient client does): 10,000-character searches, `POST /check`
with a DOCX of 653 passages made here with python-docx, free-text `POST /synthesize`, Atom feeds with a
10,000-character `q`, and `/similar` with a 10,000-character text. Then everyone stops and the server is
watched a few seconds more: the CPU it spends then is work nobody waits for.

Prints and writes bench/out/heavy_clients[-LABEL].json: the ordinary client's search p50/p95 (quiet and
under load), the hostile clients' answers by status (timeout: the client gave up), the server's CPU
seconds under load and after, and its peak RSS.

    .venv/bin/python bench/heavy_clients.py [--clients 10] [--seconds 30] [--label after]
    .venv/bin/python bench/heavy_clients.py --code /tmp/before --label before   # another checkout's server
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SAMPLE = ROOT / "examples" / "cwg-cop-20"
KINDS = ("long_q", "check", "synthesize", "feed_q", "similar_text")
ORDINARY = ["training teachers to keep children safe online", "helpline for children who report abuse",
            "age verification on social media platforms", "legislation against online grooming",
            "national strategy for child online protection", "sexual extortion of teenagers",
            "parents guide to screen time", "digital literacy in school curricula",
            "cyberbullying prevention programme", "safety by design"]


def big_docx(paragraphs: int = 653, words: int = 200, seed: int = 0) -> bytes:
    """A draft of `paragraphs` passages (~2 MB of XML, a few hundred KB zipped)."""
    from docx import Document

    rng = random.Random(seed)
    vocabulary = ("children online protection teachers parents helpline reporting platform safety education "
                  "awareness policy law regulation grooming abuse cyberbullying privacy data age assurance "
                  "industry government school community training national strategy evaluation results").split()
    doc = Document()
    doc.add_heading("Draft contribution", 0)
    for _ in range(paragraphs):
        doc.add_paragraph(" ".join(rng.choice(vocabulary) for _ in range(words)) + ".")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def corpus_prose() -> str:
    text = " ".join(p.read_text(encoding="utf-8", errors="ignore") for p in sorted(SAMPLE.glob("*.md")))
    return " ".join(text.split())


def sample_index() -> Path:
    index = OUT / "heavy-index"
    if not (index / "manifest.json").exists():
        print(f"building the sample index in {index} …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "api.cli", "ingest", str(SAMPLE), "--manifest",
                        str(SAMPLE / "manifest.csv"), "--index", str(index)], cwd=ROOT, check=True,
                       env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return index


def start_server(code: Path, index: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--index", str(index), "--port", str(port)],
                              cwd=code, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(code), **env})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.3)
        if server.poll() is not None:
            break
    server.kill()
    raise SystemExit("the server did not start")


class ServerWatch:
    """CPU seconds (user + system, the process and its children) and peak RSS, sampled every 0.2 s."""

    def __init__(self, pid: int | None) -> None:
        self.process = psutil.Process(pid) if pid else None
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        if self.process:
            self._thread.start()

    def processes(self) -> list[psutil.Process]:
        assert self.process is not None
        return [self.process, *self.process.children(recursive=True)]

    def cpu(self) -> float | None:
        if not self.process:
            return None
        return sum(t.user + t.system for t in (p.cpu_times() for p in self.processes()))

    def rss(self) -> int:
        return sum(p.memory_info().rss for p in self.processes()) if self.process else 0

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self.peak_rss = max(self.peak_rss, self.rss())
            except psutil.Error:
                return

    def stop(self) -> None:
        self._stop.set()


def hostile_request(client: httpx.Client, kind: str, prose: str, docx: bytes, rng: random.Random) -> httpx.Response:
    start = rng.randrange(0, max(1, len(prose) - 10_000))
    long_text = (f"{rng.randrange(10**6)} " + prose[start:start + 10_000])[:10_000]
    if kind == "long_q":
        return client.get("/search", params={"q": long_text})
    if kind == "check":
        return client.post("/check", files={"file": ("draft.docx", docx)})
    if kind == "synthesize":
        return client.post("/synthesize", json={"topic": long_text[:500]})
    if kind == "feed_q":
        return client.get("/feeds/documents.atom", params={"q": long_text})
    return client.get("/similar", params={"text": long_text})


def run_hostile(url: str, kind: str, until: float, give_up: float, seed: int, prose: str, docx: bytes,
                statuses: Counter[str], lock: threading.Lock) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=url, timeout=give_up) as client:
        while time.monotonic() < until:
            try:
                status = str(hostile_request(client, kind, prose, docx, rng).status_code)
            except httpx.TimeoutException:
                status = "timeout"  # gave up: the connection is closed
            except httpx.HTTPError:
                status = "error"
            with lock:
                statuses[f"{kind} {status}"] += 1
                statuses[status] += 1
            if status in ("503", "429"):
                time.sleep(0.05)  # a hostile client retries at once, nearly


def run_ordinary(url: str, until: float, latencies: list[float], statuses: Counter[str]) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        n = 0
        while time.monotonic() < until:
            started = time.perf_counter()
            try:
                status = str(client.get("/search", params={"q": ORDINARY[n % len(ORDINARY)]}).status_code)
            except httpx.TimeoutException:
                status = "timeout"  # 30 s
            except httpx.HTTPError:
                status = "error"
            latencies.append(time.perf_counter() - started)
            statuses[status] += 1
            n += 1
            time.sleep(0.1)


def percentiles(latencies: list[float]) -> dict[str, float | int]:
    if not latencies:
        return {"n": 0}
    ms = np.asarray(latencies) * 1000
    return {"n": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1), "max_ms": round(float(ms.max()), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--pid", type=int, help="with --url: the server's process id, for its CPU and RSS")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose server to start")
    parser.add_argument("--index", type=Path, help="the index to serve (default: the sample, built once)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="server setting, repeatable")
    parser.add_argument("--clients", type=int, default=10, help="hostile clients (default 10)")
    parser.add_argument("--seconds", type=float, default=30, help="how long they run (default 30)")
    parser.add_argument("--quiet-seconds", type=float, default=6, help="the ordinary client alone first")
    parser.add_argument("--give-up", type=float, default=5, help="a hostile client's timeout (default 5 s)")
    parser.add_argument("--label", default="", help="names the output file")
    args = parser.parse_args()

    server = None
    url, pid = args.url, args.pid
    if url is None:
        env = dict(pair.split("=", 1) for pair in args.env)
        server, url = start_server(args.code.resolve(), (args.index or sample_index()).resolve(), env)
        pid = server.pid
    watch = ServerWatch(pid)
    try:
        prose, docx = corpus_prose(), big_docx()
        with httpx.Client(base_url=url, timeout=300) as warm:  # what first requests load (torch, sklearn)
            for kind in ("long_q", "synthesize", "feed_q", "similar_text"):
                hostile_request(warm, kind, prose, docx, random.Random(1))
            warm.post("/check", files={"file": ("d.md", prose[:3000].encode())})
        quiet: list[float] = []
        ordinary: Counter[str] = Counter()
        run_ordinary(url, time.monotonic() + args.quiet_seconds, quiet, ordinary)
        cpu0, wall0 = watch.cpu(), time.monotonic()
        until = wall0 + args.seconds
        loaded: list[float] = []
        statuses: Counter[str] = Counter()
        lock = threading.Lock()
        threads = [threading.Thread(target=run_hostile, args=(
            url, KINDS[i % len(KINDS)], until, args.give_up, i, prose, docx, statuses, lock)) for i in range(args.clients)]
        threads.append(threading.Thread(target=run_ordinary, args=(url, until, loaded, ordinary)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cpu1, wall1 = watch.cpu(), time.monotonic()
        time.sleep(8)  # nobody waits now: what the server still spends is work for clients that left
        cpu2 = watch.cpu()
        rss_end = watch.rss()
    finally:
        watch.stop()
        if server is not None:
            server.terminate()  # a server busy with abandoned work may not stop gracefully: then killed
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=30)
    result = {
        "label": args.label, "clients": args.clients, "seconds": args.seconds, "give_up_s": args.give_up,
        "env": args.env, "ordinary_quiet": percentiles(quiet), "ordinary_under_load": percentiles(loaded),
        "ordinary_statuses": dict(ordinary), "hostile_statuses": dict(sorted(statuses.items())),
        "server_cpu_s_under_load": None if cpu0 is None or cpu1 is None else round(cpu1 - cpu0, 1),
        "server_cpu_s_after_clients_left": None if cpu1 is None or cpu2 is None else round(cpu2 - cpu1, 1),
        "load_wall_s": round(wall1 - wall0, 1),
        "server_peak_rss_mb": round(watch.peak_rss / 2**20) if pid else None,
        "server_rss_end_mb": round(rss_end / 2**20) if pid else None,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"heavy_clients{'-' + args.label if args.label else ''}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    q, u = result["ordinary_quiet"], result["ordinary_under_load"]
    print(f"ordinary search, alone:       p50 {q.get('p50_ms')} ms  p95 {q.get('p95_ms')} ms  (n={q['n']})")
    print(f"ordinary search, under load:  p50 {u.get('p50_ms')} ms  p95 {u.get('p95_ms')} ms  (n={u['n']}) "
          f"{dict(ordinary)}")
    print("hostile answers:", ", ".join(f"{k}: {v}" for k, v in result["hostile_statuses"].items()))
    print(f"server CPU: {result['server_cpu_s_under_load']} s under load ({result['load_wall_s']} s), "
          f"{result['server_cpu_s_after_clients_left']} s in the 8 s after the clients left; "
          f"peak RSS {result['server_peak_rss_mb']} MB, at the end {result['server_rss_end_mb']} MB")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
