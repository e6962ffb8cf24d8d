"""Optional: rewrite each sub-theme's extractive summary into prose with an OpenAI-compatible endpoint.

Off by default; nothing else depends on it. Every sentence the model returns must carry a citation
marker [n] of a passage the synthesis cites, and its meaning must be found in that passage (cosine
similarity to the passage's best sentence ≥ `min_support`). Sentences that fail are dropped and
listed in `Synthesis.rewrite_flags`, so a reader sees what was removed and why.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index.embedders import Embedder
from ingest.chunking import split_sentences
from ingest.errors import CwgError
from search.synthesis.model import CitedSentence, RewriteFlag, Synthesis

_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
_MARKER_AFTER_STOP = re.compile(r"([.!?])\s*(\[\d+(?:\s*,\s*\d+)*\])")
PROMPT = (
    "Rewrite the numbered source sentences below into one short, fluent paragraph for a policy brief. "
    "Use only facts stated in them; add nothing. End every sentence you write with the bracketed number "
    "of the source sentence it comes from, like [3]. Reply with the paragraph only."
)


@dataclass(frozen=True)
class LlmSettings:
    url: str  # base URL of an OpenAI-compatible API, e.g. http://localhost:8080/v1
    model: str
    key: str = ""
    timeout_s: float = 60.0
    min_support: float = 0.75


class RewriteError(CwgError):
    """The language-model endpoint could not be reached or answered something unusable."""


def chat_completion(llm: LlmSettings, system: str, user: str) -> str:
    """One call to `{url}/chat/completions`; returns the first choice's text."""
    url = llm.url.rstrip("/")
    if not url.endswith("/chat/completions"):
        url += "/chat/completions"
    body = json.dumps({"model": llm.model, "temperature": 0,
                       "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]})
    headers = {"Content-Type": "application/json"}
    if llm.key:
        headers["Authorization"] = f"Bearer {llm.key}"
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=llm.timeout_s) as response:  # noqa: S310 (URL from settings)
            data = json.loads(response.read().decode("utf-8"))
        return str(data["choices"][0]["message"]["content"])
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise RewriteError(f"language model endpoint {url} failed: {exc}") from None
    except (ValueError, KeyError, IndexError, TypeError):
        raise RewriteError(f"language model endpoint {url} did not answer in the chat-completions format") from None


def rewrite_synthesis(synthesis: Synthesis, embedder: Embedder, llm: LlmSettings,
                      checkpoint: Callable[[], None] | None = None) -> None:
    """Fill `sub.prose` for each sub-theme with the checked sentences; record what was dropped. `checkpoint`
    is called before each sub-theme's request to the endpoint and may raise to stop."""
    synthesis.rewrite_model = llm.model
    passages: dict[int, np.ndarray] = {}  # citation → its sentences embedded (shared by the sub-themes)
    for sub in synthesis.subthemes:
        if not sub.summary:
            continue
        if checkpoint is not None:
            checkpoint()
        user = "\n".join(f"[{c.citation}] {' '.join(c.text.split())}" for c in sub.summary)  # one line each
        reply = chat_completion(llm, PROMPT, user)
        sub.prose = check_rewrite(reply, synthesis, sub.number, embedder, llm.min_support, passages)


def check_rewrite(reply: str, synthesis: Synthesis, subtheme: int, embedder: Embedder, min_support: float,
                  passages: dict[int, np.ndarray] | None = None) -> list[CitedSentence]:
    """Keep each sentence of `reply` whose cited passage supports it; flag the others."""
    passages = {} if passages is None else passages
    reply = _MARKER_AFTER_STOP.sub(r" \2\1", reply.strip())  # "… 2025. [3]" → "… 2025 [3]."
    candidates: list[tuple[str, list[int]]] = []
    for a, b in split_sentences(reply):
        piece = reply[a:b].strip()
        numbers = [int(n) for m in _MARKER.finditer(piece) for n in m.group(1).split(",")]
        text = _MARKER.sub("", piece).strip()
        if not text:
            continue
        if not numbers:
            synthesis.rewrite_flags.append(RewriteFlag(subtheme, text, "no citation marker"))
            continue
        valid = [n for n in numbers if 1 <= n <= len(synthesis.citations)]
        if not valid:
            synthesis.rewrite_flags.append(RewriteFlag(subtheme, text, f"cites [{numbers[0]}], which is not a reference"))
            continue
        candidates.append((text, valid))
    if not candidates:
        return []
    vectors = embedder.encode([text for text, _ in candidates])
    for n in sorted({n for _, valid in candidates for n in valid} - set(passages)):
        passage = synthesis.citation(n).passage
        passages[n] = embedder.encode([passage[a:b] for a, b in split_sentences(passage)] or [passage])
    kept: list[CitedSentence] = []
    for (text, valid), vector in zip(candidates, vectors):
        support = {n: float(np.max(passages[n] @ vector)) for n in valid}
        best_n = max(valid, key=lambda n: support[n])
        if support[best_n] >= min_support:
            kept.append(CitedSentence(text, best_n, -1, -1, rewritten=True, support=round(support[best_n], 4)))
        else:
            synthesis.rewrite_flags.append(RewriteFlag(
                subtheme, text, f"not supported by its cited passage [{best_n}] (similarity {support[best_n]:.2f} "
                                f"< {min_support:.2f})"))
    return kept
