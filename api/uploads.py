"""Uploads: safe file names, a body-size limit enforced while the body streams in, and the ingest step."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fastapi import HTTPException, status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import WRITES, bearer_key, check_key
from index.folder import IndexFolder
from index.writer import IndexWriter
from ingest.errors import CwgError

log = logging.getLogger("cwg.api")

MAX_NAME_CHARS = 120
MAX_FILES_PER_UPLOAD = 20
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
    """ASGI middleware in front of uploads (POST `path`): the key, then the size, before any parsing.

    A request without a valid key is answered 401/403 without reading its body. A declared
    Content-Length over `max_bytes` is refused with 413 before reading; otherwise the bytes are
    counted as they arrive and reading stops at the limit (nothing past it is parsed or stored).
    """

    def __init__(self, app: ASGIApp, path: str, max_bytes: int, keys: tuple[str, ...]) -> None:
        self.app = app
        self.path = path
        self.max_bytes = max_bytes
        self.keys = keys

    def _too_large(self) -> HTTPException:
        mb = self.max_bytes / (1024 * 1024)
        return HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                             f"upload larger than the limit of {mb:g} MB (setting CWG_MAX_UPLOAD_MB)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        try:
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


def ingest_uploads(folder: IndexFolder, files: list[UploadedFile], entry: dict[str, str]) -> list[dict[str, str | None]]:
    """Index each file in its own transaction; a bad one is reported and leaves the index as it was.

    The caller holds the write lock and runs this in a worker thread (encoding blocks).
    """
    writer = IndexWriter(folder)
    results: list[dict[str, str | None]] = []
    changed = False
    for upload in files:
        try:
            state, doc_id = writer.ingest_file(Path(upload.name), data=upload.data, entry=entry,
                                               file_name=upload.name, stored_path="upload:" + upload.name)
            changed |= state != "unchanged"
            results.append({"file_name": upload.name, "status": state, "document_id": doc_id, "detail": ""})
        except CwgError as exc:
            results.append({"file_name": upload.name, "status": "failed", "document_id": None, "detail": str(exc)})
        except MemoryError:
            results.append({"file_name": upload.name, "status": "failed", "document_id": None,
                            "detail": "out of memory while reading the file"})
        except Exception:  # a loader library choking on hostile bytes: that file failed, not the server
            log.exception("upload %s could not be read", upload.name)
            results.append({"file_name": upload.name, "status": "failed", "document_id": None,
                            "detail": "the file could not be read (malformed content)"})
    if changed:
        folder.refresh_vectors()
        from search.tagging import retag_if_tagged

        retag_if_tagged(folder)  # a tagged index keeps labels (filters, facets) on every document
    return results
