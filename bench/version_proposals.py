"""Can language versions be proposed where no symbol says so? Measured on the mixed repository of
bench/answers_eval.py (the sample meeting with its manifest, whose two translated contributions carry symbols,
plus the 47 reference files of ../shared/data as they come, among them three Raspberry Pi guides in 3, 3 and 7
languages, with no symbol and under three different source names).

    .venv/bin/python bench/version_proposals.py

For every pair of documents in different languages, `search.retrieval.versions.alignment` (passage-by-passage
similarity in the multilingual space, and the ratio of their passage counts). The truth: symbols (language letter
aside) and, for the guides, the file name after its `xx__` language prefix; every other pair is not a version.
Prints precision and recall of `propose` at several floors, and writes bench/out/version_proposals.json.
"""

from __future__ import annotations

import json
import re
import sys
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answers_eval import build  # noqa: E402

from index.filters import Filters  # noqa: E402
from search.retrieval.versions import alignment, contribution_key, symbol_of  # noqa: E402


def truth_key(doc) -> str:  # type: ignore[no-untyped-def]
    key = contribution_key(symbol_of(doc))
    if key:
        return key
    name = Path(doc.path).name
    found = re.match(r"^[a-z]{2}__(.+)\.\w+$", name)
    return f"file:{found.group(1)}" if found else ""


def main() -> None:
    folder = build(ROOT / "bench" / "out" / "answers-index-default", "default", False)
    try:
        docs = folder.store.documents(Filters.parse(["collection=all"]))
        scored = []
        for a, b in combinations(docs, 2):
            if a.language == b.language:
                continue
            score, ratio = alignment(folder, a.id, b.id)
            same = bool(truth_key(a)) and truth_key(a) == truth_key(b)
            scored.append({"a": a.id, "b": b.id, "score": round(score, 4), "ratio": round(ratio, 3), "version": same,
                           "same_meeting": a.meeting == b.meeting})
    finally:
        folder.close()
    positives = sum(s["version"] for s in scored)
    print(f"{len(scored)} pairs in different languages, {positives} of them versions")
    rows = []
    for floor in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8):
        for min_ratio in (0.0, 0.5):
            picked = [s for s in scored if s["score"] >= floor and s["ratio"] >= min_ratio and s["same_meeting"]]
            right = sum(s["version"] for s in picked)
            row = {"floor": floor, "min_ratio": min_ratio, "proposed": len(picked), "right": right,
                   "precision": round(right / len(picked), 3) if picked else None,
                   "recall": round(right / positives, 3) if positives else None}
            rows.append(row)
            print(row)
    best_wrong = sorted((s for s in scored if not s["version"]), key=lambda s: -s["score"])[:5]
    missed = sorted((s for s in scored if s["version"]), key=lambda s: s["score"])[:5]
    print("highest non-versions:", best_wrong)
    print("lowest versions:", missed)
    out = ROOT / "bench" / "out" / "version_proposals.json"
    out.write_text(json.dumps({"pairs": scored, "sweep": rows}, indent=1), encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
