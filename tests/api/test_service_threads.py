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


def test_the_loaded_heap_is_kept_out_of_collections_after_its_garbage_is_collected() -> None:
    """`cwg serve` freezes what it loaded (models, tables) once started: full collections under many clients
    then walk only what requests made. Garbage made before is collected first, not frozen with the rest."""
    import gc
    import weakref

    from api.service import keep_out_of_collections

    class Node:
        pass

    loaded, garbage = Node(), Node()
    garbage.me = garbage  # type: ignore[attr-defined]  # a cycle: only the collector frees it
    dead = weakref.ref(garbage)
    del garbage
    try:
        keep_out_of_collections()
        assert dead() is None
        assert gc.get_freeze_count() > 0
        assert not any(o is loaded for o in gc.get_objects())  # frozen objects are not tracked by generation
    finally:
        gc.unfreeze()
