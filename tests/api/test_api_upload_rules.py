"""What an upload may change: never another document. Replacing a file is explicit (`PUT .../file`).

Regressions (each failed before the fix): a second `contribution.txt` with other bytes answered `updated`
and the first document was gone; `filename=../../x.txt` replaced an existing `x.txt`; a DOCX bomb held the
write queue; a Latin-1 text was stored garbled without a word; `OPTIONS /documents` answered 405 with
`Allow: GET`; a 422 echoed the whole input; a write killed after copying its file left an orphan copy.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient

from index.folder import IndexFolder
from tests.api.conftest import AUTH, documents

FIRST = b"# Our contribution\n\nKenya trains teachers to keep children safe online, with a national helpline."
SECOND = b"# Our contribution\n\nGhana runs an age assurance pilot with platforms and the regulator."


def upload(client: TestClient, name: str, data: bytes, **fields: str) -> dict:
    r = client.post("/documents", headers=AUTH, files=[("files", (name, data, "text/plain"))], data=fields)
    assert r.status_code in (201, 207, 400), r.text
    return r.json()["results"][0]


def test_an_upload_never_replaces_a_different_document_of_the_same_name(client: TestClient) -> None:
    first = upload(client, "contribution.txt", FIRST, country="Kenya", meeting="CWG-COP-21")
    assert (first["status"], first["document_id"]) == ("added", "contribution")
    second = upload(client, "contribution.txt", SECOND, country="Ghana")
    assert second["status"] == "added" and second["document_id"] == "contribution-2"
    assert "new document 'contribution-2'" in second["detail"] and "PUT /documents/contribution/file" in second["detail"]
    same = upload(client, "contribution.txt", FIRST)
    assert (same["status"], same["document_id"]) == ("unchanged", "contribution")
    assert "indexed already" in same["detail"]
    assert client.get("/documents/contribution").json()["country"] == "Kenya"
    assert client.get("/documents/contribution-2").json()["country"] == "Ghana"
    hits = client.get("/search", params={"q": "Kenya trains teachers helpline"}).json()["hits"]
    assert hits[0]["document_id"] == "contribution"


def test_a_traversal_name_does_not_replace_a_document_of_that_name(client: TestClient) -> None:
    upload(client, "x.txt", FIRST)
    other = upload(client, "../../x.txt", SECOND)
    assert other["file_name"] == "x.txt" and other["document_id"] == "x-2"
    assert "Kenya" in client.get("/documents/x").json()["passages"][0]["text"]


def test_put_file_replaces_a_documents_file_keeping_its_id_and_metadata(client: TestClient,
                                                                         seeded_index: IndexFolder) -> None:
    first = upload(client, "contribution.txt", FIRST, country="Kenya", meeting="CWG-COP-21")
    doc_id = first["document_id"]
    before = documents(client)
    r = client.put(f"/documents/{doc_id}/file", headers=AUTH,
                   files={"file": ("contribution-v2.txt", SECOND, "text/plain")})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["document_id"]) == ("updated", doc_id)
    doc = client.get(f"/documents/{doc_id}").json()
    assert (doc["country"], doc["meeting"]) == ("Kenya", "CWG-COP-21")  # the metadata given at upload stays
    assert "Ghana" in doc["passages"][0]["text"]
    assert client.get(f"/documents/{doc_id}/file").content == SECOND
    assert documents(client) == before  # replaced, not added
    assert len([p for p in seeded_index.files_dir.iterdir() if p.name.startswith(doc_id)]) == 1
    again = client.put(f"/documents/{doc_id}/file", headers=AUTH, files={"file": ("c.txt", SECOND, "text/plain")})
    assert again.json()["status"] == "unchanged"


def test_put_file_needs_a_key_an_existing_document_and_a_readable_file(client: TestClient) -> None:
    doc_id = upload(client, "contribution.txt", FIRST)["document_id"]
    r = client.put(f"/documents/{doc_id}/file", files={"file": ("c.txt", SECOND, "text/plain")})
    assert r.status_code == 401
    r = client.put("/documents/nothing-here/file", headers=AUTH, files={"file": ("c.txt", SECOND, "text/plain")})
    assert r.status_code == 404 and "nothing-here" in r.json()["detail"]
    r = client.put(f"/documents/{doc_id}/file", headers=AUTH, files={"file": ("c.txt", b"", "text/plain")})
    assert r.status_code == 400 and r.json()["status"] == "failed" and "empty" in r.json()["detail"]
    assert "Kenya" in client.get(f"/documents/{doc_id}").json()["passages"][0]["text"]  # unchanged


def docx_bomb(unpacked_mb: int) -> bytes:
    """A valid DOCX package whose document.xml inflates to `unpacked_mb` MB (it compresses ~1000:1)."""
    paragraph = b"<w:p><w:r><w:t>a</w:t></w:r></w:p>"
    body = paragraph * (unpacked_mb * 1024 * 1024 // len(paragraph))
    xml = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.'
           b'openxmlformats.org/wordprocessingml/2006/main"><w:body>' + body + b"</w:body></w:document>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                   '2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                   'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", xml)
    return out.getvalue()


def test_a_docx_bomb_upload_fails_at_once_with_its_reason(client: TestClient) -> None:
    bomb = docx_bomb(150)
    assert len(bomb) < 1024 * 1024  # small on the wire, under the 2 MB upload limit of the fixture
    before = documents(client)
    start = time.monotonic()
    r = client.post("/documents", headers=AUTH, files=[("files", ("bomb.docx", bomb, "application/octet-stream"))])
    elapsed = time.monotonic() - start
    assert r.status_code == 400, r.text
    assert "unpacks to 150 MB" in r.json()["results"][0]["detail"] and "CWG_MAX_UNPACKED_MB" in r.json()["detail"]
    assert elapsed < 30  # before the fix this ran for minutes (it is a ceiling, not a benchmark)
    assert documents(client) == before


def test_a_guessed_encoding_is_reported_in_the_answer(client: TestClient) -> None:
    text = "Protection des enfants en ligne : l'école, les élèves et les parents reçoivent une formation."
    result = upload(client, "ecole.txt", text.encode("latin-1"), meeting="CWG-COP-21")
    assert result["status"] == "added"
    assert result["warnings"] == ["not UTF-8: read as latin-1 (guessed; the text reads as 'fr')"]
    hits = client.get("/search", params={"q": "élèves école", "mode": "lexical"}).json()["hits"]
    assert hits and "l'école, les élèves" in hits[0]["text"]


def test_options_and_405_name_every_method_of_a_path(client: TestClient) -> None:
    r = client.options("/documents")
    assert r.status_code == 204
    assert set(r.headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    r = client.patch("/documents", headers=AUTH)
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    r = client.options("/documents/some-id")
    assert set(r.headers["allow"].split(", ")) == {"DELETE", "GET", "HEAD", "OPTIONS"}
    assert client.options("/no/such/path").status_code == 404


def test_head_is_answered_wherever_get_is(client: TestClient) -> None:
    """Regression (issue 20): HEAD on a GET route answered 405 while `Allow` listed HEAD."""
    for path in ("/documents", "/search?q=teachers", "/documents/malawi-teachers", "/documents/malawi-teachers/file",
                 "/facets", "/feeds/documents.atom", "/", "/openapi.json"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"], path
        assert head.headers.get("content-length") == got.headers.get("content-length"), path
    assert client.head("/documents/nowhere").status_code == 404
    r = client.head("/synthesize")  # POST only
    assert r.status_code == 405 and "HEAD" not in r.headers["allow"].split(", ")


def test_validation_errors_quote_only_an_excerpt_of_the_input(client: TestClient) -> None:
    r = client.get("/search", params={"q": "x" * 30_000})
    assert r.status_code == 422
    assert len(r.text) < 1000, len(r.text)
    assert "(30000 characters)" in r.text
    r = client.post("/synthesize", json={"topic": "y" * 20_000, "format": "nope"})
    assert r.status_code == 422 and len(r.text) < 2000


def test_an_orphan_copy_is_removed_by_the_next_write(client: TestClient, seeded_index: IndexFolder) -> None:
    # what a write killed after copying its file (before its commit) leaves behind
    orphan = seeded_index.files_dir / "killed-0123456789ab.txt"
    orphan.write_bytes(b"never committed")
    (seeded_index.files_dir / "killed-0123456789ab.txt.tmp").write_bytes(b"half written")
    kept = {p.name for p in seeded_index.files_dir.iterdir()} - {orphan.name, orphan.name + ".tmp"}
    upload(client, "new.txt", FIRST)
    names = {p.name for p in seeded_index.files_dir.iterdir()}
    assert orphan.name not in names and orphan.name + ".tmp" not in names
    assert kept < names  # every committed document's copy is still there
    for doc_id in documents(client):
        assert client.get(f"/documents/{doc_id}/file").status_code == 200


def test_docx_bomb_helper_builds_a_package_python_docx_opens(tmp_path: Path) -> None:
    import docx

    document = docx.Document(io.BytesIO(docx_bomb(1)))
    assert len(document.paragraphs) > 1000  # the test above fails on the size, not on a broken package


def test_a_single_valued_parameter_given_twice_is_refused(client: TestClient) -> None:
    r = client.get("/similar", params=[("text", "a helpline"), ("text", "age checks")])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "text"]
    r = client.get("/search", params=[("q", "helpline"), ("country", "Malawi"), ("country", "Philippines")])
    assert r.status_code == 200  # filters repeat: alternatives
