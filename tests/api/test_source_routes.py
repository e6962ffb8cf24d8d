"""`GET /sources` and `POST /sources/apply` (api/source_routes.py): the same listing and write task as `cwg sources`
and `cwg sources --apply`; applying needs a curator key."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from index.folder import IndexFolder
from tests.api.conftest import API_KEY, AUTH

CURATOR_KEY = "curator-key-0123456789"
CURATOR = {"Authorization": f"Bearer {CURATOR_KEY}"}


def test_sources_are_listed_and_applied_with_a_curator_key(seeded_index: IndexFolder, tmp_path: Path) -> None:
    # what an index built before the alias table held: UNICEF's web site as a source
    seeded_index.store.set_sources({"unicef-law": ("https://www.unicef.org/", "other")})
    settings = Settings(index=tmp_path / "ix", api_keys=(API_KEY,), curator_keys=(CURATOR_KEY,))
    with TestClient(create_app(settings, seeded_index)) as client:
        listed = {s["source"]: s for s in client.get("/sources").json()["sources"]}
        assert listed["https://www.unicef.org/"]["becomes"] == "UNICEF"
        assert listed["Malawi"] == {"source": "Malawi", "documents": 1, "aliases": [], "becomes": ""}

        assert client.post("/sources/apply").status_code == 401
        assert client.post("/sources/apply", headers=AUTH).status_code == 403  # an upload key is not a curator's
        done = client.post("/sources/apply", headers=CURATOR)
        assert done.status_code == 200
        assert [(c["document_id"], c["after"], c["actor_type"]) for c in done.json()["changes"]] == [
            ("unicef-law", "UNICEF", "un_agency")]
        listed = {s["source"]: s for s in client.get("/sources").json()["sources"]}
        assert "https://www.unicef.org/" not in listed and "unicef.org" in listed["UNICEF"]["aliases"]
        docs = client.get("/documents", params={"source": "UNICEF"}).json()["documents"]
        assert [d["document_id"] for d in docs] == ["unicef-law"]  # the filter sees the new name at once
        assert client.post("/sources/apply", headers=CURATOR).json()["changes"] == []
