"""Index size on disk per chunk, by part (SQLite tables and indexes, FTS5, FAISS cache, file copies).

    .venv/bin/python bench/index_size.py [INDEX_DIR ...]

Without arguments it measures the folders the other benchmarks built and cached under bench/out/cache
(the synthetic 10k/100k/1M-chunk indexes of bench/synthetic_index.py, the SciFact evaluation index of
`cwg eval --keep-index`, the cross-language indexes). SQLite space per table comes from its `dbstat`
table. Writes bench/out/index_size.json.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / "out" / "cache"
PARTS = {  # SQLite object name prefix -> part of the index
    "chunks_fts": "FTS5 (lexical index and its copy of the text)",
    "vectors": "vectors (float32, the truth FAISS is rebuilt from)",
    "chunks": "chunks (text, offsets, hashes)",
    "documents": "documents (metadata and full text)",
}


def sqlite_parts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
    finally:
        conn.close()
    parts: dict[str, int] = defaultdict(int)
    for name, size in rows:
        key = next((p for p in PARTS if name.startswith(p) or name.startswith(f"sqlite_autoindex_{p}")), "other")
        parts[PARTS.get(key, "other SQLite (labels, state, schema, free pages)")] += int(size)
    return dict(parts)


def measure(folder: Path) -> dict[str, object] | None:
    db = folder / "store.sqlite"
    if not db.exists():
        return None
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        documents = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        text_bytes = conn.execute("SELECT COALESCE(SUM(LENGTH(CAST(text AS BLOB))), 0) FROM chunks").fetchone()[0]
    finally:
        conn.close()
    if not chunks:
        return None
    parts = sqlite_parts(db)
    parts["SQLite WAL (until checkpoint)"] = sum(p.stat().st_size for p in folder.glob("store.sqlite-wal"))
    parts["FAISS cache (vectors-*.faiss, ids)"] = sum(p.stat().st_size for p in folder.glob("vectors-*"))
    parts["original file copies (files/)"] = sum(p.stat().st_size for p in (folder / "files").rglob("*") if p.is_file())
    total = sum(parts.values())
    return {"chunks": chunks, "documents": documents, "total_mb": round(total / 2**20, 1),
            "bytes_per_chunk": round(total / chunks), "chunk_text_bytes_per_chunk": round(text_bytes / chunks),
            "parts_bytes_per_chunk": {k: round(v / chunks) for k, v in sorted(parts.items(), key=lambda kv: -kv[1])}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "index_size.json")
    args = parser.parse_args()
    folders = args.folders
    if not folders and CACHE.is_dir():
        folders = sorted(p for p in CACHE.iterdir() if p.is_dir())
    results = {}
    for folder in folders:
        row = measure(folder)
        if row is None:
            continue
        results[folder.name] = row
        print(f"{folder.name}: {row['chunks']} chunks, {row['total_mb']} MB, {row['bytes_per_chunk']} bytes/chunk "
              f"(chunk text itself: {row['chunk_text_bytes_per_chunk']} bytes)")
        for part, size in row["parts_bytes_per_chunk"].items():  # type: ignore[union-attr]
            print(f"    {size:>8} B  {part}")
    if not results:
        print("no index folders found: run the other benchmarks first, or name index folders", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
