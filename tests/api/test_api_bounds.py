"""Bounds on anonymous heavy work (issue 20): the passages a draft check encodes, the upload limits on
`/check`, the part of a query that is read, a cap on heavy requests at once (503 with Retry-After, never a
queue), a deadline, and work that stops when its client leaves. Each test failed before the change it guards.

The fake embedder here is gated: a batch holding GATE waits until the test opens the gate, so a heavy request
can be held mid-work without any timing."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.service import Service
from api.settings import Settings, SettingsError
from index.embedders import FakeEmbedder
from index.folder import IndexFolder
from tests.api.conftest import live_server
from tests.api.test_api_upload_rules import docx_bomb

GATE = "gatekeeper"
WORDS = ("teachers train parents to report grooming to the national helpline while schools teach children "
         "how to stay safe online and platforms remove abuse material quickly").split()


class GatedEmbedder(FakeEmbedder):
    """The fake embedder, recording every text it encodes; a batch holding GATE waits for the open gate."""

    def __init__(self) -> None:
        super().__init__("minilm")
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.gated_batches = 0
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str], batch_size: int = 64,
               progress: Callable[[int], None] | None = None) -> np.ndarray:
        self.texts.extend(texts)
        if any(GATE in t for t in texts):
            self.gated_batches += 1
            self.entered.set()
            self.gate.wait(timeout=120)
        return super().encode(texts, batch_size, progress)


@pytest.fixture
def embedder() -> GatedEmbedder:
    return GatedEmbedder()


@pytest.fixture
def fake_embedders(embedder: GatedEmbedder) -> dict[str, GatedEmbedder]:
    return {"minilm": embedder}  # the index of `seeded_index` encodes with it


def draft(passages: int, marker: str = "") -> bytes:
    """A Markdown draft of `passages` passages (one paragraph of 160 words each)."""
    paragraphs = [" ".join([marker] * bool(marker) + [WORDS[(p + i) % len(WORDS)] for i in range(160)]) + "."
                  for p in range(passages)]
    return ("# Draft contribution\n\n" + "\n\n".join(paragraphs)).encode()


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Until `condition()` holds (work on another thread), or fail naming `what`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds:.0f} s")
        time.sleep(0.02)


# --- settings --------------------------------------------------------------------------------------------
def test_the_bounds_are_settings_with_defaults_and_checked_values() -> None:
    default = Settings.from_env({})
    assert (default.query_chars, default.check_max_passages, default.heavy_seconds, default.heavy_concurrency) == \
        (1000, 100, 60.0, 0)
    s = Settings.from_env({"CWG_QUERY_CHARS": "400", "CWG_CHECK_MAX_PASSAGES": "20", "CWG_HEAVY_SECONDS": "7.5",
                           "CWG_HEAVY_CONCURRENCY": "3"})
    assert (s.query_chars, s.check_max_passages, s.heavy_seconds, s.heavy_concurrency) == (400, 20, 7.5, 3)
    for name, value in [("CWG_QUERY_CHARS", "50"), ("CWG_QUERY_CHARS", "20000"), ("CWG_CHECK_MAX_PASSAGES", "0"),
                        ("CWG_HEAVY_SECONDS", "-1"), ("CWG_HEAVY_SECONDS", "soon"), ("CWG_HEAVY_CONCURRENCY", "x")]:
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})


# --- what /check reads and encodes ---------------------------------------------------------------------------
def test_check_encodes_only_the_first_passages_and_says_the_draft_was_cut(settings, seeded_index,
                                                                         embedder: GatedEmbedder) -> None:
    with TestClient(create_app(replace(settings, check_max_passages=2), seeded_index)) as client:
        embedder.texts.clear()
        cut = client.post("/check", files={"file": ("draft.md", draft(6))})
        assert cut.status_code == 200, cut.text
        encoded = list(embedder.texts)
        whole = client.post("/check", files={"file": ("short.md", draft(2))}).json()
    data = cut.json()
    assert data["cut"] is True and data["document"]["chunks"] == 6 and data["document"]["chunks_checked"] == 2
    assert "only its first 2" in data["notes"][0] and "CWG_CHECK_MAX_PASSAGES" in data["notes"][0]
    assert len(encoded) == 2  # the cost: two passages encoded, not six
    assert data["quality"]["signals"] and data["similar"]  # the rest of the card is there
    assert whole["cut"] is False and whole["notes"] == [] and whole["document"]["chunks_checked"] == 2


def test_check_applies_the_unpacking_limit_of_uploads(settings, seeded_index) -> None:
    """A DOCX that unpacks past CWG_MAX_UNPACKED_MB is refused by /check as by POST /documents."""
    bomb = docx_bomb(3)
    with TestClient(create_app(replace(settings, max_unpacked_bytes=1024 * 1024), seeded_index)) as client:
        r = client.post("/check", files={"file": ("bomb.docx", bomb)})
    assert r.status_code == 400 and "CWG_MAX_UNPACKED_MB" in r.json()["detail"], r.text


@pytest.mark.slow
def test_cwg_check_reads_the_limits_and_the_passage_cap(real_sample_index: IndexFolder, tmp_path: Path,
                                                        monkeypatch, capsys) -> None:
    """`cwg check` with the real model: CWG_CHECK_MAX_PASSAGES cuts the draft (and says so), and a DOCX past
    CWG_MAX_UNPACKED_MB is refused with its reason."""
    (tmp_path / "draft.md").write_bytes(draft(5))
    (tmp_path / "bomb.docx").write_bytes(docx_bomb(3))
    index = str(real_sample_index.path)
    monkeypatch.setenv("CWG_CHECK_MAX_PASSAGES", "2")
    assert main(["check", str(tmp_path / "draft.md"), "--index", index]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Note: The draft has 5 passages: only its first 2") and "CWG_CHECK_MAX_PASSAGES" in out
    assert "## Similar contributions from other sources" in out and "## Quality" in out  # the rest of the card
    monkeypatch.setenv("CWG_MAX_UNPACKED_MB", "1")
    assert main(["check", str(tmp_path / "bomb.docx"), "--index", index]) != 0
    assert "CWG_MAX_UNPACKED_MB" in capsys.readouterr().err


# --- the part of a query that is read ----------------------------------------------------------------------
def test_a_long_query_is_cut_before_encoding_and_before_its_words_are_taken(settings, seeded_index,
                                                                            embedder: GatedEmbedder) -> None:
    q = "children " * 120 + "philippines"  # 1,091 characters: the last word is past the cut
    with TestClient(create_app(settings, seeded_index)) as client:
        embedder.texts.clear()
        cut = client.get("/search", params={"q": q}).json()
        assert max(map(len, embedder.texts)) <= 1000  # what reached the encoder
        similar = client.get("/similar", params={"text": q}).json()
        ordinary = client.get("/search", params={"q": "children philippines"}).json()
    assert cut["query_cut"] is True and "philippines" not in cut["terms"] and cut["query"] == q
    assert similar["query_cut"] is True and max(map(len, embedder.texts)) <= 1000
    assert ordinary["query_cut"] is False and "philippines" in ordinary["terms"]
    with TestClient(create_app(replace(settings, query_chars=2000), seeded_index)) as client:
        whole = client.get("/search", params={"q": q}).json()
    assert whole["query_cut"] is False and "philippines" in whole["terms"]


# --- the gate: a cap, a deadline, a client that leaves --------------------------------------------------------
@pytest.fixture
def served(settings: Settings, seeded_index: IndexFolder, embedder: GatedEmbedder) -> Iterator[tuple[str, Service]]:
    """A live server that runs one heavy request at a time; the gate is opened when the test ends."""
    app = create_app(replace(settings, heavy_concurrency=1), seeded_index)
    with live_server(app) as base:
        try:
            yield base, app.state.service
        finally:
            embedder.gate.set()


def test_a_full_gate_refuses_heavy_requests_at_once_and_ordinary_ones_go_on(served, embedder) -> None:
    base, service = served
    answers: dict[str, httpx.Response] = {}
    held = threading.Thread(target=lambda: answers.setdefault("held", httpx.post(
        base + "/check", files={"file": ("held.md", draft(3, GATE))}, timeout=120)), daemon=True)
    held.start()
    assert embedder.entered.wait(60), "the held check never reached its encoder"
    long_q = "helpline for children " * 20  # 440 characters: a heavy search
    heavy = {"check": lambda c: c.post("/check", files={"file": ("d.md", draft(1))}),
             "synthesize": lambda c: c.post("/synthesize", json={"topic": "helplines"}),
             "long search": lambda c: c.get("/search", params={"q": long_q}),
             "long feed": lambda c: c.get("/feeds/documents.atom", params={"q": long_q}),
             "long similar": lambda c: c.get("/similar", params={"text": long_q}),
             "docx list": lambda c: c.get("/select", params={"format": "docx"})}
    ordinary = {"search": lambda c: c.get("/search", params={"q": "helpline for children"}),
                "feed": lambda c: c.get("/feeds/documents.atom", params={"q": "helpline"}),
                "similar": lambda c: c.get("/similar", params={"text": "a helpline for children"}),
                "list": lambda c: c.get("/select"), "card": lambda c: c.get("/documents/unicef-law/card")}
    with httpx.Client(base_url=base, timeout=60) as client:
        for name, call in heavy.items():
            r = call(client)
            assert r.status_code == 503, (name, r.status_code, r.text)
            assert r.headers["retry-after"] == "5" and "CWG_HEAVY_CONCURRENCY" in r.json()["detail"], name
        for name, call in ordinary.items():
            assert call(client).status_code == 200, name
        assert "held" not in answers  # all that while, the held check was still at work
        embedder.gate.set()
        wait_for(lambda: "held" in answers, "the held check's answer")
        assert answers["held"].status_code == 200 and service.heavy.running == 0
        assert heavy["synthesize"](client).status_code == 200  # the slot is free again


def test_a_heavy_request_past_its_deadline_answers_503_and_its_work_stops(settings, seeded_index,
                                                                          embedder: GatedEmbedder) -> None:
    app = create_app(replace(settings, heavy_seconds=1.0), seeded_index)
    with TestClient(app) as client:
        r = client.post("/check", files={"file": ("slow.md", draft(40, GATE))})  # three batches of 16 passages
        assert r.status_code == 503 and "CWG_HEAVY_SECONDS" in r.json()["detail"], r.text
        service = app.state.service
        embedder.gate.set()  # the work goes on to its next checkpoint, and stops there
        wait_for(lambda: service.heavy.running == 0, "the stopped work to end")
    assert embedder.gated_batches <= 1 and service.heavy.stopped["deadline"] == 1


def test_a_client_that_leaves_stops_its_work(served, embedder: GatedEmbedder) -> None:
    base, service = served
    url = urlsplit(base)
    request = httpx.Request("POST", base + "/check", files={"file": ("left.md", draft(40, GATE))})
    body = request.read()
    head = (f"POST /check HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: {request.headers['content-type']}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    assert url.hostname and url.port
    with socket.create_connection((url.hostname, url.port)) as conn:
        conn.sendall(head + body)
        assert embedder.entered.wait(60), "the check never reached its encoder"
    wait_for(lambda: service.heavy.stopped["client gone"] == 1, "the server to hear the client leave")
    embedder.gate.set()
    wait_for(lambda: service.heavy.running == 0, "the stopped work to end")
    assert embedder.gated_batches == 1  # of three batches of passages, only the first was encoded
