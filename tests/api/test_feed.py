"""The Atom feed of new documents: valid Atom, the same filters and `q` as /search, newest first, entries
linking to the document on the page with their characterization, and the read rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import API_KEY, AUTH

A = "{http://www.w3.org/2005/Atom}"


def _entries(xml: bytes) -> list[etree._Element]:
    root = etree.fromstring(xml)
    assert root.tag == f"{A}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{A}{required}") is not None, required
    entries = root.findall(f"{A}entry")
    for e in entries:
        assert all(e.find(f"{A}{x}") is not None for x in ("id", "title", "updated", "link", "summary"))
    return entries


def test_the_feed_follows_filters_and_queries(seeded_index, tmp_path: Path):
    store = seeded_index.store
    newest = sorted(store.documents(), key=lambda d: (d.added_at, d.id), reverse=True)
    with TestClient(create_app(Settings(index=tmp_path / "ix", api_keys=(API_KEY,)), seeded_index)) as client:
        every = client.get("/feeds/documents.atom")
        assert every.status_code == 200 and every.headers["content-type"].startswith("application/atom+xml")
        entries = _entries(every.content)
        assert [e.find(f"{A}title").text for e in entries] == [d.title for d in newest]
        malawi = _entries(client.get("/feeds/documents.atom", params={"country": "Malawi"}).content)
        assert len(malawi) == 1
        assert malawi[0].find(f"{A}link").get("href").endswith("/?document=malawi-teachers")
        assert "Source: Malawi" in malawi[0].find(f"{A}summary").text
        searched = _entries(client.get("/feeds/documents.atom", params={"q": "helpline", "limit": 2}).content)
        assert 1 <= len(searched) <= 2
        assert client.get("/feeds/documents.atom", params={"limit": 0}).status_code == 422
        assert client.get("/feeds/documents.atom", params={"colour": "red"}).status_code == 422  # like /search
    closed = Settings(index=tmp_path / "ix", api_keys=(API_KEY,), read_requires_key=True)
    with TestClient(create_app(closed, seeded_index)) as client:
        assert client.get("/feeds/documents.atom").status_code == 401
        assert client.get("/feeds/documents.atom", headers=AUTH).status_code == 200


def test_trends_over_http(seeded_index, tmp_path: Path):
    with TestClient(create_app(Settings(index=tmp_path / "ix", api_keys=(API_KEY,)), seeded_index)) as client:
        data = client.get("/trends", params={"facet": "actor_type", "by": "meeting"}).json()
        assert [(p["period"], p["documents"]) for p in data["periods"]] == [("CWG-COP-19", 1), ("CWG-COP-20", 2)]
        only = client.get("/trends", params={"facet": "actor_type", "country": "Malawi"}).json()
        assert [(p["period"], p["counts"]) for p in only["periods"]] == [("CWG-COP-20", {"member_state": 1})]
        svg = client.get("/trends", params={"format": "svg"})
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
        png = client.get("/trends", params={"format": "png"})
        assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
        assert client.get("/trends", params={"facet": "colour"}).status_code == 422


@pytest.mark.slow
def test_a_feed_of_a_search_follows_only_what_answers_it(mixed_index, tmp_path: Path):
    """Regression (issue 21): `?q=helpline` and `?q=xqzvw blorf` returned the same 20 entries (every document has
    some passage among the first 200 of any search). Now an entry is a contribution with a passage that answers."""
    def ids(**params: str) -> list[str]:
        xml = client.get("/feeds/documents.atom", params={**params, "limit": 50}).content
        return [e.find(f"{A}id").text.rsplit("document=", 1)[-1] for e in _entries(xml)]

    with TestClient(create_app(Settings(index=mixed_index.path), mixed_index)) as client:
        everything = ids()
        junk = ids(q="xqzvw blorf")
        helpline = ids(q="a helpline or tipline where children and the public report online sexual exploitation")
        strategy = ids(q="national artificial intelligence action plan investment", collection="all")
    collections = {d.id: d.collection for d in mixed_index.store.documents()}
    assert junk == []
    assert "canada-combating-child-sexual-exploitation" in helpline and len(helpline) < len(everything)
    assert all(collections[d] == "contributions" for d in everything + helpline)  # contributions unless asked
    assert "australia-ai-action-plan-2021" in strategy and "australia-ai-action-plan-2021" not in everything
