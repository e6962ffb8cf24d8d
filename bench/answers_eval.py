"""Do the answers serve the three users? Delegate questions, similar initiatives and syntheses, scored
against the hand-labelled sets in bench/labels/ (see its README), on an index of the sample meeting
(with its manifest) plus the 42 policy PDFs and 5 policy texts of ../shared/data (no manifest, as they
come).

    .venv/bin/python bench/answers_eval.py [--model default|english] [--split dev|test|all]
                                           [--parts questions,similar,synthesis] [--rebuild]

Prints a table and writes bench/out/answers-<model>-<split>.json. The index is built once into
bench/out/answers-index-<model>/ (about 3 minutes) and reused.

- questions: top-1 and top-3 (the document of the first hit / of the first three distinct documents is
  labelled relevant), per language.
- similar: for each labelled pair, is the partner among the first 3 (5) results of `similar --document`
  (both directions); precision@3: the share of the first 3 results labelled similar to the query
  document; and how often a labelled not-similar partner is in the first 3.
- synthesis: source recall (the must-cite documents cited), off-topic share (cited passages from
  documents labelled off-topic), and the dangling-start and fragment counts of quoted sentences.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.filters import Filters  # noqa: E402
from index.folder import IndexFolder  # noqa: E402
from index.writer import IndexWriter, expand_paths  # noqa: E402
from ingest.metadata import read_manifest  # noqa: E402

LABELS = ROOT / "bench" / "labels"
SAMPLE = ROOT / "examples" / "cwg-cop-20"
SHARED = ROOT.parent / "shared" / "data"


def load(name: str, split: str) -> list[dict]:
    rows = [json.loads(line) for line in (LABELS / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def build(path: Path, model: str, rebuild: bool) -> IndexFolder:
    """The evaluation index, brought up to date (unchanged files are skipped by their hash)."""
    if rebuild and path.exists():
        import shutil

        shutil.rmtree(path)
    folder = IndexFolder.open(path, model=model if not path.exists() else None, create=True)
    start = time.perf_counter()
    files, _ = expand_paths([SAMPLE], {(SAMPLE / "manifest.csv").resolve()})
    report = IndexWriter(folder).ingest(files, read_manifest(SAMPLE / "manifest.csv").entries)
    shared, _ = expand_paths([SHARED / "policy_pdfs", SHARED / "policy_texts"])
    more = IndexWriter(folder).ingest(shared)
    folder.refresh_vectors()
    if report.added or report.updated or more.added or more.updated:
        from search.characterization.tagging import Tagger, taxonomy_for

        Tagger(folder, taxonomy_for(folder.store)).tag()
        print(f"indexed {len(report.added) + len(more.added)} documents ({len(more.failed)} failed) "
              f"in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return folder


def questions(folder: IndexFolder, split: str) -> dict:
    from search.retrieval.engine import SearchEngine

    engine = SearchEngine(folder)
    per_lang: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    misses = []
    for q in load("delegate_questions.jsonl", split):
        docs: list[str] = []
        for hit in engine.search(q["question"], k=30):
            if hit.document_id not in docs:
                docs.append(hit.document_id)
        top1, top3 = bool(docs[:1]) and docs[0] in q["relevant"], bool(set(docs[:3]) & set(q["relevant"]))
        per_lang[q["language"]].append((top1, top3))
        if not top3:
            misses.append({"id": q["id"], "got": docs[:3], "want": q["relevant"][:2]})
    out = {lang: {"n": len(v), "top1": _mean(a for a, _ in v), "top3": _mean(b for _, b in v)}
           for lang, v in sorted(per_lang.items())}
    every = [x for v in per_lang.values() for x in v]
    out["all"] = {"n": len(every), "top1": _mean(a for a, _ in every), "top3": _mean(b for _, b in every)}
    non_en = [x for lang, v in per_lang.items() if lang != "en" for x in v]
    out["non-English"] = {"n": len(non_en), "top1": _mean(a for a, _ in non_en), "top3": _mean(b for _, b in non_en)}
    return {"scores": out, "misses": misses}


def similar(folder: IndexFolder, split: str) -> dict:
    from search.retrieval.similar import SimilarFinder

    finder = SimilarFinder(folder)
    pairs = load("similar_pairs.jsonl", split)
    negatives = load("not_similar.jsonl", split)
    partners: dict[str, set[str]] = defaultdict(set)
    for p in load("similar_pairs.jsonl", "all"):
        partners[p["a"]].add(p["b"])
        partners[p["b"]].add(p["a"])
    cache: dict[str, list[str]] = {}

    def results(doc_id: str) -> list[str]:
        if doc_id not in cache:
            cache[doc_id] = [r.document_id for r in finder.similar(document_id=doc_id, k=5)]
        return cache[doc_id]

    hit3 = [b in results(a)[:3] for p in pairs for a, b in ((p["a"], p["b"]), (p["b"], p["a"]))]
    hit5 = [b in results(a)[:5] for p in pairs for a, b in ((p["a"], p["b"]), (p["b"], p["a"]))]
    queries = sorted({d for p in pairs for d in (p["a"], p["b"])})
    precision = [sum(r in partners[d] for r in results(d)[:3]) / 3 for d in queries]
    wrong = [b in results(a)[:3] for p in negatives for a, b in ((p["a"], p["b"]), (p["b"], p["a"]))]
    return {"scores": {"pairs": len(pairs), "hit@3": _mean(hit3), "hit@5": _mean(hit5),
                       "precision@3": _mean(precision), "not_similar_in_top3": _mean(wrong)},
            "lists": {d: results(d)[:3] for d in queries}}


def synthesis(folder: IndexFolder, split: str) -> dict:
    from search.characterization.tagging import taxonomy_for
    from search.synthesis.pipeline import Synthesizer
    from search.synthesis.sentences import dangling_start, is_fragment

    synthesizer = Synthesizer(folder, taxonomy_for(folder.store))
    rows = []
    for topic in load("synthesis_topics.jsonl", split):
        s = synthesizer.synthesize(topic["topic"], Filters())
        cited_docs = {c.document_id for c in s.citations}
        sentences = [x for sub in s.subthemes for x in [*sub.summary, *(i.sentence for i in sub.initiatives)]]
        quoted_docs = [s.citation(x.citation).document_id for x in sentences]
        rows.append({
            "id": topic["id"], "topic": topic["topic"],
            "source_recall": len(cited_docs & set(topic["must_cite"])) / len(topic["must_cite"]),
            "off_topic_share": _mean(d in topic["off_topic"] for d in quoted_docs) if quoted_docs else 0.0,
            "dangling": [x.text[:80] for x in sentences if dangling_start(x.text)],
            "fragments": [x.text[:80] for x in sentences if is_fragment(x.text)],
            "sentences": len(sentences), "titles": [sub.title for sub in s.subthemes],
            "missed": sorted(set(topic["must_cite"]) - cited_docs),
        })
    return {"scores": {"topics": len(rows), "source_recall": _mean(r["source_recall"] for r in rows),
                       "off_topic_share": _mean(r["off_topic_share"] for r in rows),
                       "dangling_starts": sum(len(r["dangling"]) for r in rows),
                       "fragments": sum(len(r["fragments"]) for r in rows),
                       "sentences": sum(r["sentences"] for r in rows)},
            "topics": rows}


def _mean(values) -> float:  # type: ignore[no-untyped-def]
    values = [float(v) for v in values]
    return round(sum(values) / len(values), 4) if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--parts", default="questions,similar,synthesis")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    folder = build(out_dir / f"answers-index-{args.model}", args.model, args.rebuild)
    result: dict[str, object] = {"model": args.model, "split": args.split, "spaces": list(folder.spaces)}
    try:
        for part in args.parts.split(","):
            start = time.perf_counter()
            result[part] = {"questions": questions, "similar": similar, "synthesis": synthesis}[part](folder, args.split)
            print(f"{part} ({time.perf_counter() - start:.0f} s): "
                  f"{json.dumps(result[part]['scores'], ensure_ascii=False)}")  # type: ignore[index]
    finally:
        folder.close()
    target = out_dir / f"answers-{args.model}-{args.split}.json"
    if target.exists():  # a run of some parts keeps the others' last numbers
        previous = json.loads(target.read_text(encoding="utf-8"))
        result = {**{k: v for k, v in previous.items() if k in ("questions", "similar", "synthesis")}, **result}
    target.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
