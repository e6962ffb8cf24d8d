"""Curators' corrections of quality signals (issue 23): an append-only history, like curation's, that outlives
re-ingesting a document (its id stays). Both stores answer `correct_quality` and `quality_corrections` with these
statements, in their own dialect, through the tables object they share (index/store_tables.py)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ingest.errors import NotFound
from ingest.quality import QUALITY_VERDICTS, SIGNAL_IDS
from ingest.textclean import one_line

COLUMNS = ("document_id", "signal", "verdict", "quote", "reason", "curator", "at")


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
