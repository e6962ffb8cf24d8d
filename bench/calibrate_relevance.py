"""Fit the relevance model (search/retrieval/relevance.py) on the held-out labels' DEV side, choose its floor
on dev, and show its reliability on TEST (bench/labels/heldout/: questions by someone who saw only the
documents, split by document).

    .venv/bin/python bench/calibrate_relevance.py [--write] [--report-test]

Candidates: for every question (on-topic and off-topic), the first 15 passages of a search among the group's
contributions and the first 15 among the library, as the engine ranks them. A passage is labelled relevant
when its document is among the question's `relevant` documents, not relevant when it is neither relevant nor
`partial` (partial ones are left out of the fit), and every passage of an off-topic question is not relevant.

--write stores the coefficients and the floor in search/retrieval/relevance.json. --report-test prints the
reliability table and the floor's effect on test (once, at the end: never tune on it). Output also goes to
bench/out/calibrate_relevance.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answers_eval import build  # noqa: E402

from index.filters import Filters  # noqa: E402
from index.folder import IndexFolder  # noqa: E402
from ingest.language import query_language  # noqa: E402
from search.retrieval.answer import CONTENT_FLOOR  # noqa: E402
from search.retrieval.engine import SearchEngine  # noqa: E402
from search.retrieval.lexical import query_terms  # noqa: E402
from search.retrieval.relevance import (  # noqa: E402
    FEATURES,
    PassageView,
    QueryView,
    RelevanceModel,
    features,
    term_idf,
)

LABELS = ROOT / "bench" / "labels" / "heldout"
SAMPLE = ROOT / "examples" / "cwg-cop-20"
DEPTH = 15
READS = {"minilm": {"en"}, "use": {"ar", "zh", "nl", "en", "fr", "de", "it", "ja", "ko", "pl", "pt", "es", "th", "tr",
                                   "ru"}}  # as index/embedders.py


def load(name: str) -> list[dict]:
    path = LABELS / name
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def candidates(folder: IndexFolder, engine: SearchEngine, question: str, scopes: dict[str, Filters]) -> list[dict]:
    """The passages a question meets in each scope, with their features and ranks."""
    store = folder.store
    terms = query_terms(question)
    with store.snapshot():
        idf = term_idf(store.fts_row_counts(terms), store.chunk_count(), terms)
    shares, trust = query_language(question)
    vectors = {space: folder.embedder(space).encode([question])[0] for space in folder.spaces}
    view = QueryView(tuple(terms), idf, vectors, shares, trust, {s: folder.embedder(s).languages for s in vectors})
    out = []
    for scope, filters in scopes.items():
        hits = engine.search(question, k=DEPTH, filters=filters)
        if not hits:
            continue
        ids = [h.chunk_id for h in hits]
        with store.snapshot():
            per_space = {s: store.vectors_for(s, ids, folder.dimension(s)) for s in folder.spaces}
        passages = [PassageView(h.text, h.language, {s: per_space[s][n] for s in folder.spaces})
                    for n, h in enumerate(hits)]
        for rank, (hit, row) in enumerate(zip(hits, features(view, passages))):
            out.append({"scope": scope, "rank": rank, "document_id": hit.document_id, "chunk_id": hit.chunk_id,
                        "features": row.tolist(), "text": hit.text[:120]})
    return out


def gather(folder: IndexFolder) -> list[dict]:
    """Candidates of every labelled question and keyword search (on-topic and off-topic), labelled."""
    engine = SearchEngine(folder)
    library = {d.id for d in folder.store.documents() if d.collection == "library"}
    scopes = {name: Filters(fields={"collection": [name]}) for name in ("contributions", "library")}
    rows = []
    for name, form in (("questions.jsonl", "questions"), ("keywords.jsonl", "keywords")):
        for q in load(name):
            for c in candidates(folder, engine, q.get("question") or q["query"], scopes):
                label = 1 if c["document_id"] in q["relevant"] else (None if c["document_id"] in q["partial"] else 0)
                rows.append({**c, "question": q["id"], "form": form, "language": q["language"], "split": q["split"],
                             "on_topic": True, "label": label,
                             "best_in": "library" if q["relevant"][0] in library else "contributions"})
    for name, form in (("offtopic.jsonl", "questions"), ("keywords_offtopic.jsonl", "keywords")):
        for q in load(name):
            for c in candidates(folder, engine, q.get("question") or q["query"], scopes):
                rows.append({**c, "question": q["id"], "form": form, "language": q["language"], "split": q["split"],
                             "on_topic": False, "label": 0, "kind": q["kind"]})
    return rows


def fit(rows: list[dict], models: dict[str, str], c: float = 1.0) -> RelevanceModel:
    from sklearn.linear_model import LogisticRegression

    read = set().union(*READS.values())  # a question in a language no model reads is a regime apart (its notice)
    train = [r for r in rows if r["split"] == "dev" and r["label"] is not None and r["language"] in read | {"und"}]
    x = np.array([r["features"] for r in train])
    y = np.array([r["label"] for r in train])
    model = LogisticRegression(C=c, max_iter=2000).fit(x, y)
    return RelevanceModel(tuple(float(w) for w in model.coef_[0]), float(model.intercept_[0]), 0.5,
                          models=tuple(sorted(models.items())))


def outcomes(rows: list[dict], model: RelevanceModel, split: str, floor: float, form: str = "questions") -> dict:
    """What users would see with this floor, as `answer` gives it (passages under the floor or not content held
    back, the rest by probability): answered on-topic questions, silent off-topic ones (by kind), and top-1/3
    of the contributions list for questions answered best by a contribution."""
    content = FEATURES.index("content")
    read = set().union(*READS.values())
    by_question: dict[str, list[dict]] = {}
    for r in rows:
        if r["split"] == split and form in ("all", r["form"]):
            by_question.setdefault(r["question"], []).append(r)
    answered, top1, top3 = [], [], []
    silent: dict[str, list[bool]] = {}
    for group in by_question.values():
        probs = model.probabilities(np.array([r["features"] for r in group]))
        kept = sorted((-p, i) for i, (r, p) in enumerate(zip(group, probs))
                      if p >= floor and r["features"][content] >= CONTENT_FLOOR)
        if group[0]["on_topic"]:
            if group[0]["language"] not in read:
                continue  # a language no model reads: answered only by shared words, the answer says so
            answered.append(bool(kept))
            if group[0]["best_in"] == "contributions":
                shown = list(dict.fromkeys(group[i]["document_id"] for _, i in kept
                                           if group[i]["scope"] == "contributions"))
                relevant = {r["document_id"] for r in group if r["label"] == 1}
                top1.append(bool(shown) and shown[0] in relevant)
                top3.append(bool(set(shown[:3]) & relevant))
        else:
            silent.setdefault(group[0]["kind"], []).append(not kept)
    mean = lambda v: round(float(np.mean(v)), 4) if v else 0.0  # noqa: E731
    every = [x for v in silent.values() for x in v]
    return {"floor": floor, "form": form, "on_topic_answered": mean(answered), "off_topic_silent": mean(every),
            **{f"silent_{kind}": mean(v) for kind, v in sorted(silent.items())},
            "contribution_top1": mean(top1), "contribution_top3": mean(top3)}


def reliability(rows: list[dict], model: RelevanceModel, split: str, bins: int = 10) -> list[dict]:
    test = [r for r in rows if r["split"] == split and r["label"] is not None]
    probs = model.probabilities(np.array([r["features"] for r in test]))
    labels = np.array([r["label"] for r in test])
    table = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        mask = (probs >= lo) & ((probs < hi) if b < bins - 1 else (probs <= hi))
        if mask.any():
            table.append({"bin": f"{lo:.1f}–{hi:.1f}", "passages": int(mask.sum()),
                          "predicted": round(float(probs[mask].mean()), 3), "observed": round(float(labels[mask].mean()), 3)})
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--report-test", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="reuse bench/out/relevance_candidates.json")
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    cache = out / "relevance_candidates.json"
    if args.reuse and cache.exists():
        cached = json.loads(cache.read_text())
        rows, models = cached["rows"], cached["models"]
    else:
        folder = build(out / "answers-index-default", "default", False)
        try:
            rows = gather(folder)
            models = {space: folder.embedder(space).model_id for space in folder.spaces}
        finally:
            folder.close()
        cache.write_text(json.dumps({"models": models, "rows": rows}, ensure_ascii=False))
    model = fit(rows, models)
    print("coefficients:", dict(zip(FEATURES, (round(w, 3) for w in model.weights))), "bias", round(model.bias, 3))
    floors = [float(f) for f in np.round(np.arange(0.02, 0.41, 0.02), 2)]
    pooled = [outcomes(rows, model, "dev", f, "all") for f in floors]  # the floor is chosen on both forms …
    sweep = [outcomes(rows, model, "dev", f) for f in floors]  # … and shown for questions as asked
    keywords = [outcomes(rows, model, "dev", f, "keywords") for f in floors]  # … and for key words
    for s, k in zip(sweep, keywords):
        print("dev", s)
        print("   keywords", {n: v for n, v in k.items() if n not in ("floor", "form")})
    # the floor: the most off-topic searches silenced while at least 90% of on-topic ones (questions and key
    # words together) are still answered
    fine = [s for s in pooled if s["on_topic_answered"] >= 0.9]
    chosen = max(fine, key=lambda s: (s["off_topic_silent"], s["contribution_top1"], -s["floor"]))
    model = RelevanceModel(model.weights, model.bias, float(chosen["floor"]), models=model.models)
    print("chosen floor", model.floor, chosen)
    result = {"model": model.to_json(), "dev_pooled": pooled, "dev_sweep": sweep, "dev_keywords": keywords,
              "dev_reliability": reliability(rows, model, "dev")}
    if args.report_test:
        result["test"] = outcomes(rows, model, "test", model.floor)
        result["test_reliability"] = reliability(rows, model, "test")
        print("test", result["test"])
        for row in result["test_reliability"]:
            print("test reliability", row)
    (out / "calibrate_relevance.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    if args.write:
        target = ROOT / "search" / "retrieval" / "relevance.json"
        target.write_text(json.dumps(model.to_json(), indent=2) + "\n")
        print(f"written {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
