"""What the HTTP app holds while it runs: the opened index and the objects that read and write it."""

from __future__ import annotations

import gc
import logging
import os
import threading
from dataclasses import dataclass, field

from fastapi import Request

from api.heavy import HeavyGate
from api.settings import Settings
from index.batching import cores
from index.batching import encoder_threads as sized_encoder_threads
from index.folder import IndexFolder
from search.retrieval.engine import SearchEngine
from search.retrieval.similar import SimilarFinder

log = logging.getLogger("cwg.api")
REQUEST_THREADS_PER_CORE = 16
# `cwg serve` without --workers: one process per core, as many as the memory holds at this much each (a process
# peaks at 1.0-1.4 GB serving the load test's index, bench/load_test.py), at most MAX_PROCESSES. A search holds
# the interpreter lock for most of its CPU, so one process keeps ~1.15 of 2 cores busy; on 2 cores two processes
# answered 70.9 requests/s to 50 clients against 38.9, and a lone client 45.0 against 37.3 (docs/measurements.md).
PROCESS_MEMORY_BYTES = 2 * 1024**3
MAX_PROCESSES = 8


@dataclass
class Service:
    settings: Settings
    folder: IndexFolder
    engine: SearchEngine
    similar: SimilarFinder
    heavy: HeavyGate  # anonymous heavy work: a cap per process, a deadline, stopped when its client leaves
    # One writer at a time: uploads and deletions queue here (readers never wait on it; they see the
    # state before or after a write through the store's read transactions).
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, settings: Settings, folder: IndexFolder) -> Service:
        """Build the derived state now (FAISS, encoders) so the first request is not the slow one."""
        folder.refresh_vectors()
        threads = encoder_threads(settings, len(folder.spaces))
        for space in folder.spaces:
            encoder = folder.query_encoder(space)
            folder.embedder(space).set_threads(threads)  # after the encoder's own sizing, which it overrides
            encoder.encode("warm up")
        return cls(settings, folder, SearchEngine(folder, query_chars=settings.query_chars),
                   SimilarFinder(folder, query_chars=settings.query_chars), HeavyGate.from_settings(settings))

    def prepare_in_background(self) -> threading.Thread:
        """Load and encode, at low priority, what the first requests would otherwise wait for: the encoders
        (torch, for batched queries, is imported only here or on first use), then the sentences of the short
        documents `similar` compares (kept on disk: done once per text, not per start)."""
        def run() -> None:
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # this thread only (Linux)
            except (AttributeError, OSError):
                pass
            try:
                for space in self.folder.spaces:
                    self.folder.embedder(space).warm()
                prepared = self.similar.prepare()
                log.info("prepared the query units of %d short documents for similar initiatives", prepared)
            except Exception as exc:  # noqa: BLE001 - a warm-up that fails costs only speed; say so and stop
                log.warning("preparing similar initiatives stopped: %s", exc)
            keep_out_of_collections()  # the models and tables loaded here, too

        thread = threading.Thread(target=run, name="prepare-similar", daemon=True)
        thread.start()
        return thread


def keep_out_of_collections() -> None:
    """Move what the server has loaded so far (models, vocabularies, tables: hundreds of thousands of objects that
    live as long as it does) out of the cyclic collector's reach (`gc.freeze`), after collecting what is garbage.
    Under 50 clients the objects of requests in flight outlive the young generations, so full collections run,
    and each one walked the whole loaded heap (0.7-0.9 ms of CPU a request; none with one client)."""
    gc.collect()
    gc.freeze()


def serving_processes(settings: Settings) -> int:
    """How many processes `cwg serve` runs: the setting (CWG_WORKERS, --workers), else one per core, as many as
    the machine's memory holds (PROCESS_MEMORY_BYTES each), at most MAX_PROCESSES."""
    if settings.workers:
        return settings.workers
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system that says
        return 1
    return max(1, min(cores(), MAX_PROCESSES, memory // PROCESS_MEMORY_BYTES))


def encoder_threads(settings: Settings, spaces: int) -> int:
    """Each query encoder's forward-pass threads: the setting, else sized to the cores (index/batching.py)."""
    return settings.encoder_threads or sized_encoder_threads(spaces, max(1, cores() // max(1, settings.workers)))


def request_threads(settings: Settings) -> int:
    """Threads serving requests. Most of a search's time is spent waiting for its encoder batch, so there
    are enough threads for a batch of many queries; more only time-slice the GIL (bench/load_test.py)."""
    return settings.request_threads or REQUEST_THREADS_PER_CORE * max(1, cores() // max(1, settings.workers))


async def get_service(request: Request) -> Service:
    """The app's service, for every route (`ServiceDep`). Async: FastAPI runs a plain function dependency in the
    thread pool, a trip there and back for every request; under 50 clients each trip waits for a pool thread
    and the interpreter lock behind the busy ones (py-spy over `cwg serve`, bench/load_test.py)."""
    return request.app.state.service  # type: ignore[no-any-return]
