"""One-shot jobs as request and response: run off the GUI thread, answer on it.

A job is a plain function `fn(progress, cancel) -> result` over frozen inputs.
`JobRunner` runs one at a time in a Python thread; a newer request cancels the
older one, whose late answer is dropped. Progress, the result and any error
come back as signals on the GUI thread, so no error dies silently in a thread.
`synchronous=True` runs the same job inline (tests, scripts).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from app.errors import Cancelled

log = logging.getLogger(__name__)

JobFn = Callable[[Callable[[int, int], None], threading.Event], Any]
PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress updates a second reach the GUI


class Job:
    """One request: its name, its cancel switch, and (once done) how long it ran."""

    _ids = itertools.count(1)

    def __init__(self, name: str, fn: JobFn):
        self.id = next(self._ids)
        self.name = name
        self.fn = fn
        self.cancel_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.started = time.perf_counter()
        self.elapsed_s = 0.0

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def __repr__(self) -> str:
        return f"Job({self.id}, {self.name!r})"


class JobRunner(QObject):
    """Runs one job at a time; every signal is about the current job and arrives on the GUI thread."""

    progress = Signal(object, int, int)  # job, done, total
    finished = Signal(object, object)  # job, result
    failed = Signal(object, object)  # job, exception
    cancelled = Signal(object)  # job

    _answer = Signal(object, str, object)  # from the worker thread: job, kind, payload

    def __init__(self, parent: QObject | None = None, synchronous: bool = False):
        super().__init__(parent)
        self.synchronous = synchronous
        self.current: Job | None = None
        self._threads: list[threading.Thread] = []
        self._answer.connect(self._deliver)

    def submit(self, name: str, fn: JobFn) -> Job:
        """Start `fn`; a job still running is cancelled and its answer will be ignored."""
        self.cancel()
        job = Job(name, fn)
        self.current = job
        if self.synchronous:
            self._run(job, inline=True)
        else:
            job.thread = threading.Thread(target=self._run, args=(job,), name=f"glimpse-job-{job.id}", daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [job.thread]
            job.thread.start()
        return job

    def cancel(self) -> None:
        if self.current is not None:
            self.current.cancel()

    def busy(self) -> bool:
        """Whether a job is under way (its answer not yet delivered)."""
        return self.current is not None

    def wait(self, timeout_s: float = 10.0) -> bool:
        """Block until every job thread has ended (shutdown and tests); True when they have."""
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]
        return not self._threads

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        self.cancel()
        return self.wait(timeout_s)

    def _run(self, job: Job, inline: bool = False) -> None:
        post = self._deliver if inline else self._answer.emit
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if inline or now - last[0] >= PROGRESS_INTERVAL_S or done >= total:
                last[0] = now
                post(job, "progress", (done, total))

        try:
            result = job.fn(progress, job.cancel_event)
        except Cancelled:
            kind, payload = "cancelled", None
        except Exception as exc:  # noqa: BLE001 - every error is carried to the GUI thread and shown there
            log.exception("job %s failed", job.name)
            kind, payload = "failed", exc
        else:
            kind, payload = ("cancelled", None) if job.cancelled else ("finished", result)
        job.elapsed_s = time.perf_counter() - job.started
        post(job, kind, payload)

    @Slot(object, str, object)
    def _deliver(self, job: Job, kind: str, payload: Any) -> None:  # (done, total), a result, an error or None
        if job is not self.current:
            return  # a superseded job: its answer is no longer wanted
        if kind == "progress":
            self.progress.emit(job, *payload)
            return
        self.current = None
        if kind == "finished":
            self.finished.emit(job, payload)
        elif kind == "failed":
            self.failed.emit(job, payload)
        else:
            self.cancelled.emit(job)
