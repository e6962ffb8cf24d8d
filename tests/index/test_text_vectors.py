"""The sentence-vector cache beside the store: a text is encoded once, by any process, and a damaged
cache costs only speed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedders import FakeEmbedder
from index.text_vectors import TextVectorCache


class Counting(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__("minilm")
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress=None) -> np.ndarray:  # type: ignore[no-untyped-def]
        self.encoded += list(texts)
        return super().encode(texts)


TEXTS = ["Teachers learn to keep children safe online.", "A helpline answers day and night.",
         "Parents get a guide to screen time."]


def test_a_text_is_encoded_once_across_processes(tmp_path: Path) -> None:
    embedder = Counting()
    first = TextVectorCache(tmp_path / "text-vectors.sqlite")
    vectors = first.encode(embedder, TEXTS[:2])
    assert embedder.encoded == TEXTS[:2]
    first.close()
    second = TextVectorCache(tmp_path / "text-vectors.sqlite")  # another process opening the same folder
    again = second.encode(embedder, TEXTS)
    assert embedder.encoded == TEXTS[:2] + TEXTS[2:]  # only the new text was encoded
    assert np.allclose(again[:2], vectors) and np.allclose(again, FakeEmbedder("minilm").encode(TEXTS))
    second.close()


def test_another_model_does_not_reuse_the_vectors(tmp_path: Path) -> None:
    cache = TextVectorCache(tmp_path / "text-vectors.sqlite")
    cache.encode(Counting(), TEXTS)
    other = Counting()
    other.model_id = "another-model"
    cache.encode(other, TEXTS)
    assert other.encoded == TEXTS


def test_a_damaged_cache_is_set_aside_and_refilled(tmp_path: Path) -> None:
    path = tmp_path / "text-vectors.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    embedder = Counting()
    vectors = TextVectorCache(path).encode(embedder, TEXTS)
    assert np.allclose(vectors, FakeEmbedder("minilm").encode(TEXTS))
    assert (tmp_path / "text-vectors.sqlite.damaged").exists()
    assert TextVectorCache(path).encode(embedder, TEXTS).shape == (3, 64) and embedder.encoded == TEXTS


def test_an_unwritable_place_still_answers(tmp_path: Path) -> None:
    cache = TextVectorCache(tmp_path / "no" / "such" / "folder" / "text-vectors.sqlite")
    assert np.allclose(cache.encode(Counting(), TEXTS), FakeEmbedder("minilm").encode(TEXTS))
