"""How likely a passage answers a question: a calibrated probability, so that "nothing answers this" can be
said, and a list is not filled to k with whatever is nearest.

The search lists rank by position (fused z-scores), which says what is nearer but never whether anything is
near: the nearest passage to an off-topic question ranks first too. The estimate here reads what ranks do not:
the raw cosines in each vector space (an English pair in MiniLM, any pair in the multilingual space), how much
of the question's vocabulary the passage holds, whether the passage is prose at all, and whether question and
passage share a language. A logistic model over these features, fitted on labelled questions held out by
document (bench/calibrate_relevance.py, its reliability table in the docs), turns them into a probability; its
coefficients and the default floor ship in `relevance.json` beside this module.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
import regex

from search.retrieval.content import content_share

FEATURES = ("similarity", "coverage", "content", "brevity")
_WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+")


@dataclass(frozen=True)
class QueryView:
    """What the features need of a question: its content terms with their rarity, its vector per space, its
    language (shares, and how far to trust them), and the languages each space's model reads (None: any)."""

    terms: tuple[str, ...]
    idf: tuple[float, ...]
    vectors: dict[str, np.ndarray]
    languages: dict[str, float]
    trust: float
    reads: dict[str, frozenset[str] | None] = field(default_factory=dict)

    def read_share(self, space: str) -> float:
        """How likely the question is in a language the space's model reads."""
        reads = self.reads.get(space)
        if reads is None or not self.languages:
            return 1.0
        share = sum(p for lang, p in self.languages.items() if lang in reads)
        return (1.0 - self.trust) + self.trust * min(1.0, share)


@dataclass(frozen=True)
class PassageView:
    text: str
    language: str
    vectors: dict[str, np.ndarray]


def term_idf(row_counts: dict[str, int], rows: int, terms: Sequence[str]) -> tuple[float, ...]:
    """BM25's idf of each term (at least a small positive weight: a term in most passages still counts a little)."""
    return tuple(max(math.log((rows - row_counts.get(t, 0) + 0.5) / (row_counts.get(t, 0) + 0.5)), 0.1)
                 for t in terms)


def coverage(terms: Sequence[str], idf: Sequence[float], text: str) -> float:
    """The idf-weighted share of the question's terms the passage holds (a word counts when it starts with
    the term's stem: "helplines" holds "helpline", "training" holds "trained" by "train")."""
    if not terms:
        return 0.0
    words = passage_words(text)
    stems = [t if len(t) <= 4 else t[: max(4, len(t) - 3)] for t in terms]
    found = 0.0
    for stem, weight in zip(stems, idf):
        at = bisect.bisect_left(words, stem)  # the first word not before the stem: it starts with it, or none does
        if at < len(words) and words[at].startswith(stem):
            found += weight
    return found / sum(idf)


@lru_cache(maxsize=8192)  # read once per passage, whichever questions meet it
def passage_words(text: str) -> tuple[str, ...]:
    """The passage's distinct words, lower case, sorted (so that a prefix is found by bisection)."""
    return tuple(sorted(set(_WORD.findall(text.lower()))))


def features(query: QueryView, passages: Sequence[PassageView]) -> np.ndarray:
    """One row per passage, columns as `FEATURES`. An English question on an English passage is read by the
    English model (it reads English best); any other pair by the multilingual one, when it reads the
    question's language; each in proportion to how sure the question's language is."""
    english = query.trust * query.languages.get("en", 0.0)
    first = "minilm" if "minilm" in query.vectors else next(iter(query.vectors))
    last = "use" if "use" in query.vectors else first
    read = query.read_share(last)
    brevity = 1.0 / max(1, len(query.terms))  # a few key words are close to a passage by fewer cosine points
    rows = []
    for p in passages:
        weight = english * (1.0 if p.language in ("en", "", "und") else 0.0) if last != first else 0.0
        other = (1.0 - weight) * read
        cos = {s: float(query.vectors[s] @ p.vectors[s]) for s in {first, last}}
        similarity = weight * cos[first] + other * cos[last]
        rows.append((similarity, coverage(query.terms, query.idf, p.text), content_share(p.text), brevity))
    return np.asarray(rows, dtype=np.float64).reshape(len(passages), len(FEATURES))


@dataclass(frozen=True)
class RelevanceModel:
    """P(answers) = sigmoid(bias + Σ weight · feature); `floor`: the probability under which a passage is
    not offered (the default of `--min-relevance`)."""

    weights: tuple[float, ...]
    bias: float
    floor: float
    names: tuple[str, ...] = FEATURES
    models: tuple[tuple[str, str], ...] = ()  # (space, model id) of the encoders it was fitted with

    def applies_to(self, models: dict[str, str]) -> bool:
        """Whether the probabilities mean what they say for an index with these encoders (space → model id):
        each of its spaces encoded by the model the fit saw (an English-only index has one of the two)."""
        fitted = dict(self.models)
        return bool(models) and all(fitted.get(space) == model for space, model in models.items())

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        z = self.bias + rows[:, : len(self.weights)] @ np.asarray(self.weights)
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict[str, object]:
        return {"features": list(self.names), "weights": list(self.weights), "bias": self.bias, "floor": self.floor,
                "models": dict(self.models)}

    @classmethod
    def from_json(cls, data: dict) -> RelevanceModel:  # type: ignore[type-arg]
        names = tuple(data["features"])
        if names != FEATURES:
            raise ValueError(f"relevance model for features {names}, this version computes {FEATURES}")
        return cls(tuple(float(w) for w in data["weights"]), float(data["bias"]), float(data["floor"]), names,
                   tuple(sorted(data.get("models", {}).items())))


@lru_cache(maxsize=1)
def shipped_model() -> RelevanceModel:
    """The model fitted by bench/calibrate_relevance.py, shipped with the package."""
    text = resources.files("search.retrieval").joinpath("relevance.json").read_text(encoding="utf-8")
    return RelevanceModel.from_json(json.loads(text))
