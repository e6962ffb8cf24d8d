"""The matrix by initiatives (issue 24): `count="initiatives"` counts initiative records, each cell listing them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main as cli_main
from index.embedders import FakeEmbedder
from index.folder import IndexFolder
from ingest.errors import QueryError
from search.characterization.initiatives import stored_initiatives
from search.characterization.matrix import build_matrix, render_matrix
from search.characterization.tagging import Tagger
from search.characterization.taxonomy import load_taxonomy
from tests.search.test_initiatives import _ingest


def test_matrix_counts_initiatives_and_lists_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    folder = IndexFolder.open(tmp_path / "ix", create=True, embedders={"minilm": FakeEmbedder("minilm")})
    _ingest(folder, tmp_path / "docs")
    Tagger(folder, load_taxonomy()).tag()
    found = {i.id: i for i in stored_initiatives(folder.store)}
    matrix = build_matrix(folder.store, "country", "initiative_type", taxonomy=load_taxonomy(), count="initiatives")
    listed = [i for ids in matrix.cells.values() for i in ids]
    assert sorted(set(listed)) == sorted(found)  # every initiative in the cell of its own kind, and nothing else
    for (row, col), ids in matrix.cells.items():
        for i in ids:
            assert found[i].initiative_type == col and found[i].country == row
    data = json.loads(render_matrix(matrix, "json"))
    assert data["count"] == "initiatives" and all(c["filled_by"] and "initiative_ids" in c for c in data["cells"])
    assert "Initiatives per cell:" in render_matrix(matrix, "md")
    with pytest.raises(QueryError, match="count"):
        build_matrix(folder.store, "country", "theme", count="pages")
    by_docs = build_matrix(folder.store, "country", "theme")
    assert all("document_ids" in c for c in by_docs.to_json()["cells"])  # type: ignore[union-attr]
    folder.close()
    assert cli_main(["matrix", "--index", str(tmp_path / "ix"), "--count", "initiatives", "--cols", "risk",
                     "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == "initiatives"


def test_trends_count_initiatives(tmp_path: Path):
    from search.characterization.meetings import MeetingsError, trends
    from search.characterization.render_trends import trends_markdown

    folder = IndexFolder.open(tmp_path / "ix", create=True, embedders={"minilm": FakeEmbedder("minilm")})
    _ingest(folder, tmp_path / "docs", meeting="CWG-COP-21")
    Tagger(folder, load_taxonomy()).tag()
    found = stored_initiatives(folder.store)
    data = trends(folder.store, load_taxonomy(), "initiative_type", "meeting", count="initiatives")
    (period,) = data["periods"]  # type: ignore[misc]
    assert period["initiatives"] == len(found) and period["documents"] == 2
    assert sum(period["counts"].values()) == len(found)  # one kind each
    assert trends_markdown(data).startswith("# Initiatives per initiative_type")
    with pytest.raises(MeetingsError, match="count"):
        trends(folder.store, load_taxonomy(), "theme", "meeting", count="initiatives")
    folder.close()
