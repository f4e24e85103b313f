"""Child processes of the reliability benchmark: their environment, and their output line by line."""

from __future__ import annotations

import os
import queue
import threading

from tests.support.paths import ROOT


def child_lines(stream) -> queue.Queue[str | None]:
    """The lines of a child's output as they come, from a reader thread (None at the end): a select()
    on a buffered pipe would miss lines already read into the buffer."""
    q: queue.Queue = queue.Queue()

    def read() -> None:
        for line in stream:
            q.put(line)
        q.put(None)

    threading.Thread(target=read, name="glimpse-child-reader", daemon=True).start()
    return q


def child_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env
