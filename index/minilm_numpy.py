"""all-MiniLM-L6-v2's forward pass in numpy, for short texts: queries without importing torch.

Importing torch costs ~2.5 s of a new process's start on this machine (bench/cold_start.py), more than
opening a 100k-chunk index, loading its FAISS file and answering the query together. A query is ~20
tokens: at that size the encoder is a handful of small matrix products, which numpy's BLAS does as fast
as torch (bench/query_encoding.py). The texts of a pass are packed end to end (no padding): the dense
layers run once over all real tokens, attention runs per text. Long passages (ingest) go to the torch
module (index/minilm.py), faster there by ~2x (attention over 256 tokens, fused kernels).

The same checkpoint, the same tokenizer and the same pooling as index/minilm.py;
tests/index/test_minilm.py holds the two to each other (cosine >= 0.9999).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MAX_TOKENS = 256  # sentence_bert_config.json: max_seq_length


def read_config(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "config.json").read_text())


def load_tokenizer(folder: Path):  # type: ignore[no-untyped-def]
    """The checkpoint's WordPiece tokenizer, truncating at MAX_TOKENS; no padding (the encoders pad or pack)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.no_padding()
    return tokenizer


def _erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return erf(x)


class NumpyMiniLM:
    """The BERT encoder of a MiniLM checkpoint folder as float32 arrays; token ids in, mean-pooled rows out."""

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file

        config = read_config(folder)
        self.eps = np.float32(config["layer_norm_eps"])
        self.heads = int(config["num_attention_heads"])
        self.dimension = int(config["hidden_size"])
        weights = {name: np.asarray(array, dtype=np.float32) for name, array in
                   load_file(str(folder / "model.safetensors")).items()}
        self.words = weights["embeddings.word_embeddings.weight"]
        self.positions = weights["embeddings.position_embeddings.weight"]
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self.embedding_norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self.layers: list[dict[str, Any]] = []
        for n in range(int(config["num_hidden_layers"])):
            def w(part: str, kind: str = "weight", n: int = n) -> np.ndarray:
                return weights[f"encoder.layer.{n}.{part}.{kind}"]

            qkv = ("attention.self.query", "attention.self.key", "attention.self.value")
            self.layers.append({
                # one product for query, key and value; weights stored (in, out) for x @ w
                "qkv": np.ascontiguousarray(np.concatenate([w(p) for p in qkv]).T),
                "qkv_bias": np.concatenate([w(p, "bias") for p in qkv]),
                "attention_out": np.ascontiguousarray(w("attention.output.dense").T),
                "attention_out_bias": w("attention.output.dense", "bias"),
                "attention_norm": (w("attention.output.LayerNorm"), w("attention.output.LayerNorm", "bias")),
                "inner": np.ascontiguousarray(w("intermediate.dense").T),
                "inner_bias": w("intermediate.dense", "bias"),
                "out": np.ascontiguousarray(w("output.dense").T),
                "out_bias": w("output.dense", "bias"),
                "out_norm": (w("output.LayerNorm"), w("output.LayerNorm", "bias")),
            })

    def _norm(self, x: np.ndarray, weight_bias: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        centred = x - x.mean(-1, keepdims=True)
        variance = np.square(centred).mean(-1, keepdims=True)
        return centred / np.sqrt(variance + self.eps) * weight_bias[0] + weight_bias[1]

    def forward(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        """Mean-pooled vectors (float32, not normalised) of token-id sequences (no padding in them)."""
        lengths = np.array([len(s) for s in sequences], dtype=np.int64)
        if len(lengths) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        ids = np.fromiter((t for s in sequences for t in s), dtype=np.int64, count=int(lengths.sum()))
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        position = np.arange(len(ids)) - np.repeat(starts, lengths)
        x = self._norm(self.words[ids] + self.positions[position] + self.token_type, self.embedding_norm)
        width, heads = self.dimension, self.heads
        size = width // heads
        scale = np.float32(1.0 / np.sqrt(size))
        for layer in self.layers:
            qkv = x @ layer["qkv"] + layer["qkv_bias"]
            attended = np.empty_like(x)
            for start, length in zip(starts.tolist(), lengths.tolist()):
                # (3, heads, length, size) for this text alone: no padding, no mask
                q, k, v = qkv[start:start + length].reshape(length, 3, heads, size).transpose(1, 2, 0, 3)
                scores = (q @ k.transpose(0, 2, 1)) * scale
                scores -= scores.max(-1, keepdims=True)
                np.exp(scores, out=scores)
                scores /= scores.sum(-1, keepdims=True)
                attended[start:start + length] = (scores @ v).transpose(1, 0, 2).reshape(length, width)
            x = self._norm(x + attended @ layer["attention_out"] + layer["attention_out_bias"],
                           layer["attention_norm"])
            inner = x @ layer["inner"] + layer["inner_bias"]
            inner = inner * np.float32(0.5) * (np.float32(1.0) + _erf(inner * np.float32(1 / np.sqrt(2.0))))
            x = self._norm(x + inner @ layer["out"] + layer["out_bias"], layer["out_norm"])
        return np.add.reduceat(x, starts, axis=0) / lengths[:, None].astype(np.float32)
