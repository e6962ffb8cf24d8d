"""Calibrate and measure the tagger on the hand-labelled sample corpus (tests/data/sample_labels.csv).

Protocol: the label set is split by document into `dev` (18 documents) and `test` (15; the English,
French and Spanish versions of one contribution stay in the same split). The score weights (with
--grid) and the per-facet thresholds are chosen on dev only; precision and recall are then reported
on test, which played no part in any choice. The shipped thresholds in search/characterization/taxonomy.yaml are the
dev-calibrated ones this script prints.

    .venv/bin/python bench/calibrate_tags.py [--index DIR] [--grid]

Writes bench/out/calibrate_tags.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.folder import IndexFolder  # noqa: E402
from index.writer import IndexWriter, expand_paths  # noqa: E402
from ingest.metadata import read_manifest  # noqa: E402
from search.characterization.tag_eval import calibrate_thresholds, read_gold, score_facets, select_rows  # noqa: E402
from search.characterization.tagging import ScoreTable, ScoreWeights, Tagger  # noqa: E402
from search.characterization.taxonomy import FACETS, load_taxonomy  # noqa: E402

SAMPLE = ROOT / "examples" / "cwg-cop-20"
GOLD = ROOT / "tests" / "data" / "sample_labels.csv"


def sample_index(path: Path) -> IndexFolder:
    folder = IndexFolder.open(path, create=True)
    if folder.store.chunk_count() == 0:
        files, _ = expand_paths([SAMPLE], {(SAMPLE / "manifest.csv").resolve()})
        IndexWriter(folder).ingest(files, read_manifest(SAMPLE / "manifest.csv").entries)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, help="an index of the sample corpus (built in a temp dir if absent)")
    parser.add_argument("--grid", action="store_true", help="also choose the score weights on dev")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = sample_index(args.index or Path(tmp) / "ix")
        taxonomy = load_taxonomy()
        gold = read_gold(GOLD, taxonomy)
        dev, test = gold.documents("dev"), gold.documents("test")
        tagger = Tagger(folder, taxonomy)
        table = tagger.score_table()
        weights = tagger.weights
        if args.grid:
            weights = choose_weights(tagger, table, gold, dev)
            tagger = Tagger(folder, taxonomy, weights)
            table = ScoreTable(table.documents, table.labels, tagger.combine(table.dense, table.hits, table.chunks),
                               table.dense, table.hits, table.evidence, table.chunks)
        thresholds = calibrate_thresholds(tagger, table, gold, dev)
        shipped = {f: taxonomy.facets[f].threshold for f in FACETS}
        report = {"weights": weights.__dict__, "thresholds_dev_calibrated": thresholds,
                  "thresholds_shipped": shipped, "documents": {"dev": len(dev), "test": len(test)}}
        for name, th in (("calibrated", thresholds), ("shipped", shipped)):
            for split, docs in (("dev", dev), ("test", test)):
                scores = score_facets(tagger.assign(select_rows(table, docs), th), gold, docs)
                report[f"{name}_{split}"] = {f: s.to_json() for f, s in scores.items()}
        folder.close()
    print(f"weights: {weights}")
    print(f"thresholds chosen on dev: {thresholds}   (shipped in taxonomy.yaml: {shipped})")
    print(f"{'facet':16} {'dev P':>6} {'dev R':>6} {'test P':>7} {'test R':>7} {'test F1':>8}  (shipped thresholds)")
    for f in FACETS:
        d, t = report["shipped_dev"][f], report["shipped_test"][f]
        print(f"{f:16} {d['precision']:6.2f} {d['recall']:6.2f} {t['precision']:7.2f} {t['recall']:7.2f} "
              f"{t['f1']:8.2f}   test: {t['true_positives']}/{t['predicted']} predicted, {t['gold']} gold")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "calibrate_tags.json").write_text(json.dumps(report, indent=2))
    print(f"wrote {out / 'calibrate_tags.json'}")


def choose_weights(tagger: Tagger, table: ScoreTable, gold, dev: list[str]) -> ScoreWeights:  # type: ignore[no-untyped-def]
    """Grid over the mixing weights; each candidate gets dev-calibrated thresholds; best mean dev F1 wins."""
    best: tuple[float, ScoreWeights] | None = None
    for dense_weight in (0.0, 0.2, 0.4, 0.6):
        for lexical_half in (0.5, 1.0, 2.0):
            weights = replace(tagger.weights, dense_weight=dense_weight, lexical_half=lexical_half)
            candidate = Tagger(tagger.folder, tagger.taxonomy, weights)
            cand_table = ScoreTable(table.documents, table.labels,
                                    candidate.combine(table.dense, table.hits, table.chunks),
                                    table.dense, table.hits, table.evidence, table.chunks)
            th = calibrate_thresholds(candidate, cand_table, gold, dev)
            scores = score_facets(candidate.assign(select_rows(cand_table, dev), th), gold, dev)
            mean_f1 = sum(s.f1 for s in scores.values()) / len(scores)
            print(f"  dense_weight={dense_weight} lexical_half={lexical_half}: dev mean F1 {mean_f1:.3f}")
            if best is None or mean_f1 > best[0] + 1e-9:
                best = (mean_f1, weights)
    assert best is not None
    return best[1]


if __name__ == "__main__":
    main()
