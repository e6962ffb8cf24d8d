"""The query encoder shared by concurrent requests: same vectors as encoding alone, fewer forward passes."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest

from index.batching import BatchingEncoder
from index.embedders import FakeEmbedder


class SlowRecordingEmbedder(FakeEmbedder):
    """The fake encoder, taking 20 ms a pass and remembering each pass's texts."""

    def __init__(self, fail_on: str | None = None) -> None:
        super().__init__("minilm")
        self.passes: list[list[str]] = []
        self.fail_on = fail_on

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress=None) -> np.ndarray:  # type: ignore[no-untyped-def]
        self.passes.append(list(texts))
        time.sleep(0.02)
        if self.fail_on is not None and self.fail_on in texts:
            raise ValueError(f"cannot encode {self.fail_on!r}")
        return super().encode(texts)


def _ask_together(encoder: BatchingEncoder, texts: list[str]) -> dict[int, np.ndarray | BaseException]:
    start = threading.Barrier(len(texts))
    answers: dict[int, np.ndarray | BaseException] = {}

    def ask(n: int) -> None:
        start.wait()
        try:
            answers[n] = encoder.encode(texts[n])
        except BaseException as exc:  # noqa: BLE001 - the test inspects what each caller got
            answers[n] = exc

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return answers


def test_concurrent_queries_share_forward_passes_and_get_their_own_vectors() -> None:
    embedder = SlowRecordingEmbedder()
    encoder = BatchingEncoder(embedder)
    texts = [f"question number {n} about child online protection" for n in range(40)] + ["same words"] * 8
    answers = _ask_together(encoder, texts)
    reference = FakeEmbedder("minilm").encode(texts)
    for n in range(len(texts)):
        assert np.allclose(answers[n], reference[n])  # type: ignore[arg-type]
    # 48 requests: far fewer passes than requests; a text asked twice in one pass is encoded once
    assert len(embedder.passes) < 10
    assert all(len(batch) == len(set(batch)) for batch in embedder.passes)
    encoded = [t for batch in embedder.passes for t in batch]
    assert set(encoded) == set(texts) and len(encoded) < len(texts)
    assert encoder.batches == len(embedder.passes) and encoder.texts == len(encoded)
    encoder.close()


def test_a_lone_query_is_encoded_at_once() -> None:
    embedder = SlowRecordingEmbedder()
    encoder = BatchingEncoder(embedder)
    started = time.perf_counter()
    vector = encoder.encode("helpline for children")
    assert time.perf_counter() - started < 5
    assert embedder.passes == [["helpline for children"]]
    assert np.allclose(vector, FakeEmbedder("minilm").encode(["helpline for children"])[0])
    encoder.close()


def test_a_failed_pass_reaches_every_waiting_request_and_the_worker_goes_on() -> None:
    embedder = SlowRecordingEmbedder(fail_on="poison")
    encoder = BatchingEncoder(embedder, max_batch=64)
    encoder.submit("slow first").result()
    answers = _ask_together(encoder, ["poison"] + [f"innocent {n}" for n in range(10)])
    failed = [n for n, a in answers.items() if isinstance(a, BaseException)]
    assert 0 in failed and all(isinstance(answers[n], ValueError) for n in failed)
    # the worker survives: a later query is answered
    assert encoder.encode("after the failure").shape == (64,)
    encoder.close()
    with pytest.raises(RuntimeError, match="closed"):
        encoder.submit("too late")

