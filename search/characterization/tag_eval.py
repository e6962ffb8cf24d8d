"""Measure and calibrate the tagger against a hand-labelled set (CSV: document_id, split, one column per facet).

The protocol is a fixed split: thresholds are chosen on the `dev` documents only, and precision and
recall are reported on the `test` documents, which played no part in choosing them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.errors import CwgError
from search.characterization.tagging import LabelScore, ScoreTable
from search.characterization.taxonomy import FACETS, Taxonomy

THRESHOLD_GRID = tuple(round(x, 2) for x in np.arange(0.05, 0.96, 0.01))


@dataclass(frozen=True)
class GoldSet:
    splits: dict[str, str]  # document id → split name
    labels: set[tuple[str, str, str]]  # (document id, facet, label)

    def documents(self, split: str | None = None) -> list[str]:
        return sorted(d for d, s in self.splits.items() if split is None or s == split)


@dataclass(frozen=True)
class FacetScore:
    facet: str
    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted: int
    gold: int

    def to_json(self) -> dict[str, object]:
        return {"facet": self.facet, "precision": round(self.precision, 3), "recall": round(self.recall, 3),
                "f1": round(self.f1, 3), "true_positives": self.true_positives, "predicted": self.predicted,
                "gold": self.gold}


def read_gold(path: Path, taxonomy: Taxonomy | None = None) -> GoldSet:
    """Read the hand-labelled CSV; labels are `;`-separated. Unknown labels are an error when a taxonomy is given."""
    splits: dict[str, str] = {}
    labels: set[tuple[str, str, str]] = set()
    with open(path, newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            doc = (row.get("document_id") or "").strip()
            if not doc:
                raise CwgError(f"{path}, line {line}: empty document_id")
            splits[doc] = (row.get("split") or "test").strip()
            for facet in FACETS:
                for label in filter(None, (x.strip() for x in (row.get(facet) or "").split(";"))):
                    if taxonomy is not None and label not in {lb.id for lb in taxonomy.facets[facet].labels}:
                        raise CwgError(f"{path}, line {line}: {facet} label {label!r} is not in the taxonomy")
                    labels.add((doc, facet, label))
    return GoldSet(splits, labels)


def score_facets(assigned: list[LabelScore], gold: GoldSet, documents: list[str]) -> dict[str, FacetScore]:
    """Micro-averaged precision and recall per facet over `documents`."""
    docs = set(documents)
    predicted = {(a.document_id, a.facet, a.label) for a in assigned if a.document_id in docs}
    truth = {g for g in gold.labels if g[0] in docs}
    out = {}
    for facet in FACETS:
        p = {x for x in predicted if x[1] == facet}
        t = {x for x in truth if x[1] == facet}
        tp = len(p & t)
        precision = tp / len(p) if p else 0.0
        recall = tp / len(t) if t else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[facet] = FacetScore(facet, precision, recall, f1, tp, len(p), len(t))
    return out


def select_rows(table: ScoreTable, documents: list[str]) -> ScoreTable:
    rows = [table.documents.index(d) for d in documents if d in table.documents]
    return ScoreTable([table.documents[i] for i in rows], table.labels, table.scores[rows], table.dense[rows],
                      table.hits[rows], table.evidence[rows], table.chunks[rows])


def calibrate_thresholds(tagger, table: ScoreTable, gold: GoldSet, documents: list[str],  # type: ignore[no-untyped-def]
                         grid: tuple[float, ...] = THRESHOLD_GRID) -> dict[str, float]:
    """Per facet, the threshold with the best F1 on `documents` (ties: the middle of the best run)."""
    sub = select_rows(table, documents)
    best: dict[str, float] = {}
    for facet in FACETS:
        f1s = [score_facets(tagger.assign(sub, {facet: t}), gold, documents)[facet].f1 for t in grid]
        top = max(f1s)
        winners = [t for t, f in zip(grid, f1s) if f >= top - 1e-9]
        best[facet] = float(winners[len(winners) // 2])
    return best
