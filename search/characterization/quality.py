"""Quality profiles over the index: score every document again after the signals file was edited
(`cwg tag --signals FILE`), read one document's profile back (the contribution card, `cwg select`), take a
curator's word on one signal (`cwg quality DOC --confirm/--reject/--evidence`, PUT /documents/{id}/quality/{signal})
and learn from those corrections (`cwg quality --train`).

Where the index has the multilingual space, signals are read by meaning (ingest/quality_meaning.py) with the
index's own model when it was trained, else the shipped one; otherwise by the cue lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index import quality_corrections
from index.folder import IndexFolder
from index.store_api import Store
from ingest.quality import (
    QUALITY_VERDICTS,
    SIGNAL_IDS,
    QualityError,
    SignalSet,
    apply_corrections,
    assess,
    load_signals,
    locate_quote,
    quality_band,
    sentence_scores,
    stored_profile,
)
from ingest.quality_meaning import MODEL_SPACE, Encode, MeaningModel, fit_logistic, load_model, spread
from ingest.quality_structure import passage_text, read_passages
from search.characterization.quality_training import holds_quote

REJECTED_TOP = 10  # a rejected signal: the document's sentences that scored it highest become negatives
CORRECTION_WEIGHT = 5.0  # a curator's sentence against one the current model only scored
PULL = 1e-2  # how strongly retrained weights stay near the shipped ones


@dataclass(frozen=True)
class QualityReader:
    """How an index reads quality: the encoder and model of the meaning-based signals, or None (cue lists)."""

    encode: Encode | None
    model: MeaningModel | None


def quality_reader(folder: IndexFolder, model: MeaningModel | None = None) -> QualityReader:
    """The index's reader: by meaning where it stores the multilingual space (its own model, else the shipped
    one), by the cue lists otherwise."""
    if MODEL_SPACE not in folder.spaces:
        return QualityReader(None, None)
    model = model or quality_corrections.index_model(folder.store)
    encode = quality_corrections.sentence_encoder(folder.embedder(MODEL_SPACE), folder.path, model)
    return QualityReader(encode, model if encode else None)


@dataclass(frozen=True)
class RescoreReport:
    documents: int
    bands: dict[str, int]
    signals: str  # the signals file


def rescore(store: Store, signals_path: Path | str | None = None, reader: QualityReader | None = None
            ) -> RescoreReport:
    """Compute every document's quality profile with the signals of `signals_path` (the shipped file when
    None) and store them in one transaction, with the curators' corrections applied. With a `reader` that has a
    model, signals are read by meaning (sentence vectors come from the index's cache after the first time)."""
    signals: SignalSet = load_signals(signals_path)
    encode, model = (reader.encode, reader.model) if reader is not None else (None, None)
    with store.snapshot():
        corrections: dict[str, list[dict[str, str]]] = {}
        for event in store.quality_corrections():
            corrections.setdefault(event["document_id"], []).append(event)
        profiles = {}
        for doc_id, text, spans in store.quality_inputs():
            profile = assess(text, spans, signals, encode, model)
            if doc_id in corrections:
                profile = apply_corrections(profile, corrections[doc_id], text, spans, signals)
            profiles[doc_id] = profile
    store.write_quality(profiles, path=str(Path(signals_path).resolve()) if signals_path is not None else "")
    bands: dict[str, int] = {"high": 0, "medium": 0, "low": 0}
    for profile in profiles.values():
        bands[quality_band(profile.score)] += 1
    return RescoreReport(len(profiles), bands, str(signals_path or "the shipped signals (ingest/quality.yaml)"))


def quality_json(store: Store, document_id: str, signals_path: Path | str | None = None) -> dict[str, object]:
    """A document's stored profile as the card shows it: score, band and each signal with its name, its
    evidence (text and page) or, when missing, the hint of what to add, and the curator's word when one gave it."""
    signals = load_signals(signals_path)
    doc = store.document(document_id)
    stored = {s["id"]: s for s in store.quality_signals(document_id)}
    latest = {c["signal"]: c for c in store.quality_corrections(document_id)}
    out = []
    for signal in signals.signals:
        row = stored.get(signal.id, {})
        found = bool(row.get("found"))
        evidence = {"text": row["evidence"], "page": row["page"]} if found and row.get("evidence") else None
        said = latest.get(signal.id)
        out.append({"id": signal.id, "name": signal.name, "found": found, "evidence": evidence,
                    "hint": None if found else signal.hint,
                    "curator": None if said is None else {k: said[k] for k in ("verdict", "quote", "reason", "by", "at")}})
    return {"score": doc.quality, "band": quality_band(doc.quality), "signals": out}


def correct_signal(store: Store, document_id: str, signal: str, verdict: str, quote: str, reason: str,
                   curator: str) -> dict[str, object]:
    """A curator's word on one signal of one document (the one function behind the CLI and HTTP): `confirmed`
    (with `quote`, the sentence that shows it, which must be in the document's text) or `rejected`. Appended to
    the document's corrections; its stored profile and score take it at once. Returns the correction and the
    profile as the card shows it. `QualityError` for an unknown signal or verdict or a quote not in the text,
    `NotFound` for an unknown document."""
    if signal not in SIGNAL_IDS:
        raise QualityError(f"unknown signal {signal!r}: choose one of {', '.join(SIGNAL_IDS)}")
    if verdict not in QUALITY_VERDICTS:
        raise QualityError(f"unknown verdict {verdict!r}: choose one of {', '.join(QUALITY_VERDICTS)}")
    quote = " ".join(quote.split())
    if quote and verdict == "rejected":
        raise QualityError("a quote shows a signal: give it with a confirmation, not a rejection")
    if not reason.strip():
        raise QualityError("say why (a reason is kept with the correction)")
    with store.snapshot():
        text = store.document_text(document_id)  # NotFound for an unknown id
    if quote and locate_quote(text, quote) is None:
        raise QualityError(f"the quote is not in document {document_id!r}'s text: copy a sentence from it")
    event = store.correct_quality(document_id, signal, verdict, quote, reason, curator)
    with store.snapshot():
        doc = store.document(document_id)
        profile = stored_profile(doc.quality, store.quality_signals(document_id))
        corrections = store.quality_corrections(document_id)
        spans = [(c.char_start, c.char_end, c.page_start) for c in store.chunks_of(document_id)]
    store.write_quality({document_id: apply_corrections(profile, corrections, text, spans)})
    return {"correction": event, "quality": quality_json(store, document_id)}


@dataclass(frozen=True)
class TrainReport:
    corrections: int  # signals corrected (the latest word per document and signal)
    sentences: int  # training sentences taken from them
    changed: dict[str, int]  # signal → documents whose verdict changed when scored again
    rescored: RescoreReport


def train(folder: IndexFolder) -> TrainReport:
    """Adapt the shipped meaning model to the index's corrections (their sentences weigh CORRECTION_WEIGHT; the
    other sentences of the corrected documents keep the shipped model's scores, and a penalty keeps the weights
    near the shipped ones), keep it in the index, and score every document again with it. A corrected signal
    that the cue lists alone decided is read by the cue lists and its classifier together from then on."""
    if MODEL_SPACE not in folder.spaces:
        raise QualityError(f"training reads sentences in the multilingual space ({MODEL_SPACE}), which this index "
                           f"does not store: build it with --model default")
    base = load_model()
    reader = quality_reader(folder, base)
    if reader.encode is None:
        raise QualityError(f"the index's {MODEL_SPACE} encoder is not the one the quality model reads "
                           f"({base.model_id})")
    store, signals = folder.store, load_signals()
    with store.snapshot():
        events = store.quality_corrections()
        before = {d.id: {s["id"]: bool(s["found"]) for s in store.quality_signals(d.id)}
                  for d in store.documents()}
        latest: dict[tuple[str, str], dict[str, str]] = {}
        for event in events:
            latest[(event["document_id"], event["signal"])] = event
        texts = {d: store.document_text(d) for d, _ in latest}
    rows: dict[str, list[tuple[np.ndarray, float, float]]] = {s: [] for s in SIGNAL_IDS}
    for doc_id, text in texts.items():
        passages = spread(read_passages(text, signals.template))
        if not passages:
            continue
        probs, cues = sentence_scores(text, passages, signals, reader.encode, base)
        vectors = reader.encode([passage_text(text, p) for p in passages])
        for col, signal in enumerate(signals.signals):
            event = latest.get((doc_id, signal.id))
            if event is None:
                continue
            features = np.hstack([vectors, cues[:, col, :]])
            if event["verdict"] == "rejected":
                marked = {int(i): 0.0 for i in np.argsort(-probs[:, col])[:REJECTED_TOP]}
            else:
                marked = {i: 1.0 for i, p in enumerate(passages) if event["quote"]
                          and holds_quote(text[p.start:p.end], event["quote"])}
                if not marked:
                    marked = {int(np.argmax(probs[:, col])): 1.0}
            for i in range(len(passages)):
                target, weight = (marked[i], CORRECTION_WEIGHT) if i in marked else (float(probs[i, col]), 1.0)
                rows[signal.id].append((features[i], target, weight))
    weights, bias = base.weights.copy(), base.bias.copy()
    for sid, examples in rows.items():
        if not examples:
            continue
        k = base.signal_ids.index(sid)
        x = np.vstack([e[0] for e in examples])
        weights[k], bias[k] = fit_logistic(x, np.array([e[1] for e in examples]), np.array([e[2] for e in examples]),
                                           l2=PULL, start=(base.weights[k], float(base.bias[k])))
    # a signal the shipped model leaves to the cue lists learns too: once corrected, its classifier joins the
    # lists ("either": a cue sentence counts unless the classifier, taught by the corrections, scores it under VETO)
    corrected = {sid for sid, examples in rows.items() if examples} - base.decides
    model = MeaningModel(base.signal_ids, weights, bias, base.thresholds, base.decides | corrected, base.model_id,
                         f"{base.trained_on} + {len(latest)} corrections of this index",
                         either=base.either | corrected)
    quality_corrections.save_index_model(store, model)
    rescored = rescore(store, store.quality_signals_path() or None, quality_reader(folder, model))
    changed: dict[str, int] = {}
    with store.snapshot():
        for doc_id, was in before.items():
            now = {s["id"]: bool(s["found"]) for s in store.quality_signals(doc_id)}
            for sid in now:
                if now[sid] != was.get(sid):
                    changed[sid] = changed.get(sid, 0) + 1
    return TrainReport(len(latest), sum(len(v) for v in rows.values()), changed, rescored)


def rescore_if_custom(store: Store, reader: QualityReader | None = None) -> RescoreReport | None:
    """After documents were added: when the index was scored with a signals file of its own
    (`cwg tag --signals FILE`), score again with that file (new documents were scored with the shipped one),
    read as `reader` reads (by meaning where it can). None when the shipped signals are in use."""
    path = store.quality_signals_path()
    if not path:
        return None
    return rescore(store, path, reader)
