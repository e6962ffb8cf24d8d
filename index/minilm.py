"""all-MiniLM-L6-v2 as a small torch module of our own: the same weights and numbers, a fast start.

sentence-transformers (through transformers and scikit-learn) takes ~3 s to import on this machine,
more than torch and the model together; a process that answers one query (`cwg search`, a restarted
server) pays it every time. This is the BERT encoder the checkpoint describes (config.json: 6 layers,
384 wide, 12 heads, GELU, post-LayerNorm, absolute positions), its WordPiece tokenizer run by the
`tokenizers` library from tokenizer.json, and sentence-transformers' pooling for this model (mean of
the token vectors under the attention mask). tests/index/test_minilm.py holds it to the
sentence-transformers output (cosine >= 0.9999 on real text).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from index.minilm_numpy import load_tokenizer, read_config


class _Layer(nn.Module):
    def __init__(self, width: int, heads: int, inner: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = (nn.Linear(width, width) for _ in range(3))
        self.attention_out = nn.Linear(width, width)
        self.attention_norm = nn.LayerNorm(width, eps=eps)
        self.inner = nn.Linear(width, inner)
        self.out = nn.Linear(inner, width)
        self.out_norm = nn.LayerNorm(width, eps=eps)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, width // self.heads).transpose(1, 2)

        attended = functional.scaled_dot_product_attention(split(self.query(x)), split(self.key(x)),
                                                           split(self.value(x)), attn_mask=bias)
        attended = attended.transpose(1, 2).reshape(batch, length, width)
        x = self.attention_norm(x + self.attention_out(attended))
        return self.out_norm(x + self.out(functional.gelu(self.inner(x))))


class MiniLMEncoder(nn.Module):
    """Token ids → mean-pooled sentence vectors (not normalised), for a BERT checkpoint folder."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        width, eps = int(config["hidden_size"]), float(config["layer_norm_eps"])
        self.words = nn.Embedding(int(config["vocab_size"]), width)
        self.positions = nn.Embedding(int(config["max_position_embeddings"]), width)
        self.token_types = nn.Embedding(int(config["type_vocab_size"]), width)
        self.embedding_norm = nn.LayerNorm(width, eps=eps)
        self.layers = nn.ModuleList(
            _Layer(width, int(config["num_attention_heads"]), int(config["intermediate_size"]), eps)
            for _ in range(int(config["num_hidden_layers"])))

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.words(ids) + self.positions(positions) + self.token_types(torch.zeros_like(ids))
        x = self.embedding_norm(x)
        keep = mask.to(x.dtype)
        bias = ((1.0 - keep) * torch.finfo(x.dtype).min)[:, None, None, :]  # padding gets no attention
        for layer in self.layers:
            x = layer(x, bias)
        weights = keep.unsqueeze(-1)
        return (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

    def load_checkpoint(self, weights: dict[str, torch.Tensor]) -> None:
        """Take the weights by their names in the BERT checkpoint (the pooler head is not used)."""
        names = {"words.weight": "embeddings.word_embeddings.weight",
                 "positions.weight": "embeddings.position_embeddings.weight",
                 "token_types.weight": "embeddings.token_type_embeddings.weight",
                 "embedding_norm.weight": "embeddings.LayerNorm.weight",
                 "embedding_norm.bias": "embeddings.LayerNorm.bias"}
        parts = {"query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
                 "attention_out": "attention.output.dense", "attention_norm": "attention.output.LayerNorm",
                 "inner": "intermediate.dense", "out": "output.dense", "out_norm": "output.LayerNorm"}
        for n in range(len(self.layers)):
            for ours, theirs in parts.items():
                for kind in ("weight", "bias"):
                    names[f"layers.{n}.{ours}.{kind}"] = f"encoder.layer.{n}.{theirs}.{kind}"
        state = {ours: weights[theirs] for ours, theirs in names.items()}
        self.load_state_dict(state, strict=True)


class MiniLMModel:
    """Tokenizer + encoder of a sentence-transformers MiniLM folder, ready to encode batches."""

    def __init__(self, folder: Path, dtype: torch.dtype = torch.bfloat16) -> None:
        from safetensors.torch import load_file

        config = read_config(folder)
        self.tokenizer = load_tokenizer(folder)
        self.pad_id = int(config.get("pad_token_id", 0))
        self.encoder = MiniLMEncoder(config)
        self.encoder.load_checkpoint(load_file(str(folder / "model.safetensors")))
        self.encoder.to(dtype).eval()
        self.dimension = int(config["hidden_size"])

    def encode_batch(self, texts: list[str]) -> np.ndarray:
        """Mean-pooled vectors of `texts` as float32 rows (not normalised)."""
        return self.encode_ids([e.ids for e in self.tokenizer.encode_batch(texts)])

    def encode_ids(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        """Mean-pooled vectors of token-id sequences (unpadded) as float32 rows (not normalised)."""
        longest = max((len(s) for s in sequences), default=0)
        ids = torch.full((len(sequences), longest), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(sequences), longest), dtype=torch.long)
        for row, sequence in enumerate(sequences):
            ids[row, :len(sequence)] = torch.tensor(sequence, dtype=torch.long)
            mask[row, :len(sequence)] = 1
        with torch.inference_mode():
            return self.encoder(ids, mask).float().numpy()
