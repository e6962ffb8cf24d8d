"""Uploads: safe file names, a body-size limit enforced while the body streams in, and the ingest step."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from fastapi import HTTPException, status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import WRITES, bearer_key, check_key
from index.folder import IndexFolder
from index.writer import IndexWriter, SourceFile, document_slug
from ingest.errors import CwgError, IndexUnavailable, NotFound
from ingest.limits import ReadLimits

log = logging.getLogger("cwg.api")

MAX_NAME_CHARS = 120
MAX_FILES_PER_UPLOAD = 20
UPLOAD_ROUTES = (("POST", r"/documents"), ("PUT", r"/documents/[^/]+/file"))  # what UploadGuard stands before
CHECK_ROUTES = (("POST", r"/check"),)  # the same size limit, no key
_UNSAFE = re.compile(r'[<>:"|?*\\/]')


def safe_file_name(name: str | None) -> str:
    """A plain base name: no folders (either slash), no control characters, no leading dots, capped.

    What a client calls its file never becomes a path on this server (stored copies are named by
    document id and hash); this name is only shown, cited and used for format hints.
    """
    raw = (name or "").replace("\\", "/")
    base = raw.rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE.sub("_", base).strip().lstrip(".").strip()
    base = base.rstrip(". ")
    if len(base) > MAX_NAME_CHARS:
        suffix = PurePosixPath(base).suffix
        suffix = suffix if 0 < len(suffix) <= 10 else ""
        base = base[:MAX_NAME_CHARS - len(suffix)].rstrip(". ") + suffix
    return base or "upload"


class UploadGuard:
    """ASGI middleware in front of uploads (the given method and path patterns): the key, then the size,
    before any parsing.

    A request without a valid key is answered 401/403 without reading its body. A declared
    Content-Length over `max_bytes` is refused with 413 before reading; otherwise the bytes are
    counted as they arrive and reading stops at the limit (nothing past it is parsed or stored).
    """

    def __init__(self, app: ASGIApp, routes: tuple[tuple[str, str], ...], max_bytes: int,
                 keys: tuple[str, ...] | None) -> None:  # None: no key needed (`POST /check`), the size limit holds
        self.app = app
        self.routes = tuple((method, re.compile(pattern)) for method, pattern in routes)  # (method, path regex)
        self.max_bytes = max_bytes
        self.keys = keys

    def _too_large(self) -> HTTPException:
        mb = self.max_bytes / (1024 * 1024)
        return HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                             f"upload larger than the limit of {mb:g} MB (setting CWG_MAX_UPLOAD_MB)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not any(scope["method"] == method and pattern.fullmatch(scope["path"])
                                              for method, pattern in self.routes):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        try:
            if self.keys is not None:
                check_key(bearer_key(headers.get(b"authorization", b"").decode("latin-1")), self.keys, WRITES)
            declared = headers.get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise self._too_large()
        except HTTPException as refused:
            await _send_json(send, refused.status_code, str(refused.detail), dict(refused.headers or {}))
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise self._too_large()  # FastAPI re-raises HTTPExceptions met while reading the body
            return message

        await self.app(scope, counted, send)


async def _send_json(send: Send, code: int, detail: str, extra_headers: dict[str, str]) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra_headers.items()]
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@dataclass
class UploadedFile:
    name: str  # sanitised
    data: bytes


def ingest_uploads(folder: IndexFolder, files: list[UploadedFile], entry: dict[str, str],
                   limits: ReadLimits) -> list[dict[str, Any]]:
    """Index each file in its own transaction; a bad one is reported and leaves the index as it was.

    An upload never replaces another document: identical bytes are `unchanged` (the existing id),
    anything else is a new document with an id of its own, even under a name used before. Runs in a
    worker thread (reading and encoding block); the ids are chosen inside each write transaction, so
    it needs no lock against other writers.
    """
    writer = IndexWriter(folder, limits=limits)
    results = [_upload_result(folder, writer, upload, entry) for upload in files]
    return results


def replace_uploaded_file(folder: IndexFolder, document_id: str, upload: UploadedFile,
                          limits: ReadLimits) -> dict[str, Any]:
    """`PUT /documents/{id}/file`: the document keeps its id and metadata, its text comes from `upload`."""
    writer = IndexWriter(folder, limits=limits)
    return _upload_result(folder, writer, upload, None, replace_id=document_id)


def _upload_result(folder: IndexFolder, writer: IndexWriter, upload: UploadedFile, entry: dict[str, str] | None,
                   replace_id: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"file_name": upload.name, "status": "failed", "document_id": None, "detail": "",
                              "warnings": []}
    try:
        if replace_id is not None:
            done = writer.replace_file(replace_id, upload.name, upload.data)
        else:
            done = writer.ingest_file(SourceFile(Path(upload.name), upload.data, dict(entry or {}), upload.name,
                                                 by_content=True))
    except (NotFound, IndexUnavailable):
        raise  # the request's fault or the database's, not the file's: 404 / 503
    except CwgError as exc:
        result["detail"] = str(exc)
        return result
    except MemoryError:
        result["detail"] = "out of memory while reading the file"
        return result
    except Exception:  # a loader library choking on hostile bytes: that file failed, not the server
        log.exception("upload %r could not be read", upload.name)
        result["detail"] = "the file could not be read (malformed content)"
        return result
    result.update(status=done.status, document_id=done.document_id, warnings=list(done.warnings),
                  detail=_explain(folder, upload.name, done.status, done.document_id, replace_id))
    return result


def _explain(folder: IndexFolder, name: str, status: str, document_id: str | None, replace_id: str | None) -> str:
    """Say what the answer means when it is not the obvious (a same-name file became a new document)."""
    if status == "unchanged":
        return f"the same content is indexed already as document {document_id!r}; nothing changed"
    if replace_id is not None or status != "added" or document_id is None:
        return ""
    slug = document_slug(name)
    if document_id == slug:
        return ""
    return (f"a document with the id {slug!r} exists already (a file of the same name); this file is a new "
            f"document {document_id!r}. To replace a document's file instead: PUT /documents/{slug}/file")


def after_upload(folder: IndexFolder) -> None:
    """Bring the derived state up to date after writes: the vector index, and labels of a tagged index."""
    folder.refresh_vectors()
    from search.characterization.tagging import retag_if_tagged

    retag_if_tagged(folder)  # a tagged index keeps labels (filters, facets) on every document
