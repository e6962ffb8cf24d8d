"""Uploads: size limit while streaming, format decided by content, safe names, bad files change nothing."""

from __future__ import annotations

import io
import zipfile

import pytest
from fastapi.testclient import TestClient

from api.uploads import MAX_FILES_PER_UPLOAD, safe_file_name
from tests.api.conftest import AUTH, documents

GOOD = b"# Safer schools\n\nA programme that trains teachers in Kenya to keep children safe online."


def generation(client: TestClient) -> int:
    return int(client.get("/health").json()["generation"])


@pytest.mark.parametrize("given, expected", [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\windows\\system32\\evil.txt", "evil.txt"),
    ("/abs/path/to/file.md", "file.md"),
    ("...hidden.md", "hidden.md"),
    ("..", "upload"),
    ("", "upload"),
    (None, "upload"),
    ("na\x00me\x1b[31m.txt", "name[31m.txt"),
    ("a<b>c:d|e?f*g\".md", "a_b_c_d_e_f_g_.md"),
    ("trailing dots. . .", "trailing dots"),
    ("Contribution – Côte d’Ivoire.docx", "Contribution – Côte d’Ivoire.docx"),
])
def test_safe_file_name(given: str | None, expected: str) -> None:
    assert safe_file_name(given) == expected


def test_safe_file_name_caps_length_and_keeps_the_extension() -> None:
    name = safe_file_name("x" * 500 + ".pdf")
    assert len(name) <= 120 and name.endswith(".pdf") and "/" not in name


def test_upload_indexes_a_file_with_its_metadata(client: TestClient) -> None:
    r = client.post("/documents", headers=AUTH, files=[("files", ("kenya.md", GOOD, "text/markdown"))],
                    data={"country": "Kenya", "doc_type": "contribution", "meeting": "CWG-COP-21", "date": "2025-02"})
    assert r.status_code == 201, r.text
    [result] = r.json()["results"]
    assert result["status"] == "added" and result["file_name"] == "kenya.md"
    doc = client.get(f"/documents/{result['document_id']}").json()
    assert (doc["country"], doc["region"], doc["meeting"], doc["date"]) == ("Kenya", "Africa", "CWG-COP-21", "2025-02")
    hits = client.get("/search", params={"q": "teachers Kenya", "meeting": "CWG-COP-21"}).json()["hits"]
    assert [h["document_id"] for h in hits] == [result["document_id"]]
    # the same bytes again: nothing new
    again = client.post("/documents", headers=AUTH, files=[("files", ("kenya.md", GOOD, "text/markdown"))],
                        data={"country": "Kenya", "doc_type": "contribution", "meeting": "CWG-COP-21",
                              "date": "2025-02"})
    assert again.json()["results"][0]["status"] == "unchanged"


def test_traversal_names_never_reach_the_file_system(client: TestClient, seeded_index, tmp_path) -> None:
    r = client.post("/documents", headers=AUTH, files=[("files", ("../../../../tmp/evil.md", GOOD, "text/plain"))])
    assert r.status_code == 201, r.text
    [result] = r.json()["results"]
    assert result["file_name"] == "evil.md"
    doc = client.get(f"/documents/{result['document_id']}").json()
    assert doc["file_name"] == "evil.md"
    stored = list(seeded_index.files_dir.iterdir())
    assert all(p.parent == seeded_index.files_dir for p in stored)
    assert not list(tmp_path.rglob("evil.md"))  # stored copies are named by document id and hash
    file = client.get(f"/documents/{result['document_id']}/file")
    assert file.content == GOOD
    assert 'filename="evil.md"' in file.headers["content-disposition"]


def test_type_is_decided_by_content_not_by_name(client: TestClient) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    html_as_pdf = b"<!doctype html><html><body><p>Not a PDF at all.</p></body></html>"
    before, gen = documents(client), generation(client)
    r = client.post("/documents", headers=AUTH, files=[("files", ("picture.md", png, "text/markdown")),
                                                       ("files", ("page.pdf", html_as_pdf, "application/pdf"))])
    assert r.status_code == 400
    body = r.json()
    reasons = {x["file_name"]: x["detail"] for x in body["results"]}
    assert "unsupported binary content" in reasons["picture.md"]
    assert "content is HTML, not PDF" in reasons["page.pdf"]
    assert "no file could be indexed" in body["detail"]
    assert documents(client) == before and generation(client) == gen  # nothing changed


def test_one_bad_file_is_reported_and_the_others_are_indexed(client: TestClient, seeded_index) -> None:
    before = documents(client)
    files_before = sorted(p.name for p in seeded_index.files_dir.iterdir())
    not_docx = io.BytesIO()
    with zipfile.ZipFile(not_docx, "w") as zf:
        zf.writestr("hello.txt", "a zip file, not a Word document")
    r = client.post("/documents", headers=AUTH, files=[
        ("files", ("good.md", GOOD, "text/markdown")),
        ("files", ("empty.txt", b"", "text/plain")),
        ("files", ("archive.docx", not_docx.getvalue(), "application/octet-stream")),
    ])
    assert r.status_code == 207, r.text
    results = {x["file_name"]: x for x in r.json()["results"]}
    assert results["good.md"]["status"] == "added"
    assert results["empty.txt"]["status"] == "failed" and "empty file" in results["empty.txt"]["detail"]
    assert results["archive.docx"]["status"] == "failed" and results["archive.docx"]["detail"]
    assert documents(client) == sorted([*before, results["good.md"]["document_id"]])
    files_after = sorted(p.name for p in seeded_index.files_dir.iterdir())
    assert len(files_after) == len(files_before) + 1  # only the good file was stored


def test_declared_oversize_body_is_refused_before_reading(client: TestClient) -> None:
    big = b"a" * (2 * 1024 * 1024 + 10)
    before = documents(client)
    r = client.post("/documents", headers=AUTH, files=[("files", ("big.txt", big, "text/plain"))])
    assert r.status_code == 413
    assert "CWG_MAX_UPLOAD_MB" in r.json()["detail"]
    assert documents(client) == before


def test_streamed_oversize_body_without_length_is_cut_at_the_limit(client: TestClient) -> None:
    boundary = "cwgboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode()
    sent = []

    def body():  # a chunked body: no Content-Length to trust
        yield head
        for _ in range(40):
            block = b"word " * 20_000  # 100 kB
            sent.append(len(block))
            yield block
        yield f"\r\n--{boundary}--\r\n".encode()

    before = documents(client)
    r = client.post("/documents", headers={**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"},
                    content=body())
    assert r.status_code == 413, r.text
    assert documents(client) == before


def test_too_many_files_and_no_files(client: TestClient) -> None:
    many = [("files", (f"f{i}.md", GOOD + str(i).encode(), "text/markdown")) for i in range(MAX_FILES_PER_UPLOAD + 1)]
    r = client.post("/documents", headers=AUTH, files=many)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "too_long"
    r = client.post("/documents", headers=AUTH, data={"country": "Kenya"})
    assert r.status_code == 422


def test_invalid_metadata_is_refused(client: TestClient) -> None:
    r = client.post("/documents", headers=AUTH, files=[("files", ("a.md", GOOD, "text/markdown"))],
                    data={"date": "22 January 2024"})
    assert r.status_code == 422
    r = client.post("/documents", headers=AUTH, files=[("files", ("a.md", GOOD, "text/markdown"))],
                    data={"doc_type": "novel"})
    assert r.status_code == 422


def test_remove_deletes_everywhere(client: TestClient, seeded_index) -> None:
    doc_id = "malawi-teachers"
    stored = client.get(f"/documents/{doc_id}").json()
    assert stored["has_file"]
    r = client.delete(f"/documents/{doc_id}", headers=AUTH)
    assert r.status_code == 200 and r.json()["removed"] == doc_id
    assert client.get(f"/documents/{doc_id}").status_code == 404
    assert client.get(f"/documents/{doc_id}/file").status_code == 404
    hits = client.get("/search", params={"q": "Malawi trains teachers", "k": 10}).json()["hits"]
    assert doc_id not in {h["document_id"] for h in hits}
    assert not [p for p in seeded_index.files_dir.iterdir() if p.name.startswith(doc_id)]
    assert client.delete(f"/documents/{doc_id}", headers=AUTH).status_code == 404


def test_an_upload_with_a_symbol_is_a_version_of_the_contribution_that_has_it(client: TestClient) -> None:
    for name, language, text in (("guide-en.md", "en", "A national helpline for children, open day and night."),
                                 ("guide-fr.md", "fr", "Une ligne d'assistance nationale pour les enfants.")):
        r = client.post("/documents", headers=AUTH, files={"files": (name, text.encode(), "text/markdown")},
                        data={"symbol": f"CWG-COP/21/C/05-{language[0].upper()}", "language": language,
                              "meeting": "CWG-COP-21"})
        assert r.status_code == 201, r.text
    doc = client.get("/documents/guide-fr").json()
    assert doc["versions"] == [{"document_id": "guide-en", "language": "en"}]
    assert doc["extra"]["symbol"] == "CWG-COP/21/C/05-F"


def test_a_curator_links_versions_and_anyone_reads_them(settings, seeded_index) -> None:
    from dataclasses import replace

    from api.app import create_app

    curator = {"Authorization": "Bearer curator-key-0123456789"}
    with TestClient(create_app(replace(settings, curator_keys=("curator-key-0123456789",)), seeded_index)) as client:
        ids = documents(client)[:2]
        assert client.get("/versions").json() == {"versions": []}
        assert client.put("/versions", json={"document_ids": ids}, headers=AUTH).status_code == 403  # upload key
        assert client.put("/versions", json={"document_ids": ids}).status_code == 401
        assert client.put("/versions", json={"document_ids": ids[:1]}, headers=curator).status_code == 422
        assert client.put("/versions", json={"document_ids": [ids[0], "nowhere"]}, headers=curator).status_code == 404
        linked = client.put("/versions", json={"document_ids": ids}, headers=curator)
        assert linked.status_code == 200 and linked.json() == {"linked": sorted(ids)}
        groups = client.get("/versions").json()["versions"]
        assert [[v["document_id"] for v in g] for g in groups] == [sorted(ids)]
        assert client.get(f"/documents/{ids[0]}").json()["versions"][0]["document_id"] == ids[1]
        assert client.get("/versions/proposals").status_code == 200
