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


def test_serve_refuses_a_worker_count_out_of_range(tmp_path: Path, capsys) -> None:
    assert main(["serve", "--index", str(tmp_path), "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err


@pytest.mark.slow
def test_two_worker_processes_serve_one_index_and_see_each_others_writes(tmp_path: Path) -> None:
    """`cwg serve --workers 2`: each process opens the index; a document uploaded through one is found by
    searches that open new connections (the kernel hands them to either process)."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    root = Path(__file__).resolve().parents[2]
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ghana.md").write_text("# Ghana\n\nGhana trains teachers to keep pupils safe online at school.\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(root), "CWG_API_KEYS": "k1"}
    cwg = [sys.executable, "-m", "api.cli"]
    subprocess.run([*cwg, "ingest", str(docs), "--index", str(tmp_path / "idx")], env=env, check=True,
                   capture_output=True, timeout=600)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([*cwg, "serve", "--index", str(tmp_path / "idx"), "--port", str(port),
                               "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise AssertionError("the server did not start")
        time.sleep(20)  # both workers listening (the second may finish loading its models later)
        text = b"# Fiji\n\nFiji runs a national helpline where children report cyberbullying by text message.\n"
        r = httpx.post(base + "/documents", headers={"Authorization": "Bearer k1"}, timeout=120,
                       files=[("files", ("fiji.md", text, "text/markdown"))])
        assert r.status_code == 201, r.text
        found = [any(h["document_id"] == "fiji" for h in
                     httpx.get(base + "/search", params={"q": "helpline cyberbullying text message"},
                               timeout=60).json()["hits"]) for _ in range(12)]
        assert all(found), found
        pids = {child.pid for child in __import__("psutil").Process(server.pid).children(recursive=True)}
        assert len(pids) >= 2  # two worker processes did the serving
    finally:
        server.terminate()
        server.wait(timeout=60)
