"""Video in, moments out: the headless core that the CLI, live mode and replay all drive."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.errors import Cancelled
from app.face.features import FeatureExtractor, FeatureTable, FeatureTableBuilder, FeatureTally, FrameFeatures
from app.face.small_face import SmallFaceTracker
from app.face.tracking import FaceObservation, FaceTracker, face_height_px
from app.prompts.policy import PromptPolicy, assign_prompts, bank_for
from app.settings.schema import Settings
from app.sources.capture import FileSource, Frame, SourceInfo, prefetched
from app.spotting.spotter import Evidence, Moment, Spotter, spot, table_evidence

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
        moments = assign_prompts(spot(self.evidence, settings), settings.cooldown_s, bank=bank_for(settings))
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
    with FileSource(path) as source, SmallFaceTracker(FaceTracker(model_path, max_faces)) as tracker:
        info = source.info

        def faces() -> Iterator[tuple[float, FaceObservation | None]]:
            total = info.frame_count
            for frame in prefetched(iter(source)):
                if cancel is not None and cancel.is_set():
                    raise Cancelled(f"analysis of {Path(path).name} was cancelled")
                yield frame.t_s, tracker.update(frame.image, frame.t_s)
                if progress is not None:
                    progress(frame.index + 1, max(total, frame.index + 1))

        table = table_from_faces(faces(), info, Path(path).name, keep_landmarks)
    return info, table


def table_from_faces(faces: Iterable[tuple[float, FaceObservation | None]], info: SourceInfo, name: str,
                     keep_landmarks: bool = False) -> FeatureTable:
    """The feature table of tracked faces (time, face or None), in frame order."""
    extractor = FeatureExtractor(keep_landmarks)
    builder = FeatureTableBuilder(keep_landmarks)
    size = (info.width, info.height)
    face_px: list[float] = []
    for t_s, face in faces:
        if face is not None:  # from the landmarks: chunked tracking hands back faces without face_px
            face_px.append(face_height_px(face.landmarks, info.height))
        builder.append(extractor.update(t_s, face, size))
    return builder.build({"source": name, "fps": info.fps, "width": info.width, "height": info.height,
                          "frames_declared": info.frame_count, "face_px_median": median_or_none(face_px)})


def median_or_none(values: list[float]) -> float | None:
    """The median rounded to 0.1, or None for no values (a video without a face)."""
    return round(float(np.median(values)), 1) if values else None


def analyze(path: str | Path, settings: Settings | None = None, model_path: str | Path | None = None,
            progress: Progress | None = None, cancel: threading.Event | None = None,
            keep_landmarks: bool = False, table: FeatureTable | None = None) -> Analysis:
    """Moments in a video file. Pass `table` (e.g. from the cache) to skip tracking."""
    settings = settings or Settings()
    from_cache = table is not None
    if table is None:
        info, table = track_video(path, model_path, progress, cancel, keep_landmarks)
    else:
        m = table.meta
        info = SourceInfo(m.get("source", Path(path).name), float(m.get("fps", 30.0)), int(m.get("width", 0)),
                          int(m.get("height", 0)), int(m.get("frames_declared", len(table))))
    evidence = table_evidence(table)
    moments = assign_prompts(spot(evidence, settings), settings.cooldown_s, bank=bank_for(settings))
    return Analysis(str(path), info, table, settings, moments, evidence, from_cache)


@dataclass(frozen=True)
class LiveResult:
    """What one live frame produced: the face (or None), its features, and moments that just completed."""

    frame: Frame
    face: FaceObservation | None
    features: FrameFeatures
    moments: tuple[Moment, ...]


class LivePipeline:
    """Tracker, features, spotter and prompt policy for one live session, one frame at a time."""

    def __init__(self, settings: Settings | None = None, model_path: str | Path | None = None):
        self.settings = settings or Settings()
        self.tracker = SmallFaceTracker(FaceTracker(model_path))
        self.extractor = FeatureExtractor(keep_landmarks=True)
        self.spotter = Spotter(self.settings)
        self.policy = PromptPolicy.for_settings(self.settings)

    def set_settings(self, settings: Settings) -> None:
        """Takes effect from the next frame (the listener's own questions too); the person's baseline is kept."""
        if settings.questions != self.settings.questions:  # the built-in bank is not read again for nothing
            self.policy.set_bank(bank_for(settings))
        self.settings = settings
        self.spotter.set_settings(settings)
        self.policy.cooldown_s = settings.cooldown_s

    def process(self, frame: Frame) -> LiveResult:
        h, w = frame.image.shape[:2]
        face = self.tracker.update(frame.image, frame.t_s)
        features = self.extractor.update(frame.t_s, face, (w, h))
        moments = tuple(self.policy.update(m) for m in self.spotter.update(features))
        return LiveResult(frame, face, features, moments)

    def finish(self) -> tuple[Moment, ...]:
        """Moments still under way when the stream ends."""
        return tuple(self.policy.update(m) for m in self.spotter.flush())

    def break_run(self) -> tuple[Moment, ...]:
        """The source was interrupted (a camera lost): the face run ends here, with the moment under
        way if any, and measuring starts afresh (new reference, new warm-up) when frames come back."""
        moments = self.finish()
        self.extractor.reset()
        return moments

    def close(self) -> None:
        self.tracker.close()
