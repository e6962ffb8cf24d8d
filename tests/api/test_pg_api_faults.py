"""Bad input and a database that goes away, over HTTP and the CLI: a NUL character is the same 422 on both stores,
filter values fold and name ids alike on both, and a stopped PostgreSQL server is a 503 with `Retry-After` (a
one-line CLI error) whose first requests after it comes back succeed (issue 20).

The outage tests stop and start a PostgreSQL server of their own (pgserver), never the session's."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from index.embedders import FakeEmbedder
from index.folder import IndexFolder
from tests.api.conftest import API_KEY, AUTH, seed
from tests.conftest import new_database
from tests.index.test_pg_store import _fill_pool

CURATOR = {"Authorization": "Bearer curator-key-0123456789"}
NUL_REQUESTS = [("GET", "/search?q=child&source=a%00", ["query", "source"]),
                ("GET", "/search?q=child%00", ["query", "q"]), ("GET", "/documents/x%00", ["path"]),
                ("GET", "/documents?country=a%00", ["query", "country"]), ("GET", "/facets?theme=a%00", ["query", "theme"]),
                ("GET", "/similar?document_id=x%00", ["query", "document_id"]),
                ("GET", "/similar?text=helpline&country=%00", ["query", "country"]),
                ("GET", "/documents/x%00/file", ["path"]), ("GET", "/documents/x%00/curation", ["path"]),
                ("GET", "/documents/x%00/card", ["path"]), ("GET", "/select?country=a%00", ["query", "country"]),
                ("GET", "/trends?facet=theme&by=meeting&country=a%00", ["query", "country"]),
                ("GET", "/feeds/documents.atom?country=a%00", ["query", "country"]),
                ("DELETE", "/documents/x%00", ["path"]), ("PUT", "/documents/x%00/curation", ["path"]),
                ("PUT", "/documents/x%00/file", ["path"]), ("GET", "/documents/unicef-law?x%00=1", ["query", "x%00"])]
READS = ["/health", "/search?q=helpline", "/search?q=helpline&country=MALAWI", "/documents", "/facets",
         "/documents/unicef-law"]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """The seeded index on each store, served with upload and curator keys."""
    index: IndexFolder = request.getfixturevalue("fake_index" if request.param == "sqlite" else "pg_index")
    seed(index, tmp_path / "seed")
    settings = Settings(index=index.location, api_keys=(API_KEY,), curator_keys=("curator-key-0123456789",))
    with TestClient(create_app(settings, index), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(("method", "url", "where"), NUL_REQUESTS)
def test_a_nul_in_a_path_or_query_is_the_same_422_on_both_stores(any_store_client: TestClient, method: str, url: str,
                                                                  where: list[str]) -> None:
    """Refused as the schema says (no NUL in a query or path text) before any route runs: was a 500 on PostgreSQL
    (psycopg's DataError), a 200 or 404 in a folder."""
    headers = CURATOR if url.endswith("/curation") and method == "PUT" else AUTH
    answer = any_store_client.request(method, url, headers=headers, json={"status": "noted", "reason": "r"}
                                      if method == "PUT" else None)
    assert answer.status_code == 422, answer.text
    assert answer.json() == {"detail": [{"type": "value_error", "loc": where, "input": None, "msg": (
        "a NUL character (%00) is not allowed: no document id, filter value or query text holds one")}]}


def test_a_nul_in_a_body_is_never_a_500_and_answers_alike(any_store_client: TestClient) -> None:
    """The curation reason and an upload's form fields are kept as one line of text on both stores; a filter value
    in a JSON body is refused as one in a query is (the schema says: no NUL)."""
    client = any_store_client
    curated = client.put("/documents/unicef-law/curation", headers=CURATOR,
                         json={"status": "noted", "reason": "read\u0000it", "by": "sec\u0000retariat"})
    assert curated.status_code == 200, curated.text
    assert curated.json()["history"][-1] | {"at": ""} == {"document_id": "unicef-law", "status": "noted",
                                                           "reason": "read it", "by": "sec retariat", "at": ""}
    text = b"# Fiji\n\nFiji runs a helpline where children report cyberbullying by text message.\n"
    up = client.post("/documents", headers=AUTH, data={"title": "Fiji\x00helpline", "source": "\x00Fiji"},
                     files=[("files", ("fiji.md", text, "text/markdown"))])
    assert up.status_code == 201, up.text
    fiji = client.get("/documents/fiji").json()
    assert (fiji["title"], fiji["source"]) == ("Fiji helpline", "Fiji")
    synthesis = client.post("/synthesize", json={"topic": "helpline", "filters": {"country": ["Malawi\u0000"]}})
    assert synthesis.status_code == 422 and synthesis.json()["detail"][0]["loc"][-2:] == ["country", 0]


def test_filters_over_http_fold_and_take_names_alike(any_store_client: TestClient) -> None:
    client = any_store_client

    def listed(params: dict[str, Any]) -> list[str]:
        answer = client.get("/documents", params=params)
        assert answer.status_code == 200, answer.text
        return sorted(d["document_id"] for d in answer.json()["documents"])

    assert listed({"doc_type": "information document"}) == ["malawi-teachers"]
    assert listed({"doc_type": ["Report", "CONTRIBUTION"]}) == ["philippines-helpline", "unicef-law"]
    assert listed({"country": "PHILIPPINES", "actor_type": "Member state"}) == ["philippines-helpline"]
    assert listed({"curation": "None"}) == listed({}) and listed({"curation": "Best practice"}) == []
    assert client.get("/documents", params={"curation": "excellent"}).status_code == 422
    tiny = client.get("/search", params={"q": "helpline", "min_quality": "1e-50"})
    assert tiny.status_code == 200 and tiny.json()["hits"], tiny.text


class _Server:
    """A PostgreSQL server (pgserver) that a test may stop and start again at the same address."""

    def __init__(self, root: Path) -> None:
        import pgserver

        self.handle = pgserver.get_server(root, cleanup_mode=None)  # stopped by `stop`, not at exit
        self.uri = self.handle.get_uri()
        self.socket_dir = self.handle.get_postmaster_info().socket_dir

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(["-w", *args], pgdata=self.handle.pgdata, user=self.handle.system_user, timeout=60)

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")

    def start(self) -> None:
        self._pg_ctl("-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.handle.log), "start")


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Server]:
    os.environ.setdefault("XDG_RUNTIME_DIR", str(tmp_path_factory.mktemp("run")))  # pgserver asks, CI has none
    try:
        server = _Server(tmp_path_factory.mktemp("pg-faults"))
    except ImportError:
        pytest.skip("pgserver is not installed (`make test` installs it from requirements.txt)")
    except Exception as exc:  # noqa: BLE001 - any failure to start is a reason to skip, said in full
        pytest.skip(f"PostgreSQL (pgserver) could not start on this machine: {exc}")
    yield server
    try:
        server.stop()
    except subprocess.CalledProcessError:
        pass  # stopped already


def _upload(client: TestClient, name: str) -> Any:
    text = f"# {name}\n\n{name} trains parents to set up parental controls on phones.\n".encode()
    return client.post("/documents", headers=AUTH, files=[("files", (f"{name}.md", text, "text/markdown"))])


def test_an_outage_is_a_503_and_the_requests_after_it_succeed(own_server: _Server, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CWG_CACHE", str(tmp_path / "cache"))
    folder = IndexFolder.open(new_database(own_server.uri), create=True,
                              embedders={"minilm": FakeEmbedder("minilm")})
    try:
        seed(folder, tmp_path / "seed")
        settings = Settings(index=folder.location, api_keys=(API_KEY,))
        with TestClient(create_app(settings, folder), raise_server_exceptions=False) as client:
            assert [client.get(url).status_code for url in READS] == [200] * len(READS)
            _fill_pool(folder.store)
            own_server.stop()
            try:
                for answer in [client.get(url) for url in READS] + [_upload(client, "during")]:
                    assert answer.status_code == 503, (answer.request.url, answer.text)
                    assert answer.headers["retry-after"] == "5"
                    assert answer.json()["detail"].startswith("the index database is not reachable: ")
            finally:
                own_server.start()
            assert [client.get(url).status_code for url in READS] == [200] * len(READS)
            assert _upload(client, "after").status_code == 201
            # a restart that no request saw: every pooled connection (and the writer's) is dead
            _fill_pool(folder.store)
            own_server.stop()
            own_server.start()
            assert [client.get(url).status_code for url in READS * 2] == [200] * len(READS) * 2
            assert _upload(client, "later").status_code == 201
            assert {"after", "later"} <= {d["document_id"] for d in client.get("/documents").json()["documents"]}
    finally:
        folder.close()


def test_the_cli_says_in_one_line_that_the_database_is_away(own_server: _Server, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """The connection dies inside `cwg ingest`'s write (as when the server stops), then the server is down:
    each time one line on stderr and exit status 1; once it is back, the same command succeeds."""
    from api.cli import main

    monkeypatch.setenv("CWG_CACHE", str(tmp_path / "cache"))
    uri = new_database(own_server.uri)
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    first.write_text("# First\n\nA helpline for children who meet abuse online.\n", encoding="utf-8")
    second.write_text("# Second\n\nTeachers learn to recognise grooming.\n", encoding="utf-8")
    assert main(["ingest", str(first), "--index", uri, "--model", "english"]) == 0
    capsys.readouterr()
    with psycopg.connect(uri, autocommit=True) as admin:  # the first write to come dies with its connection
        admin.execute("CREATE SEQUENCE test_write_attempts")
        admin.execute("CREATE FUNCTION test_drop_first_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                      "IF nextval('test_write_attempts') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); "
                      "END IF; RETURN NEW; END $$")
        admin.execute("CREATE TRIGGER test_drop_first_write BEFORE INSERT ON documents FOR EACH ROW "
                      "EXECUTE FUNCTION test_drop_first_write()")
    assert main(["ingest", str(second), "--index", uri]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cwg ingest: the index database is not reachable: "), err
    own_server.stop()
    try:
        for command in (["ingest", str(second)], ["search", "helpline"], ["documents"]):
            assert main([*command, "--index", uri]) == 1
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "the index database is not reachable" in err, err
    finally:
        own_server.start()
    assert main(["ingest", str(second), "--index", uri]) == 0
    with psycopg.connect(uri) as conn:
        assert [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id")] == ["first", "second"]
