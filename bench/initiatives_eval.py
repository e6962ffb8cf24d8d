"""Initiatives (issue 24): similar by what they do, tags on short contributions and long reports, record fields.

    .venv/bin/python bench/initiatives_eval.py [--split dev|test] [--parts similar,calibrate,tags,long,heldout,records] [--retag]

The repository is the mixed one of bench/answers_eval.py (the 33 contributions of examples/cwg-cop-20 and the
policy PDFs and texts of ../shared/data as library), copied once from bench/out/answers-index-default to
bench/out/initiatives-index and tagged there (initiatives are computed by `cwg tag`); it is reused afterwards.

- similar: for each labelled pair (bench/labels/similar_pairs.jsonl), is the partner in the first 3 results
  (both directions); P@3: the share of the first 3 results labelled similar; look-alikes: how often a pair of
  bench/labels/not_similar.jsonl is in the first 3. Before: the passage-only ranking with the English model
  (initiative weight 0); english only: with initiatives, every pair compared with the English model (as before
  `similar` crossed languages); after: a pair in two languages compared in the multilingual space. Default scope
  (the group's contributions) and `--scope all` (contributions and library).
- calibrate: the linear maps from the multilingual space's scores to MiniLM's (similar.py's CROSS_SCALE,
  INITIATIVE_CROSS_SCALE), fitted on the English contribution pairs of the mixed repository.
- tags: precision / recall per facet on the sample's short contributions (tests/data/sample_labels.csv, its
  dev/test split), before (document scores only) and after (a short contribution's initiatives count).
- long: theme and risk labels on the library's long reports without and with the child-context rule; with
  bench/labels/initiatives/long_reports.jsonl (an annotator's labels of what each report is about), precision /
  recall per facet, per split (`long_split`), before and after the rule.
- heldout (the annotator's labels of bench/labels/initiatives; the cross-language choices of `similar` were made on
  its dev split, test read once; the repository gains the 18 contributions of bench/corpus/cwg-cop-21, in
  bench/out/initiatives-index-heldout): similar on its pairs of `--split` (both with `--split all`), field
  accuracy of the records, and document kind / audience / risk labels against its initiatives, per split.
- records: the field accuracy of the records on the held-out labels of `--split` only (what to tune on: dev);
  with `--retag` the held-out repository's initiatives are read again first (after a change to their code).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.filters import Filters  # noqa: E402
from index.folder import IndexFolder  # noqa: E402
from index.writer import IndexWriter, expand_paths  # noqa: E402
from ingest.metadata import read_manifest  # noqa: E402
from search.characterization.initiative_extraction import SHORT_DOCUMENT, facet_labels  # noqa: E402
from search.characterization.initiatives import stored_initiatives, write_initiatives  # noqa: E402
from search.characterization.tag_eval import read_gold, score_facets  # noqa: E402
from search.characterization.tagging import CHILD_CONTEXT, ScoreWeights, Tagger, taxonomy_for  # noqa: E402
from search.characterization.taxonomy import FACETS  # noqa: E402
from search.retrieval.similar import SimilarFinder, SimilarWeights  # noqa: E402

LABELS = ROOT / "bench" / "labels"
HELD_OUT = LABELS / "initiatives"
OUT = ROOT / "bench" / "out"
GOLD = ROOT / "tests" / "data" / "sample_labels.csv"
CORPUS = ROOT / "bench" / "corpus" / "cwg-cop-21"
# the records' fields are also counted per group of document languages: English, those the cues and label phrases
# of the taxonomy are also written in, and those they are not (read by the multilingual space alone)
LANGUAGE_GROUPS = {"en": {"en"}, "fr/es/pt": {"fr", "es", "pt"}, "ar/zh/ru": {"ar", "zh", "ru"}}


def load(path: Path, split: str) -> list[dict]:
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r.get("split", "test") == split]


def heldout_index() -> IndexFolder:
    """The repository of the held-out labels: the mixed one plus the 21st meeting's 18 contributions
    (bench/corpus/cwg-cop-21), tagged; made once from bench/out/initiatives-index."""
    target = OUT / "initiatives-index-heldout"
    if not target.exists():
        index(False).close()
        shutil.copytree(OUT / "initiatives-index", target, ignore=shutil.ignore_patterns("*.lock"))
        folder = IndexFolder.open(target)
        files, _ = expand_paths([CORPUS], {(CORPUS / "manifest.csv").resolve()})
        report = IndexWriter(folder).ingest(files, read_manifest(CORPUS / "manifest.csv").entries)
        print(f"held-out corpus: {len(report.added)} added, {len(report.failed)} failed", file=sys.stderr)
        folder.refresh_vectors()
        Tagger(folder, taxonomy_for(folder.store)).tag()
        return folder
    return IndexFolder.open(target)


def held_out_tags(folder: IndexFolder) -> dict:
    """Per facet P/R of the document labels (kind, audience, risk) against the union of the annotator's
    initiatives per document, on the short contributions and by split (never tuned on)."""
    taxonomy = taxonomy_for(folder.store)
    labelled = load(HELD_OUT / "initiatives.jsonl", "all")
    docs = {d.id: d for d in folder.store.documents()}
    tagger = Tagger(folder, taxonomy)
    table = tagger.score_table()
    before = tagger.assign(table)
    after = tagger.with_initiatives(before, stored_initiatives(folder.store))
    out: dict[str, object] = {}
    for split in ("dev", "test"):
        rows = [r for r in labelled if r.get("split") == split and r["document_id"] in docs]
        gold = {(r["document_id"], f, lb) for r in rows for i in r["initiatives"]
                for f in ("initiative_type", "audience", "risk") for lb in (i.get(f) or [])}
        ids = {r["document_id"] for r in rows}
        for name, assigned in (("before", before), ("after", after)):
            got = {(a.document_id, a.facet, a.label) for a in assigned if a.document_id in ids}
            for f in ("initiative_type", "audience", "risk"):
                g = {x for x in gold if x[1] == f}
                p = {x for x in got if x[1] == f}
                out[f"{split} {name} {f}"] = {"P": round(len(g & p) / len(p), 3) if p else 0.0,
                                              "R": round(len(g & p) / len(g), 3) if g else 0.0,
                                              "documents": len(ids)}
    return out


def index(retag: bool) -> IndexFolder:
    target = OUT / "initiatives-index"
    if not target.exists():
        source = OUT / "answers-index-default"
        if not source.exists():
            sys.path.insert(0, str(ROOT / "bench"))
            from answers_eval import build  # type: ignore[import-not-found]

            build(source, "default", False).close()
        shutil.copytree(source, target)
    folder = IndexFolder.open(target)
    if not folder.store.state_record("initiatives"):
        start = time.perf_counter()
        Tagger(folder, taxonomy_for(folder.store)).tag()
        print(f"tagged in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    elif retag:
        read_initiatives_again(folder)
    return folder


def read_initiatives_again(folder: IndexFolder) -> None:
    """The labels stand; the initiatives are read again (after a change to the code that reads them)."""
    start = time.perf_counter()
    taxonomy = taxonomy_for(folder.store)
    write_initiatives(folder.store, Tagger(folder, taxonomy).initiatives(), taxonomy)
    print(f"initiatives read again in {time.perf_counter() - start:.0f} s", file=sys.stderr)


def similar(folder: IndexFolder, split: str, weights: SimilarWeights, scope: str,
            pairs_file: Path, negatives_file: Path) -> dict:
    finder = SimilarFinder(folder, weights)
    filters = Filters.parse(["collection=all"]) if scope == "all" else None
    pairs, negatives = load(pairs_file, split), load(negatives_file, split)
    known = {d.id for d in folder.store.documents()}
    pairs = [p for p in pairs if p["a"] in known and p["b"] in known]
    negatives = [p for p in negatives if p["a"] in known and p["b"] in known]
    partners: dict[str, set[str]] = defaultdict(set)
    for p in load(pairs_file, "all"):
        partners[p["a"]].add(p["b"])
        partners[p["b"]].add(p["a"])
    cache: dict[str, list[str]] = {}

    def results(doc_id: str) -> list[str]:
        if doc_id not in cache:
            cache[doc_id] = [r.document_id for r in finder.similar(document_id=doc_id, k=5, filters=filters)]
        return cache[doc_id]

    directions = [(a, b) for p in pairs for a, b in ((p["a"], p["b"]), (p["b"], p["a"]))]
    hit3 = [b in results(a)[:3] for a, b in directions]
    queries = sorted({d for p in pairs for d in (p["a"], p["b"])})
    precision = [sum(r in partners[d] for r in results(d)[:3]) / 3 for d in queries]
    wrong = [b in results(a)[:3] for p in negatives for a, b in ((p["a"], p["b"]), (p["b"], p["a"]))]
    finder.close()
    return {"pairs": len(pairs), "hit@3": _mean(hit3), "P@3": _mean(precision), "look-alikes@3": _mean(wrong),
            "negatives": len(negatives)}


def calibrate(folder: IndexFolder) -> dict:
    """The linear map from the multilingual space's scores to MiniLM's (similar.py's CROSS_SCALE and
    INITIATIVE_CROSS_SCALE): mean and spread matched over the pairs of English contributions of two sources, where
    both spaces read both documents; passage scores (documents) and masked-passage cosines (initiatives)."""
    import numpy as np

    finder = SimilarFinder(folder)
    docs = {d.id: d for d in folder.store.documents()}
    english = sorted(d for d, doc in docs.items() if doc.collection == "contributions" and doc.language == "en")
    pairs: list[tuple[float, float]] = []
    for doc_id in english:
        mine, theirs = finder.passage_scores(doc_id, "minilm"), finder.passage_scores(doc_id, "use")
        pairs += [(mine[o], theirs[o]) for o in english
                  if o in mine and o in theirs and docs[o].source_key != docs[doc_id].source_key]
    matcher = finder._initiatives()
    items = [i for d, found in matcher.by_document().items() if d in english for i in found]
    a, b = matcher.vectors(folder.embedder("minilm"), items), matcher.vectors(folder.embedder("use"), items)
    upper = np.triu_indices(len(items), 1)
    apart = np.array([items[i].source != items[j].source for i, j in zip(*upper)], dtype=bool)
    text = list(zip((a @ a.T)[upper][apart].tolist(), (b @ b.T)[upper][apart].tolist()))
    finder.close()
    out = {}
    for name, rows in (("documents", pairs), ("initiatives", text)):
        y, x = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
        scale = float(y.std() / x.std())
        out[name] = {"pairs": len(rows), "scale": round(scale, 3), "shift": round(float(y.mean() - scale * x.mean()), 3),
                     "correlation": round(float(np.corrcoef(x, y)[0, 1]), 3)}
    return out


def tags(folder: IndexFolder, split: str) -> dict:
    """Per facet P/R on the sample's contributions (the mixed index holds them under the same ids)."""
    taxonomy = taxonomy_for(folder.store)
    gold = read_gold(GOLD, taxonomy)
    docs = [d for d in gold.documents(split) if d in {x.id for x in folder.store.documents()}]
    tagger = Tagger(folder, taxonomy)
    table = tagger.score_table()
    before = tagger.assign(table)
    after = tagger.with_initiatives(before, stored_initiatives(folder.store))
    out = {}
    for name, assigned in (("before", before), ("after", after)):
        scores = score_facets(assigned, gold, docs)
        out[name] = {f: {"P": round(s.precision, 3), "R": round(s.recall, 3)} for f, s in scores.items()}
    return out


def long_reports(folder: IndexFolder) -> dict:
    """Theme and risk labels on the library's long reports (over SHORT_DOCUMENT passages), without and with the
    child-context rule: national AI strategies and other technology-policy texts should carry none of the group's
    child-protection themes or harms; reports on child protection keep theirs. No annotator labelled these: the
    two groups are told apart by whether the title speaks of children (reported per document in the JSON)."""
    taxonomy = taxonomy_for(folder.store)
    docs = {d.id: d for d in folder.store.documents() if d.collection == "library"}
    chunks = {d: len(folder.store.chunks_of(d)) for d in docs}
    long = sorted(d for d, n in chunks.items() if n > SHORT_DOCUMENT)
    out: dict[str, object] = {}
    for name, on in (("before", False), ("after", True)):
        tagger = Tagger(folder, taxonomy, replace(ScoreWeights(), child_context=on))
        per_doc: dict[str, list[str]] = {d: [] for d in long}
        for a in tagger.assign(tagger.score_table()):
            if a.document_id in per_doc and a.facet in ("theme", "risk"):
                per_doc[a.document_id].append(a.label)
        child = [d for d in long if CHILD_CONTEXT.search(re.sub(r"[_\-.]+", " ", f"{docs[d].title} {docs[d].file_name}"))]
        other = [d for d in long if d not in child]
        out[name] = {"documents": per_doc,
                     "not about children: labels per report": _mean(len(per_doc[d]) for d in other),
                     "not about children: reports with any": _mean(bool(per_doc[d]) for d in other),
                     "about children: labels per report": _mean(len(per_doc[d]) for d in child),
                     "reports": {"about children": len(child), "other": len(other)}}
    return out


def long_split(document_id: str) -> str:
    """A long report's side (bench/labels/initiatives/README.md): sha256("long-reports-2026:" + id) mod 2, 1: test."""
    return "test" if int(hashlib.sha256(f"long-reports-2026:{document_id}".encode()).hexdigest(), 16) % 2 else "dev"


def long_labels(folder: IndexFolder) -> dict:
    """Per facet precision / recall of the long reports' labels against the annotator's (long_reports.jsonl: what
    each report is about), without and with the child-context rule, per split; micro-averaged over documents."""
    taxonomy = taxonomy_for(folder.store)
    rows = load(HELD_OUT / "long_reports.jsonl", "all")
    known = {d.id for d in folder.store.documents()}
    rows = [r for r in rows if r["document_id"] in known]
    out: dict[str, object] = {"documents": {s: sum(long_split(r["document_id"]) == s for r in rows)
                                            for s in ("dev", "test")}}
    for name, on in (("before", False), ("after", True)):
        tagger = Tagger(folder, taxonomy, replace(ScoreWeights(), child_context=on))
        got = {(a.document_id, a.facet, a.label) for a in tagger.assign(tagger.score_table())}
        for split in ("dev", "test"):
            mine = [r for r in rows if long_split(r["document_id"]) == split]
            ids = {r["document_id"] for r in mine}
            for facet in FACETS:
                gold = {(r["document_id"], facet, lb) for r in mine for lb in r.get(facet) or []}
                given = {x for x in got if x[0] in ids and x[1] == facet}
                out[f"{split} {name} {facet}"] = {
                    "P": round(len(gold & given) / len(given), 3) if given else 0.0,
                    "R": round(len(gold & given) / len(gold), 3) if gold else 0.0,
                    "labels given": len(given), "labels gold": len(gold)}
    return out


def records(folder: IndexFolder, split: str) -> dict:
    """Field accuracy of the records against an annotator's labels (documents in the index only): for each labelled
    initiative, the record of its document that matches it best (same kind first, then shared risks)."""
    labelled = load(HELD_OUT / "initiatives.jsonl", split)
    found: dict[str, list] = defaultdict(list)
    for item in stored_initiatives(folder.store):
        found[item.document_id].append(item)
    counts: dict[str, list[bool]] = defaultdict(list)
    by_group: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    languages = {d.id: d.language for d in folder.store.documents()}
    for row in labelled:
        mine = found.get(row["document_id"])
        if mine is None and row["document_id"] not in languages:
            continue
        group = next((g for g, members in LANGUAGE_GROUPS.items() if languages[row["document_id"]] in members), "other")
        for want in row["initiatives"]:
            kinds = set(want.get("initiative_type") or [])
            best = max(mine or [], key=lambda i: (i.initiative_type in kinds, len(set(i.risk) & set(want["risk"]))),
                       default=None)
            fields: dict[str, bool] = {"found": best is not None}
            if best is not None:
                fields["initiative_type"] = best.initiative_type in kinds
                fields["audience (any shared)"] = bool(set(best.audience) & set(want.get("audience") or []))
                fields["risk (any shared)"] = (bool(set(best.risk) & set(want.get("risk") or []))
                                               or not (best.risk or want.get("risk")))
                fields["status"] = best.status == (want.get("status") or "")
                fields["year"] = best.year == want.get("year")
                fields["name"] = bool(want.get("name")) == bool(best.name) and (
                    not want.get("name") or best.name.lower() in want["name"].lower()
                    or want["name"].lower() in best.name.lower())
            for key, ok in fields.items():
                counts[key].append(ok)
                by_group[group][key].append(ok)
    out: dict[str, object] = {k: {"n": len(v), "accuracy": _mean(v)} for k, v in counts.items()}
    out["by language"] = {g: {k: f"{sum(v)}/{len(v)}" for k, v in by_group[g].items()} for g in sorted(by_group)}
    return out


def label_scale(folder: IndexFolder) -> dict:
    """The multilingual space's passage×label cosines put on MiniLM's scale (LABEL_CROSS_SCALE of
    search/characterization/initiative_extraction.py): both spaces' cosines of every English passage to every
    initiative_type, audience and risk prototype, matched in mean and spread."""
    tagger = Tagger(folder, taxonomy_for(folder.store))
    labels = facet_labels(tagger.taxonomy)
    ids = folder.store.chunk_ids(Filters({"language": ["en"]})).tolist()
    cos = {s: folder.store.vectors_for(s, ids, folder.dimension(s)) @ tagger.label_vectors(labels, s).T
           for s in ("minilm", "use")}
    a = float(cos["minilm"].std() / cos["use"].std())
    return {"passages": len(ids), "a": round(a, 3), "b": round(float(cos["minilm"].mean() - a * cos["use"].mean()), 3)}


def _mean(values) -> float:  # type: ignore[no-untyped-def]
    values = [float(v) for v in values]
    return round(sum(values) / len(values), 3) if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--parts", default="similar,tags,long,heldout")
    parser.add_argument("--retag", action="store_true", help="tag the copied index again (after a code change)")
    args = parser.parse_args()
    parts = args.parts.split(",")
    folder = index(args.retag and parts != ["records"])  # records alone read the held-out repository only
    report: dict[str, object] = {"split": args.split}
    try:
        if "similar" in parts:
            before = replace(SimilarWeights(), initiatives=0.0, cross_language=0.0)
            for scope in ("contributions", "all"):
                for name, weights in (("before", before), ("english only", replace(SimilarWeights(), cross_language=0.0)),
                                      ("after", SimilarWeights())):
                    key = f"similar {scope} {name}"
                    report[key] = similar(folder, args.split, weights, scope, LABELS / "similar_pairs.jsonl",
                                          LABELS / "not_similar.jsonl")
                    print(f"{key:32} {json.dumps(report[key])}")
        if "calibrate" in parts:
            report["calibrate"] = calibrate(folder)
            print(f"calibrate {json.dumps(report['calibrate'])}")
        if "tags" in parts:
            report["tags"] = tags(folder, args.split)
            for f in FACETS:
                b, a = report["tags"]["before"][f], report["tags"]["after"][f]  # type: ignore[index]
                print(f"tags {f:16} before P {b['P']:.2f} R {b['R']:.2f}   after P {a['P']:.2f} R {a['R']:.2f}")
        if "long" in parts:
            report["long"] = long_reports(folder)
            for name in ("before", "after"):
                row = {k: v for k, v in report["long"][name].items() if k != "documents"}  # type: ignore[index]
                print(f"long reports {name}: {json.dumps(row)}")
            if (HELD_OUT / "long_reports.jsonl").exists():
                report["long labels"] = long_labels(folder)
                for key, value in report["long labels"].items():  # type: ignore[union-attr]
                    print(f"long reports' labels {key}: {json.dumps(value)}")
    finally:
        folder.close()
    if "records" in parts:  # the records' fields against the annotator's labels, this split only (tune on dev)
        folder = heldout_index()
        try:
            if args.retag:
                read_initiatives_again(folder)
            report[f"records {args.split}"] = records(folder, args.split)
            print(f"records {args.split}: {json.dumps(report[f'records {args.split}'])}")
            if "use" in folder.spaces:
                report["label cross scale"] = label_scale(folder)
                print(f"multilingual label cosines on MiniLM's scale: {json.dumps(report['label cross scale'])}")
        finally:
            folder.close()
    if "heldout" in parts:  # the annotator's labels (bench/labels/initiatives): similar on --split (both: all)
        folder = heldout_index()
        try:
            for scope in ("contributions", "all"):
                for name, weights in (("before", replace(SimilarWeights(), initiatives=0.0, cross_language=0.0)),
                                      ("english only", replace(SimilarWeights(), cross_language=0.0)),
                                      ("after", SimilarWeights())):
                    for split in (("dev", "test") if args.split == "all" else (args.split,)):
                        key = f"held-out {split} {scope} {name}"
                        report[key] = similar(folder, split, weights, scope, HELD_OUT / "similar_pairs.jsonl",
                                              HELD_OUT / "not_similar.jsonl")
                        print(f"{key:50} {json.dumps(report[key])}")
            for split in ("dev", "test"):
                report[f"records {split}"] = records(folder, split)
                print(f"records {split}: {json.dumps(report[f'records {split}'])}")
            report["held-out tags"] = held_out_tags(folder)
            for key, value in report["held-out tags"].items():  # type: ignore[union-attr]
                print(f"tags {key:32} {json.dumps(value)}")
        finally:
            folder.close()
    (OUT / f"initiatives-{args.split}.json").write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
