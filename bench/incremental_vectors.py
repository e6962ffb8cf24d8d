"""Incremental vector index: adding or removing one document at 100k / 1M chunks, against a full rebuild.

    .venv/bin/python bench/incremental_vectors.py [--sizes 100000 1000000] [--no-rebuild]

On the cached synthetic index folders of bench/synthetic_index.py (a real document is added to them and
removed again at the end: they are left as they were). Timed, with the real bundled models:

- add one real document (a policy PDF of ../shared/data, else a sample file) with `IndexWriter.ingest`,
  split into encode (the models), store write (`Store.write_document`) and the rest (parsing, chunking);
  then the vector update in the process that serves queries (`vector_index`, all spaces) and the cache
  save (`refresh_vectors`). Searchable: its first passage's own vector finds it first;
- the same document seen by a fresh process: open, the cache loaded (base + delta, caught up), first search;
- a process that only writes (`cwg ingest`): another document added, `refresh_vectors(load=False)` and, for
  comparison, `refresh_vectors()` (which reads the base); the serving process catching up with it;
- removing a document (store, vector update, save), and a label write (a new generation, no vector);
- what compaction costs at this size: the fresh part at its limit (search overhead, merge into a copy of the
  graph, base save) and 10% tombstones (search latency, recall@10 against exact);
- before: the full rebuild that every one of those changes cost (FAISS build from the stored vectors + save).
Prints a table and writes bench/out/incremental_vectors.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
from synthetic_index import build_synthetic_index  # noqa: E402

from index import vector_cache  # noqa: E402
from index.folder import IndexFolder  # noqa: E402
from index.vector_cache import CacheStamp  # noqa: E402
from index.vectors import BaseIndex, VectorIndex, fresh_limit  # noqa: E402
from index.writer import IndexWriter  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "policy_pdfs"
DOCUMENTS = [SHARED / "digital_ai_policy" / "unesco2019beijing_beijing-consensus-ai-education.pdf",
             SHARED / "multilingual_child_online_safety" / "en__parent_guide_supporting_online_coding_session.pdf"]
SAMPLES = [ROOT / "examples" / "cwg-cop-20" / "cwg-cop-20-meeting-outcomes.md",
           ROOT / "examples" / "cwg-cop-20" / "philippines-cop-initiatives.pdf"]
SPACE = "minilm"
T = TypeVar("T")

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from index.folder import IndexFolder
from index.writer import IndexWriter
folder = IndexFolder.open(Path(sys.argv[2]))
out = {"open_s": time.perf_counter() - t0}
mode = sys.argv[3]
if mode == "search":
    start = time.perf_counter()
    indexes = {s: folder.vector_index(s) for s in folder.spaces}
    out["vector_index_s"] = time.perf_counter() - start
    chunk = folder.store.chunks_of(sys.argv[4])[0]
    vector = folder.store.vectors_for("minilm", [chunk.id], folder.dimension("minilm"))[0]
    start = time.perf_counter()
    ids, _ = indexes["minilm"].search(vector, 10)
    out["first_search_s"] = time.perf_counter() - start
    out["found_first"] = bool(len(ids) and int(ids[0]) == chunk.id)
    out["kinds"] = {s: i.kind for s, i in indexes.items()}
else:
    for space in folder.spaces:
        folder.embedder(space).encode(["warm up"])
    start = time.perf_counter()
    if mode == "add":
        report = IndexWriter(folder).ingest([Path(sys.argv[4])])
        out["document_id"] = (report.added or report.updated or report.unchanged)[0]
    else:
        IndexWriter(folder).remove(sys.argv[4])
    out["write_s"] = time.perf_counter() - start
    start = time.perf_counter()
    folder.refresh_vectors(load=sys.argv[5] == "load")
    out["refresh_s"] = time.perf_counter() - start
folder.close()
print(json.dumps(out))
"""


def child(*args: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), *args], capture_output=True, text=True,
                          timeout=3600, env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    if proc.returncode:
        raise SystemExit(proc.stderr)
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in json.loads(proc.stdout.splitlines()[-1]).items()}


class Clock:
    """Seconds spent inside wrapped callables (the models' encode, the store's write)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def wrap(self, name: str, fn):  # type: ignore[no-untyped-def]
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - start
        return timed


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    out = fn()
    return round(time.perf_counter() - start, 3), out


def update_all(folder: IndexFolder) -> dict[str, VectorIndex]:
    return {space: folder.vector_index(space) for space in folder.spaces}


def found_first(folder: IndexFolder, document_id: str) -> bool:
    chunk = folder.store.chunks_of(document_id)[0]
    vector = folder.store.vectors_for(SPACE, [chunk.id], folder.dimension(SPACE))[0]
    ids, _ = folder.vector_index(SPACE).search(vector, 10)
    return bool(len(ids) and int(ids[0]) == chunk.id)


def add_document(folder: IndexFolder, path: Path) -> dict[str, object]:
    clock = Clock()
    for space in folder.spaces:
        embedder = folder.embedder(space)
        embedder.encode(["warm up"])
        embedder.encode = clock.wrap("encode_s", embedder.encode)  # type: ignore[method-assign]
    real_write = folder.store.write_document
    folder.store.write_document = clock.wrap("store_write_s", real_write)  # type: ignore[method-assign]
    try:
        total, report = timed(lambda: IndexWriter(folder).ingest([path]))
    finally:
        folder.store.write_document = real_write  # type: ignore[method-assign]
        for space in folder.spaces:
            del folder.embedder(space).encode
    doc_id = (report.added or report.updated)[0]  # type: ignore[attr-defined]
    row: dict[str, object] = {"document": path.name, "chunks": len(folder.store.chunks_of(doc_id)),
                              "document_id": doc_id, "ingest_s": total}
    row.update({k: round(v, 3) for k, v in clock.spent.items()})
    row["parse_and_rest_s"] = round(total - sum(clock.spent.values()), 3)
    row["vector_update_s"], _ = timed(lambda: update_all(folder))
    row["searchable"] = found_first(folder, doc_id)
    row["cache_save_s"], _ = timed(folder.refresh_vectors)
    return row


def compaction_costs(folder: IndexFolder, queries: np.ndarray) -> dict[str, object]:
    """The fresh part at its limit and 10% tombstones, on copies in memory (the store is not touched)."""
    index = folder.vector_index(SPACE)
    base_n = len(index.base.ids)
    limit = fresh_limit(base_n)
    rng = np.random.default_rng(0)
    rows = np.asarray(index.matrix[rng.integers(0, base_n, limit)]) + rng.normal(0, 0.03, (limit, index.base.dimension))
    rows = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    top = int(index.ids.max())
    new_ids = np.arange(top + 1, top + 1 + limit, dtype=np.int64)
    grown = index.updated(new_ids, new_ids, rows)
    assert grown is not None

    def latency(ix: VectorIndex) -> float:
        ms = []
        for q in queries:
            start = time.perf_counter()
            ix.search(q, 1000)
            ms.append((time.perf_counter() - start) * 1000)
        return round(float(np.percentile(ms, 50)), 2)

    out: dict[str, object] = {"kind": index.kind, "fresh_limit": limit, "search_k1000_p50_ms": latency(index),
                              "search_k1000_p50_ms_with_fresh_at_limit": latency(grown)}
    out["merge_into_copy_s"], merged = timed(lambda: grown.merged(copy=True))
    with tempfile.TemporaryDirectory(dir=folder.path.parent) as tmp:
        out["base_save_s"], _ = timed(lambda: vector_cache.save(Path(tmp), SPACE, merged, CacheStamp("x", 1, None)))
        out["base_bytes"] = sum(p.stat().st_size for p in Path(tmp).glob("*.faiss"))
    # the delta at its limit, beside a base of its own (a copy of the base's description: names are per folder)
    alone = VectorIndex(BaseIndex(index.base.ids, index.kind, index.base.dimension, index.base.faiss_index()),
                        grown.fresh_ids, grown.fresh, grown.dead)
    with tempfile.TemporaryDirectory(dir=folder.path.parent) as tmp:
        vector_cache.save(Path(tmp), SPACE, alone, CacheStamp("x", 1, None))
        out["delta_save_s_at_limit"], _ = timed(lambda: vector_cache.save(Path(tmp), SPACE, alone, CacheStamp("x", 2, None)))
        out["delta_bytes_at_limit"] = sum(p.stat().st_size for p in Path(tmp).glob("*.npz"))
    dead = np.sort(rng.choice(index.ids[index.ids >= 0], base_n // 10, replace=False))
    holed = index.updated(dead, np.zeros(0, np.int64), np.zeros((0, index.base.dimension), np.float32))
    assert holed is not None
    out["search_k1000_p50_ms_with_10pct_tombstones"] = latency(holed)
    live = np.sort(holed.ids[holed.ids >= 0])
    recall = []
    for q in queries[:50]:
        truth = set(holed.search(q, 10, live)[0].tolist())  # a filter is searched exactly
        recall.append(len(truth & set(holed.search(q, 10)[0].tolist())) / 10)
    out["recall_at_10_with_10pct_tombstones"] = round(float(np.mean(recall)), 4)
    return out


def bench_size(n: int, rebuild: bool) -> dict[str, object]:
    path = build_synthetic_index(n)
    docs = [d for d in DOCUMENTS if d.exists()] or SAMPLES
    folder = IndexFolder.open(path)
    result: dict[str, object] = {"chunks": n}
    try:
        # an index made before the change log (or a cache in the earlier format): one full build first
        result["first_refresh_s"], _ = timed(folder.refresh_vectors)
        result["open_cached_s"], _ = timed(lambda: update_all(folder))
        result["kinds"] = {s: folder.vector_index(s).kind for s in folder.spaces}
        result["add"] = add_document(folder, docs[0])
        doc_id = str(result["add"]["document_id"])  # type: ignore[index]
        result["fresh_process_after_add"] = child(str(path), "search", doc_id)

        # another process writes (as `cwg ingest` does); this one catches up at its next query
        other = child(str(path), "add", str(docs[-1]), "noload")
        result["writer_process_add"] = other
        result["serving_process_catches_up_s"], _ = timed(lambda: update_all(folder))
        result["serving_process_finds_it"] = found_first(folder, str(other["document_id"]))
        result["writer_process_remove"] = child(str(path), "remove", str(other["document_id"]), "load")
        result["serving_process_catches_up_after_remove_s"], _ = timed(lambda: update_all(folder))

        removal: dict[str, object] = {}
        removal["store_s"], _ = timed(lambda: IndexWriter(folder).remove(doc_id))
        removal["vector_update_s"], _ = timed(lambda: update_all(folder))
        removal["cache_save_s"], _ = timed(folder.refresh_vectors)
        result["remove"] = removal
        result["fresh_process_after_remove"] = child(str(path), "search", "synthetic-0")

        with folder.store.transaction() as conn:  # a label write: new generation, no vector
            conn.execute("DELETE FROM labels WHERE 0")
        before = folder.vector_index(SPACE)
        result["label_write_vector_index_s"], after = timed(lambda: folder.vector_index(SPACE))
        result["label_write_same_index"] = after is before

        qvecs = np.asarray(folder.store.vectors_for(SPACE, list(range(1, 20_000, 100)), folder.dimension(SPACE)))
        result["compaction"] = compaction_costs(folder, qvecs + np.float32(0.01))
        result["change_log_rows"] = folder.store.conn.execute("SELECT COUNT(*) FROM vector_changes").fetchone()[0]
        if rebuild:
            store, dim = folder.store, folder.dimension(SPACE)
            result["full_rebuild_s"], built = timed(lambda: VectorIndex.build_from_batches(
                store.vector_batches(SPACE, dim), store.vector_count(SPACE), dim))
            with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
                result["full_rebuild_save_s"], _ = timed(lambda: vector_cache.save(Path(tmp), SPACE, built,
                                                                                   CacheStamp("x", 1, None)))
        else:
            result["full_rebuild_s_from_synthetic_json"] = json.loads((path / "synthetic.json").read_text()).get(
                "faiss_build_s")
    finally:
        folder.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--no-rebuild", action="store_true", help="skip timing the full rebuild (minutes at 1M)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "incremental_vectors.json")
    args = parser.parse_args()
    results: dict[str, object] = {"cpus": os.cpu_count(), "sizes": {}}
    if args.out.exists():
        results = json.loads(args.out.read_text())  # sizes run separately accumulate
    for n in args.sizes:
        print(f"--- {n} chunks", flush=True)
        row = bench_size(n, not args.no_rebuild)
        row["load_average_1min"] = round(os.getloadavg()[0], 2)
        results["sizes"][str(n)] = row  # type: ignore[index]
        print(json.dumps(row, indent=2), flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results["sizes"])  # type: ignore[arg-type]
    print(f"wrote {args.out}")
    return 0


def print_table(sizes: dict[str, dict[str, object]]) -> None:
    print(f"\n{'seconds':<58}" + "".join(f"{n:>12}" for n in sizes))
    lines = [("full rebuild (before: every change)", lambda r: r.get("full_rebuild_s", r.get("full_rebuild_s_from_synthetic_json"))),
             ("add: chunks", lambda r: r["add"]["chunks"]),
             ("add: encode (models)", lambda r: r["add"].get("encode_s")),
             ("add: parse, chunk, rest", lambda r: r["add"]["parse_and_rest_s"]),
             ("add: store write", lambda r: r["add"].get("store_write_s")),
             ("add: vector update, serving process", lambda r: r["add"]["vector_update_s"]),
             ("add: cache save (delta)", lambda r: r["add"]["cache_save_s"]),
             ("add: fresh process, cache load + catch-up", lambda r: r["fresh_process_after_add"]["vector_index_s"]),
             ("add by another process: its refresh(load=False)", lambda r: r["writer_process_add"]["refresh_s"]),
             ("  ... serving process catches up", lambda r: r["serving_process_catches_up_s"]),
             ("remove by another process: its refresh() (reads base)", lambda r: r["writer_process_remove"]["refresh_s"]),
             ("remove: store", lambda r: r["remove"]["store_s"]),
             ("remove: vector update", lambda r: r["remove"]["vector_update_s"]),
             ("remove: cache save", lambda r: r["remove"]["cache_save_s"]),
             ("label write: vector_index", lambda r: r["label_write_vector_index_s"]),
             ("compaction: merge fresh-at-limit into a graph copy", lambda r: r["compaction"]["merge_into_copy_s"]),
             ("compaction: base save", lambda r: r["compaction"]["base_save_s"]),
             ("search k=1000 p50 ms: compact", lambda r: r["compaction"]["search_k1000_p50_ms"]),
             ("  ... fresh part at its limit", lambda r: r["compaction"]["search_k1000_p50_ms_with_fresh_at_limit"]),
             ("  ... 10% tombstones", lambda r: r["compaction"]["search_k1000_p50_ms_with_10pct_tombstones"]),
             ("recall@10 with 10% tombstones", lambda r: r["compaction"]["recall_at_10_with_10pct_tombstones"])]
    for label, get in lines:
        cells = []
        for row in sizes.values():
            try:
                cells.append(f"{get(row)!s:>12}")
            except (KeyError, TypeError):
                cells.append(f"{'-':>12}")
        print(f"{label:<58}" + "".join(cells))


if __name__ == "__main__":
    raise SystemExit(main())
