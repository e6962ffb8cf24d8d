from __future__ import annotations

from pathlib import Path

from index.embedders import FakeEmbedder
from index.folder import IndexFolder
from index.reindex import reindex
from index.writer import IndexWriter
from search.retrieval.engine import SearchEngine


def test_reindex_adds_the_multilingual_space_from_stored_text(fake_index: IndexFolder, tmp_path: Path):
    doc = tmp_path / "a.md"
    doc.write_text("# Age assurance\n\nServices must check the age of their users before granting access.\n")
    IndexWriter(fake_index).ingest([doc])
    done = reindex(fake_index, "multilingual")  # the real USE model encodes the new space
    assert done == {"use": 1}
    reopened = IndexFolder.open(fake_index.path, embedders={"minilm": FakeEmbedder()})
    try:
        assert reopened.manifest.model == "multilingual" and reopened.spaces == ("minilm", "use")
        count = reopened.store.conn.execute("SELECT COUNT(*) FROM vectors WHERE space = 'use'").fetchone()[0]
        assert count == 1
        hits = SearchEngine(reopened).search("vérification de l'âge des utilisateurs", k=1, mode="dense")
        assert hits[0].document_id == "a"
        reindex(reopened, "english")  # back to MiniLM only
        assert IndexFolder.open(fake_index.path, embedders={"minilm": FakeEmbedder()}).spaces == ("minilm",)
        assert not reopened.store.conn.execute("SELECT 1 FROM vectors WHERE space = 'use'").fetchone()
    finally:
        reopened.close()
