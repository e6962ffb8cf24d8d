"""What a query's encoding costs: CPU milliseconds per query for each encoder, one thread, by pass size.

The server's query encoders (index/batching.py) encode the queries that arrive together in length-sorted
passes; this measures the CPU time per query of one query alone and of passes of 4–64 queries, over real
SciFact claims (the load test's queries), so the load test's throughput can be read against it. CPU time
(not wall time) is reported: it is what the 2 cores must supply, and it is less disturbed by other work.

MiniLM has two forward passes over the same weights (index/embedders.py picks by the longest text of a
pass): numpy (index/minilm_numpy.py) and torch (index/minilm.py). Both are timed on the queries, and on
SciFact passages cut to 16–256 tokens in passes of 16, which is where SHORT_PASS_TOKENS comes from.

    .venv/bin/python bench/query_encoding.py [--queries 256]
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
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from index.embedders import MiniLMEmbedder, UseEmbedder  # noqa: E402
from index.minilm_numpy import NumpyMiniLM  # noqa: E402

CLAIMS = ROOT.parent / "shared" / "data" / "ir_benchmarks" / "scifact" / "queries.jsonl"
CORPUS = CLAIMS.parent / "corpus.jsonl"


def _cpu_ms(encode, passes: list[list[list[int]]]) -> float:  # type: ignore[no-untyped-def]
    encode(passes[0])  # warm
    cpu = time.process_time()
    for batch in passes:
        encode(batch)
    return round(1000 * (time.process_time() - cpu) / sum(len(b) for b in passes), 2)


def minilm_engines(queries: list[str]) -> list[dict[str, object]]:
    """numpy against torch, one thread, on the queries and on passages cut to 16–256 tokens."""
    import torch
    from threadpoolctl import threadpool_limits

    from index.minilm import MiniLMModel

    torch.set_num_threads(1)
    embedder = MiniLMEmbedder(dtype="float32", threads=1)
    folder = embedder._folder()
    engines = {"numpy": NumpyMiniLM(folder).forward, "torch": MiniLMModel(folder, torch.float32).encode_ids}
    query_ids = sorted(embedder._tokens(queries), key=len)
    sets = {"queries": query_ids}
    if CORPUS.exists():
        passages = [json.loads(line) for line in CORPUS.open(encoding="utf-8")][:128]
        ids = [s for s in embedder._tokens([f"{p['title']} {p['text']}" for p in passages]) if len(s) >= 256]
        for length in (16, 32, 64, 128, 256):
            sets[f"passages cut at {length} tokens"] = [s[:length - 1] + s[-1:] for s in ids[:64]]
    rows = []
    with threadpool_limits(1):
        for name, sequences in sets.items():
            for size in ((1, 16) if name == "queries" else (16,)):
                sample = sequences[:64] if size == 1 else sequences
                passes = [sample[i:i + size] for i in range(0, len(sample), size)]
                row: dict[str, object] = {"texts": name, "pass": size, "count": len(sample),
                                          "mean_tokens": round(sum(map(len, sample)) / len(sample), 1)}
                for engine, encode in engines.items():
                    row[f"{engine}_cpu_ms_per_text"] = _cpu_ms(encode, passes)
                rows.append(row)
                print(f"minilm {name:<28} pass {size:>3} ({row['mean_tokens']:>5} tokens): numpy "
                      f"{row['numpy_cpu_ms_per_text']:>7} ms, torch {row['torch_cpu_ms_per_text']:>7} ms CPU per text",
                      flush=True)
    return rows
FALLBACK = ["training teachers to keep children safe online", "helpline for children who report abuse",
            "age verification on social media platforms", "legislation against online grooming"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=256)
    args = parser.parse_args()
    if CLAIMS.exists():
        queries = [json.loads(line)["text"] for line in CLAIMS.open(encoding="utf-8")][:args.queries]
    else:
        print(f"note: {CLAIMS} is absent; timing {len(FALLBACK)} short questions", file=sys.stderr)
        queries = FALLBACK * (args.queries // len(FALLBACK))
    rows = []
    for embedder in (MiniLMEmbedder(dtype="float32", threads=1), UseEmbedder(threads=1)):
        embedder.set_threads(1)
        embedder.encode(queries[:8])  # load and warm up
        for size in (1, 4, 8, 16, 32, 64):
            sample = queries[:64] if size == 1 else queries
            cpu, wall = time.process_time(), time.perf_counter()
            embedder.encode(sample, batch_size=size) if size > 1 else [embedder.encode([q]) for q in sample]
            rows.append({"encoder": embedder.space, "pass": size, "queries": len(sample),
                         "cpu_ms_per_query": round(1000 * (time.process_time() - cpu) / len(sample), 2),
                         "wall_ms_per_query": round(1000 * (time.perf_counter() - wall) / len(sample), 2)})
            print(f"{embedder.space:<7} pass {size:>3}: {rows[-1]['cpu_ms_per_query']:>6} ms CPU, "
                  f"{rows[-1]['wall_ms_per_query']:>6} ms wall per query", flush=True)
    engines = minilm_engines(queries)
    out = ROOT / "bench" / "out" / "query_encoding.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"load_average_1min": round(os.getloadavg()[0], 2), "rows": rows,
                               "minilm_engines": engines}, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
