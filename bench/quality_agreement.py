"""Agreement between two annotators of the quality signals (issue 23): the ceiling to report beside the score's.

    .venv/bin/python bench/quality_agreement.py

The first annotator's labels are bench/labels/quality/signals.jsonl; a second annotator, who had only the
rubric (the "Signal definitions" and "Grade" sections of bench/labels/quality/README.md) and the documents'
text, labelled 15 of the 45 documents again: bench/labels/quality/second_annotator.jsonl. Prints, per signal,
the share of documents where both agree and Cohen's kappa; for the grade, exact agreement, agreement within
one grade, quadratic-weighted kappa and Spearman's rho. Writes bench/out/quality-agreement.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "bench" / "labels" / "quality"
SIGNALS = ("objective", "initiative", "audience", "results", "figures", "evaluation", "lessons", "partners",
           "resources", "next_steps")


def cohen_kappa(a: list[int], b: list[int], weights: str | None = None) -> float:
    """Cohen's kappa of two raters' categories (unweighted, or quadratic-weighted for ordered ones)."""
    cats = sorted(set(a) | set(b))
    index = {c: i for i, c in enumerate(cats)}
    n = len(cats)
    observed = np.zeros((n, n))
    for x, y in zip(a, b):
        observed[index[x], index[y]] += 1
    observed /= len(a)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    if weights == "quadratic":
        w = np.array([[(i - j) ** 2 for j in range(n)] for i in range(n)], dtype=float)
    else:
        w = 1.0 - np.eye(n)
    denominator = (w * expected).sum()
    # both raters gave one category throughout: chance explains the agreement, kappa is undefined
    return float("nan") if denominator == 0 else float(1.0 - (w * observed).sum() / denominator)


def spearman(a: list[float], b: list[float]) -> float:
    def ranks(x: list[float]) -> np.ndarray:
        order = np.argsort(x, kind="stable")
        r = np.empty(len(x))
        r[order] = np.arange(len(x))
        for v in set(x):  # ties share their mean rank
            tied = [i for i, y in enumerate(x) if y == v]
            r[tied] = r[tied].mean()
        return r
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def main() -> int:
    first = {r["document_id"]: r for r in map(json.loads, (LABELS / "signals.jsonl").open())}
    second = {r["document_id"]: r for r in map(json.loads, (LABELS / "second_annotator.jsonl").open())}
    docs = sorted(second)
    missing = [d for d in docs if d not in first]
    if missing:
        raise SystemExit(f"second annotator's documents without a first label: {missing}")
    out: dict[str, object] = {"documents": len(docs), "signals": {}}
    print(f"{len(docs)} documents labelled twice\n")
    print(f"{'signal':<12} {'present (1st/2nd)':>18} {'agree':>6} {'kappa':>6}")
    kappas = []
    for s in SIGNALS:
        a = [int(first[d]["signals"][s]["present"]) for d in docs]
        b = [int(second[d]["signals"][s]["present"]) for d in docs]
        agree = sum(x == y for x, y in zip(a, b)) / len(docs)
        kappa = cohen_kappa(a, b)
        kappas.append(kappa)
        out["signals"][s] = {"first": sum(a), "second": sum(b), "agreement": round(agree, 3),  # type: ignore[index]
                             "kappa": None if np.isnan(kappa) else round(kappa, 3)}
        print(f"{s:<12} {sum(a):>8} / {sum(b):<7} {agree:>6.2f} {kappa:>6.2f}")
    ga = [first[d]["grade"] for d in docs]
    gb = [second[d]["grade"] for d in docs]
    grade = {"exact": round(sum(x == y for x, y in zip(ga, gb)) / len(docs), 3),
             "within_one": round(sum(abs(x - y) <= 1 for x, y in zip(ga, gb)) / len(docs), 3),
             "kappa_quadratic": round(cohen_kappa(ga, gb, "quadratic"), 3),
             "spearman": round(spearman(ga, gb), 3), "first": ga, "second": gb}
    out["grade"] = grade
    out["mean_signal_kappa"] = round(float(np.nanmean(kappas)), 3)
    print(f"\nmean signal kappa {np.nanmean(kappas):.2f} (over the signals where it is defined)")
    print(f"grade: exact {grade['exact']:.2f}, within one {grade['within_one']:.2f}, "
          f"weighted kappa {grade['kappa_quadratic']:.2f}, Spearman {grade['spearman']:.2f}")
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "quality-agreement.json").write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
