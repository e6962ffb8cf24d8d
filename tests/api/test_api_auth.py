"""API keys: writes need one, reads only when the setting says so; no key configured means no writes."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import bearer_key, key_matches
from api.settings import Settings
from tests.api.conftest import API_KEY, AUTH, documents

FILE = [("files", ("note.md", b"# Note\n\nA helpline for children in Kenya.", "text/markdown"))]


def test_key_matching() -> None:
    keys = ("alpha-key", "béta-kéy")
    assert key_matches("alpha-key", keys) and key_matches("béta-kéy", keys)
    assert not key_matches("alpha-ke", keys) and not key_matches("alpha-key ", keys)
    assert not key_matches("", keys) and not key_matches("anything", ())
    assert bearer_key("Bearer abc") == "abc" and bearer_key("bearer  abc ") == "abc"
    assert bearer_key("Basic abc") is None and bearer_key("Bearer ") is None and bearer_key(None) is None


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {API_KEY}"},
                                     {"Authorization": API_KEY}])
def test_writes_without_a_valid_key_get_401(client: TestClient, headers: dict[str, str]) -> None:
    before = documents(client)
    r = client.post("/documents", headers=headers, files=FILE)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in r.json()["detail"]
    r = client.delete("/documents/malawi-teachers", headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert documents(client) == before


def test_unauthenticated_upload_is_refused_before_its_body_is_read(client: TestClient) -> None:
    huge = [("files", ("huge.txt", b"x" * (3 * 1024 * 1024), "text/plain"))]  # over the 2 MB limit too
    r = client.post("/documents", files=huge)
    assert r.status_code == 401  # not 413: the key is checked first


def test_writes_with_the_key_succeed(client: TestClient) -> None:
    r = client.post("/documents", headers=AUTH, files=FILE)
    assert r.status_code == 201
    doc_id = r.json()["results"][0]["document_id"]
    assert client.delete(f"/documents/{doc_id}", headers=AUTH).status_code == 200


def test_no_keys_configured_means_writes_are_disabled(settings: Settings, seeded_index) -> None:
    app = create_app(dataclasses.replace(settings, api_keys=()), seeded_index)
    with TestClient(app) as c:
        for r in (c.post("/documents", headers=AUTH, files=FILE), c.delete("/documents/malawi-teachers", headers=AUTH)):
            assert r.status_code == 403
            assert "set CWG_API_KEYS" in r.json()["detail"]
        assert c.get("/search", params={"q": "teachers"}).status_code == 200  # reads stay open


def test_reads_can_require_a_key(settings: Settings, seeded_index) -> None:
    app = create_app(dataclasses.replace(settings, read_requires_key=True), seeded_index)
    with TestClient(app) as c:
        for path in ("/search?q=teachers", "/documents", "/documents/malawi-teachers", "/facets",
                     "/similar?document_id=malawi-teachers", "/documents/malawi-teachers/file"):
            r = c.get(path)
            assert r.status_code == 401, path
            assert c.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401, path
            assert c.get(path, headers=AUTH).status_code == 200, path
        assert c.get("/health").status_code == 200  # liveness stays open
        assert c.get("/").status_code == 200  # the page itself asks for the key when the API answers 401


def test_read_only_keys_and_curators_may_read_but_only_uploaders_write(settings: Settings, seeded_index) -> None:
    """Regression (issue 20): with CWG_READ_REQUIRES_KEY=1 only upload keys could read, so a curator got 401
    on every read and every reader had to hold a key that may upload, replace and delete."""
    reader, curator = {"Authorization": "Bearer reader-key-42"}, {"Authorization": "Bearer curator-key-42"}
    app = create_app(dataclasses.replace(settings, read_requires_key=True, read_keys=("reader-key-42",),
                                         curator_keys=("curator-key-42",)), seeded_index)
    with TestClient(app) as c:
        for headers in (reader, curator, AUTH):
            for path in ("/search?q=teachers", "/documents", "/documents/malawi-teachers/card", "/select",
                         "/feeds/documents.atom"):
                assert c.get(path, headers=headers).status_code == 200, (path, headers)
        assert c.get("/documents").status_code == 401
        for headers in (reader, curator):  # neither may upload nor delete
            assert c.post("/documents", headers=headers, files=FILE).status_code == 401
            assert c.delete("/documents/malawi-teachers", headers=headers).status_code == 401
        body = {"status": "noted", "reason": "Reports reach"}
        assert c.put("/documents/malawi-teachers/curation", headers=reader, json=body).status_code == 401
        assert c.put("/documents/malawi-teachers/curation", headers=curator, json=body).status_code == 200
    closed = create_app(dataclasses.replace(settings, read_requires_key=True, api_keys=()), seeded_index)
    with TestClient(closed) as c:
        r = c.get("/documents", headers=AUTH)
        assert r.status_code == 403 and "CWG_READ_KEYS" in r.json()["detail"]


def test_settings_from_env_reads_keys_and_limits() -> None:
    s = Settings.from_env({"CWG_API_KEYS": " k1, k2 ,,", "CWG_READ_REQUIRES_KEY": "1", "CWG_MAX_UPLOAD_MB": "3",
                           "CWG_READ_KEYS": "r1 ,r2"})
    assert s.api_keys == ("k1", "k2") and s.read_requires_key and s.max_upload_bytes == 3 * 1024 * 1024
    assert s.read_keys == ("r1", "r2")
