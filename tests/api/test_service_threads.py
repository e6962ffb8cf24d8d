"""The server sizes its threads to the machine unless told."""

from __future__ import annotations

from api.service import cores, encoder_threads, request_threads
from api.settings import Settings


def test_server_threads_are_sized_to_the_cores_unless_set() -> None:
    n = cores()
    assert encoder_threads(Settings(), 2) == max(1, n // 3)  # the encoders and the requests share the cores
    assert encoder_threads(Settings(), 1) == max(1, n // 2)
    assert encoder_threads(Settings(encoder_threads=3), 2) == 3
    assert request_threads(Settings()) >= n
    assert request_threads(Settings(request_threads=5)) == 5
