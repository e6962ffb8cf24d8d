"""Time `cwg tag` and `cwg synthesize` on an existing index (model loading counted separately).

    .venv/bin/python bench/tag_synthesize_speed.py --index DIR [--topic T]...

Prints the numbers and writes bench/out/tag_synthesize_speed-<index name>.json.
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

from index.folder import IndexFolder  # noqa: E402
from search.characterization.tagging import Tagger  # noqa: E402
from search.characterization.taxonomy import load_taxonomy  # noqa: E402
from search.synthesis.pipeline import Synthesizer  # noqa: E402
from search.synthesis.render_docx import render_docx  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--topic", action="append", default=[])
    args = parser.parse_args()
    topics = args.topic or ["age assurance", "legal_frameworks", "training teachers and educators"]
    folder = IndexFolder.open(args.index)
    taxonomy = load_taxonomy()
    start = time.perf_counter()
    folder.embedder(folder.spaces[0]).encode(["warm up"])
    folder.refresh_vectors()
    result: dict[str, object] = {"index": args.index.name, "documents": len(folder.store.documents()),
                                 "chunks": folder.store.chunk_count(),
                                 "model_load_s": round(time.perf_counter() - start, 2)}
    start = time.perf_counter()
    report = Tagger(folder, taxonomy).tag()
    result["tag_s"] = round(time.perf_counter() - start, 2)
    result["labels"] = len(report.assigned)
    runs = []
    for topic in topics:
        start = time.perf_counter()
        synthesis = Synthesizer(folder, taxonomy).synthesize(topic)
        elapsed = time.perf_counter() - start
        start = time.perf_counter()
        render_docx(synthesis)
        runs.append({"topic": topic, "synthesize_s": round(elapsed, 2),
                     "docx_s": round(time.perf_counter() - start, 3), "subthemes": len(synthesis.subthemes),
                     "citations": len(synthesis.citations), "sources": len({c.source for c in synthesis.citations})})
    result["synthesis"] = runs
    folder.close()
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"tag_synthesize_speed-{args.index.name}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
