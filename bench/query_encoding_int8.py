"""One query alone, each MiniLM query encoder in turn: wall ms per query (p50/p95) and cosine to float32.

Encoders, interleaved query by query so that a noisy shared machine disturbs them alike: numpy float32
(index/minilm_numpy.py, today's path for one query), torch float32 and torch bfloat16 (index/minilm.py;
bfloat16 only where the CPU has it natively), and the int8 ONNX models (index/query_onnx.py, QInt8 and
QUInt8). One thread each. Queries: SciFact claims and the delegate questions (bench/labels). The CPU's
flags and the load average are printed with the table; compare ratios within one run.

    .venv/bin/python bench/query_encoding_int8.py [--queries 300]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

from index.embedders import MiniLMEmbedder, native_bfloat16  # noqa: E402
from index.minilm_numpy import NumpyMiniLM, load_tokenizer  # noqa: E402
from index.query_onnx import OnnxQueryEncoder, model_path  # noqa: E402

CLAIMS = ROOT.parent / "shared" / "data" / "ir_benchmarks" / "scifact" / "queries.jsonl"
QUESTIONS = ROOT / "bench" / "labels" / "delegate_questions.jsonl"


def queries(limit: int) -> list[str]:
    claims = [json.loads(line)["text"] for line in CLAIMS.read_text().splitlines() if line.strip()]
    asked = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
    return claims[:max(0, limit - len(asked))] + asked


def cpu_flags() -> str:
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    found = sorted(set(re.findall(r"\b(avx2|avx512f|avx512_vnni|avx_vnni|avx512_bf16|amx_bf16|amx_int8)\b", text)))
    model = re.search(r"model name\s*:\s*(.*)", text)
    return f"{model.group(1) if model else '?'}; {' '.join(found)}"


def scifact_quality(split: str) -> None:
    """Hybrid SciFact nDCG@10 on bench/out/scifact-index with each query encoder (CWG_QUERY_ENCODER)."""
    from index.folder import IndexFolder
    from search.retrieval.evaluate import evaluate, load_beir

    collection = load_beir(CLAIMS.parent, split)
    for encoder in ("numpy", "onnx-float32", "onnx-int8"):
        os.environ["CWG_QUERY_ENCODER"] = encoder
        folder = IndexFolder.open(ROOT / "bench" / "out" / "scifact-index")
        try:
            result = evaluate(collection, folder)
        finally:
            folder.close()
        print(f"scifact {split} {encoder:13} nDCG@10 {result.ndcg_at_10:.4f} Recall@100 {result.recall_at_100:.4f} "
              f"({result.queries} queries)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--scifact", metavar="SPLIT", help="instead: SciFact nDCG@10 with each query encoder")
    args = parser.parse_args()
    if args.scifact:
        scifact_quality(args.scifact)
        return
    import torch

    from index.minilm import MiniLMModel

    torch.set_num_threads(1)
    folder = MiniLMEmbedder._folder()
    tokenizer = load_tokenizer(folder)
    texts = queries(args.queries)
    ids = [e.ids for e in tokenizer.encode_batch(texts)]
    build = {}
    for kind in ("float32", "QInt8", "QUInt8"):
        started = time.perf_counter()
        model_path(folder, kind)
        build[kind] = time.perf_counter() - started  # ~0 when already in the cache
    numpy_model = NumpyMiniLM(folder)
    encoders = {"numpy float32": numpy_model.forward,
                "torch float32": MiniLMModel(folder, torch.float32).encode_ids}
    if native_bfloat16():
        encoders["torch bfloat16"] = MiniLMModel(folder, torch.bfloat16).encode_ids
    encoders["onnx float32"] = OnnxQueryEncoder(folder, "float32").forward
    encoders["onnx QInt8"] = OnnxQueryEncoder(folder, "QInt8").forward
    encoders["onnx QUInt8"] = OnnxQueryEncoder(folder, "QUInt8").forward
    from threadpoolctl import threadpool_limits

    times: dict[str, list[float]] = {name: [] for name in encoders}
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in encoders}
    with threadpool_limits(limits=1, user_api="blas"):
        for encode in encoders.values():
            encode(ids[:1])
        for sequence in ids:
            for name, encode in encoders.items():
                started = time.perf_counter()
                row = encode([sequence])[0]
                times[name].append(time.perf_counter() - started)
                vectors[name].append(row / np.linalg.norm(row))
    base = np.asarray(vectors["numpy float32"])
    print(f"cpu: {cpu_flags()}; load average {os.getloadavg()[0]:.2f}; {len(texts)} queries "
          f"(mean {np.mean([len(s) for s in ids]):.1f} tokens); int8 build s: "
          + ", ".join(f"{k} {v:.1f}" for k, v in build.items()))
    print(f"{'encoder':16} {'p50 ms':>8} {'p95 ms':>8} {'x numpy':>8} {'cos min':>9} {'cos p1':>9} {'cos mean':>9}")
    reference = float(np.median(times["numpy float32"]))
    for name in encoders:
        ms = np.asarray(times[name]) * 1000
        cosine = np.sum(np.asarray(vectors[name]) * base, axis=1)
        print(f"{name:16} {np.percentile(ms, 50):8.2f} {np.percentile(ms, 95):8.2f} "
              f"{reference * 1000 / np.percentile(ms, 50):8.2f} {cosine.min():9.5f} "
              f"{np.percentile(cosine, 1):9.5f} {cosine.mean():9.5f}")


if __name__ == "__main__":
    main()
