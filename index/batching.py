"""Query encoding for many concurrent requests: one forward pass for all the queries that arrived meanwhile.

A server answering 50 users at once would otherwise run 50 one-query forward passes side by side, each
asking the model's threads for both cores: on 2 cores the passes time-slice, every one of them waits for
all the others, and the CPU goes to thread switching. Here one worker thread per vector space owns the
model: a request hands its text over and waits; the worker takes every text waiting when it is free and
encodes them together (in passes of 16, a MiniLM query costs half the CPU it costs alone on this CPU,
bench/query_encoding.py). A lone query waits for nobody: with one client the batch is that query alone.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future

import numpy as np

from index.embedders import Embedder

MAX_BATCH = 64  # texts taken per turn of the worker
# ... encoded in length-sorted passes of this many: padding a short question to the longest of 64 wastes
# more than a larger pass saves (bench/query_encoding.py, MiniLM float32, 1 thread, SciFact claims, CPU ms
# per query: alone 25.7, passes of 4 16.1, of 8 or 16 12.2, of 32 13.4, of 64 16.1; USE ~3.2 from 4 up)
PASS_SIZE = 16


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def encoder_threads(spaces: int, available: int | None = None) -> int:
    """Forward-pass threads for each query encoder. The encoders of all spaces run at once, beside the
    requests' own work (the lexical search runs while the query is encoded): together they get the cores,
    not each of them. On 2 cores, 2 threads per encoder served 8 requests per CPU-second against 22 with 1
    (bench/load_test.py), and a lone search at 100k chunks waited ~1 s for an encoder whose 2 threads spun
    against the lexical search on the other core (bench/query_latency.py)."""
    return max(1, (available or cores()) // (spaces + 1))


class BatchingEncoder:
    """Encodes single texts from many threads, batching those that wait at the same time."""

    def __init__(self, embedder: Embedder, max_batch: int = MAX_BATCH) -> None:
        self.embedder = embedder
        self.max_batch = max_batch
        self._pending: list[tuple[str, Future[np.ndarray]]] = []
        self._ready = threading.Condition()
        self._worker: threading.Thread | None = None
        self._closed = False
        self.batches = 0  # forward passes run, and texts encoded (for the benchmarks' account)
        self.texts = 0

    def submit(self, text: str) -> Future[np.ndarray]:
        """Queue `text`; the future gives its vector (or the encoder's exception)."""
        future: Future[np.ndarray] = Future()
        with self._ready:
            if self._closed:
                raise RuntimeError("the encoder was closed")
            self._pending.append((text, future))
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name=f"encode-{self.embedder.space}", daemon=True)
                self._worker.start()
            self._ready.notify()
        return future

    def encode(self, text: str) -> np.ndarray:
        return self.submit(text).result()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(timeout=30)

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._pending and not self._closed:
                    self._ready.wait()
                if not self._pending:
                    return  # closed, nothing left to answer
                batch, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
            live = [(text, future) for text, future in batch if future.set_running_or_notify_cancel()]
            if not live:
                continue
            distinct = list(dict.fromkeys(text for text, _ in live))  # the same question asked twice: encoded once
            try:
                vectors = self.embedder.encode_queries(distinct, batch_size=PASS_SIZE)
            except BaseException as exc:  # every waiting request hears of the failure; the worker goes on
                for _, future in live:
                    future.set_exception(exc)
                continue
            self.batches += 1
            self.texts += len(distinct)
            row = {text: i for i, text in enumerate(distinct)}
            for text, future in live:
                future.set_result(vectors[row[text]])
