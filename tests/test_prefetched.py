"""`capture.prefetched`: decode-ahead in a thread that never outlives its consumer."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from app.sources.capture import Frame, prefetched

DEPTH = 4
CLOSE_LIMIT_S = 0.5  # closing waits at most for the frame being decoded, never for a timeout


def frames(n: int):
    for i in range(n):
        yield Frame(i, i / 30, np.zeros((2, 2, 3), np.uint8))


def decoders() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "glimpse-decode" and t.is_alive()]


def failing(n: int):
    yield from frames(n)
    raise OSError("the disk went away")


@pytest.mark.parametrize("source", [lambda: frames(DEPTH + 1), lambda: failing(DEPTH + 1)],
                         ids=["source-ended-while-the-queue-was-full", "source-failed-while-the-queue-was-full"])
def test_closing_early_is_quick_and_ends_the_thread(source):
    """The consumer stops after one frame while the decoder has filled the queue and reached the end
    (or an error): closing must not wait out a timeout, and the decoder thread must end."""
    before = len(decoders())
    it = prefetched(source(), depth=DEPTH)
    assert next(it).index == 0
    time.sleep(0.2)  # the decoder fills the queue and then has the end (or the error) to hand over
    t0 = time.monotonic()
    it.close()
    took = time.monotonic() - t0
    assert took < CLOSE_LIMIT_S, f"close() took {took:.2f} s"
    deadline = time.monotonic() + CLOSE_LIMIT_S
    while len(decoders()) > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(decoders()) == before, "the decode-ahead thread was left running"


def test_all_frames_in_order_and_errors_reach_the_consumer():
    assert [f.index for f in prefetched(frames(25), depth=DEPTH)] == list(range(25))
    got = []
    with pytest.raises(OSError, match="disk went away"):
        for f in prefetched(failing(10), depth=DEPTH):
            got.append(f.index)
    assert got == list(range(10))
