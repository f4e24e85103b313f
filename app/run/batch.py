"""Analysing videos as jobs: one video's whole analysis as a picklable function, run here or on a cluster.

A job returns its results instead of writing them, so a local process pool and a cluster give the
same outputs: the caller writes every file. Features come from the per-video cache that replay uses
too (keyed by the video's content, the model and the feature version) unless caching is off.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.errors import GlimpseError, NoFaceFound, OutputUnwritable
from app.face.features import LEVELS, FeatureTable
from app.face.tracking import BLENDSHAPE_NAMES
from app.settings.schema import Settings
from app.system.output import write_or_keep

Progress = Callable[[int, int], None]
# A container's declared frame count can be an estimate (one test clip declares 98 and holds 95):
# fewer frames than declared is reported only beyond this share of them.
SHORT_READ_SHARE = 0.05

_LEVEL_NAMES = textwrap.fill(", ".join(LEVELS), 100, initial_indent=" " * 28, subsequent_indent=" " * 28).lstrip()
FEATURES_HELP = f"""\
--features OUT.npz holds the per-frame features (NumPy .npz, one row per decoded frame):
  t_s (N,) float64          the frame's time in seconds, from the container
  face (N,) bool            a face was tracked in the frame
  levels (N, {len(LEVELS)}) float32    facial measurements with head motion removed, in inter-ocular distances
                            (NaN without a face); their names are in level_names
  level_names ({len(LEVELS)},) str     {_LEVEL_NAMES}
  head (N, 3) float32       yaw, pitch, roll in degrees against the face run's first frame
  blendshapes (N, {len(BLENDSHAPE_NAMES)}) float32  MediaPipe's blendshape scores 0..1; names in blendshape_names
  blendshape_names ({len(BLENDSHAPE_NAMES)},) str
  faces_seen (N,) int8      faces in the frame (the largest, most central one is measured)"""


@dataclass(frozen=True)
class Job:
    """One video to analyse. `workers` processes track it (1: this process)."""

    video: str
    settings: Settings
    model: str | None = None
    workers: int = 1
    caching: bool = True
    features: bool = False  # also hand back the per-frame features (.npz bytes)


@dataclass(frozen=True)
class JobResult:
    """What a job gives back; `data` is the moments JSON as a dict (None when it failed)."""

    video: str
    status: str  # "done", "no face" or "failed"
    data: dict | None = None
    error: str | None = None
    seconds: float = 0.0
    from_cache: bool = False
    features: bytes | None = None

    @property
    def moments(self) -> int | None:
        return None if self.data is None else len(self.data["moments"])


def features_npz(table: FeatureTable) -> bytes:
    """The per-frame features as documented in FEATURES_HELP."""
    buf = io.BytesIO()
    np.savez_compressed(buf, t_s=table.t_s, face=table.face, levels=table.levels, level_names=np.array(LEVELS),
                        head=table.head, blendshapes=table.blendshapes.astype(np.float32),
                        blendshape_names=np.array(BLENDSHAPE_NAMES), faces_seen=table.faces_seen)
    return buf.getvalue()


def short_read(data: dict) -> str | None:
    """A warning when the frames decoded end well before the container's declared length (truncated or
    damaged). Fewer frames than declared alone is not one: a variable-frame-rate file's count is an
    estimate, and its frames cover the whole length."""
    declared, read, fps = data.get("frames_declared"), data["frames_read"], data.get("fps")
    if not declared or declared - read <= SHORT_READ_SHARE * declared:
        return None
    if fps and data["duration_s"] >= (1 - SHORT_READ_SHARE) * declared / fps:
        return None  # all of its time was read
    return (f"{data['source']}: only {read} of its {declared} declared frames could be read "
            f"(the file is truncated or damaged); the results cover those {read}")


def run_job(job: Job, progress: Progress | None = None) -> JobResult:
    """Analyse one video; bad input is a failed result, never an exception."""
    from app.run.pipeline import analyze
    from app.run.tracked import features_for

    start = time.perf_counter()
    try:
        video = features_for(Path(job.video), job.model, job.caching, workers=job.workers, progress=progress)
        data = analyze(job.video, job.settings, job.model, table=video.table).to_dict()
    except GlimpseError as exc:
        return JobResult(job.video, "failed", error=str(exc), seconds=time.perf_counter() - start)
    features = features_npz(video.table) if job.features else None
    status, error = "done", None
    if data["face_frames"] == 0:
        status, error = "no face", str(NoFaceFound(f"{job.video}: no face was seen in any of its "
                                                   f"{data['frames']} frames"))
    return JobResult(job.video, status, data, error, time.perf_counter() - start, video.from_cache, features)


def moments_csv(moments: list[dict]) -> str:
    out = io.StringIO()
    cols = ["start_s", "peak_s", "end_s", "duration_s", "kind", "regions", "strength", "prompted", "prompt"]
    writer = csv.DictWriter(out, cols, extrasaction="ignore")
    writer.writeheader()
    for m in moments:
        writer.writerow({**m, "duration_s": round(m["end_s"] - m["start_s"], 4), "regions": " ".join(m["regions"]),
                         "prompt": m["prompt"] or ""})
    return out.getvalue()


def moments_json(data: dict) -> bytes:
    return (json.dumps(data, indent=2) + "\n").encode()


SUMMARY_COLUMNS = ("video", "status", "moments", "prompts", "frames_read", "frames_declared", "face_frames",
                   "duration_s", "seconds", "attempts", "output", "error")


def summary_csv(rows: list[dict]) -> str:
    """One row per video: what happened to it (see SUMMARY_COLUMNS)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, SUMMARY_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def summary_row(result: JobResult, output: Path | None, attempts: int | str = 1) -> dict:  # "": not counted
    d = result.data or {}
    return {"video": result.video, "status": result.status, "moments": result.moments,
            "prompts": sum(1 for m in d.get("moments", []) if m.get("prompted")) if d else None,
            "frames_read": d.get("frames_read"), "frames_declared": d.get("frames_declared"),
            "face_frames": d.get("face_frames"), "duration_s": d.get("duration_s"),
            "seconds": round(result.seconds, 2), "attempts": attempts,
            "output": "" if output is None or result.data is None else str(output), "error": result.error or ""}


def write_result(result: JobResult, out: Path | None, csv_path: Path | None = None,
                 features: Path | None = None) -> None:
    """A job's files: the moments JSON (None: nothing), its CSV and its features, each written atomically.
    Each file the disk refuses is kept elsewhere; then one OutputUnwritable names them all."""
    if result.data is None:
        return
    d = result.data
    problems = []
    for path, data in ((out, moments_json(d)), (csv_path, moments_csv(d["moments"]).encode()),
                       (features, result.features)):
        if path is None or data is None:
            continue
        try:
            write_or_keep(path, data)
        except OutputUnwritable as exc:
            problems.append(str(exc))
    if problems:
        raise OutputUnwritable("; ".join(problems))
