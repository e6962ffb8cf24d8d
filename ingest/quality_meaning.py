"""Quality signals recognised by what a sentence says (issue 23): one small logistic classifier per signal over
the sentence's vector in the multilingual space (USE, 512-d, the vectors the index already computes) and three
features of the cue profile (a cue or detector hit that satisfies the detector, the detector alone, the number
of cues). Numpy only; the encoder is passed in by the floor that owns it (index/), so ingest stays model-free and
the cue lists remain the fallback when no encoder is available.

A document is read through at most `MAX_PASSAGES` of its sentences, evenly spread: a 300-page report gets the
same number of chances to show a signal as a four-page contribution, so the score does not grow with length.

The shipped weights (quality_meaning.npz, beside this module) were trained on the dev half of both batches of
bench/labels/quality by bench/quality_meaning_eval.py; `cwg quality --train` writes an index's own weights
(these plus its curators' corrections) into the index folder. Per signal the file says whether the classifier
or the cue lists decide, or either (a sentence counts when one of them takes it): the classifier only where it beat
the cue lists on dev (cross-validated by document).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from ingest.errors import CwgError

Encode = Callable[[Sequence[str]], np.ndarray]
MAX_PASSAGES = 400  # sentences read per document at most, evenly spread
CUE_FEATURES = ("cue_verdict", "detector", "cues")
VETO = 0.05  # in "either" mode a cue sentence counts unless the classifier gives it less than this (a curator's
# rejections, learnt by `cwg quality --train`, push similar sentences under it)
MODEL_SPACE = "use"  # the vector space the classifiers read (multilingual)
FILE_NAME = "quality_meaning.npz"  # shipped beside this module; an index keeps its own as INDEX_FILE_NAME
INDEX_FILE_NAME = "quality-meaning.npz"
T = TypeVar("T")


class MeaningModelError(CwgError):
    """A meaning-model file that cannot be used (the message names the file)."""


@dataclass(frozen=True)
class MeaningModel:
    signal_ids: tuple[str, ...]  # row order of the weights
    weights: np.ndarray  # (signals, dimension + len(CUE_FEATURES))
    bias: np.ndarray  # (signals,)
    thresholds: np.ndarray  # (signals,): a document shows the signal when its best sentence scores this or more
    decides: frozenset[str]  # the signals the classifier decides; the cue lists decide the others
    model_id: str  # the encoder the weights read
    trained_on: str  # what it was trained on, for people
    digest: str = ""
    either: frozenset[str] = frozenset()  # of `decides`: a sentence counts when the classifier or the cues take it

    @property
    def dimension(self) -> int:
        return int(self.weights.shape[1]) - len(CUE_FEATURES)

    def probabilities(self, vectors: np.ndarray, cues: np.ndarray) -> np.ndarray:
        """(passages, signals) probabilities from sentence vectors (passages, dimension) and cue features
        (passages, signals, len(CUE_FEATURES))."""
        dim = self.dimension
        logits = vectors.astype(np.float32) @ self.weights[:, :dim].T
        logits += np.einsum("psf,sf->ps", cues.astype(np.float32), self.weights[:, dim:]) + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))


def spread(items: list[T], limit: int = MAX_PASSAGES) -> list[T]:
    """At most `limit` of `items`, evenly spaced from the first (all of them when there are fewer)."""
    if len(items) <= limit:
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def shipped_model_path() -> Path:
    return Path(str(importlib.resources.files("ingest") / FILE_NAME))


def save_model(model: MeaningModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as handle:
        np.savez(handle, signal_ids=np.array(model.signal_ids), weights=model.weights.astype(np.float32),
                 bias=model.bias.astype(np.float32), thresholds=model.thresholds.astype(np.float32),
                 decides=np.array(sorted(model.decides), dtype=str), model_id=np.array(model.model_id),
                 trained_on=np.array(model.trained_on), either=np.array(sorted(model.either), dtype=str))
    tmp.replace(path)


def load_model(path: Path | None = None) -> MeaningModel:
    """The meaning model of `path` (the shipped weights when None)."""
    target = path or shipped_model_path()
    try:
        data = target.read_bytes()
    except OSError as exc:
        raise MeaningModelError(f"{target}: cannot read the quality model: {exc.strerror or exc}") from exc
    return _parse(str(target), hashlib.sha256(data).hexdigest()[:16])


@functools.lru_cache(maxsize=4)
def _parse(path: str, digest: str) -> MeaningModel:
    try:
        with np.load(path, allow_pickle=False) as data:
            model = MeaningModel(tuple(str(s) for s in data["signal_ids"]), data["weights"].astype(np.float32),
                                 data["bias"].astype(np.float32), data["thresholds"].astype(np.float32),
                                 frozenset(str(s) for s in data["decides"]), str(data["model_id"]),
                                 str(data["trained_on"]), digest,
                                 frozenset(str(s) for s in data["either"]) if "either" in data else frozenset())
    except (OSError, ValueError, KeyError) as exc:
        raise MeaningModelError(f"{path}: not a quality model file ({exc}); train one with `cwg quality --train`"
                                ) from exc
    n = len(model.signal_ids)
    if model.weights.ndim != 2 or model.weights.shape[0] != n or model.bias.shape != (n,) \
            or model.thresholds.shape != (n,) or not model.decides <= set(model.signal_ids):
        raise MeaningModelError(f"{path}: the quality model's arrays do not fit together; train it again")
    return model


def model_to_json(model: MeaningModel) -> dict[str, object]:
    """A model as a JSON record (an index keeps its own weights in its store's state)."""
    return {"signal_ids": list(model.signal_ids), "weights": np.round(model.weights, 6).tolist(),
            "bias": model.bias.tolist(), "thresholds": model.thresholds.tolist(), "decides": sorted(model.decides),
            "model_id": model.model_id, "trained_on": model.trained_on, "either": sorted(model.either)}


def model_from_json(record: dict[str, object]) -> MeaningModel:
    try:
        model = MeaningModel(tuple(str(s) for s in record["signal_ids"]),  # type: ignore[attr-defined]
                             np.asarray(record["weights"], dtype=np.float32), np.asarray(record["bias"], np.float32),
                             np.asarray(record["thresholds"], dtype=np.float32),
                             frozenset(str(s) for s in record["decides"]),  # type: ignore[attr-defined]
                             str(record["model_id"]), str(record["trained_on"]),
                             hashlib.sha256(repr(record["weights"]).encode()).hexdigest()[:16],
                             frozenset(str(s) for s in record.get("either") or []))  # type: ignore[attr-defined]
    except (KeyError, TypeError, ValueError) as exc:
        raise MeaningModelError(f"the index's quality model is damaged ({exc}): train it again with "
                                f"`cwg quality --train`") from exc
    return model


def fit_logistic(x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray, l2: float = 1e-3,
                 start: tuple[np.ndarray, float] | None = None, steps: int = 300) -> tuple[np.ndarray, float]:
    """Weighted logistic regression (mean weighted log-loss, Adam steps); the L2 penalty pulls towards
    `start` (the weights to adapt, e.g. the shipped ones) or towards zero."""
    w0, b0 = (np.zeros(x.shape[1], dtype=np.float64), 0.0) if start is None else \
        (start[0].astype(np.float64), float(start[1]))
    w, b = w0.copy(), b0
    sw = sample_weight / sample_weight.sum()
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), 0.0, 0.0
    rate, beta1, beta2 = 0.05, 0.9, 0.999
    x64 = x.astype(np.float64)
    for step in range(1, steps + 1):
        p = 1.0 / (1.0 + np.exp(-np.clip(x64 @ w + b, -30, 30)))
        err = (p - y) * sw
        g_w = x64.T @ err + l2 * (w - w0)
        g_b = float(err.sum())
        m_w = beta1 * m_w + (1 - beta1) * g_w
        v_w = beta2 * v_w + (1 - beta2) * g_w * g_w
        m_b = beta1 * m_b + (1 - beta1) * g_b
        v_b = beta2 * v_b + (1 - beta2) * g_b * g_b
        w -= rate * (m_w / (1 - beta1 ** step)) / (np.sqrt(v_w / (1 - beta2 ** step)) + 1e-8)
        b -= rate * (m_b / (1 - beta1 ** step)) / (np.sqrt(v_b / (1 - beta2 ** step)) + 1e-8)
    return w.astype(np.float32), float(b)
