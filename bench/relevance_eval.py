"""Relevance users can trust (issue 21), measured on held-out labels written by someone who saw only the
documents (bench/labels/heldout/, see its README), on the mixed repository: the sample meeting's 33
contributions with their manifest plus the 47 policy PDFs and texts of ../shared/data as they come.

    .venv/bin/python bench/relevance_eval.py [--split dev|test|all] [--parts questions,offtopic,feeds,synthesis]
                                             [--label NAME] [--rebuild]

Prints a table and writes bench/out/relevance-<label>-<split>.json. The index is bench/out/answers-index-default
(built by bench/answers_eval.py's `build`, reused).

- questions: the delegate's answer as the engine gives it (`SearchEngine.answer`: the contributions that clear
  the floor, library passages apart). top1: the first hit's document answers (for a question answered best by a
  library file: the first library passage's); top3: one of the first three distinct documents does; answered: at
  least one passage is offered. Per language and for contribution / library questions.
- offtopic: the share of questions nothing answers that get nothing (no passage, in either list).
- feeds: `/feeds/documents.atom?q=TOPIC` (limit 50): precision (entries that are on the topic: must-cite or
  relevant library files) and recall of the must-cite contributions.
- synthesis: source recall (must-cite documents cited), trap share (quoted sentences from documents labelled
  must-not-cite), off-topic share (quoted sentences from documents neither must-cite nor relevant library), and
  the number of sub-themes with a single source.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answers_eval import build  # noqa: E402

from index.filters import Filters  # noqa: E402
from index.folder import IndexFolder  # noqa: E402

LABELS = ROOT / "bench" / "labels" / "heldout"
ATOM = "{http://www.w3.org/2005/Atom}"


def load(name: str, split: str) -> list[dict]:
    rows = [json.loads(line) for line in (LABELS / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def answer(engine: Any, question: str) -> tuple[list[Any], list[Any]]:
    """(the passages offered as the answer, the library passages shown apart) as a delegate gets them (before
    search/retrieval/answer.py: the first ten passages of a search)."""
    try:
        from search.retrieval.answer import answer as answered
    except ImportError:
        return engine.search(question, k=10), []
    found = answered(engine, question, k=10)
    return list(found.hits), list(found.library)


def _documents(hits: list[Any]) -> list[str]:
    return list(dict.fromkeys(h.document_id for h in hits))


def questions(folder: IndexFolder, split: str, engine: Any = None) -> dict:
    """`engine`: rank with this one (bench/multilingual_e5.py's variants), else the default `SearchEngine`."""
    from search.retrieval.engine import SearchEngine

    engine = engine or SearchEngine(folder)
    collections = {d.id: getattr(d, "collection", "") for d in folder.store.documents()}
    rows: list[dict] = []
    for q in load("questions.jsonl", split):
        hits, library = answer(engine, q["question"])
        best_in_library = _is_library(q["relevant"][0], collections)
        shown = _documents(library if best_in_library and library else hits)
        everything = _documents(hits + library)
        rows.append({"id": q["id"], "language": q["language"], "library": best_in_library,
                     "top1": bool(shown[:1]) and shown[0] in q["relevant"],
                     "top3": bool(set(shown[:3]) & set(q["relevant"])),
                     "answered": bool(everything), "got": shown[:3], "want": q["relevant"][:2]})
    out: dict[str, dict] = {}
    for name, keep in (("all", lambda r: True), ("contribution questions", lambda r: not r["library"]),
                       ("library questions", lambda r: r["library"]), ("non-English", lambda r: r["language"] != "en")):
        out[name] = _scores([r for r in rows if keep(r)])
    by_language: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_language[r["language"]].append(r)
    for lang, group in sorted(by_language.items()):
        out[lang] = _scores(group)
    return {"scores": out, "misses": [r for r in rows if not r["top3"]]}


def _is_library(document_id: str, collections: dict[str, str]) -> bool:
    if collections.get(document_id):
        return collections[document_id] == "library"
    return not (ROOT / "examples" / "cwg-cop-20").joinpath(document_id).with_suffix("").exists() and not any(
        (ROOT / "examples" / "cwg-cop-20").glob(f"{document_id}.*"))


def _scores(rows: list[dict]) -> dict:
    return {"n": len(rows), "top1": _mean(r["top1"] for r in rows), "top3": _mean(r["top3"] for r in rows),
            "answered": _mean(r["answered"] for r in rows)}


def offtopic(folder: IndexFolder, split: str) -> dict:
    from search.retrieval.engine import SearchEngine

    engine = SearchEngine(folder)
    rows = []
    for q in load("offtopic.jsonl", split):
        hits, library = answer(engine, q["question"])
        rows.append({"id": q["id"], "kind": q["kind"], "language": q["language"], "silent": not hits and not library,
                     "first": (hits + library)[0].document_id if hits or library else None})
    scores = {"n": len(rows), "answered_with_nothing": _mean(r["silent"] for r in rows)}
    for kind in ("near", "far", "junk"):
        scores[kind] = _mean(r["silent"] for r in rows if r["kind"] == kind)
    return {"scores": scores, "answered": [r for r in rows if not r["silent"]]}


def feeds(folder: IndexFolder, split: str) -> dict:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    rows = []
    with TestClient(create_app(Settings(index=folder.path), folder)) as client:
        for topic in load("topics.jsonl", split):
            r = client.get("/feeds/documents.atom", params={"q": topic["topic"], "limit": 50})
            r.raise_for_status()
            ids = [e.findtext(f"{ATOM}id").rsplit("document=", 1)[-1] for e in ET.fromstring(r.content).iter(f"{ATOM}entry")]
            on_topic = set(topic["must_cite"]) | set(topic.get("relevant_library", []))
            rows.append({"id": topic["id"], "entries": len(ids),
                         "precision": _mean(d in on_topic for d in ids) if ids else 0.0,
                         "recall": _mean(d in ids for d in topic["must_cite"]),
                         "off_topic_entries": [d for d in ids if d not in on_topic]})
    return {"scores": {"topics": len(rows), "precision": _mean(r["precision"] for r in rows),
                       "recall": _mean(r["recall"] for r in rows), "entries": _mean(r["entries"] for r in rows)},
            "topics": rows}


def synthesis(folder: IndexFolder, split: str) -> dict:
    from search.characterization.tagging import taxonomy_for
    from search.synthesis.pipeline import Synthesizer

    synthesizer = Synthesizer(folder, taxonomy_for(folder.store))
    rows = []
    for topic in load("topics.jsonl", split):
        s = synthesizer.synthesize(topic["topic"], Filters())
        cited = {c.document_id for c in s.citations}
        sentences = [x for sub in s.subthemes for x in [*sub.summary, *(i.sentence for i in sub.initiatives)]]
        quoted = [s.citation(x.citation).document_id for x in sentences]
        on_topic = set(topic["must_cite"]) | set(topic.get("relevant_library", []))
        single = [sub.title for sub in s.subthemes
                  if len({s.citation(x.citation).document_id for x in [*sub.summary, *(i.sentence for i in sub.initiatives)]}) < 2]
        rows.append({"id": topic["id"], "topic": topic["topic"],
                     "source_recall": _mean(d in cited for d in topic["must_cite"]),
                     "trap_share": _mean(d in topic["must_not_cite"] for d in quoted) if quoted else 0.0,
                     "off_topic_share": _mean(d not in on_topic for d in quoted) if quoted else 0.0,
                     "sentences": len(sentences), "single_source_subthemes": single,
                     "titles": [sub.title for sub in s.subthemes],
                     "off_topic_quotes": sorted({d for d in quoted if d not in on_topic}),
                     "missed": sorted(set(topic["must_cite"]) - cited)})
    return {"scores": {"topics": len(rows), "source_recall": _mean(r["source_recall"] for r in rows),
                       "trap_share": _mean(r["trap_share"] for r in rows),
                       "off_topic_share": _mean(r["off_topic_share"] for r in rows),
                       "single_source_subthemes": sum(len(r["single_source_subthemes"]) for r in rows),
                       "sentences": sum(r["sentences"] for r in rows)},
            "topics": rows}


def _mean(values) -> float:  # type: ignore[no-untyped-def]
    values = [float(v) for v in values]
    return round(sum(values) / len(values), 4) if values else 0.0


PARTS = {"questions": questions, "offtopic": offtopic, "feeds": feeds, "synthesis": synthesis}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument("--label", default="now", help="a name for this run in the output file (e.g. before)")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    folder = build(out_dir / "answers-index-default", "default", args.rebuild)
    result: dict[str, object] = {"label": args.label, "split": args.split}
    try:
        for part in args.parts.split(","):
            start = time.perf_counter()
            result[part] = PARTS[part](folder, args.split)
            print(f"{part} ({time.perf_counter() - start:.0f} s): "
                  f"{json.dumps(result[part]['scores'], ensure_ascii=False)}")  # type: ignore[index]
    finally:
        folder.close()
    target = out_dir / f"relevance-{args.label}-{args.split}.json"
    target.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
