"""Corpora on a Dask cluster: `glimpse analyze --scheduler tcp://HOST:PORT` (extra: glimpse[cluster]).

Dask schedules, retries and moves results; each task is one video's whole analysis (`batch.run_job`)
and hands its results back, so this process writes the same files a local run writes. Workers read
the videos by the paths given: on several machines those paths must be on a shared file system.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from app.errors import GlimpseError
from app.run.batch import Job, JobResult, run_job

CONNECT_TIMEOUT_S = 10.0


def run_job_or_raise(job: Job) -> JobResult:
    """A cluster task: a failed video raises, so that Dask retries it."""
    result = run_job(job)
    if result.status == "failed":
        raise GlimpseError(result.error)
    return result


def run_on_cluster(jobs: Sequence[Job], scheduler: str, retries: int,
                   on_result: Callable[[JobResult, int | None], None]) -> None:
    """Run `jobs` on the cluster at `scheduler`; `on_result(result, attempts)` as each one ends
    (attempts is known for failures only: Dask does not tell how often a task that succeeded ran)."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise GlimpseError("--scheduler needs Dask distributed: pip install 'glimpse[cluster]'") from None
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise GlimpseError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    run = uuid.uuid4().hex[:8]
    with client:
        futures = {client.submit(run_job_or_raise, job, retries=retries, pure=False,
                                 key=f"glimpse-analyze-{run}-{i}"): job for i, job in enumerate(jobs)}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                on_result(fut.result(), None)
            except GlimpseError as exc:
                on_result(JobResult(job.video, "failed", error=str(exc)), retries + 1)
            except Exception as exc:  # noqa: BLE001 - a worker lost or killed: that video failed, the others go on
                on_result(JobResult(job.video, "failed", error=f"{job.video}: the cluster lost the task "
                                                               f"({type(exc).__name__}: {exc})"), retries + 1)
