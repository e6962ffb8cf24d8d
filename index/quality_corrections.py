"""Curators' corrections of quality signals (issue 23): an append-only history, like curation's, that outlives
re-ingesting a document (its id stays). Both stores answer `correct_quality` and `quality_corrections` with these
statements, in their own dialect, through the tables object they share (index/store_tables.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from index.embedders import Embedder
from index.records import COPIED_TABLES
from index.text_vectors import CACHE_NAME, TextVectorCache
from ingest.errors import NotFound
from ingest.quality import QUALITY_VERDICTS, SIGNAL_IDS
from ingest.quality_meaning import Encode, MeaningModel, load_model, model_from_json, model_to_json
from ingest.textclean import one_line

MODEL_STATE_KEY = "quality_model"  # an index's own weights (`cwg quality --train`), in its store's state
COLUMNS = COPIED_TABLES["quality_corrections"]  # the columns `cwg migrate` copies


def correct_quality(tables: Any, document_id: str, signal: str, verdict: str, quote: str, reason: str,
                    curator: str) -> dict[str, str]:
    """Append one correction; `NotFound` for an unknown document, `ValueError` for an unknown signal or verdict."""
    if signal not in SIGNAL_IDS:
        raise ValueError(f"signal {signal!r} is not one of {', '.join(SIGNAL_IDS)}")
    if verdict not in QUALITY_VERDICTS:
        raise ValueError(f"verdict {verdict!r} is not one of {', '.join(QUALITY_VERDICTS)}")
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    event = {"document_id": document_id, "signal": signal, "verdict": verdict, "quote": " ".join(quote.split()),
             "reason": one_line(reason), "by": one_line(curator), "at": at}
    m = tables.dialect.mark
    with tables.transaction("marks") as conn:
        if conn.execute(f"SELECT 1 FROM documents WHERE id = {m}", (document_id,)).fetchone() is None:
            raise NotFound(f"no document {document_id!r} in this index (see `cwg documents`)")
        conn.execute(f"INSERT INTO quality_corrections ({', '.join(COLUMNS)}) VALUES ({tables.dialect.marks(7)})",
                     (document_id, signal, verdict, event["quote"], event["reason"], event["by"], at))
    return event


def quality_corrections(tables: Any, document_id: str | None) -> list[dict[str, str]]:
    """Every correction (of one document, or of all), oldest first."""
    where, params = (f"WHERE document_id = {tables.dialect.mark}", (document_id,)) if document_id else ("", ())
    rows = tables.rows(f"SELECT {', '.join(COLUMNS)} FROM quality_corrections {where} ORDER BY seq", params)
    return [{"document_id": r[0], "signal": r[1], "verdict": r[2], "quote": r[3], "reason": r[4], "by": r[5],
             "at": r[6]} for r in rows]


def index_model(store: Any) -> MeaningModel:
    """The index's own meaning model (trained with its curators' corrections), else the shipped one."""
    record = store.state_record(MODEL_STATE_KEY)
    return model_from_json(record) if record else load_model()


def save_index_model(store: Any, model: MeaningModel) -> None:
    with store.transaction("marks") as conn:
        store.set_state(conn, MODEL_STATE_KEY, json.dumps(model_to_json(model)))


def sentence_encoder(embedder: Embedder, folder_path: Path, model: MeaningModel) -> Encode | None:
    """`embedder`'s encode through the index's cache of sentence vectors (a sentence is encoded once), when it is
    the encoder the model reads; None otherwise (the cue lists decide)."""
    if embedder.model_id != model.model_id or embedder.dimension != model.dimension:
        return None
    cache = TextVectorCache(folder_path / CACHE_NAME)

    def encode(sentences: Sequence[str]) -> np.ndarray:
        return cache.encode(embedder, list(sentences))
    return encode
