from __future__ import annotations

import json
from pathlib import Path

from index.filters import Filters
from index.folder import IndexFolder
from index.writer import IndexWriter


def test_label_filters_accept_ids_and_recorded_names(fake_index: IndexFolder, tmp_path: Path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.md").write_text(f"# {name}\n\nSome text about {name}.\n")
    IndexWriter(fake_index).ingest([tmp_path / "a.md", tmp_path / "b.md"])
    with fake_index.store.transaction() as conn:
        conn.execute("INSERT INTO labels VALUES ('a', 'risk', 'age_assurance', 0.9, NULL)")
        conn.execute("INSERT INTO labels VALUES ('b', 'theme', 'legal_frameworks', 0.8, NULL)")
        conn.execute("INSERT INTO state VALUES ('tagging', ?)", (json.dumps(
            {"labels": {"risk": {"age_assurance": "Age assurance"}, "theme": {"legal_frameworks": "Legal frameworks"}}}),))
    docs = fake_index.store.documents
    assert [d.id for d in docs(Filters.parse(["risk=age_assurance"]))] == ["a"]
    assert [d.id for d in docs(Filters.parse(["risk=Age assurance"]))] == ["a"]
    assert [d.id for d in docs(Filters.parse(["theme=legal frameworks", "theme=nothing"]))] == ["b"]
    assert docs(Filters.parse(["risk=Age assurance", "theme=Legal frameworks"])) == []
    assert docs(Filters.parse(["risk=grooming"])) == []
