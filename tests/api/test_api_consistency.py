"""Searches running while a document is uploaded and removed see the index before or after, never half."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from index.folder import IndexFolder
from index.store import SqliteStore
from tests.api.conftest import AUTH, live_server

MARKER = "quokkamarker"
CYCLES = 4


# uploaded as a meeting's contribution: what a search answers from by default (issue 21)
CONTRIBUTION = {"meeting": "CWG-COP-21"}


def churn_document() -> bytes:
    """A contribution of several passages, every one of which contains MARKER."""
    topics = ["helplines", "teacher training", "age assurance", "parental guidance", "hotline reporting",
              "school curricula", "platform duties", "victim support"]
    parts = ["# Churn test contribution"]
    for topic in topics:
        parts.append(f"## {topic.title()}")
        parts.append(" ".join([f"The {MARKER} programme on {topic} reaches children, parents and teachers"] * 12)
                     + ".")
    return "\n\n".join(parts).encode()


class SlowRows(np.ndarray):
    """Vectors whose rows take a while to read: the writer's transaction stays open, half its rows in."""

    def __getitem__(self, item):  # type: ignore[no-untyped-def]
        time.sleep(0.02)
        return super().__getitem__(item)


def visible_passages(hits: list[dict], document_id: str) -> int:
    return sum(1 for h in hits if h["document_id"] == document_id)


def test_partial_state_would_be_detected(client: TestClient, seeded_index: IndexFolder) -> None:
    """The check used below does catch a half-written document (so passing it means something)."""
    r = client.post("/documents", headers=AUTH, data=CONTRIBUTION,
                   files=[("files", ("churn.md", churn_document(), "text/markdown"))])
    doc_id = r.json()["results"][0]["document_id"]
    total = client.get(f"/documents/{doc_id}").json()["chunks"]
    assert total >= 4
    hits = client.get("/search", params={"q": MARKER, "k": 50, "mode": "lexical"}).json()["hits"]
    assert visible_passages(hits, doc_id) == total
    with seeded_index.store.transaction() as conn:  # what a non-atomic writer would leave behind
        conn.execute("DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE document_id = ? "
                     "ORDER BY ordinal DESC LIMIT 2)", (doc_id,))
        conn.execute("DELETE FROM chunks WHERE id IN (SELECT id FROM chunks WHERE document_id = ? "
                     "ORDER BY ordinal DESC LIMIT 2)", (doc_id,))
    hits = client.get("/search", params={"q": MARKER, "k": 50, "mode": "lexical"}).json()["hits"]
    assert visible_passages(hits, doc_id) not in (0, total)


def test_searches_during_uploads_and_removals_see_all_or_nothing(settings: Settings, seeded_index: IndexFolder,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    write = SqliteStore.write_document

    def slow_write(self, target, prepared, hashes, vectors, *rest):  # type: ignore[no-untyped-def]
        return write(self, target, prepared, hashes, {s: v.view(SlowRows) for s, v in vectors.items()}, *rest)

    monkeypatch.setattr(SqliteStore, "write_document", slow_write)
    with live_server(create_app(settings, seeded_index)) as base, httpx.Client(base_url=base, timeout=60) as http:
        first = http.post("/documents", headers=AUTH, data=CONTRIBUTION,
                   files=[("files", ("churn.md", churn_document(), "text/markdown"))])
        doc_id = first.json()["results"][0]["document_id"]
        total = http.get(f"/documents/{doc_id}").json()["chunks"]
        assert total >= 4
        assert http.delete(f"/documents/{doc_id}", headers=AUTH).status_code == 200

        seen: Counter[int] = Counter()
        errors: list[str] = []
        detail_counts: Counter[object] = Counter()
        present, absent, stop = threading.Event(), threading.Event(), threading.Event()
        searches = threading.Semaphore(0)

        def after_more_searches(n: int = 6) -> None:
            for _ in range(n):
                assert searches.acquire(timeout=30)

        def reader(mode: str) -> None:
            with httpx.Client(base_url=base, timeout=60) as mine:
                while not stop.is_set():
                    r = mine.get("/search", params={"q": MARKER, "k": 50, "mode": mode})
                    if r.status_code != 200:
                        errors.append(f"search {r.status_code}: {r.text[:200]}")
                        continue
                    body = r.json()
                    n = visible_passages(body["hits"], doc_id)
                    if mode == "lexical":
                        seen[n] += 1
                        (present if n else absent).set()
                        searches.release()
                    sources = {v["value"] for v in body["facets"]["source"]}
                    if n and "Churn Org" not in sources:
                        errors.append("hits of the document but not its facet value")
                    d = mine.get(f"/documents/{doc_id}")
                    detail_counts[len(d.json()["passages"]) if d.status_code == 200 else d.status_code] += 1

        threads = [threading.Thread(target=reader, args=(m,)) for m in ("lexical", "lexical", "hybrid")]
        for t in threads:
            t.start()
        try:
            for _ in range(CYCLES):
                present.clear()
                up = http.post("/documents", headers=AUTH, data={**CONTRIBUTION, "source": "Churn Org"},
                               files=[("files", ("churn.md", churn_document(), "text/markdown"))])
                assert up.status_code == 201, up.text
                assert present.wait(30), "no search saw the uploaded document"
                after_more_searches()
                absent.clear()
                assert http.delete(f"/documents/{doc_id}", headers=AUTH).status_code == 200
                assert absent.wait(30), "no search saw the document gone"
                after_more_searches()
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
    assert not errors, errors[:5]
    assert set(seen) == {0, total}, f"passages of the document seen per search: {dict(seen)} (all-or-nothing: {total})"
    assert set(detail_counts) <= {total, 404}, dict(detail_counts)
    assert seen[total] >= CYCLES and seen[0] >= CYCLES


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_dense_results_never_cite_a_removed_document(client: TestClient, mode: str) -> None:
    r = client.post("/documents", headers=AUTH, data=CONTRIBUTION,
                   files=[("files", ("churn.md", churn_document(), "text/markdown"))])
    doc_id = r.json()["results"][0]["document_id"]
    assert doc_id in {h["document_id"] for h in client.get("/search", params={"q": MARKER, "k": 50, "mode": mode}).json()["hits"]}
    client.delete(f"/documents/{doc_id}", headers=AUTH)
    assert doc_id not in {h["document_id"] for h in client.get("/search", params={"q": MARKER, "k": 50, "mode": mode}).json()["hits"]}


def test_a_held_snapshot_neither_blocks_a_write_nor_sees_it(client: TestClient, seeded_index: IndexFolder) -> None:
    """Each thread reads through its own connection: a long read does not hold up a write, and keeps
    seeing the state it started with until it ends."""
    store = seeded_index.store
    inside, release, done = threading.Event(), threading.Event(), threading.Event()
    counts: list[int] = []

    def long_reader() -> None:
        with store.snapshot():
            counts.append(len(store.documents()))
            inside.set()
            release.wait(30)
            counts.append(len(store.documents()))
        counts.append(len(store.documents()))  # outside: the main connection, after the write
        done.set()

    thread = threading.Thread(target=long_reader)
    thread.start()
    assert inside.wait(30)
    started = time.monotonic()
    r = client.post("/documents", headers=AUTH, data=CONTRIBUTION,
                   files=[("files", ("churn.md", churn_document(), "text/markdown"))])
    assert r.status_code == 201 and time.monotonic() - started < 20  # not blocked by the open read
    with store.snapshot():
        assert len(store.documents()) == 4  # a new snapshot sees the write
    release.set()
    assert done.wait(30)
    thread.join()
    assert counts == [3, 3, 4]
