"""Quality profiles over the index: score every document again after the signals file was edited
(`cwg tag --signals FILE`), and read one document's profile back (the contribution card, `cwg select`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from index.store_api import Store
from ingest.quality import SignalSet, assess, load_signals, quality_band


@dataclass(frozen=True)
class RescoreReport:
    documents: int
    bands: dict[str, int]
    signals: str  # the signals file


def rescore(store: Store, signals_path: Path | str | None = None) -> RescoreReport:
    """Compute every document's quality profile with the signals of `signals_path` (the shipped file when
    None) and store them in one transaction. Text only: seconds, nothing is re-embedded."""
    signals: SignalSet = load_signals(signals_path)
    with store.snapshot():
        profiles = {doc_id: assess(text, spans, signals) for doc_id, text, spans in store.quality_inputs()}
    store.write_quality(profiles, path=str(Path(signals_path).resolve()) if signals_path is not None else "")
    bands: dict[str, int] = {"high": 0, "medium": 0, "low": 0}
    for profile in profiles.values():
        bands[quality_band(profile.score)] += 1
    return RescoreReport(len(profiles), bands, str(signals_path or "the shipped signals (ingest/quality.yaml)"))


def quality_json(store: Store, document_id: str, signals_path: Path | str | None = None) -> dict[str, object]:
    """A document's stored profile as the card shows it: score, band and each signal with its name, its
    evidence (text and page) or, when missing, the hint of what to add."""
    signals = load_signals(signals_path)
    doc = store.document(document_id)
    stored = {s["id"]: s for s in store.quality_signals(document_id)}
    out = []
    for signal in signals.signals:
        row = stored.get(signal.id, {})
        found = bool(row.get("found"))
        evidence = {"text": row["evidence"], "page": row["page"]} if found and row.get("evidence") else None
        out.append({"id": signal.id, "name": signal.name, "found": found, "evidence": evidence,
                    "hint": None if found else signal.hint})
    return {"score": doc.quality, "band": quality_band(doc.quality), "signals": out}


def rescore_if_custom(store: Store) -> RescoreReport | None:
    """After documents were added: when the index was scored with a signals file of its own
    (`cwg tag --signals FILE`), score again with that file (new documents were scored with the shipped one).
    None when the shipped signals are in use."""
    path = store.quality_signals_path()
    if not path:
        return None
    return rescore(store, path)
