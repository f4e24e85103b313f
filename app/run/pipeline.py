"""Video in, moments out: the face stage and the moment stage, driven over a file or a live stream.

Batch: `track_video` runs a file's frames through the face stage into a feature table (once per video,
cached), `analyze` spots its moments. Live: `LivePipeline` runs each frame through both stages.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.errors import Cancelled
from app.face.features import FeatureExtractor, FeatureTable, FeatureTableBuilder, FeatureTally, FrameFeatures
from app.face.stage import FaceStage
from app.face.tracking import FaceObservation
from app.prompts.stage import MomentStage, spot_and_prompt
from app.settings.schema import Settings
from app.sources.callvideo import CallDecision, CallVideoFilter
from app.sources.capture import FileSource, Frame, SourceInfo, prefetched
from app.spotting.spotter import NO_BREAKS, Breaks, Evidence, Moment, table_evidence

Progress = Callable[[int, int], None]


@dataclass
class Analysis:
    """A whole video analysed: its per-frame features (cacheable) and its moments under `settings`."""

    source: str
    info: SourceInfo
    table: FeatureTable
    settings: Settings
    moments: list[Moment]
    evidence: list[Evidence] = field(default_factory=list, repr=False)
    from_cache: bool = False

    @property
    def face_frames(self) -> int:
        return int(self.table.face.sum())

    @property
    def duration_s(self) -> float:
        if not len(self.table):
            return 0.0
        return float(self.table.t_s[-1]) + 1.0 / self.info.fps

    def respot(self, settings: Settings) -> Analysis:
        """The same video under other settings, from the cached evidence (no tracking)."""
        moments = spot_and_prompt(self.evidence, settings)
        return Analysis(self.source, self.info, self.table, settings, moments, self.evidence, self.from_cache)

    def to_dict(self) -> dict:
        return moments_report(self.source, self.info, FeatureTally.of(self.table),
                              self.table.meta.get("face_px_median"), self.settings, self.moments)


def moments_report(source: str, info: SourceInfo, frames: FeatureTally, face_px_median: float | None,
                   settings: Settings, moments: list[Moment]) -> dict:
    """The moments JSON of `glimpse analyze` (and of a headless live run, which keeps only `frames`' counts)."""
    return {
        "source": source,
        "fps": round(info.fps, 3),
        "frames": frames.frames,
        "frames_read": frames.frames,
        "frames_declared": info.frame_count or None,  # the container's count; None when it gives none
        "duration_s": round(frames.duration_s(info.fps), 3),
        "face_frames": frames.face_frames,
        "faces_seen_max": frames.faces_seen_max,
        "face_px_median": face_px_median,  # face height, pixels
        "face_choice": "largest, most central face",
        "settings": settings.to_dict(),
        "moments": [m.to_dict() for m in moments],
    }


def track_video(path: str | Path, model_path: str | Path | None = None, progress: Progress | None = None,
                cancel: threading.Event | None = None, keep_landmarks: bool = False,
                max_faces: int = 2) -> tuple[SourceInfo, FeatureTable]:
    """Per-frame features of a video file: the expensive part (tracking), done once per video."""
    with FileSource(path) as source, FaceStage(model_path, max_faces, keep_landmarks) as stage:
        info = source.info

        def rows() -> Iterator[FrameFeatures]:
            for frame in prefetched(iter(source)):
                if cancel is not None and cancel.is_set():
                    raise Cancelled(f"analysis of {Path(path).name} was cancelled")
                yield stage.update(frame.image, frame.t_s)
                if progress is not None:
                    progress(frame.index + 1, max(info.frame_count, frame.index + 1))

        table = feature_table(rows(), info, Path(path).name, keep_landmarks)
    return info, table


def table_from_faces(faces: Iterable[tuple[float, FaceObservation | None, np.ndarray]], info: SourceInfo, name: str,
                     keep_landmarks: bool = False) -> FeatureTable:
    """The feature table of faces tracked elsewhere (time, face or None, the frame's pixels), in frame
    order: the face stage's measuring half (chunked tracking hands back faces, measured here in order)."""
    extractor = FeatureExtractor(keep_landmarks)
    return feature_table((extractor.update(t_s, face, image) for t_s, face, image in faces), info, name,
                         keep_landmarks)


def feature_table(rows: Iterable[FrameFeatures], info: SourceInfo, name: str, keep_landmarks: bool) -> FeatureTable:
    """A video's rows as a table, with what is known of the video in its meta."""
    builder = FeatureTableBuilder(keep_landmarks)
    face_px: list[float] = []
    for row in rows:
        builder.append(row)
        if row.face:
            face_px.append(row.face_px)
    return builder.build({"source": name, "fps": info.fps, "width": info.width, "height": info.height,
                          "frames_declared": info.frame_count, "face_px_median": median_or_none(face_px)})


def median_or_none(values: list[float]) -> float | None:
    """The median rounded to 0.1, or None for no values (a video without a face)."""
    return round(float(np.median(values)), 1) if values else None


def analyze(path: str | Path, settings: Settings | None = None, model_path: str | Path | None = None,
            progress: Progress | None = None, cancel: threading.Event | None = None,
            keep_landmarks: bool = False, table: FeatureTable | None = None, breaks: Breaks = NO_BREAKS) -> Analysis:
    """Moments in a video file. Pass `table` (e.g. from the cache) to skip tracking; `breaks`: where a
    recorded live session broke its face runs (see `Breaks`)."""
    settings = settings or Settings()
    from_cache = table is not None
    if table is None:
        info, table = track_video(path, model_path, progress, cancel, keep_landmarks)
    else:
        m = table.meta
        info = SourceInfo(m.get("source", Path(path).name), float(m.get("fps", 30.0)), int(m.get("width", 0)),
                          int(m.get("height", 0)), int(m.get("frames_declared", len(table))))
    evidence = table_evidence(table, breaks)
    return Analysis(str(path), info, table, settings, spot_and_prompt(evidence, settings), evidence, from_cache)


@dataclass(frozen=True)
class LiveResult:
    """What one live frame produced: its measurement row and the moments that just completed."""

    frame: Frame
    features: FrameFeatures
    moments: tuple[Moment, ...]


class LivePipeline:
    """One live session's two stages, one frame at a time: the face stage (tracker and measurements)
    and the moment stage (spotter and prompt policy)."""

    def __init__(self, settings: Settings | None = None, model_path: str | Path | None = None):
        self.face = FaceStage(model_path, keep_landmarks=True)  # landmarks for the preview and the recording
        self.moments = MomentStage(settings or Settings())

    @property
    def settings(self) -> Settings:
        return self.moments.settings

    def set_settings(self, settings: Settings) -> None:
        """Takes effect from the next frame."""
        self.moments.set_settings(settings)

    def lift_cooldown(self) -> None:
        self.moments.lift_cooldown()

    def process(self, frame: Frame) -> LiveResult:
        features = self.face.update(frame.image, frame.t_s)
        return LiveResult(frame, features, self.moments.update(features))

    def finish(self) -> tuple[Moment, ...]:
        """Moments still under way when the stream ends."""
        return self.moments.finish()

    def break_run(self, paused: bool = False) -> tuple[Moment, ...]:
        """The source was interrupted: the face run ends here, with the moment under way if any, and
        measuring starts afresh (new reference) when frames come back; after a lost camera with a new
        warm-up, after a paused call (`paused`: the same person) with their noise estimates kept."""
        moments = self.moments.finish(carry=paused)
        self.face.break_run()
        return moments

    def close(self) -> None:
        self.face.close()


def watch_call(pipeline: LivePipeline, call_filter: CallVideoFilter,
               frame: Frame) -> tuple[CallDecision, LiveResult | None, tuple[Moment, ...]]:
    """One grab of call video through `pipeline`: repeats are not fed; after a pause the face run is
    broken first. Returns (decision, the result or None for a repeat, moments): `moments` are those
    the result completed, with any the break ended."""
    decision = call_filter.update(frame)
    moments = pipeline.break_run(paused=True) if decision.break_run else ()
    if not decision.new:
        return decision, None, moments
    result = pipeline.process(frame)
    return decision, result, moments + result.moments
