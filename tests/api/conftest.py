"""Fixtures for the HTTP API: an app over a small fake-embedder index, a test client, a live server."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from index.folder import IndexFolder
from index.writer import IndexWriter

API_KEY = "test-key-0123456789"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# Three short contributions with metadata; enough for facets, filters and "similar" across sources.
SEED_DOCS = {
    "malawi-teachers.md": ("# Training of trainers\n\nMalawi trains teachers to explain online risks to children, "
                           "parents and communities. Teachers learn about grooming and reporting.",
                           {"source": "Malawi", "country": "Malawi", "doc_type": "information",
                            "meeting": "CWG-COP-20", "date": "2024-01-22"}),
    "philippines-helpline.md": ("# A national helpline\n\nThe Philippines runs a helpline where children report "
                                "online abuse; teachers and parents are trained to refer cases.",
                                {"source": "Philippines", "country": "Philippines", "doc_type": "contribution",
                                 "meeting": "CWG-COP-20", "date": "2024-01-22"}),
    "unicef-law.md": ("# Legislative guidance\n\nUNICEF guidance for laws that protect children online: "
                      "definitions, age of consent, platform duties and helplines.",
                      {"source": "UNICEF", "doc_type": "report", "meeting": "CWG-COP-19", "date": "2023-06-01"}),
}


def seed(folder: IndexFolder, root: Path) -> None:
    """Ingest SEED_DOCS (from files under `root`) straight through the writer."""
    root.mkdir(parents=True, exist_ok=True)
    entries, files = {}, []
    for name, (text, entry) in SEED_DOCS.items():
        path = root / name
        path.write_text(text, encoding="utf-8")
        files.append(path)
        entries[path.resolve()] = entry
    report = IndexWriter(folder).ingest(files, entries)
    assert not report.failed, report.failed
    folder.refresh_vectors()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index=tmp_path / "ix", api_keys=(API_KEY,), max_upload_bytes=2 * 1024 * 1024)


@pytest.fixture
def seeded_index(fake_index: IndexFolder, tmp_path: Path) -> IndexFolder:
    seed(fake_index, tmp_path / "seed")
    return fake_index


@pytest.fixture
def client(settings: Settings, seeded_index: IndexFolder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, seeded_index)) as test_client:
        yield test_client


def documents(client: TestClient) -> list[str]:
    return sorted(d["document_id"] for d in client.get("/documents").json()["documents"])


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread on a free port of 127.0.0.1; yields the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


CURATOR_KEY = "curator-key-0123456789"


@contextmanager
def curator_at_a_card(page, index: IndexFolder,  # type: ignore[no-untyped-def]
                      tmp_path: Path) -> Iterator[tuple[object, str]]:
    """The page served with a curator key, opened on the seeded helpline document's card; yields the card and
    the server's base URL."""
    from playwright.sync_api import expect

    settings = Settings(index=tmp_path / "ix", api_keys=("upload-key-0123456789",), curator_keys=(CURATOR_KEY,))
    with live_server(create_app(settings, index)) as base:
        page.goto(base + "/")
        expect(page.locator("#status")).to_contain_text("documents in the index")
        page.locator("#results .card", has_text="A national helpline").get_by_role("button", name="Open document").click()
        yield page.locator("#document-card"), base


def chromium_path() -> str:
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if found is None:
        pytest.skip("chromium is missing: install it with `apt-get install -y chromium` (.ci/run does)")
    return found


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:  # type: ignore[type-arg]
    """pytest-playwright launches Debian's chromium (never a downloaded browser)."""
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_ARGS}
