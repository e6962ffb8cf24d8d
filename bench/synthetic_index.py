"""Large index folders for the latency, cold-start and size benchmarks: repeated real text, synthetic vectors.

The text is real (SciFact abstracts, title + text, repeated as often as needed), written through the real
`Store.write_document` (documents, chunks, FTS5, vectors: one transaction per document, as ingest does).
The vectors are synthetic but shaped like real ones: each is a random mix of three real MiniLM vectors
(the one of its own text and two others) plus a little noise, so neighbourhoods are as clustered as
real embeddings, not uniform noise. Documents carry
metadata that cycles (country over 20 values, doc_type over 4) so filters select 5% and 25% of chunks.

Built folders are cached under bench/out/cache/synthetic-<n> and reused when complete.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from index.folder import IndexFolder
from index.records import DocumentTarget
from ingest.records import Chunk, DocumentMeta, PreparedDocument

ROOT = Path(__file__).resolve().parent.parent
SCIFACT = ROOT.parent / "shared" / "data" / "ir_benchmarks" / "scifact"
CACHE = ROOT / "bench" / "out" / "cache"
COUNTRIES = ("France", "Brazil", "India", "Kenya", "Japan", "Canada", "Egypt", "Malawi", "Philippines", "Bahrain",
             "Italy", "Mexico", "Nigeria", "Ghana", "Chile", "Spain", "Morocco", "Peru", "Portugal", "Senegal")
DOC_TYPES = ("contribution", "information", "report", "other")
CHUNKS_PER_DOCUMENT = 50
REAL_TEXTS = 2000  # distinct real texts encoded with the real model (the seeds of the synthetic vectors)


def real_texts(limit: int = REAL_TEXTS) -> list[str]:
    texts: list[str] = []
    with (SCIFACT / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            text = f"{row.get('title', '')}. {row.get('text', '')}".strip()
            if len(text.split()) >= 40:
                texts.append(" ".join(text.split()[:220]))
            if len(texts) == limit:
                break
    return texts


def synthetic_vectors(seeds: np.ndarray, which: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Row i: a random convex mix of seeds[which[i]] and two other real vectors, plus a little noise,
    L2-normalised (float32). Mixing three of 2,000 real vectors spreads a million rows about as real
    passages are spread (a query's 10th-best cosine ~0.47 as on real SciFact), where mixing two left
    near-duplicates whose order no approximate index can keep."""
    others = seeds[rng.integers(0, len(seeds), (len(which), 2))]
    weights = rng.dirichlet([1.0, 1.0, 1.0], len(which)).astype(np.float32)
    noise = rng.normal(0.0, 0.03, (len(which), seeds.shape[1])).astype(np.float32)
    vectors = weights[:, :1] * seeds[which] + weights[:, 1:2] * others[:, 0] + weights[:, 2:] * others[:, 1] + noise
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def seed_vectors(folder: IndexFolder, texts: list[str], log: Callable[[str], None]) -> np.ndarray:
    """The real model's vectors of `texts` (cached beside the built folders: encoding takes a while)."""
    cached = CACHE / f"synthetic-seeds-{len(texts)}.npy"
    if cached.exists():
        return np.load(cached, allow_pickle=False)
    start = time.perf_counter()
    seeds = folder.embedder("minilm").encode(texts)
    log(f"encoded {len(texts)} real seed texts in {time.perf_counter() - start:.1f} s")
    np.save(cached, seeds, allow_pickle=False)
    return seeds


def _document(number: int, texts: list[str], first: int, count: int) -> PreparedDocument:
    parts = [texts[(first + i) % len(texts)] for i in range(count)]
    body = "\n\n".join(parts)
    chunks, pos = [], 0
    for ordinal, part in enumerate(parts):
        chunks.append(Chunk(ordinal, part, "", None, None, pos, pos + len(part),
                            hashlib.sha256(part.encode()).hexdigest()[:16]))
        pos += len(part) + 2
    country = COUNTRIES[number % len(COUNTRIES)]
    meta = DocumentMeta(title=f"Synthetic contribution {number}", source=country, country=country,
                        doc_type=DOC_TYPES[number % len(DOC_TYPES)], language="en", meeting=f"CWG-{number % 24 + 1}")
    digest = hashlib.sha256(f"synthetic-{number}".encode()).hexdigest()
    return PreparedDocument(f"synthetic:{number}", f"synthetic-{number}.txt", digest, "text", meta, body,
                            None, chunks)


def build_synthetic_index(n_chunks: int, path: Path | None = None,
                          log: Callable[[str], None] = print, seed: int = 0) -> Path:
    """A folder with `n_chunks` chunks (cached: an existing complete folder is returned as it is)."""
    path = path or CACHE / f"synthetic-{n_chunks}"
    done_marker = path / "synthetic.json"
    if done_marker.exists():
        return path
    if path.exists():
        raise SystemExit(f"{path} is an incomplete earlier build: delete it and run again")
    folder = IndexFolder.open(path, create=True, model="english")  # synthetic vectors: MiniLM only
    try:
        texts = real_texts()
        seeds = seed_vectors(folder, texts, log)
        rng = np.random.default_rng(seed)
        start = time.perf_counter()
        written = 0
        number = 0
        while written < n_chunks:
            count = min(CHUNKS_PER_DOCUMENT, n_chunks - written)
            prepared = _document(number, texts, written, count)
            which = np.array([(written + i) % len(texts) for i in range(count)])
            vectors = synthetic_vectors(seeds, which, rng)
            hashes = [c.content_hash for c in prepared.chunks]
            folder.store.write_document(DocumentTarget(f"synthetic-{number}", key=prepared.path), prepared, hashes,
                                         {"minilm": vectors}, {})
            written += count
            number += 1
            if number % 2000 == 0:
                log(f"  {written} chunks written ({time.perf_counter() - start:.0f} s)")
        write_s = time.perf_counter() - start
        start = time.perf_counter()
        folder.refresh_vectors()
        faiss_s = time.perf_counter() - start
        info = {"chunks": written, "documents": number, "write_s": round(write_s, 1),
                "faiss_build_s": round(faiss_s, 1), "faiss_kind": folder.vector_index("minilm").kind}
        done_marker.write_text(json.dumps(info, indent=2))
        log(f"built {path.name}: {info}")
    finally:
        folder.close()
    return path
