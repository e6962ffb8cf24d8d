"""Quality signals by meaning against the cue lists (issue 23), on the hand labels of bench/labels/quality.

    .venv/bin/python bench/quality_meaning_eval.py [--write] [--folds 5]

The labels are both batches of bench/labels/quality (signals.jsonl and signals_batch2.jsonl), each split by
document: dev is the dev half of both (51 documents; `--first-batch-only`: the first batch's 27, as shipped before),
test the test half of both (47), reported per batch and for the 21st meeting's contributions.

1. dev, cross-validated by document (5 folds): each fold's classifiers (ingest/quality_meaning.py: USE sentence
   vectors + cue features) are trained on the other folds and read the held-out documents; per signal and mode
   ("meaning": the classifier's sentences count; "either": the classifier's or the cue lists') the threshold with
   the best accuracy on those held-out predictions is chosen, and a mode replaces the cue lists only where its
   held-out accuracy beats theirs (the threshold is chosen on the same predictions: slightly optimistic).
2. The classifiers are trained on all of dev (dev labels ONLY) and, with --write, saved as
   ingest/quality_meaning.npz (the shipped weights).
3. test, once: per signal precision/recall of the cue lists, of the classifier, and of the shipped combination;
   Spearman with the grade and the share of pairs ordered right, for the cue profile and the combined one.

With --batch2: the shipped weights read the whole second batch of labels (bench/labels/quality/signals_batch2.jsonl:
18 contributions to a 21st meeting in seven languages, 35 more shared files): per signal, cue lists against the
shipped reading, and the score's ordering, on all 53 and on the 18 contributions. Its dev half is now in the
weights' training: for held-out figures use the test rows of the main run. Writes bench/out/quality-meaning-batch2.json.

Sentence vectors are cached in bench/out/quality-text-vectors.sqlite. Writes bench/out/quality-meaning.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.quality_eval import LABELS, spearman, texts  # noqa: E402
from index.embedders import UseEmbedder  # noqa: E402
from index.text_vectors import TextVectorCache  # noqa: E402
from ingest.quality import load_signals, score_of  # noqa: E402
from ingest.quality_meaning import MODEL_SPACE, MeaningModel, save_model, shipped_model_path  # noqa: E402
from search.characterization.quality_training import (  # noqa: E402
    LabelledDocument,
    document_sentences,
    fit,
    labelled_examples,
    verdict,
)

VECTORS = ROOT / "bench" / "out" / "quality-text-vectors.sqlite"
BATCH2 = ROOT / "bench" / "labels" / "quality" / "signals_batch2.jsonl"
CORPUS21 = ROOT / "bench" / "corpus" / "cwg-cop-21"
SHARED = ROOT.parent / "shared" / "data"


def batch2_texts() -> dict[str, tuple[str, list]]:  # type: ignore[type-arg]
    """document id → (text as ingest stores it, no page spans): the 21st meeting's corpus and the shared files."""
    from bench.quality_eval import shared_id
    from ingest.chunking import chunk_blocks
    from ingest.loaders import load_file

    files = {p.stem: p for p in CORPUS21.iterdir() if p.suffix in (".md", ".txt", ".docx", ".pdf")}
    for folder, suffix in (("policy_pdfs", ".pdf"), ("policy_texts", ".txt")):
        files.update({shared_id(p.stem): p for p in (SHARED / folder).rglob(f"*{suffix}")})
    out = {}
    for doc_id, path in files.items():
        try:
            out[doc_id] = (chunk_blocks(load_file(path).blocks)[0], [])
        except Exception as exc:  # noqa: BLE001 - a file the loader refuses is reported, not fatal
            print(f"{path.name}: {exc}", file=sys.stderr)
    return out


def read_batch2(signals, ids: tuple[str, ...], encode) -> None:  # type: ignore[no-untyped-def]
    from ingest.quality_meaning import load_model

    model = load_model()
    modes = {sid: ("either" if sid in model.either else "meaning") if sid in model.decides else "cues" for sid in ids}
    rows = [json.loads(line) for line in BATCH2.read_text(encoding="utf-8").splitlines() if line.strip()]
    corpus = batch2_texts()
    docs = labelled(rows, corpus)
    missing = sorted({r["document_id"] for r in rows} - {d.doc_id for d, _ in docs})
    got = {d.doc_id: document_sentences(d.text, signals, encode, model) for d, _ in docs}
    source = {r["document_id"]: r["source"] for r in rows}
    result: dict[str, object] = {"documents": len(docs), "missing": missing}
    for group, keep in (("all", lambda d: True), ("contributions", lambda d: source[d] == "cwg-cop-21")):
        chosen = [(d, g) for d, g in docs if keep(d.doc_id)]
        table = {}
        for col, sid in enumerate(ids):
            gold = [d.labels[sid][0] for d, _ in chosen]
            sentences = [(got[d.doc_id][0][:, col], got[d.doc_id][1][:, col]) for d, _ in chosen]
            tau = float(model.thresholds[model.signal_ids.index(sid)])
            table[sid] = {"cue": prf([verdict(p, c, tau, "cues") for p, c in sentences], gold),
                          "shipped": prf([verdict(p, c, tau, modes[sid]) for p, c in sentences], gold)}
        scores = {"cue": [], "shipped": []}  # type: dict[str, list[float]]
        for doc, _ in chosen:
            probs, cues = got[doc.doc_id]
            for name, mode_of in (("cue", {s: "cues" for s in ids}), ("shipped", modes)):
                scores[name].append(score_of(signals, {sid for c, sid in enumerate(ids) if verdict(
                    probs[:, c], cues[:, c], float(model.thresholds[model.signal_ids.index(sid)]), mode_of[sid])}))
        grades = [g for _, g in chosen]
        result[group] = {"documents": len(chosen), "signals": table, "cue": ranking(scores["cue"], grades),
                         "shipped": ranking(scores["shipped"], grades)}
        print(f"{group} ({len(chosen)} documents): signal, cue lists P/R, shipped P/R")
        for sid in ids:
            t = table[sid]
            print(f"  {sid:11s} {t['cue']['precision']:.2f}/{t['cue']['recall']:.2f}  "
                  f"{t['shipped']['precision']:.2f}/{t['shipped']['recall']:.2f}")
        print(f"  score: cue lists {result[group]['cue']}, shipped {result[group]['shipped']}")  # type: ignore[index]
    if missing:
        print("no text for:", ", ".join(missing), file=sys.stderr)
    (ROOT / "bench" / "out" / "quality-meaning-batch2.json").write_text(json.dumps(result, indent=2), encoding="utf-8")


def cached_encoder():  # type: ignore[no-untyped-def]
    embedder, cache = UseEmbedder(threads=1), TextVectorCache(VECTORS)
    VECTORS.parent.mkdir(parents=True, exist_ok=True)
    return lambda sentences: cache.encode(embedder, list(sentences))


def labelled(rows: list[dict], corpus: dict) -> list[tuple[LabelledDocument, int]]:  # type: ignore[type-arg]
    out = []
    for row in rows:
        if row["document_id"] not in corpus:
            continue
        labels = {sid: (bool(v["present"]), v.get("evidence")) for sid, v in row["signals"].items()}
        out.append((LabelledDocument(row["document_id"], corpus[row["document_id"]][0], labels), int(row["grade"])))
    return out


def model_of(weights: np.ndarray, bias: np.ndarray, thresholds: np.ndarray, modes: dict[str, str],
             ids: tuple[str, ...], trained_on: str) -> MeaningModel:
    return MeaningModel(ids, weights, bias, thresholds, frozenset(s for s, m in modes.items() if m != "cues"),
                        UseEmbedder.model_id, trained_on, either=frozenset(s for s, m in modes.items() if m == "either"))


def prf(pred: list[bool], gold: list[bool]) -> dict[str, float]:
    tp = sum(p and g for p, g in zip(pred, gold))
    fp = sum(p and not g for p, g in zip(pred, gold))
    fn = sum(g and not p for p, g in zip(pred, gold))
    return {"precision": round(tp / (tp + fp), 2) if tp + fp else 0.0, "recall": round(tp / (tp + fn), 2) if tp + fn
            else 0.0, "accuracy": round(sum(p == g for p, g in zip(pred, gold)) / len(gold), 3) if gold else 0.0}


def ranking(scores: list[float], grades: list[int]) -> dict[str, float]:
    pairs = [(i, j) for i in range(len(scores)) for j in range(i + 1, len(scores)) if grades[i] != grades[j]]
    right = sum(1.0 if (scores[i] - scores[j]) * (grades[i] - grades[j]) > 0 else 0.5 if scores[i] == scores[j]
                else 0.0 for i, j in pairs)
    if len(scores) < 2:
        return {}
    return {"spearman": round(spearman(scores, [float(g) for g in grades]), 3),
            "pairs_right": round(right / len(pairs), 3) if pairs else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="save the dev-trained weights as the shipped file")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--with-cues", action="store_true",
                        help="the classifiers also read the cue features (by default: the sentence vectors only)")
    parser.add_argument("--batch2", action="store_true", help="read the second batch of labels with the shipped weights")
    parser.add_argument("--first-batch-only", action="store_true",
                        help="train on the first batch's dev labels only (the weights shipped before)")
    parser.add_argument("--test", action="store_true", help="also read the test half (once, after choices on dev)")
    args = parser.parse_args()
    signals = load_signals()
    ids = tuple(s.id for s in signals.signals)
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows2 = [json.loads(line) for line in BATCH2.read_text(encoding="utf-8").splitlines() if line.strip()]
    corpus = texts()
    corpus2 = batch2_texts()
    dev = labelled([r for r in rows if r["split"] == "dev"], corpus)
    if not args.first_batch_only:
        dev += labelled([r for r in rows2 if r["split"] == "dev"], corpus2)
    tests = {"batch 1": labelled([r for r in rows if r["split"] == "test"], corpus),
             "batch 2": labelled([r for r in rows2 if r["split"] == "test"], corpus2),
             "batch 2 contributions": labelled([r for r in rows2 if r["split"] == "test"
                                                and r["source"] == "cwg-cop-21"], corpus2)} if args.test else {}
    test = tests["batch 1"] + tests["batch 2"] if tests else []
    encode = cached_encoder()
    if args.batch2:
        read_batch2(signals, ids, encode)
        return

    # 1. dev, cross-validated by document
    held: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for fold in range(args.folds):
        train = [d for n, (d, _) in enumerate(dev) if n % args.folds != fold]
        weights, bias = fit(labelled_examples(train, signals, encode), signals, vectors_only=not args.with_cues)
        model = model_of(weights, bias, np.full(len(ids), 0.5), {s: "meaning" for s in ids}, ids, "fold")
        for n, (doc, _) in enumerate(dev):
            if n % args.folds == fold:
                held[doc.doc_id] = document_sentences(doc.text, signals, encode, model)
    thresholds, modes, table = np.full(len(ids), 0.5, dtype=np.float32), {}, {}
    for col, sid in enumerate(ids):
        gold = [d.labels[sid][0] for d, _ in dev]
        sentences = [(held[d.doc_id][0][:, col], held[d.doc_id][1][:, col]) for d, _ in dev]
        candidates = sorted({float(v) for p, _ in sentences for v in p}) + [1.01]
        per_mode = {"cues": (prf([verdict(p, c, 0.5, "cues") for p, c in sentences], gold), 0.5)}
        for mode in ("either", "meaning"):
            tau = max(candidates, key=lambda t: (sum(verdict(p, c, t, mode) == g for (p, c), g in zip(sentences, gold)),
                                                 -abs(t - 0.5)))
            per_mode[mode] = (prf([verdict(p, c, tau, mode) for p, c in sentences], gold), tau)
        best = max(("cues", "either", "meaning"), key=lambda m: per_mode[m][0]["accuracy"])  # ties: the simpler
        modes[sid], thresholds[col] = best, per_mode[best][1]
        table[sid] = {m: r for m, (r, _) in per_mode.items()} | {"threshold": round(float(thresholds[col]), 3),
                                                                 "mode": best}

    def decided(probs: np.ndarray, cues: np.ndarray, mode_of: dict[str, str]) -> set[str]:
        return {sid for c, sid in enumerate(ids) if verdict(probs[:, c], cues[:, c], float(thresholds[c]), mode_of[sid])}

    dev_scores = {"cue": [], "final": []}  # type: dict[str, list[float]]
    dev_found = {}
    for doc, grade in dev:
        probs, cues = held[doc.doc_id]
        dev_found[doc.doc_id] = {"grade": grade, "found": sorted(decided(probs, cues, modes)),
                                 "words": len(doc.text.split()), "sentences": int(probs.shape[0]),
                                 "top": [round(float(v), 4) for v in probs.max(axis=0)] if len(probs) else [],
                                 "counted": [int(((probs[:, c] >= thresholds[c]) | (cues[:, c] > 0)).sum())
                                             for c in range(len(ids))] if len(probs) else []}
        dev_scores["cue"].append(score_of(signals, decided(probs, cues, {s: "cues" for s in ids})))
        dev_scores["final"].append(score_of(signals, decided(probs, cues, modes)))
    dev_grades = [g for _, g in dev]

    # 2. all of dev
    weights, bias = fit(labelled_examples([d for d, _ in dev], signals, encode), signals,
                        vectors_only=not args.with_cues)
    model = model_of(weights, bias, thresholds, modes, ids,
                     f"bench/labels/quality dev ({len(dev)} documents), {MODEL_SPACE} sentence vectors")
    if args.write:
        save_model(model, shipped_model_path())

    # 3. test, once
    test_rows, test_scores = {}, {"cue": {}, "final": {}}  # type: ignore[var-annotated]
    got = {d.doc_id: document_sentences(d.text, signals, encode, model) for d, _ in test}
    for col, sid in enumerate(ids):
        gold = [d.labels[sid][0] for d, _ in test]
        sentences = [(got[d.doc_id][0][:, col], got[d.doc_id][1][:, col]) for d, _ in test]
        test_rows[sid] = {m: prf([verdict(p, c, float(thresholds[col]), m) for p, c in sentences], gold)
                          for m in ("cues", "either", "meaning")}
    for doc, _ in test:
        probs, cues = got[doc.doc_id]
        test_scores["cue"][doc.doc_id] = score_of(signals, decided(probs, cues, {s: "cues" for s in ids}))
        test_scores["final"][doc.doc_id] = score_of(signals, decided(probs, cues, modes))
    test_ranking = {group: {name: ranking([test_scores[name][d.doc_id] for d, _ in docs], [g for _, g in docs])
                            for name in ("cue", "final")} | {"documents": len(docs)}
                    for group, docs in (tests | {"all": test}).items()}
    result = {
        "dev_cross_validated": {"signals": table, "cue": ranking(dev_scores["cue"], dev_grades),
                                "final": ranking(dev_scores["final"], dev_grades)},
        "test": {"signals": test_rows} | test_ranking,
        "modes": modes, "documents": {"dev": len(dev), "test": len(test)},
        "dev_found": dev_found}
    print(f"{'signal':11s} {'mode':7s} | dev (cross-validated) P/R: cues, either, meaning | test P/R: cues, either, "
          f"meaning")
    for sid in ids:
        d, t = table[sid], test_rows[sid]
        row = " ".join(f"{d[m]['precision']:.2f}/{d[m]['recall']:.2f}" for m in ("cues", "either", "meaning"))
        trow = " ".join(f"{t[m]['precision']:.2f}/{t[m]['recall']:.2f}" for m in ("cues", "either", "meaning"))
        print(f"{sid:11s} {modes[sid]:7s} | {row} | {trow}")
    print("dev (cross-validated) cue:", result["dev_cross_validated"]["cue"],  # type: ignore[index]
          "final:", result["dev_cross_validated"]["final"])  # type: ignore[index]
    for group, row in test_ranking.items():
        print(f"test, {group} ({row['documents']} documents) cue: {row['cue']} final: {row['final']}")
    out = ROOT / "bench" / "out" / "quality-meaning.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
