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


def test_serve_runs_one_process_per_core_unless_told(monkeypatch) -> None:
    """Without --workers or CWG_WORKERS, `cwg serve` runs one process per core (a search holds the interpreter
    lock for most of its CPU, so one process cannot use a second core), as many as the memory holds."""
    from api import service
    from api.settings import Settings

    gib = 1024**3
    monkeypatch.setattr(service, "cores", lambda: 2)
    monkeypatch.setattr(service.os, "sysconf", lambda name: 4096 if name == "SC_PAGE_SIZE" else 24 * gib // 4096)
    assert service.serving_processes(Settings.from_env({})) == 2
    assert service.serving_processes(Settings.from_env({"CWG_WORKERS": "1"})) == 1
    assert service.serving_processes(Settings.from_env({"CWG_WORKERS": "3"})) == 3
    monkeypatch.setattr(service, "cores", lambda: 64)
    assert service.serving_processes(Settings()) == service.MAX_PROCESSES
    monkeypatch.setattr(service.os, "sysconf", lambda name: 4096 if name == "SC_PAGE_SIZE" else 3 * gib // 4096)
    assert service.serving_processes(Settings()) == 1  # 3 GiB holds one process of PROCESS_MEMORY_BYTES
    monkeypatch.setattr(service, "cores", lambda: 1)
    monkeypatch.setattr(service.os, "sysconf", lambda name: 4096 if name == "SC_PAGE_SIZE" else 24 * gib // 4096)
    assert service.serving_processes(Settings()) == 1


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
        _wait_until_healthy(base)
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


def test_two_replicas_on_one_postgresql_database(postgres_uri: str, tmp_path: Path) -> None:
    """Two `cwg serve` processes on one database (the real model): an upload through one is found by the
    very next search through the other, no restart; a kill -9 of one loses nothing the other can see."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import threading
    import time

    import httpx
    import psycopg

    from tests.conftest import new_database

    root = Path(__file__).resolve().parents[2]
    uri = new_database(postgres_uri)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ghana.md").write_text("# Ghana\n\nGhana trains teachers to keep pupils safe online at school.\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(root), "CWG_API_KEYS": "k1",
           "CWG_CACHE": str(tmp_path / "cache")}
    cwg = [sys.executable, "-m", "api.cli"]
    subprocess.run([*cwg, "ingest", str(docs), "--index", uri], env=env, check=True, capture_output=True, timeout=600)
    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    servers = [subprocess.Popen([*cwg, "serve", "--index", uri, "--port", str(port), "--workers", "1"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for port in ports]
    first, second = (f"http://127.0.0.1:{port}" for port in ports)
    auth = {"Authorization": "Bearer k1"}
    try:
        for base in (first, second):
            _wait_until_healthy(base)
        query = {"q": "helpline cyberbullying text message"}
        assert "fiji" not in {h["document_id"] for h in httpx.get(second + "/search", params=query, timeout=60).json()["hits"]}
        text = b"# Fiji\n\nFiji runs a national helpline where children report cyberbullying by text message.\n"
        r = httpx.post(first + "/documents", headers=auth, timeout=120, files=[("files", ("fiji.md", text, "text/markdown"))])
        assert r.status_code == 201, r.text
        hits = httpx.get(second + "/search", params=query, timeout=60).json()["hits"]  # the next request, no wait
        assert hits and hits[0]["document_id"] == "fiji", hits
        assert httpx.get(second + "/documents/fiji/file", timeout=60).content == text  # the original, from the database

        # kill -9 the first replica while it writes a long document: the second serves every committed one
        long_text = ("# Long\n\n" + "\n\n".join(f"Paragraph {i} about online safety of children." for i in range(3000))).encode()
        upload = threading.Thread(target=lambda: _ignore_errors(lambda: httpx.post(
            first + "/documents", headers=auth, timeout=120, files=[("files", ("long.md", long_text, "text/markdown"))])))
        upload.start()
        time.sleep(1.0)
        servers[0].send_signal(signal.SIGKILL)
        servers[0].wait(timeout=60)
        upload.join(timeout=60)
        listed = {d["document_id"] for d in httpx.get(second + "/documents", timeout=60).json()["documents"]}
        assert {"ghana", "fiji"} <= listed
        with psycopg.connect(uri) as conn:
            chunks, lexical, vectors = conn.execute(
                "SELECT (SELECT count(*) FROM chunks), (SELECT count(*) FROM lexical_rows), "
                "(SELECT count(*) FROM vectors_minilm)").fetchone()
        assert chunks == lexical == vectors  # the killed write is all there or not at all
        again = httpx.post(second + "/documents", headers=auth, timeout=300,
                           files=[("files", ("long.md", long_text, "text/markdown"))])
        assert again.status_code in (200, 201), again.text  # the write lock died with the killed replica
    finally:
        for server in servers:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=60)


def _ignore_errors(call) -> None:  # type: ignore[no-untyped-def]
    try:
        call()
    except Exception:  # noqa: BLE001 - the replica it talks to is killed on purpose
        pass


def _wait_until_healthy(base: str, seconds: float = 300) -> None:
    """Until `base`/health answers 200 (a server process loading its models), or fail the test."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise AssertionError(f"the server at {base} did not start within {seconds:.0f} s")


def test_the_listener_handed_to_worker_processes_gives_connections_tcp_nodelay() -> None:
    """`cwg serve --workers N` hands its processes a socket bound by uvicorn, which says protocol 0: asyncio then
    leaves Nagle's algorithm on for the connections it accepts (every kept-alive answer after the first waited
    for the client's delayed acknowledgement). Marked as TCP (`tcp_listener`), accepted connections get
    TCP_NODELAY; unmarked, they do not (what the test would see without the fix)."""
    import asyncio
    import socket
    from concurrent.futures import ThreadPoolExecutor

    import uvicorn

    from api.commands import tcp_listener

    def nodelay_of_accepted(listener: socket.socket) -> int:
        async def run() -> int:
            seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

            def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                sock = writer.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                writer.close()

            server = await asyncio.start_server(accepted, sock=listener)
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            value = await asyncio.wait_for(seen, 30)
            writer.close()
            server.close()
            return value

        with ThreadPoolExecutor(1) as pool:  # a thread of its own: an earlier test may leave a loop running here
            return pool.submit(asyncio.run, run()).result(timeout=60)

    config = uvicorn.Config("api.app:serving_app", host="127.0.0.1", port=0)
    assert nodelay_of_accepted(config.bind_socket()) == 0  # uvicorn's own listener: Nagle stays on
    assert nodelay_of_accepted(tcp_listener(config.bind_socket())) == 1
