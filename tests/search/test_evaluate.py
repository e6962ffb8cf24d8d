"""`cwg eval`: BEIR loading, metrics checked against trec_eval (pytrec_eval), the eval through the real index."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from api.cli import main
from search.retrieval.evaluate import (
    BeirCollection,
    DatasetError,
    DocumentRanker,
    build_index,
    evaluate,
    load_beir,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
    run_queries,
    score_runs,
)
from tests.conftest import shared_data

TINY_CORPUS = [
    {"_id": "d1", "title": "Helplines for children", "text": "A national helpline answers children who report "
     "online abuse, day and night, by phone and chat."},
    {"_id": "d2", "title": "Age verification", "text": "Platforms check the age of users before they open an "
     "account, with privacy-preserving age assurance."},
    {"_id": "d3", "title": "School curriculum", "text": "Digital literacy lessons teach pupils to recognise "
     "grooming and to report it to a trusted adult."},
    {"_id": "d4", "title": "Data protection", "text": "Children's personal data may not be used for profiling "
     "or targeted advertising."},
]
TINY_QUERIES = [{"_id": "q1", "text": "helpline for abused children"},
                {"_id": "q2", "text": "checking the age of users"},
                {"_id": "q3", "text": "teaching pupils about grooming"},
                {"_id": "q9", "text": "a query with no judgement"}]
TINY_QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td3\t1\nq2\td2\t1\nq3\td3\t2\nq3\td1\t0\n"


def write_beir(folder: Path, corpus: list[dict], queries: list[dict], qrels: str, split: str = "test") -> Path:
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus))
    (folder / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in queries))
    (folder / "qrels" / f"{split}.tsv").write_text(qrels)
    return folder


def trec_eval(qrels: dict[str, dict[str, int]], runs: dict[str, list[tuple[str, float]]]) -> dict[str, dict]:
    """The independent implementation: trec_eval through pytrec_eval. Scores are made strictly decreasing
    from our order (trec_eval breaks ties by document id, we by rank), and MRR@10 is trec_eval's
    reciprocal rank over the top 10."""
    pytrec_eval = pytest.importorskip("pytrec_eval")
    ordered = {q: {d: float(len(r) - i) for i, (d, _) in enumerate(r)} for q, r in runs.items()}
    top10 = {q: {d: float(10 - i) for i, (d, _) in enumerate(r[:10])} for q, r in runs.items()}
    main_metrics = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100"}).evaluate(ordered)
    rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(top10)
    return {q: {"ndcg@10": main_metrics[q]["ndcg_cut_10"], "recall@100": main_metrics[q]["recall_100"],
                "mrr@10": rr[q]["recip_rank"]} for q in main_metrics}


def assert_matches_trec_eval(collection: BeirCollection, runs: dict[str, list[tuple[str, float]]]) -> None:
    ours = score_runs(runs, collection).per_query
    theirs = trec_eval(collection.qrels, {q: runs.get(q, []) for q in collection.qrels})
    assert set(theirs) <= set(ours)
    for qid, metrics in theirs.items():
        for name, value in metrics.items():
            assert ours[qid][name] == pytest.approx(value, abs=1e-6), (qid, name)


# --- metrics ----------------------------------------------------------------------------------------
def test_metrics_by_hand():
    grades = {"a": 2, "b": 1, "z": 0}
    assert ndcg_at_k(["a", "b"], grades) == pytest.approx(1.0)
    # b first, a second: DCG = 1/log2(2) + 2/log2(3); ideal = 2 + 1/log2(3)
    assert ndcg_at_k(["b", "a"], grades) == pytest.approx((1 + 2 / 1.5849625) / (2 + 1 / 1.5849625))
    assert ndcg_at_k(["z", "x"], grades) == 0.0
    assert recall_at_k(["x", "b"], grades, 100) == 0.5 and recall_at_k(["x", "b"], grades, 1) == 0.0
    assert mrr_at_k(["z", "x", "b"], grades) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"] * 10 + ["a"], grades) == 0.0  # past the cut-off


def test_metrics_match_trec_eval_on_random_graded_runs():
    rng = random.Random(7)
    docs = [f"d{i}" for i in range(300)]
    qrels = {f"q{q}": {d: rng.choice([0, 1, 1, 2, 3]) for d in rng.sample(docs, rng.randint(1, 12))}
             for q in range(60)}
    runs = {}
    for q in qrels:
        ranked = rng.sample(docs, rng.randint(0, 150))
        runs[q] = [(d, 1.0 / (i + 1)) for i, d in enumerate(ranked)]
    collection = BeirCollection({d: ("", "") for d in docs}, {q: q for q in qrels}, qrels)
    assert_matches_trec_eval(collection, runs)


# --- loading ----------------------------------------------------------------------------------------
def test_load_beir_keeps_judged_queries_and_grades(tmp_path: Path):
    folder = write_beir(tmp_path / "tiny", TINY_CORPUS, TINY_QUERIES, TINY_QRELS)
    collection = load_beir(folder)
    assert set(collection.corpus) == {"d1", "d2", "d3", "d4"}
    assert collection.corpus["d2"][0] == "Age verification"
    assert set(collection.queries) == {"q1", "q2", "q3"}  # q9 has no judgement
    assert collection.qrels["q1"] == {"d1": 2, "d3": 1} and collection.qrels["q3"]["d1"] == 0


@pytest.mark.parametrize("damage, message", [
    ("no_qrels", r"qrels file .*test.tsv not found"),
    ("no_corpus", r"corpus.jsonl not found"),
    ("bad_json", r"corpus.jsonl line 2 is not JSON"),
    ("bad_qrels", r"test.tsv line 2: expected query-id, corpus-id, score"),
])
def test_load_beir_says_what_is_wrong(tmp_path: Path, damage: str, message: str):
    folder = write_beir(tmp_path / "tiny", TINY_CORPUS, TINY_QUERIES, TINY_QRELS)
    if damage == "no_qrels":
        (folder / "qrels" / "test.tsv").unlink()
    elif damage == "no_corpus":
        (folder / "corpus.jsonl").unlink()
    elif damage == "bad_json":
        (folder / "corpus.jsonl").write_text(json.dumps(TINY_CORPUS[0]) + "\n{oops\n")
    else:
        (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1 d1 1\n")
    with pytest.raises(DatasetError, match=message):
        load_beir(folder)


def test_cli_eval_on_a_missing_folder_fails_cleanly(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    assert main(["eval", str(tmp_path / "nowhere")]) == 1
    assert "no dataset folder" in capsys.readouterr().err


# --- the eval through the real index code ------------------------------------------------------------
def test_eval_through_the_index_with_the_fake_embedder(tmp_path: Path, fake_embedders):
    collection = load_beir(write_beir(tmp_path / "tiny", TINY_CORPUS, TINY_QUERIES, TINY_QRELS))
    folder, report = build_index(collection, tmp_path / "ix", embedders=fake_embedders)
    try:
        assert len(report.added) == 4 and not report.failed
        assert not any(folder.files_dir.iterdir())  # no copies of the corpus kept
        assert {d.path for d in folder.store.documents()} == {f"beir:d{i}" for i in range(1, 5)}
        result = evaluate(collection, folder, mode="lexical")
        assert result.queries == 3 and result.ndcg_at_10 > 0.8 and result.mrr_at_10 == 1.0
        runs, _ = run_queries(DocumentRanker(folder), collection, "hybrid")
        assert runs["q2"][0][0] == "d2"
        assert_matches_trec_eval(collection, runs)
    finally:
        folder.close()
    folder, report = build_index(collection, tmp_path / "ix", embedders=fake_embedders)  # a kept index is reused
    folder.close()
    assert len(report.unchanged) == 4


@pytest.mark.slow
def test_cli_eval_json_on_a_tiny_collection(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    folder = write_beir(tmp_path / "tiny", TINY_CORPUS, TINY_QUERIES, TINY_QRELS)
    assert main(["eval", str(folder), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"ndcg@10", "recall@100", "mrr@10", "queries", "latency_ms"}
    assert set(data["latency_ms"]) == {"p50", "p95"} and data["queries"] == 3
    assert data["ndcg@10"] > 0.8 and data["recall@100"] == 1.0 and data["mrr@10"] == 1.0


def scifact_subset(n_docs: int = 300, n_queries: int = 60) -> BeirCollection:
    """Real SciFact: the first test queries, their relevant documents, and other documents up to `n_docs`."""
    full = load_beir(shared_data("ir_benchmarks", "scifact"))
    qids = sorted(full.queries, key=int)[:n_queries]
    keep = {d for q in qids for d in full.qrels[q] if d in full.corpus}
    for doc_id in full.corpus:
        if len(keep) >= n_docs:
            break
        keep.add(doc_id)
    return BeirCollection({d: full.corpus[d] for d in keep}, {q: full.queries[q] for q in qids},
                          {q: full.qrels[q] for q in qids})


@pytest.mark.slow
def test_eval_on_real_scifact_subset(tmp_path: Path):
    collection = scifact_subset()
    folder, report = build_index(collection, tmp_path / "ix")
    try:
        assert not report.failed and len(report.added) == len(collection.corpus)
        ranker = DocumentRanker(folder)
        results = {}
        for mode in ("lexical", "dense", "hybrid"):
            runs, latencies = run_queries(ranker, collection, mode)
            assert_matches_trec_eval(collection, runs)
            results[mode] = score_runs(runs, collection, latencies)
    finally:
        folder.close()
    # With 300 documents every mode finds most relevant ones; hybrid is at least as good as either alone
    # (small slack: 60 queries), and each is far above chance.
    for mode, result in results.items():
        assert result.queries == 60 and result.ndcg_at_10 > 0.6, (mode, result.ndcg_at_10)
        assert result.latency_p95_ms > 0
    best_single = max(results["lexical"].ndcg_at_10, results["dense"].ndcg_at_10)
    assert results["hybrid"].ndcg_at_10 >= best_single - 0.02
