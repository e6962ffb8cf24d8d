"""Cross-language retrieval: queries in fr/es/ar/pt/ja/hi (and en) over English documents; Recall@5.

    .venv/bin/python bench/cross_language.py [--split test|dev|all]

The labelled set is bench/cross_language_queries.jsonl: 90 queries written for this benchmark (not
copied from the guides), each naming the guide that answers it. The index holds every English PDF of
../shared/data/policy_pdfs (25 documents, about 1,050 pages: the three English child online-safety
guides among national AI strategies, UNICEF and child-protection reports), ingested by `IndexWriter`
as `cwg ingest` does, once with `--model english` (MiniLM only) and once with `--model default`
(MiniLM + USE). A query scores 1 when the relevant guide is among the documents of the top 5 passages
of `SearchEngine.search(query, k=5)`.

The first query of each (language, guide) group is `dev`, the rest `test`: the engine's multilingual
weights (RankingSettings.cross_language_use_weight / same_language_use_weight) may be looked at on dev
only; the table reports test unless told otherwise.

A second table shows what NFKC at ingest does for Arabic: pypdf extracts the Arabic guides as
presentation-form glyphs; the same chunks are encoded (USE) and searched (word overlap) raw, after NFKC
alone, and after the loader's full normalisation, and the Arabic queries rank the 3 Arabic guides.
Writes bench/out/cross_language.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

from index.folder import IndexFolder  # noqa: E402
from index.writer import IndexWriter  # noqa: E402
from search.retrieval.engine import SearchEngine  # noqa: E402

PDFS = ROOT.parent / "shared" / "data" / "policy_pdfs"
GUIDES = PDFS / "multilingual_child_online_safety"
QUERIES = ROOT / "bench" / "cross_language_queries.jsonl"
CACHE = ROOT / "bench" / "out" / "cache"
LANGUAGES = ("fr", "es", "ar", "pt", "ja", "hi", "en")


def english_pdfs() -> list[Path]:
    """The English documents of the PDF collection, by the language its own manifest.tsv gives."""
    with (PDFS / "manifest.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return sorted(PDFS / r["file"] for r in rows if r["language"] == "en")


def load_queries(split: str) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in QUERIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def build(model: str, log=print) -> IndexFolder:
    """The English collection indexed with `model` (cached under bench/out/cache/xlang-<model>)."""
    path = CACHE / f"xlang-{model}"
    folder = IndexFolder.open(path, model=model, create=True)
    start = time.perf_counter()
    report = IndexWriter(folder, keep_files=False).ingest(english_pdfs())
    folder.refresh_vectors()
    if report.added or report.updated:
        log(f"indexed {len(report.added) + len(report.updated)} PDFs with model {model} "
            f"in {time.perf_counter() - start:.0f} s ({len(report.failed)} failed)")
    return folder


def recall_at_5(folder: IndexFolder, queries: list[dict[str, str]]) -> dict[str, bool]:
    by_file = {d.file_name: d.id for d in folder.store.documents()}
    engine = SearchEngine(folder)
    found = {}
    for q in queries:
        relevant = by_file[f"en__{q['relevant']}.pdf"]
        hits = engine.search(q["query"], k=5)
        found[q["id"]] = relevant in {h.document_id for h in hits}
    return found


# --- Arabic: presentation forms, raw vs normalised -----------------------------------------------
_WORD = re.compile(r"\w+")


def _windows(text: str, words: int = 80) -> list[str]:
    tokens = text.split()
    return [" ".join(tokens[i:i + words]) for i in range(0, max(len(tokens), 1), words // 2)] or [text]


def arabic_normalisation(queries: list[dict[str, str]]) -> dict[str, dict[str, float]]:
    """Arabic queries ranking the 3 Arabic guides, from raw pypdf text, NFKC only, and the loader's text."""
    import pypdf

    from index.embedders import UseEmbedder
    from ingest.loaders import load_file

    files = {g: GUIDES / f"ar__{g}.pdf" for g in sorted({q["relevant"] for q in queries})}
    raw = {g: "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(str(f)).pages) for g, f in files.items()}
    variants = {
        "raw pypdf text": raw,
        "NFKC": {g: unicodedata.normalize("NFKC", t) for g, t in raw.items()},
        "loader (NFKC + Arabic letters)": {g: " ".join(b.text for b in load_file(f).blocks) for g, f in files.items()},
    }
    arabic = [q for q in queries if q["language"] == "ar"]
    encoder = UseEmbedder()
    qvecs = encoder.encode([q["query"] for q in arabic])
    out: dict[str, dict[str, float]] = {}
    for name, texts in variants.items():
        guides = sorted(texts)
        windows = [(g, w) for g in guides for w in _windows(texts[g])]
        wvecs = encoder.encode([w for _, w in windows])
        sims = qvecs @ wvecs.T
        correct = 0
        overlap = []
        for row, q in enumerate(arabic):
            best = {g: max(sims[row, i] for i, (gg, _) in enumerate(windows) if gg == g) for g in guides}
            correct += max(best, key=best.__getitem__) == q["relevant"]
            words = set(_WORD.findall(q["query"]))
            doc_words = set(_WORD.findall(texts[q["relevant"]]))
            overlap.append(len(words & doc_words) / max(len(words), 1))
        presentation = sum(len(re.findall("[\ufb50-\ufdff\ufe70-\ufeff]", t)) for t in texts.values())
        letters = sum(sum(c.isalpha() for c in t) for t in texts.values())
        out[name] = {"use_top1_accuracy": round(correct / len(arabic), 3),
                     "query_words_found_in_guide": round(float(np.mean(overlap)), 3),
                     "presentation_form_share": round(presentation / max(letters, 1), 3)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("test", "dev", "all"), default="test")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "cross_language.json")
    args = parser.parse_args()
    if not PDFS.is_dir():
        print(f"no PDF collection at {PDFS}", file=sys.stderr)
        return 2
    queries = load_queries(args.split)
    results: dict[str, dict[str, bool]] = {}
    for model in ("english", "default"):
        folder = build(model)
        try:
            results[model] = recall_at_5(folder, queries)
        finally:
            folder.close()
    table: dict[str, dict[str, object]] = {}
    by_lang: dict[str, list[str]] = defaultdict(list)
    for q in queries:
        by_lang[q["language"]].append(q["id"])
    print(f"Recall@5, {args.split} queries over {len(english_pdfs())} English PDFs")
    print(f"{'query language':<16}{'queries':>8}{'english':>10}{'default':>14}")
    for lang in LANGUAGES:
        ids = by_lang.get(lang, [])
        if not ids:
            continue
        row = {"queries": len(ids)}
        for model in results:
            row[model] = round(sum(results[model][i] for i in ids) / len(ids), 3)
        table[lang] = row
        print(f"{lang:<16}{len(ids):>8}{row['english']:>10.3f}{row['default']:>14.3f}")
    arabic = arabic_normalisation(load_queries("all"))
    print("\nArabic guides from Arabic queries (all 18), by the text the encoder sees")
    print(f"{'text':<34}{'USE top-1 of 3':>15}{'query words in guide':>22}{'presentation forms':>20}")
    for name, row in arabic.items():
        print(f"{name:<34}{row['use_top1_accuracy']:>15.3f}{row['query_words_found_in_guide']:>22.3f}"
              f"{row['presentation_form_share']:>20.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"split": args.split, "recall_at_5": table, "arabic_normalisation": arabic,
                                    "per_query": results}, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
