"""One search does each piece of its work once, on both front doors (issue 22): `GET /search` and `cwg search`
read the query once (normalised, its terms taken, its language guessed), count its terms in the index once, check
its bounds once and read one snapshot, not nested ones. The real models and stores run (the relevance estimate and
the library list apart are on), the counted functions are wrapped, not replaced: the answers are the real ones.

The hops a query takes are written in docs/query-path.md.
"""

from __future__ import annotations

import contextlib
import json
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

import search.retrieval.answer as answer_module
import search.retrieval.engine as engine_module
import search.retrieval.lexical as lexical_module
from api.app import create_app
from api.cli import main
from api.settings import Settings
from index.folder import IndexFolder
from index.writer import IndexWriter
from tests.api.conftest import seed

QUESTION = "teachers trained to explain online risks to children"


@pytest.fixture(scope="module")
def real_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The seed contributions and one library text, with the real models (the relevance model applies to them)."""
    root = tmp_path_factory.mktemp("query-path")
    folder = IndexFolder.open(root / "ix", create=True)
    seed(folder, root / "seed")
    library = root / "guide.md"
    library.write_text("# A reference guide\n\nSchools train teachers to explain online risks to children and "
                       "their parents, and to report abuse.", encoding="utf-8")
    assert not IndexWriter(folder).ingest([library], {library.resolve(): {"collection": "library"}}).failed
    folder.refresh_vectors()
    folder.close()
    yield root / "ix"


class Work:
    """Counts of the per-query work, by wrapping the real functions where the engine calls them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, store_class: type) -> None:
        self.calls: Counter[str] = Counter()
        self.depth = 0
        self.deepest = 0
        for module, name in ((engine_module, "normalize_text"), (lexical_module, "normalize_text"),
                             (engine_module, "query_terms"), (lexical_module, "query_terms"),
                             (engine_module, "query_language"), (engine_module, "check_bounds"),
                             (answer_module, "check_bounds")):
            monkeypatch.setattr(module, name, self._counted(name, getattr(module, name)))
        monkeypatch.setattr(store_class, "fts_row_counts", self._counted("fts_row_counts", store_class.fts_row_counts))
        monkeypatch.setattr(store_class, "chunk_count", self._counted("chunk_count", store_class.chunk_count))
        monkeypatch.setattr(store_class, "snapshot", self._snapshots(store_class.snapshot))

    def _counted(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return function(*args, **kwargs)
        return counted

    def _snapshots(self, snapshot: Callable[..., Any]) -> Callable[..., Any]:
        @contextlib.contextmanager
        def counted(store: Any) -> Iterator[Any]:
            # the vector indexes catching up with the store (index/vector_sync.py, once per state) read their
            # own snapshots: only those the query path opens are counted
            mine = not any("/index/" in frame.filename for frame in traceback.extract_stack()[:-2])
            if mine:
                self.calls["snapshot"] += 1
                self.depth += 1
                self.deepest = max(self.deepest, self.depth)
            try:
                with snapshot(store) as connection:
                    yield connection
            finally:
                self.depth -= mine
        return counted

    def assert_once(self) -> None:
        assert self.calls["normalize_text"] == 1, self.calls  # the query read once: normalised, cut, measured
        assert self.calls["query_terms"] == 1, self.calls
        assert self.calls["query_language"] == 1, self.calls
        assert self.calls["fts_row_counts"] == 1 and self.calls["chunk_count"] == 1, self.calls
        assert self.calls["check_bounds"] == 1, self.calls
        assert self.calls["snapshot"] == 1 and self.deepest == 1, (self.calls, self.deepest)


def test_one_http_search_does_each_piece_of_work_once(real_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with IndexFolder.open(real_index) as folder:
        with TestClient(create_app(Settings(index=real_index), folder)) as client:
            client.get("/search", params={"q": "warm up"})  # the first search may bring the vector indexes up to date
            work = Work(monkeypatch, type(folder.store))
            r = client.get("/search", params={"q": QUESTION, "per_source": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["hits"] and body["library"] and body["min_relevance"] is not None  # both lists, the estimate on
    assert body["query_cut"] is False and body["facets"]["source"]
    work.assert_once()


def test_one_http_search_takes_one_trip_through_the_thread_pool(real_index: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The route's own work runs in a pool thread; its dependencies (the service, the single-value check) run on
    the event loop. Each trip wakes a pool thread and hands the answer back: under 50 clients every trip queued
    behind the busy threads for the interpreter lock (bench/load_test.py, py-spy over `cwg serve`)."""
    trips: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(getattr(func, "func", func), "__name__", repr(func)))  # starlette wraps it in a partial
        return await run_sync(func, *args, **kwargs)

    with IndexFolder.open(real_index) as folder:
        with TestClient(create_app(Settings(index=real_index), folder)) as client:
            client.get("/search", params={"q": "warm up"})
            monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
            r = client.get("/search", params={"q": QUESTION})
    assert r.status_code == 200, r.text
    assert trips == ["_search"], trips
    with IndexFolder.open(real_index) as folder:
        with TestClient(create_app(Settings(index=real_index), folder)) as client:
            document_id = client.get("/documents").json()["documents"][0]["document_id"]
            trips.clear()
            for path, params in (("/documents", {"limit": 50}), (f"/documents/{document_id}", {}),
                                 ("/facets", {"language": "en"})):
                r = client.get(path, params=params)
                assert r.status_code == 200, (path, r.text)
    assert trips == ["_list_documents", "_get_document", "_facets"], trips  # the answer checked on the event loop


def test_one_cli_search_does_each_piece_of_work_once(real_index: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with IndexFolder.open(real_index) as folder:
        store_class = type(folder.store)
    work = Work(monkeypatch, store_class)
    assert main(["search", QUESTION, "--per-source", "2", "--json", "--index", str(real_index)]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["hits"] and body["library"] and body["min_relevance"] is not None
    work.assert_once()


def test_a_long_query_is_said_cut_from_the_one_reading(real_index: Path) -> None:
    longer = QUESTION + " and their parents at home" * 3 + " zebra"  # 136 characters, 100 read
    with IndexFolder.open(real_index) as folder:
        with TestClient(create_app(Settings(index=real_index, query_chars=100), folder)) as client:
            long = client.get("/search", params={"q": longer}).json()
            short = client.get("/search", params={"q": QUESTION}).json()
    assert long["query_cut"] is True and long["query"] == longer
    assert "zebra" not in long["terms"] and "parents" in long["terms"]  # the part read is the part searched for
    assert short["query_cut"] is False


def test_a_bound_is_checked_before_the_index_is_opened(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "x", "--per-source", "0", "--index", "nowhere"]) == 2
    assert capsys.readouterr().err.strip() == "cwg search: error: --per-source must be at least 1"
    assert main(["search", "x", "-k", "0", "--index", "nowhere"]) == 2
    assert capsys.readouterr().err.strip() == "cwg search: k must be between 1 and 1000"
