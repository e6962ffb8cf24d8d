"""How well the quality profile (ingest/quality.py, ingest/quality.yaml) agrees with the hand labels of
bench/labels/quality (45 documents: the sample meeting and 12 policy PDFs; see its README).

    .venv/bin/python bench/quality_eval.py [--split dev|test|all] [--signals FILE]

Per signal: precision and recall of "found" against the hand label "present", and how often the evidence
sentence overlaps the hand-quoted evidence when both say present. For the score: Spearman's rank correlation
with the hand grade (1–5), the share of document pairs with different grades that the score orders the same
way, and the mean score per grade. Writes bench/out/quality-<split>.json.
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.loaders import load_file  # noqa: E402
from ingest.quality import SIGNAL_IDS, assess, load_signals  # noqa: E402

LABELS = ROOT / "bench" / "labels" / "quality" / "signals.jsonl"
SAMPLE = ROOT / "examples" / "cwg-cop-20"
SHARED = ROOT.parent / "shared" / "data" / "policy_pdfs"
CACHE = ROOT / "bench" / "out" / "quality-texts.pickle"


def shared_id(stem: str) -> str:
    ascii_only = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:60].strip("-")


def texts() -> dict[str, tuple[str, list[tuple[int, int, int | None]]]]:
    """document id → (text, page spans), as the project's loader reads it (cached in bench/out, keyed by the
    loaders' code: a change to how files are read reads them again)."""
    import hashlib

    digest = hashlib.sha256()
    for name in ("loaders.py", "textclean.py", "pdf_text.py"):
        digest.update((ROOT / "ingest" / name).read_bytes())
    key = digest.hexdigest()[:16]
    if CACHE.exists():
        cached = pickle.loads(CACHE.read_bytes())
        if isinstance(cached, dict) and cached.get("key") == key:
            return cached["texts"]
    files = {p.stem: p for p in SAMPLE.iterdir() if p.suffix in (".md", ".txt", ".docx", ".pdf", ".html")}
    files.update({shared_id(p.stem): p for p in SHARED.rglob("*.pdf")})
    out = {}
    for doc_id, path in files.items():
        try:
            loaded = load_file(path)
        except Exception as exc:  # noqa: BLE001 - a file the loader refuses is reported, not fatal
            print(f"{path.name}: {exc}", file=sys.stderr)
            continue
        parts, pages, pos = [], [], 0
        for block in loaded.blocks:
            parts.append(block.text)
            pages.append((pos, pos + len(block.text), block.page))
            pos += len(block.text) + 2
        out[doc_id] = ("\n\n".join(parts), pages)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_bytes(pickle.dumps({"key": key, "texts": out}))
    return out


def spearman(x: list[float], y: list[float]) -> float:
    def ranks(v: list[float]) -> list[float]:
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(v):
            j = i
            while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2
            i = j + 1
        return r
    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    var = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return cov / var if var else 0.0


def fit_weights(found_by_doc: list[tuple[set[str], int]], signals) -> None:  # type: ignore[no-untyped-def]
    """Coordinate ascent over each signal's weight (grid 0.25..2) for Spearman with the grade; prints them."""
    weights = {s.id: s.weight for s in signals.signals}
    grid = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)

    def quality(w: dict[str, float]) -> float:
        total = sum(w.values())
        scores = [sum(w[s] for s in found) / total for found, _ in found_by_doc]
        return spearman(scores, [float(g) for _, g in found_by_doc])

    best = quality(weights)
    for _ in range(3):
        for sid in SIGNAL_IDS:
            for value in grid:
                trial = {**weights, sid: value}
                q = quality(trial)
                if q > best + 1e-9:
                    best, weights = q, trial
    print(f"fitted weights (Spearman {best:.3f}): {json.dumps(weights)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--signals", type=Path)
    parser.add_argument("--show", action="store_true", help="print the disagreements")
    parser.add_argument("--fit", action="store_true",
                        help="search signal weights (0.25-2 by coordinate ascent) for Spearman with the grade")
    args = parser.parse_args()
    signals = load_signals(args.signals)
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if args.split == "all" or r["split"] == args.split]
    corpus = texts()
    counts = {s: {"tp": 0, "fp": 0, "fn": 0, "tn": 0, "overlap": 0} for s in SIGNAL_IDS}
    scored = []
    found_by_doc: list[tuple[set[str], int]] = []
    for row in rows:
        if row["document_id"] not in corpus:
            print(f"missing text for {row['document_id']}", file=sys.stderr)
            continue
        text, pages = corpus[row["document_id"]]
        profile = assess(text, pages, signals)
        scored.append((row["document_id"], profile.score, row["grade"]))
        found_by_doc.append(({r.id for r in profile.signals if r.found}, row["grade"]))
        flat = " ".join(text.split())
        for result in profile.signals:
            gold = row["signals"][result.id]
            key = ("tp" if gold["present"] else "fp") if result.found else ("fn" if gold["present"] else "tn")
            counts[result.id][key] += 1
            if key == "tp" and result.evidence is not None:
                mine = " ".join(result.evidence.text.split())
                if gold["evidence"] in mine or mine in gold["evidence"] or \
                        flat.find(mine) <= flat.find(gold["evidence"]) < flat.find(mine) + len(mine):
                    counts[result.id]["overlap"] += 1
            if args.show and key in ("fp", "fn"):
                said = result.evidence.text[:120] if result.evidence else ""
                print(f"{key} {result.id:11s} {row['document_id'][:40]:40s} {said!r} | gold: {gold['evidence']!r}")
    per_signal = {}
    for sid, c in counts.items():
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        per_signal[sid] = {"precision": round(precision, 3), "recall": round(recall, 3),
                           "evidence_overlap": round(c["overlap"] / c["tp"], 3) if c["tp"] else 0.0, **c}
    if args.fit:
        fit_weights(found_by_doc, signals)
    pairs = [(a, b) for i, a in enumerate(scored) for b in scored[i + 1:] if a[2] != b[2]]
    concordant = sum(1 for a, b in pairs if (a[1] - b[1]) * (a[2] - b[2]) > 0)
    ties = sum(1 for a, b in pairs if a[1] == b[1])
    by_grade: dict[int, list[float]] = {}
    for _, score, grade in scored:
        by_grade.setdefault(grade, []).append(score)
    result = {
        "split": args.split, "documents": len(scored), "signals": per_signal,
        "score": {"spearman_with_grade": round(spearman([s for _, s, _ in scored], [g for _, _, g in scored]), 3),
                  "pairs_ordered_right": round((concordant + 0.5 * ties) / len(pairs), 3) if pairs else 0.0,
                  "pairs": len(pairs),
                  "mean_by_grade": {g: round(sum(v) / len(v), 3) for g, v in sorted(by_grade.items())}},
        "documents_scored": sorted(scored, key=lambda t: -t[1]),
    }
    print(f"{'signal':12s} precision recall evidence  (tp fp fn tn)")
    for sid, m in per_signal.items():
        print(f"{sid:12s} {m['precision']:9.2f} {m['recall']:6.2f} {m['evidence_overlap']:8.2f}  "
              f"({m['tp']} {m['fp']} {m['fn']} {m['tn']})")
    print("score:", json.dumps(result["score"]))
    out = ROOT / "bench" / "out" / f"quality-{args.split}.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
