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

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional

MAX_TOKENS = 256  # sentence_bert_config.json: max_seq_length


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

    def __init__(self, config: dict[str, object]) -> None:
        super().__init__()
        width, eps = int(config["hidden_size"]), float(config["layer_norm_eps"])  # type: ignore[arg-type]
        self.words = nn.Embedding(int(config["vocab_size"]), width)  # type: ignore[arg-type]
        self.positions = nn.Embedding(int(config["max_position_embeddings"]), width)  # type: ignore[arg-type]
        self.token_types = nn.Embedding(int(config["type_vocab_size"]), width)  # type: ignore[arg-type]
        self.embedding_norm = nn.LayerNorm(width, eps=eps)
        self.layers = nn.ModuleList(
            _Layer(width, int(config["num_attention_heads"]), int(config["intermediate_size"]), eps)  # type: ignore[arg-type]
            for _ in range(int(config["num_hidden_layers"])))  # type: ignore[arg-type]

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
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text())
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)))
        self.encoder = MiniLMEncoder(config)
        self.encoder.load_checkpoint(load_file(str(folder / "model.safetensors")))
        self.encoder.to(dtype).eval()
        self.dimension = int(config["hidden_size"])

    def encode_batch(self, texts: list[str]) -> np.ndarray:
        """Mean-pooled vectors of `texts` as float32 rows (not normalised)."""
        encodings = self.tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in encodings], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in encodings], dtype=torch.long)
        with torch.inference_mode():
            return self.encoder(ids, mask).float().numpy()

