"""One long video tracked in several processes: chunks with a short lead-in, stitched in order.

MediaPipe's VIDEO mode needs strictly increasing timestamps and keeps tracking state from frame to
frame, so every chunk gets a fresh landmarker in its own process. A chunk after the first starts
`lead` frames early and throws those frames away: the fresh landmarker re-acquires the face on them.
Workers hand back the raw observations (landmarks, blendshapes, pose); features are then measured in
this process, in frame order, by the very code a single-process run uses (the face stage's measuring
half; the frames are read again for it only when a measurement channel reads pixels), so the only
differences from a single-process run come from MediaPipe's own state just after each chunk start.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import numpy as np

from app.errors import Cancelled, StitchMismatch, VideoUnreadable
from app.face.channels import READS_PIXELS, no_pixels
from app.face.features import FeatureTable
from app.face.small_face import SmallFaceTracker
from app.face.tracking import N_BLENDSHAPES, N_LANDMARKS, FaceObservation, FaceTracker
from app.sources.capture import FileSource, SourceInfo, prefetched

LEAD_S = 1.0  # lead-in of each later chunk (tracked, then dropped): enough for the face to be re-acquired
MIN_PARALLEL_S = 20.0  # below this, starting worker processes (~1 s each) costs more than it saves
MAX_CHUNK_S = 120.0  # a chunk's observations (~6 KB a frame) are held in memory until stitched
PROGRESS_EVERY = 10  # frames between a worker's progress reports
POLL_S = 0.2

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Chunk:
    """Frames [first, stop) of a video (stop None: to the end), tracked from `first - lead`."""

    index: int
    first: int
    stop: int | None
    lead: int


@dataclass(frozen=True)
class Observations:
    """A chunk's tracked frames, column-wise: what a worker hands back."""

    t_s: np.ndarray  # (n,) float64 seconds, the container's own times
    found: np.ndarray  # (n,) bool
    landmarks: np.ndarray  # (n, 478, 3) float32 (zeros where no face)
    blendshapes: np.ndarray  # (n, 52) float32
    pose: np.ndarray  # (n, 4, 4) float32
    faces_seen: np.ndarray  # (n,) int16

    def faces(self, start: int = 0) -> Iterator[tuple[float, FaceObservation | None]]:
        for i in range(start, len(self.t_s)):
            face = (FaceObservation(self.landmarks[i], self.blendshapes[i], self.pose[i], int(self.faces_seen[i]))
                    if self.found[i] else None)
            yield float(self.t_s[i]), face


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers(info: SourceInfo) -> int:
    """Every core for a long video; one for a short one, or one whose frame count is unknown."""
    if info.frame_count <= 0 or info.duration_s < MIN_PARALLEL_S:
        return 1
    return usable_cores()


def plan_chunks(frame_count: int, fps: float, workers: int, lead_s: float = LEAD_S,
                max_chunk_s: float = MAX_CHUNK_S) -> list[Chunk]:
    """At least `workers` chunks of about equal length, none longer than `max_chunk_s`; the last runs
    to the end of the file (a container's frame count can be short of the truth)."""
    lead = max(1, int(round(lead_s * fps)))
    n = max(workers, int(np.ceil(frame_count / max(max_chunk_s * fps, 1.0))), 1)
    n = min(n, max(1, frame_count // (2 * lead)))  # chunks much longer than their lead-in
    bounds = [round(k * frame_count / n) for k in range(n + 1)]
    return [Chunk(k, bounds[k], bounds[k + 1] if k < n - 1 else None, lead if k else 0) for k in range(n)]


# ---- in a worker process --------------------------------------------------------------------------

_reports: mp.Queue | None = None
_stop: EventType | None = None


def _init_worker(reports: mp.Queue, stop: EventType) -> None:
    global _reports, _stop
    _reports, _stop = reports, stop


def track_chunk(path: str, chunk: Chunk, model_path: str | None = None, max_faces: int = 2) -> Observations:
    """Track one chunk (its lead-in included) with a fresh landmarker."""
    start = chunk.first - chunk.lead
    want = None if chunk.stop is None else chunk.stop - start
    t, found, faces = [], [], []
    with FileSource(path) as source, SmallFaceTracker(FaceTracker(model_path, max_faces)) as tracker:
        source.seek(start)
        try:
            for k, frame in enumerate(prefetched(iter(source))):
                if (want is not None and k >= want) or (_stop is not None and _stop.is_set()):
                    break
                face = tracker.update(frame.image, frame.t_s)
                t.append(frame.t_s)
                found.append(face is not None)
                faces.append(face)
                if _reports is not None and (k + 1) % PROGRESS_EVERY == 0:
                    _reports.put((chunk.index, k + 1 - chunk.lead))
        except VideoUnreadable:
            if start == 0:
                raise
            # past the last frame that can be read (the container declares more): this chunk is empty
    n = len(t)
    lm = np.zeros((n, N_LANDMARKS, 3), np.float32)
    bs = np.zeros((n, N_BLENDSHAPES), np.float32)
    pose = np.tile(np.eye(4, dtype=np.float32), (n, 1, 1))
    seen = np.zeros(n, np.int16)
    for i, f in enumerate(faces):
        if f is not None:
            lm[i], bs[i], pose[i], seen[i] = f.landmarks, f.blendshapes, f.pose, f.faces_seen
    return Observations(np.asarray(t, np.float64), np.asarray(found, bool), lm, bs, pose, seen)


# ---- in the calling process -----------------------------------------------------------------------

def stitch_start(previous_t: float | None, part: Observations, chunk: Chunk) -> int:
    """Index in `part` of the first frame after the previous chunk's last one.

    The lead-in must hold that last frame, at exactly its time: otherwise the seek landed elsewhere."""
    if previous_t is None:
        return 0
    hits = np.flatnonzero(part.t_s == previous_t)
    if len(hits) != 1:
        raise StitchMismatch(f"chunk {chunk.index} does not overlap its predecessor at {previous_t:.3f} s")
    return int(hits[0]) + 1


def stitched_faces(parts: Iterator[tuple[Chunk, Observations]]) -> Iterator[tuple[float, FaceObservation | None]]:
    """All chunks' frames in order, each lead-in dropped once it has been checked against the previous chunk."""
    last_t: float | None = None
    ended = False
    for chunk, part in parts:
        if not len(part.t_s):
            ended = True  # the file ended before this chunk (a declared count that was too high)
            continue
        if ended:
            raise StitchMismatch(f"chunk {chunk.index} has frames after an empty chunk")
        start = stitch_start(last_t, part, chunk)
        yield from part.faces(start)
        last_t = float(part.t_s[-1]) if len(part.t_s) > start else last_t


def with_pixels(faces: Iterator[tuple[float, FaceObservation | None]], path: str | Path,
                info: SourceInfo) -> Iterator[tuple[float, FaceObservation | None, np.ndarray]]:
    """Each stitched face with its frame's pixels, for measuring: read again from the file when a
    measurement channel reads pixels (the workers keep none), else a stand-in of the frame's size."""
    if not READS_PIXELS:
        blank = no_pixels(info.width, info.height)
        for t_s, face in faces:
            yield t_s, face, blank
        return
    with FileSource(path) as source, contextlib.closing(prefetched(iter(source))) as frames:
        # the decoder thread ends (closing) before the file closes: releasing a capture it still reads hangs
        for t_s, face in faces:
            frame = next(frames, None)
            if frame is None or frame.t_s != t_s:
                raise StitchMismatch(f"{Path(path).name}: the frame read again at {t_s:.3f} s is not the one tracked")
            yield t_s, face, frame.image


def track_video_parallel(path: str | Path, workers: int, model_path: str | Path | None = None,
                         progress: Progress | None = None, cancel: threading.Event | None = None,
                         keep_landmarks: bool = False, max_faces: int = 2) -> tuple[SourceInfo, FeatureTable]:
    """`pipeline.track_video` in `workers` processes (one process: exactly `track_video`)."""
    from app.run.pipeline import table_from_faces, track_video

    with FileSource(path) as source:
        info = source.info
    chunks = plan_chunks(info.frame_count, info.fps, workers) if info.frame_count > 0 else []
    if workers <= 1 or len(chunks) <= 1:
        return track_video(path, model_path, progress, cancel, keep_landmarks, max_faces)
    ctx = mp.get_context("spawn")  # never fork a process that may hold decoder or tracker threads
    reports, stop = ctx.Queue(), ctx.Event()
    done_frames = {c.index: 0 for c in chunks}
    total = info.frame_count
    with ProcessPoolExecutor(min(workers, len(chunks)), mp_context=ctx, initializer=_init_worker,
                             initargs=(reports, stop)) as pool:
        futures = {pool.submit(track_chunk, str(path), c, None if model_path is None else str(model_path),
                               max_faces): c for c in chunks}
        results: dict[int, Observations] = {}
        try:
            pending: set[Future] = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
                for fut in finished:
                    results[futures[fut].index] = fut.result()
                    done_frames[futures[fut].index] = max(len(results[futures[fut].index].t_s)
                                                          - futures[fut].lead, 0)
                while True:
                    try:
                        index, n = reports.get_nowait()
                    except queue.Empty:
                        break
                    if index not in results:
                        done_frames[index] = max(done_frames[index], n)
                if progress is not None:
                    done = sum(done_frames.values())
                    progress(done, max(total, done))
                if cancel is not None and cancel.is_set():
                    raise Cancelled(f"analysis of {Path(path).name} was cancelled")
        except BaseException:
            stop.set()
            for fut in futures:
                fut.cancel()
            raise
    try:
        faces = stitched_faces((c, results[c.index]) for c in chunks)
        table = table_from_faces(with_pixels(faces, path, info), info, Path(path).name, keep_landmarks)
    except StitchMismatch:
        return track_video(path, model_path, progress, cancel, keep_landmarks, max_faces)
    table.meta["workers"] = min(workers, len(chunks))
    return info, table
