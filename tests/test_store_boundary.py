"""The floors: SQL lives in index/ alone; search/, api/ and the notebooks call the store's named operations."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# a connection reached from outside the store, or SQL handed to one
SQL_USE = re.compile(r"\.conn\b|\.execute(many)?\(|\bsqlite3\b|\b(SELECT|INSERT|UPDATE|DELETE)\s+\S+\s+(FROM|INTO|SET)?")


def _sources() -> dict[str, str]:
    out = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
           for folder in ("search", "api") for p in (ROOT / folder).rglob("*.py")}
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        out[str(nb.relative_to(ROOT))] = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return out


def test_no_sql_outside_index() -> None:
    sources = _sources()
    assert len(sources) > 20  # the folders were found
    offenders = {name: match.group(0) for name, text in sources.items() if (match := SQL_USE.search(text))}
    assert offenders == {}


def test_the_pattern_catches_what_it_is_for() -> None:
    for line in ('rows = store.conn.execute("SELECT id FROM documents")', "tx.executemany(sql, rows)",
                 "import sqlite3", 'q = "DELETE FROM labels"'):
        assert SQL_USE.search(line), line
    assert not SQL_USE.search("docs = store.documents(filters)  # select the documents from the store")
