from __future__ import annotations

from pathlib import Path

from index.folder import IndexFolder
from index.writer import IndexWriter
from search.characterization.tagging import Tagger, retag_if_tagged
from search.characterization.taxonomy import load_taxonomy


def test_ingest_after_tagging_labels_the_new_document(fake_index: IndexFolder, tmp_path: Path):
    first = tmp_path / "first.md"
    first.write_text("# Helpline\n\nChildren can report online abuse to the national helpline and hotline.\n")
    IndexWriter(fake_index).ingest([first])
    assert retag_if_tagged(fake_index) is None  # never tagged: ingest leaves labels alone
    Tagger(fake_index, load_taxonomy()).tag()
    second = tmp_path / "second.md"
    second.write_text("# Age checks\n\nAge assurance and age verification of users by online platforms. "
                      "Age estimation must protect privacy.\n")
    IndexWriter(fake_index).ingest([second])
    report = retag_if_tagged(fake_index)
    assert report is not None and report.documents == 2
    labels = {r[0] for r in fake_index.store.conn.execute(
        "SELECT label FROM labels WHERE document_id = 'second' AND facet = 'risk'")}
    assert "age_assurance" in labels
