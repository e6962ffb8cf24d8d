"""Training the meaning-based quality signals (ingest/quality_meaning.py) from labelled documents: the hand
labels of bench/labels/quality (dev half only, by bench/quality_meaning_eval.py) for the shipped weights, and a
curator's corrections in an index (`cwg quality --train`) to adapt them.

A labelled signal gives sentence examples: the sentences that hold its quote are positives; the other sentences
of a document without the signal are negatives; the other sentences of a document with it are weak negatives
(the label quotes one place, not every place). A rejection makes the document's highest-scoring sentences
negatives; a confirmation makes its quoted (or shown) sentence a positive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ingest.quality import SignalSet, cue_features, needed, sentence_scores
from ingest.quality_meaning import CUE_FEATURES, VETO, Encode, MeaningModel, fit_logistic, spread
from ingest.quality_structure import Passage, passage_text, read_passages

NEGATIVES_PER_DOCUMENT = 150  # other sentences of a long document kept as negatives (evenly spread)
WEAK = 0.3  # weight of a sentence of a document that shows the signal elsewhere
REJECTED_TOP = 10  # sentences taken as negatives from a document where a curator rejected the signal
CORRECTION_WEIGHT = 5.0  # a curator's sentence against one of the labelled set


@dataclass
class LabelledDocument:
    """A document with what is known of its signals: signal → (present, quote or None)."""

    doc_id: str
    text: str
    labels: dict[str, tuple[bool, str | None]]


@dataclass
class Examples:
    x: list[np.ndarray] = field(default_factory=list)  # per signal: rows of [vector, cue features]
    y: list[list[float]] = field(default_factory=list)
    w: list[list[float]] = field(default_factory=list)

    def arrays(self, col: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.vstack(self.x[col]), np.asarray(self.y[col]), np.asarray(self.w[col])


def flat(text: str) -> str:
    return " ".join(text.split())


def holds_quote(sentence: str, quote: str) -> bool:
    """Whether a sentence holds the quote, lies inside it, or shares 40 characters of its start or end."""
    s, q = flat(sentence), flat(quote)
    if not s or not q:
        return False
    return q in s or (len(s.split()) >= 4 and s in q) or (len(q) >= 40 and (q[:40] in s or q[-40:] in s))


def document_passages(text: str, signals: SignalSet) -> list[Passage]:
    return read_passages(text, signals.template)


def _features(text: str, passages: list[Passage], signals: SignalSet, encode: Encode) -> tuple[np.ndarray, np.ndarray]:
    vectors = encode([passage_text(text, p) for p in passages]) if passages else np.zeros((0, 512), np.float32)
    return vectors, cue_features(text, passages, signals)


def labelled_examples(docs: Sequence[LabelledDocument], signals: SignalSet, encode: Encode) -> Examples:
    """Sentence examples per signal from documents with labels (quotes mark the positives)."""
    n_signals = len(signals.signals)
    ex = Examples([[] for _ in range(n_signals)], [[] for _ in range(n_signals)], [[] for _ in range(n_signals)])
    for doc in docs:
        passages = document_passages(doc.text, signals)
        quoted = {i for i, p in enumerate(passages)
                  if any(q and holds_quote(doc.text[p.start:p.end], q) for _, q in doc.labels.values())}
        keep = sorted(quoted | set(spread(list(range(len(passages))), NEGATIVES_PER_DOCUMENT)))
        chosen = [passages[i] for i in keep]
        vectors, cues = _features(doc.text, chosen, signals, encode)
        for col, signal in enumerate(signals.signals):
            if signal.id not in doc.labels:
                continue
            present, quote = doc.labels[signal.id]
            rows = np.hstack([vectors, cues[:, col, :]])
            for row, passage in enumerate(chosen):
                positive = bool(present and quote and holds_quote(doc.text[passage.start:passage.end], quote))
                ex.x[col].append(rows[row:row + 1])
                ex.y[col].append(1.0 if positive else 0.0)
                ex.w[col].append(1.0 if positive or not present else WEAK)
    return ex


def fit(ex: Examples, signals: SignalSet, start: MeaningModel | None = None, l2: float = 1e-3,
        extra_weight: float = 1.0, vectors_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Weights and biases per signal (the signal file's order); positives and negatives weigh the same in all.
    With `start`, the weights begin there and the penalty pulls towards them. `vectors_only`: the cue features
    are left out (their weights stay 0)."""
    dim = ex.x[0][0].shape[1] if ex.x and ex.x[0] else (start.weights.shape[1] if start is not None else 0)
    weights = np.zeros((len(signals.signals), dim), dtype=np.float32)
    bias = np.zeros(len(signals.signals), dtype=np.float32)
    for col, signal in enumerate(signals.signals):
        init = None
        if start is not None and signal.id in start.signal_ids:
            k = start.signal_ids.index(signal.id)
            init = (start.weights[k], float(start.bias[k]))
        if not ex.x[col]:
            if init is not None:
                weights[col], bias[col] = init
            continue
        x, y, w = ex.arrays(col)
        if vectors_only:  # the classifier reads what the sentence says, not its cues (they decide beside it)
            x = np.hstack([x[:, :-len(CUE_FEATURES)], np.zeros((len(x), len(CUE_FEATURES)), dtype=x.dtype)])
        pos, neg = w[y == 1].sum(), w[y == 0].sum()
        if pos and neg:
            w = np.where(y == 1, w / pos, w / neg) * extra_weight
        weights[col], bias[col] = fit_logistic(x, y, w, l2=l2, start=init)
    return weights, bias


def document_sentences(text: str, signals: SignalSet, encode: Encode, model: MeaningModel
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Over the sentences a document is read through: the classifiers' probabilities (sentences, signals) and
    whether the cue lists take each sentence (sentences, signals)."""
    passages = spread(document_passages(text, signals))
    if not passages:
        return np.zeros((0, len(signals.signals))), np.zeros((0, len(signals.signals)))
    probs, cues = sentence_scores(text, passages, signals, encode, model)
    for col, signal in enumerate(signals.signals):
        if signal.requires is not None:  # as ingest/quality.py reads it: the classifier cannot take such a sentence
            probs[:, col] = np.where(cues[:, col, 1] > 0, probs[:, col], 0.0)
    return probs, cues[:, :, 0]


def verdict(probs: np.ndarray, cues: np.ndarray, threshold: float, mode: str) -> bool:
    """Whether a document shows a signal, from its sentences' probabilities and cue verdicts for that signal:
    mode "cues", "meaning" or "either", as ingest/quality.py decides."""
    if mode == "cues":
        taken = cues > 0
    elif mode == "meaning":
        taken = probs >= threshold
    else:
        taken = (probs >= threshold) | ((cues > 0) & (probs >= VETO))
    return int(taken.sum()) >= needed(len(probs)) if len(probs) else False
