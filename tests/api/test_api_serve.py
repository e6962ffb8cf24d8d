"""`cwg serve` and the app factory's own lifespan (opening and closing the index itself)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.settings import Settings
from ingest.errors import IndexOpenError


def test_app_without_an_index_fails_at_startup_with_the_remedy(tmp_path: Path) -> None:
    app = create_app(Settings(index=tmp_path / "missing"))
    with pytest.raises(IndexOpenError, match="build one with `cwg ingest"):
        with TestClient(app):
            pass


def test_serve_refuses_a_missing_index_and_a_bad_port(tmp_path: Path, capsys) -> None:
    assert main(["serve", "--index", str(tmp_path / "nowhere")]) == 1
    assert "no index at" in capsys.readouterr().err
    assert main(["serve", "--index", str(tmp_path), "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err


@pytest.mark.slow
def test_app_serves_an_index_it_opened_itself(real_sample_index) -> None:
    app = create_app(Settings(index=real_sample_index.path))  # no folder given: the lifespan opens one
    with TestClient(app) as c:
        health = c.get("/health").json()
        assert health["documents"] == 33 and health["model"] == "default"
        assert c.get("/search", params={"q": "age assurance"}).json()["hits"]
        store = app.state.service.folder.store
    with pytest.raises(Exception, match="closed"):
        store.conn.execute("SELECT 1")  # closed with the app
