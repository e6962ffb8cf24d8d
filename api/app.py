"""The HTTP app: `create_app(settings)` wires the routers, the index (opened once, in the lifespan),
error mapping (JSON `{"detail": ...}`, never a traceback) and the web page with its local assets."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qsl

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import (
    feed_routes,
    initiative_routes,
    quality_routes,
    read_routes,
    repository_routes,
    source_routes,
    synthesis_routes,
    write_routes,
)
from api.heavy import RefuseWhenBusy
from api.service import Service, keep_out_of_collections, request_threads
from api.settings import Settings
from api.uploads import CHECK_ROUTES, UPLOAD_ROUTES, UploadGuard
from index.folder import IndexFolder
from ingest.errors import CwgError, IndexOpenError, IndexUnavailable, NotFound

log = logging.getLogger("cwg.api")
STATIC = Path(__file__).resolve().parent / "static"
# The page loads only its own files; nothing it shows can run script (defence in depth: it also
# builds every piece of document text as text nodes).
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
DESCRIPTION = """Semantic search over CWG-COP contributions: ranked passages with citations, facets,
similar initiatives in other countries, and the documents themselves.

Reads are open unless the server runs with `CWG_READ_REQUIRES_KEY=1`. Uploads and deletions need
`Authorization: Bearer <key>` with a key from the server's `CWG_API_KEYS`. Errors are JSON
`{"detail": ...}`."""
RETRY_AFTER_SECONDS = 5  # what a 503 for an unreachable index database tells clients to wait


def status_for(exc: CwgError) -> int:
    """The one place that maps the project's errors to HTTP status codes."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, (IndexOpenError, IndexUnavailable)):
        return 503
    return 400  # QueryError, ManifestError, LoadError: the request asked for something invalid


def create_app(settings: Settings, folder: IndexFolder | None = None, *, prepare: bool = False) -> FastAPI:
    """The app for `settings`. With `folder`, serve that opened index (the caller closes it);
    without, open `settings.index` when the app starts and close it when it stops. `prepare`: encode in
    the background what first requests would wait for (`Service.prepare_in_background`; `cwg serve`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = folder or IndexFolder.open(settings.index, dtype=settings.dtype, vector_search=settings.vector_search)
        to_thread.current_default_thread_limiter().total_tokens = request_threads(settings)
        try:
            app.state.service = await run_in_threadpool(Service.start, settings, opened)
            if prepare:
                keep_out_of_collections()
                app.state.service.prepare_in_background()
            yield
        finally:
            if folder is None:
                opened.close()

    app = FastAPI(title="CWG-COP contribution search", version="0.1.0", description=DESCRIPTION,
                  lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(read_routes.health_router)
    app.include_router(read_routes.router, **(read_routes.READS_NEED_KEY if settings.read_requires_key else {}))
    app.include_router(synthesis_routes.router, **(read_routes.READS_NEED_KEY if settings.read_requires_key else {}))
    app.include_router(feed_routes.router, **(read_routes.READS_NEED_KEY if settings.read_requires_key else {}))
    app.include_router(repository_routes.read_router,
                       **(read_routes.READS_NEED_KEY if settings.read_requires_key else {}))
    app.include_router(repository_routes.curator_router)
    app.include_router(source_routes.read_router, **(read_routes.READS_NEED_KEY if settings.read_requires_key else {}))
    app.include_router(source_routes.curator_router)
    app.include_router(quality_routes.read_router, **(read_routes.READS_NEED_KEY if settings.read_requires_key else {}))
    app.include_router(quality_routes.curator_router)
    app.include_router(initiative_routes.router, **(read_routes.READS_NEED_KEY if settings.read_requires_key else {}))
    app.include_router(initiative_routes.curator_router)
    app.include_router(write_routes.router)
    _add_error_handlers(app)
    _add_page(app)
    app.add_middleware(UploadGuard, routes=UPLOAD_ROUTES, max_bytes=settings.max_upload_bytes,  # type: ignore[arg-type]
                       keys=settings.api_keys)
    app.add_middleware(UploadGuard, routes=CHECK_ROUTES, max_bytes=settings.max_upload_bytes,  # type: ignore[arg-type]
                       keys=None)
    app.add_middleware(RefuseWhenBusy)  # type: ignore[arg-type]
    app.add_middleware(RefuseNul)  # type: ignore[arg-type]
    app.add_middleware(SecurityHeaders)  # type: ignore[arg-type]
    app.add_middleware(AnswerOptions, app_ref=app)  # type: ignore[arg-type]
    app.add_middleware(AnswerHead)  # type: ignore[arg-type]
    return app


def serving_app() -> FastAPI:
    """The app of one `cwg serve --workers N` process: the settings (index included) come from the
    environment `cmd_serve` prepared."""
    return create_app(Settings.from_env(), prepare=True)


MAX_ECHO_CHARS = 100  # how much of a rejected input an error body may quote


def _excerpt(value: object) -> object:
    """A short excerpt of an input that failed validation: error bodies never echo a whole request."""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value[:MAX_ECHO_CHARS * 4]).decode("utf-8", "replace")
    if isinstance(value, (dict, list, tuple)):
        value = json.dumps(jsonable_encoder(value), ensure_ascii=False)
    if isinstance(value, str) and len(value) > MAX_ECHO_CHARS:
        return value[:MAX_ECHO_CHARS] + f"… ({len(value)} characters)"
    return value


HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """Every method some route answers at this path (Starlette's own 405 names only the first route's)."""
    methods: set[str] = set()
    for method in HTTP_METHODS:
        for route in app.router.routes:
            if route.matches({**scope, "method": method})[0] == Match.FULL:
                methods.add(method if not isinstance(route, Mount) or method == "GET" else "GET")
                break
    if methods:
        methods |= {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())
    return sorted(methods)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: (_excerpt(v) if k == "input" else v) for k, v in e.items() if k != "ctx"} for e in exc.errors()]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(app, request.scope))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(CwgError)
    async def project_error(_request: Request, exc: CwgError) -> JSONResponse:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if isinstance(exc, IndexUnavailable) else None
        return JSONResponse({"detail": str(exc)}, status_code=status_for(exc), headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": "internal error: the server logged it"}, status_code=500)


def _add_page(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    try:
        assets = resources.files("fastapi_offline") / "static"
    except ModuleNotFoundError:
        return  # without the packaged Swagger UI assets there is no /docs page (the schema still is)
    app.mount("/docs-assets", StaticFiles(directory=str(assets)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="CWG-COP search API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon.png")


class AnswerOptions:
    """`OPTIONS` on any path the API serves: 204 with the `Allow` header naming every method there."""

    def __init__(self, app: ASGIApp, app_ref: FastAPI) -> None:
        self.app = app
        self.app_ref = app_ref

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            methods = allowed_methods(self.app_ref, scope)
            if methods:
                await send({"type": "http.response.start", "status": 204,
                            "headers": [(b"allow", ", ".join(methods).encode())]})
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)


class AnswerHead:
    """`HEAD` wherever `GET` is answered: the GET's status and headers, without its body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


NUL_REFUSED = "a NUL character (%00) is not allowed: no document id, filter value or query text holds one"


def nul_locations(scope: Scope) -> list[list[str]]:
    """Where a request's path or query holds a NUL character: ["path"], ["query", name] (none: [])."""
    found = [["path"]] if "\x00" in scope["path"] else []
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        names = {name for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
                 if "\x00" in name + value}
        found += [["query", name.replace("\x00", "%00")] for name in sorted(names)] or [["query"]]
    return found


class RefuseNul:
    """422 for a NUL character in a request's path or query, before any route reads it, as validation refuses
    any text the schema excludes (its query and path texts say: no NUL). PostgreSQL's text cannot hold one, so no
    stored id or value has one: both stores answer alike, and no NUL reaches a database. (Texts in a body are
    kept as one line, control characters removed: index/writer.py, `Store.curate`.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = nul_locations(scope) if scope["type"] == "http" else []
        if not found:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"detail": [{"type": "value_error", "loc": loc, "msg": NUL_REFUSED, "input": None}
                                      for loc in found]}).encode()
        await send({"type": "http.response.start", "status": 422, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """`nosniff` and no referrer everywhere; the page's CSP on the page and its assets."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        is_page = path == "/" or path.startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                if is_page:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
