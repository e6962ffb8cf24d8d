"""Heavy requests: anonymous work that costs seconds of CPU (a draft checked, a synthesis, a long query).

Each one runs under `HeavyGate.run`, which bounds it three ways:
- at most `CWG_HEAVY_CONCURRENCY` at once in a process: one more is answered 503 with `Retry-After` at
  once (it does not queue: a queue of heavy work is the latency of every search behind it);
- a deadline (`CWG_HEAVY_SECONDS`): past it the request is answered 503 and its work stops;
- a client that goes away stops its work too (a client that gave up after 5 s cost 37 s of CPU before).

The work runs on a thread of its own and is handed a checkpoint (a plain callable) that the lower layers call
between units of work (a batch of passages, a search, a clustering): it raises `WorkStopped` once the
deadline has passed or the client has left, so the work ends at its next unit. The slot is given back when
the work has really ended, not when the answer was sent: stopped work still counts against the cap until
its thread reaches a checkpoint.

`RefuseWhenBusy` answers the heavy requests that carry a body (a draft, a synthesis) before the body is read
while every slot is taken. Which requests are heavy (CPU seconds per request, the app over the sample index):
`POST /check` (0.3 s for a page, 66 s for a 653-passage DOCX), `POST /synthesize` (2.4-5.7 s),
`/select?format=docx` (0.16 s for 33 documents, growing with the list), and `/search`, `/feeds/documents.atom`
and `/similar` when their query text is longer than `LONG_QUERY_CHARS` (a 10,000-character `q` cost 0.3 s,
`text` 0.75 s, against 0.02 s for a question). A question of ordinary length never meets the gate.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from fastapi import HTTPException, Request, status
from starlette.types import ASGIApp, Receive, Scope, Send

from api.schemas import ErrorResponse
from api.settings import Settings
from index.batching import cores

log = logging.getLogger("cwg.api")
T = TypeVar("T")
LONG_QUERY_CHARS = 200  # a query text longer than this makes /search, /feeds and /similar heavy
RETRY_AFTER_SECONDS = 5  # what a 503 for a full gate tells the client to wait
HEAVY_ERRORS: dict[int | str, dict[str, Any]] = {503: {
    "model": ErrorResponse, "description": "too many heavy requests at once (with Retry-After), or this one ran past "
                                           "its deadline (CWG_HEAVY_CONCURRENCY, CWG_HEAVY_SECONDS)"}}


class WorkStopped(Exception):
    """Raised at a checkpoint: the request's deadline has passed or its client has left."""


def heavy_concurrency(settings: Settings) -> int:
    """Heavy requests at once in one process: the setting, else half the process's share of the cores (at
    least 1), so that the other half keeps answering searches."""
    return settings.heavy_concurrency or max(1, cores() // max(1, settings.workers) // 2)


def is_long(text: str | None) -> bool:
    return text is not None and len(text) > LONG_QUERY_CHARS


class _Stop:
    """The checkpoint handed to one request's work: raises once it is past its deadline or told to stop."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.reason = ""

    def stop(self, reason: str) -> None:
        self.reason = self.reason or reason

    def __call__(self) -> None:
        if not self.reason and time.monotonic() > self.deadline:
            self.reason = "deadline"
        if self.reason:
            raise WorkStopped(self.reason)


class HeavyGate:
    """The per-process cap, deadline and disconnect watch of heavy requests (see the module's docstring)."""

    def __init__(self, concurrency: int, seconds: float) -> None:
        self.concurrency = concurrency
        self.seconds = seconds
        self._running = 0
        self._lock = threading.Lock()
        self.stopped: Counter[str] = Counter()  # requests stopped, by reason: "deadline", "client gone"

    def busy_detail(self) -> str:
        return (f"the server is busy with {self.concurrency} heavy requests (drafts checked, syntheses, long "
                f"queries): try again in a few seconds (setting CWG_HEAVY_CONCURRENCY)")

    @classmethod
    def from_settings(cls, settings: Settings) -> HeavyGate:
        return cls(heavy_concurrency(settings), settings.heavy_seconds)

    @property
    def running(self) -> int:
        """Heavy work under way now (stopped work counts until it has really ended)."""
        return self._running

    @property
    def full(self) -> bool:
        return self._running >= self.concurrency

    def _acquire(self) -> bool:
        with self._lock:
            if self._running >= self.concurrency:
                return False
            self._running += 1
            return True

    def _release(self, _done: object = None) -> None:
        with self._lock:
            self._running -= 1

    async def run(self, request: Request, work: Callable[[Callable[[], None]], T]) -> T:
        """`work(checkpoint)` on a thread of its own, within the cap and the deadline, stopped when the client
        leaves. 503 (with `Retry-After` when the cap is full) instead of its result when it cannot finish."""
        if not self._acquire():
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, self.busy_detail(),
                                headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        checkpoint = _Stop(self.seconds)
        done: Future[T] = Future()
        done.add_done_callback(self._release)  # the slot comes back when the work has ended, however it ended

        def target() -> None:
            if not done.set_running_or_notify_cancel():
                return
            try:
                checkpoint()
                done.set_result(work(checkpoint))
            except BaseException as exc:  # noqa: BLE001 - handed to the request, which raises it
                done.set_exception(exc)

        threading.Thread(target=target, name="heavy", daemon=True).start()
        answer = asyncio.wrap_future(done)
        gone = asyncio.ensure_future(_client_gone(request))
        try:
            left = max(0.0, checkpoint.deadline - time.monotonic())
            waiting: set[asyncio.Future[Any]] = {answer, gone}
            finished, _ = await asyncio.wait(waiting, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the server is stopping: so does the work
            checkpoint.stop("cancelled")
            answer.cancel()
            raise
        finally:
            gone.cancel()
        if answer in finished:
            try:
                return answer.result()
            except WorkStopped:
                pass  # its own checkpoint saw the deadline first
        else:
            checkpoint.stop("client gone" if gone in finished else "deadline")
            answer.cancel()  # nobody reads its outcome now (the thread ends at its next checkpoint)
        self.stopped[checkpoint.reason] += 1
        log.info("%s %s stopped: %s", request.method, request.url.path, checkpoint.reason)
        if checkpoint.reason == "client gone":
            raise HTTPException(499, "the client closed the connection")  # nobody reads it
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            f"this request needed more than {self.seconds:g} s and was stopped (setting "
                            f"CWG_HEAVY_SECONDS): ask for less (a shorter draft or query, or narrower filters)")


async def _client_gone(request: Request) -> None:
    """Returns when the client has closed the connection (the request's body has been read by then: what the
    server hears next is the disconnect). A receive that fails says nothing: then it never returns."""
    try:
        while (await request.receive())["type"] != "http.disconnect":
            pass
    except Exception:  # noqa: BLE001 - no word from the connection is no reason to stop the work
        await asyncio.Event().wait()


HEAVY_UPLOADS = (("POST", "/check"), ("POST", "/synthesize"))  # heavy requests with a body


class RefuseWhenBusy:
    """ASGI middleware before the heavy requests that carry a body: while every heavy slot is taken, 503 with
    `Retry-After` at once, before the body is read (a refused draft is not uploaded and parsed for nothing).
    The gate itself still decides for the requests it lets through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["method"], scope["path"]) in HEAVY_UPLOADS:
            service = getattr(scope["app"].state, "service", None)
            if service is not None and service.heavy.full:
                body = json.dumps({"detail": service.heavy.busy_detail()}).encode()
                await send({"type": "http.response.start", "status": 503, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(RETRY_AFTER_SECONDS).encode()), (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
