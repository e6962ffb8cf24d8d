"""Ingest throughput on real PDFs, against the model's own encode rate on the same chunks, and peak RSS.

    .venv/bin/python bench/ingest_throughput.py [FOLDER] [--model default|multilingual]

Three timed phases in one process, the model loaded (and warmed) before any clock starts:
1. `IndexWriter.ingest` of every document file under FOLDER (default ../shared/data/policy_pdfs) into a
   fresh temporary index, as `cwg ingest` does it (parsing, cleaning, chunking, language id, encoding,
   SQLite + FTS5 writes, file copies), then the FAISS build (`refresh_vectors`);
2. the raw encode: the same chunk texts (title + section + text, as ingest builds them) encoded again by
   the same encoder object, nothing else;
3. the ratio ingest chunks/s ÷ raw encode chunks/s (target ≥ 0.85) and the peak RSS (target ≤ 1.5 GB);
4. the profile of the rest: every file prepared alone (read, parse, clean, chunk, language id), no model.
Prints a table and writes bench/out/ingest_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from index.folder import IndexFolder  # noqa: E402
from index.writer import IndexWriter, embedding_text, expand_paths  # noqa: E402
from ingest.errors import CwgError  # noqa: E402
from ingest.loaders import load_file  # noqa: E402
from ingest.prepare import prepare_document  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "data" / "policy_pdfs"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--model", choices=("default", "multilingual"), default="default")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "ingest_throughput.json")
    args = parser.parse_args()
    if not args.folder.is_dir():
        print(f"no folder {args.folder}: pass the PDF folder to ingest", file=sys.stderr)
        return 2
    files, _ = expand_paths([args.folder])
    with tempfile.TemporaryDirectory(prefix="cwg-bench-ingest-") as tmp:
        folder = IndexFolder.open(Path(tmp) / "index", model=args.model, create=True)
        t0 = time.perf_counter()
        for space in folder.spaces:
            folder.embedder(space).encode(["warm-up sentence for the encoder"] * 8)
        load_s = time.perf_counter() - t0
        rss_after_load = current_rss_mb()

        start = time.perf_counter()
        report = IndexWriter(folder).ingest(files)
        ingest_only_s = time.perf_counter() - start
        folder.refresh_vectors()
        ingest_s = time.perf_counter() - start
        ingest_peak = peak_rss_mb()

        docs = folder.store.documents()
        pages = sum(d.pages or 0 for d in docs)
        titles = {d.id: d.title for d in docs}
        texts = [embedding_text(titles[c.document_id], c.section, c.text)
                 for d in docs for c in folder.store.chunks_of(d.id)]
        encode_s: dict[str, float] = {}
        for space in folder.spaces:
            start = time.perf_counter()
            folder.embedder(space).encode(texts)
            encode_s[space] = time.perf_counter() - start
        raw_encode_s = sum(encode_s.values())
        index_bytes = sum(p.stat().st_size for p in (Path(tmp) / "index").rglob("*") if p.is_file())
        folder.close()
    # the profile of what is not the model: reading, parsing, cleaning, chunking, language id, alone
    start = time.perf_counter()
    parse_s = 0.0
    for path in files:
        data = path.read_bytes()
        t = time.perf_counter()
        try:
            load_file(path, data)
        except CwgError:
            pass
        parse_s += time.perf_counter() - t
        try:
            prepare_document(path, data)
        except CwgError:
            pass
    prepare_s = time.perf_counter() - start - parse_s  # prepare_document parses again: count it once

    chunks = len(texts)
    result = {
        "folder": str(args.folder.relative_to(ROOT.parent) if args.folder.is_relative_to(ROOT.parent) else args.folder),
        "model": args.model, "files": len(files), "documents": len(docs), "failed": len(report.failed),
        "pages": pages, "chunks": chunks,
        "model_load_s": round(load_s, 2),
        "ingest_s": round(ingest_s, 2), "ingest_without_faiss_s": round(ingest_only_s, 2),
        "ingest_pages_per_s": round(pages / ingest_s, 2), "ingest_chunks_per_s": round(chunks / ingest_s, 2),
        "raw_encode_s": round(raw_encode_s, 2), "raw_encode_s_per_space": {k: round(v, 2) for k, v in encode_s.items()},
        "raw_encode_chunks_per_s": round(chunks / raw_encode_s, 2),
        "ingest_over_raw_encode": round(raw_encode_s / ingest_s, 3),
        "prepare_alone_s": round(prepare_s, 2), "of_which_pdf_parsing_s": round(parse_s, 2),
        "peak_rss_mb_ingest": round(ingest_peak, 1), "rss_mb_after_model_load": round(rss_after_load, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1), "index_mb": round(index_bytes / 2**20, 1),
        "cpus": os.cpu_count(), "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }
    rows = [("documents (failed)", f"{len(docs)} ({len(report.failed)})"), ("pages", pages), ("chunks", chunks),
            ("ingest s (incl. FAISS build)", result["ingest_s"]), ("ingest pages/s", result["ingest_pages_per_s"]),
            ("ingest chunks/s", result["ingest_chunks_per_s"]),
            ("raw encode chunks/s", result["raw_encode_chunks_per_s"]),
            ("ingest / raw encode (target >= 0.85)", result["ingest_over_raw_encode"]),
            ("prepare alone s (parse+clean+chunk+lang)", result["prepare_alone_s"]),
            ("  of which loading/parsing files s", result["of_which_pdf_parsing_s"]),
            ("peak RSS MB (target <= 1536)", result["peak_rss_mb"]), ("index MB", result["index_mb"]),
            ("load average at end (2 cores, shared)", result["load_average_1min_at_end"])]
    for name, value in rows:
        print(f"{name:<40} {value}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
