"""What the HTTP app holds while it runs: the opened index and the objects that read and write it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from fastapi import Request

from api.settings import Settings
from index.folder import IndexFolder
from search.retrieval.engine import SearchEngine
from search.retrieval.similar import SimilarFinder


@dataclass
class Service:
    settings: Settings
    folder: IndexFolder
    engine: SearchEngine
    similar: SimilarFinder
    # One writer at a time: uploads and deletions queue here (readers never wait on it; they see the
    # state before or after a write through the store's read transactions).
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, settings: Settings, folder: IndexFolder) -> Service:
        """Build the derived state now (FAISS, encoders) so the first request is not the slow one."""
        folder.refresh_vectors()
        for space in folder.spaces:
            folder.embedder(space).encode(["warm up"])
        return cls(settings, folder, SearchEngine(folder), SimilarFinder(folder))


def get_service(request: Request) -> Service:
    return request.app.state.service  # type: ignore[no-any-return]
