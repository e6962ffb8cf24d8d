"""FTS5's terms and BM25 outside SQLite (for the PostgreSQL store), held to FTS5 itself on real text."""

from __future__ import annotations

import json
import sqlite3

import numpy as np

from index.fts_terms import TOKENIZE, FtsTerms, bm25, fts_expression
from index.schema import MIGRATIONS
from search.retrieval.lexical import query_terms
from tests.conftest import shared_data

WEIGHTS = (1.5, 1.0, 1.0)


def test_the_tokenizer_is_the_embedded_stores() -> None:
    assert f"tokenize = '{TOKENIZE}'" in MIGRATIONS[0]


def test_terms_and_bm25_match_fts5_on_scifact() -> None:
    corpus = shared_data("ir_benchmarks", "scifact", "corpus.jsonl")
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()[:400]]
    texts = [(r["title"], "Abstract" if i % 3 else "", r["text"]) for i, r in enumerate(rows)]
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE f USING fts5(title, section, text, tokenize = '{TOKENIZE}')")
    db.executemany("INSERT INTO f (rowid, title, section, text) VALUES (?, ?, ?, ?)",
                   [(i + 1, *t) for i, t in enumerate(texts)])
    terms = FtsTerms()
    ours = [terms.row(*t) for t in texts]
    # the same terms: our per-row counts against FTS5's own vocabulary of the whole table
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, 'row')")
    vocabulary = dict(db.execute("SELECT term, doc FROM v").fetchall())
    hits: dict[str, int] = {}
    for row in ours:
        for term in row.counts:
            hits[term] = hits.get(term, 0) + 1
    assert hits == vocabulary
    lengths = np.array([sum(r.lengths) for r in ours])
    average = lengths.sum() / len(ours)
    for query in ("vitamin D deficiency and respiratory infections in children",
                  "Éducation numérique: the role of microRNA in tumour suppression",
                  "BRCA1 mutations increase breast cancer risk", "a of the"):
        raw = query_terms(query)  # as the engine asks FTS5: one quoted phrase per query word
        phrases = [terms.terms(word) for word in raw]
        assert all(len(p) == 1 for p in phrases)  # one term each (no word of these splits in two)
        words = [p[0] for p in phrases]  # a term twice when two words stem alike: FTS5 counts both
        fts = db.execute(f"SELECT rowid, -bm25(f, {', '.join(map(str, WEIGHTS))}) FROM f WHERE f MATCH ? "
                         f"ORDER BY rank LIMIT 1000", (fts_expression(raw),)).fetchall()
        expected = {int(r): float(s) for r, s in fts}
        candidates = sorted({i + 1 for i, row in enumerate(ours) if any(w in row.counts for w in words)})
        assert set(candidates) == set(expected), query
        if not candidates:
            continue
        counts = [np.array([ours[c - 1].counts.get(w, (0, 0, 0)) for c in candidates]) for w in words]
        scores = bm25(counts, [hits.get(w, 0) for w in words], lengths[np.array(candidates) - 1], len(ours),
                      average, WEIGHTS)
        assert np.allclose(scores, [expected[c] for c in candidates], rtol=1e-6, atol=1e-9), query
