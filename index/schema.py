"""SQLite schema, versioned by numbered migrations applied on open."""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    # 1: documents, chunks, vectors and the lexical index
    """
    CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        file_name TEXT NOT NULL,
        file_hash TEXT NOT NULL,
        stored_file TEXT,
        format TEXT NOT NULL,
        title TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        country TEXT NOT NULL DEFAULT '',
        region TEXT NOT NULL DEFAULT '',
        doc_type TEXT NOT NULL DEFAULT 'other',
        meeting TEXT NOT NULL DEFAULT '',
        date TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL DEFAULT '',
        pages INTEGER,
        extra TEXT NOT NULL DEFAULT '{}',
        warnings TEXT NOT NULL DEFAULT '[]',
        entry TEXT NOT NULL DEFAULT '{}',
        text TEXT NOT NULL,
        added_at TEXT NOT NULL
    );
    CREATE INDEX documents_path ON documents(path);
    CREATE INDEX documents_hash ON documents(file_hash);
    CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
        document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        text TEXT NOT NULL,
        section TEXT NOT NULL DEFAULT '',
        page_start INTEGER,
        page_end INTEGER,
        char_start INTEGER NOT NULL,
        char_end INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        embed_hash TEXT NOT NULL
    );
    CREATE INDEX chunks_document ON chunks(document_id, ordinal);
    CREATE TABLE vectors (
        space TEXT NOT NULL,
        chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
        vector BLOB NOT NULL,
        PRIMARY KEY (space, chunk_id)
    ) WITHOUT ROWID;
    CREATE VIRTUAL TABLE chunks_fts USING fts5(
        title, section, text, tokenize = 'porter unicode61 remove_diacritics 2'
    );
    CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO state VALUES ('generation', '0');
    """,
    # 2: characterization labels (taxonomy facets) per document, with score and evidence
    """
    CREATE TABLE labels (
        document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        facet TEXT NOT NULL,
        label TEXT NOT NULL,
        score REAL NOT NULL,
        evidence_chunk_id INTEGER,
        PRIMARY KEY (document_id, facet, label)
    );
    CREATE INDEX labels_facet ON labels(facet, label);
    """,
    # 3: who submitted each document (member state, UN agency, civil society, ...); filled in for the
    # documents already there by `backfill_actor_types` when the store opens
    """
    ALTER TABLE documents ADD COLUMN actor_type TEXT NOT NULL DEFAULT '';
    CREATE INDEX documents_actor_type ON documents(actor_type);
    """,
    # 4: the quality profile of each document (score and signals with evidence; filled in for the documents
    # already there when the store opens) and the curators' statuses, an append-only history that outlives
    # the document's rows (re-ingesting a file keeps its id, so its status)
    """
    ALTER TABLE documents ADD COLUMN quality REAL;
    CREATE INDEX documents_quality ON documents(quality);
    CREATE TABLE quality_signals (
        document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        signal TEXT NOT NULL,
        found INTEGER NOT NULL,
        evidence TEXT,
        page INTEGER,
        char_start INTEGER,
        char_end INTEGER,
        PRIMARY KEY (document_id, signal)
    );
    CREATE TABLE curation (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        document_id TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        curator TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX curation_document ON curation(document_id, seq);
    """,
    # 5: the changes of the vectors table, in commit order (written by triggers inside the writing
    # transaction, whatever the writer: ingest, uploads, cascading deletes, reindex). A cached vector index
    # records the last change it holds and catches up by reading the chunk ids changed since; `store_id`
    # tells a cache made from another store (a store deleted and built again) from one made from this one.
    """
    CREATE TABLE vector_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        space TEXT NOT NULL,
        chunk_id INTEGER NOT NULL
    );
    CREATE TRIGGER vectors_inserted AFTER INSERT ON vectors BEGIN
        INSERT INTO vector_changes (space, chunk_id) VALUES (new.space, new.chunk_id);
    END;
    CREATE TRIGGER vectors_deleted AFTER DELETE ON vectors BEGIN
        INSERT INTO vector_changes (space, chunk_id) VALUES (old.space, old.chunk_id);
    END;
    CREATE TRIGGER vectors_updated AFTER UPDATE ON vectors BEGIN
        INSERT INTO vector_changes (space, chunk_id) VALUES (old.space, old.chunk_id);
        INSERT INTO vector_changes (space, chunk_id) VALUES (new.space, new.chunk_id);
    END;
    INSERT INTO state (key, value) VALUES ('store_id', lower(hex(randomblob(16))));
    """,
    # 6: deleting a chunk cascades to its vectors, looked up by chunk id alone, which the primary key
    # (space, chunk_id) cannot answer: each deleted chunk scanned the whole vectors table (removing or
    # replacing a 50-chunk document of a 100k-chunk index took 21 s; 26 ms with this index)
    """
    CREATE INDEX IF NOT EXISTS vectors_chunk ON vectors(chunk_id);
    """,
    # 7: the collection of each document (issue 21): the group's contributions, or the reference library;
    # documents already there go by whether they name a meeting, as new ones do when nothing says
    """
    ALTER TABLE documents ADD COLUMN collection TEXT NOT NULL DEFAULT '';
    UPDATE documents SET collection = CASE WHEN meeting != '' THEN 'contributions' ELSE 'library' END;
    CREATE INDEX documents_collection ON documents(collection);
    """,
    # 8: curators' corrections of quality signals (issue 23): confirmed or rejected, with the quote that shows
    # it; append-only and outliving re-ingest, like curation
    """
    CREATE TABLE quality_corrections (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        document_id TEXT NOT NULL,
        signal TEXT NOT NULL,
        verdict TEXT NOT NULL,
        quote TEXT NOT NULL,
        reason TEXT NOT NULL,
        curator TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX quality_corrections_document ON quality_corrections(document_id, seq);
    """,
    # 9: a passage read by OCR from a scanned page (issue 25) keeps OCR's confidence (0-1; NULL: a text layer)
    """
    ALTER TABLE chunks ADD COLUMN ocr_confidence REAL;
    """,
]


def migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations this database has not seen yet (`PRAGMA user_version` counts them).

    The version is read again inside a write transaction: two processes opening a new or older index
    at once apply each migration once (the second waits, then finds nothing left to do).
    """
    if conn.execute("PRAGMA user_version").fetchone()[0] >= len(MIGRATIONS):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """The SQL statements of a migration script, one by one (executescript would commit on its own)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def schema_version() -> int:
    return len(MIGRATIONS)
