"""Raw tracker output per clip, tracked once and cached; features recomputed from it every run.

The cache holds what `app.face.tracking.FaceTracker` returns per frame (landmarks, blendshapes, head pose,
faces seen) and the frame timestamps, keyed by the clip's SHA-256, the model's pinned SHA-256 and the
tracker options, so a change to `app/face/features.py` is measured without tracking again. Tracking is
done exactly as `app.run.pipeline.track_video` does it (VIDEO mode, `num_faces=2`).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.face.channels import READS_PIXELS, no_pixels
from app.face.features import FeatureExtractor, FeatureTable, FeatureTableBuilder
from app.face.tracking import MODEL_SHA256, N_BLENDSHAPES, N_LANDMARKS, FaceObservation
from app.system.files import write_atomic

CACHE_DIR = Path("out/personwise/tracks")
MAX_FACES = 2  # as app.run.pipeline.track_video
CACHE_VERSION = 1
DIGEST_CHUNK = 1 << 20


@dataclass(frozen=True)
class RawTrack:
    """Per-frame tracker output of one clip. landmarks (N, 478, 3) float32 normalised (zeros without
    a face), blendshapes (N, 52) float32, pose (N, 4, 4) float32, face (N,) bool, faces_seen (N,) int8,
    t_s (N,) float64 seconds."""

    t_s: np.ndarray
    face: np.ndarray
    landmarks: np.ndarray
    blendshapes: np.ndarray
    pose: np.ndarray
    faces_seen: np.ndarray
    fps: float
    size: tuple[int, int]  # (width, height)
    source: str

    def __len__(self) -> int:
        return len(self.t_s)

    @property
    def duration_s(self) -> float:
        return float(self.t_s[-1]) + 1.0 / self.fps if len(self) else 0.0


def file_digest(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(DIGEST_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def cache_key(path: str | Path) -> str:
    """Content of the clip + model + tracker options (+ cache layout)."""
    text = f"{file_digest(path)}:{MODEL_SHA256}:faces={MAX_FACES}:v{CACHE_VERSION}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _track_now(path: Path) -> RawTrack:
    from app.face.tracking import FaceTracker
    from app.sources.capture import FileSource, prefetched

    t, face, lms, blend, pose, seen = [], [], [], [], [], []
    with FileSource(path) as src, FaceTracker(None, MAX_FACES) as tracker:
        for frame in prefetched(iter(src)):
            obs = tracker.update(frame.image, frame.t_s)
            t.append(frame.t_s)
            face.append(obs is not None)
            lms.append(obs.landmarks if obs else np.zeros((N_LANDMARKS, 3), np.float32))
            blend.append(obs.blendshapes if obs else np.zeros(N_BLENDSHAPES, np.float32))
            pose.append(obs.pose if obs else np.eye(4, dtype=np.float32))
            seen.append(obs.faces_seen if obs else 0)
        info = src.info
    return RawTrack(np.asarray(t, np.float64), np.asarray(face, bool), np.stack(lms).astype(np.float32),
                    np.stack(blend).astype(np.float32), np.stack(pose).astype(np.float32),
                    np.asarray(seen, np.int8), float(info.fps), (info.width, info.height), path.name)


def _save(track: RawTrack, where: Path) -> None:
    import io

    buf = io.BytesIO()
    meta = {"fps": track.fps, "size": list(track.size), "source": track.source}
    np.savez_compressed(buf, t_s=track.t_s, face=track.face, landmarks=track.landmarks,
                        blendshapes=track.blendshapes, pose=track.pose, faces_seen=track.faces_seen,
                        meta=np.array(json.dumps(meta)))
    write_atomic(where, buf.getvalue())


def _load(where: Path) -> RawTrack:
    with np.load(where, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        return RawTrack(z["t_s"], z["face"], z["landmarks"], z["blendshapes"], z["pose"], z["faces_seen"],
                        float(meta["fps"]), tuple(meta["size"]), meta["source"])


_LOADED: dict[tuple, RawTrack] = {}  # per process: a clip used by several folds is read once


def tracked(path: str | Path, cache_dir: Path = CACHE_DIR, log=print) -> RawTrack:
    """The clip's raw tracker output, from the cache when its key matches, else tracked now and cached."""
    path = Path(path)
    stat = path.stat()
    memo = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, str(cache_dir))
    if memo in _LOADED:
        return _LOADED[memo]
    where = cache_dir / f"{path.stem}-{cache_key(path)}.npz"
    if where.exists():
        try:
            _LOADED[memo] = _load(where)
            return _LOADED[memo]
        except (OSError, ValueError, KeyError):
            log(f"  cache {where.name} unreadable: tracking again")
    started = time.perf_counter()
    track = _track_now(path)
    where.parent.mkdir(parents=True, exist_ok=True)
    _save(track, where)
    _LOADED[memo] = track
    log(f"  tracked {path.name}: {len(track)} frames in {time.perf_counter() - started:.1f} s")
    return track


FEATURE_DIR = Path("out/personwise/features")
FEATURE_MODULES = ("app.face.features", "app.face.channels", "app.face.flow", "app.face.landmarks",
                   "app.face.tracking")  # what the measurements depend on


def _features_digest() -> str:
    """Digest of the source of the modules features are computed by: a change there recomputes them."""
    import importlib
    import inspect

    h = hashlib.sha256()
    for name in FEATURE_MODULES:
        try:
            h.update(inspect.getsource(importlib.import_module(name)).encode())
        except (ImportError, OSError, TypeError):
            h.update(name.encode())
    return h.hexdigest()[:16]


def _track_digest(track: RawTrack) -> str:
    h = hashlib.sha256()
    for a in (track.t_s, track.face, track.landmarks, track.blendshapes, track.pose, track.faces_seen):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr((track.fps, track.size, track.source)).encode())
    return h.hexdigest()[:16]


def features_of(track: RawTrack, video: str | Path, cache_dir: Path | None = FEATURE_DIR) -> FeatureTable:
    """The current app/face/features.py measurements of a cached track of `video` (the one place features
    are made; its frames are read again when a channel reads pixels), kept on disk until the track or the
    source of FEATURE_MODULES changes (`cache_dir` None: always computed)."""
    where = None
    if cache_dir is not None:
        where = cache_dir / f"{Path(track.source).stem}-{_track_digest(track)}-{_features_digest()}.npz"
        if where.exists():
            try:
                return FeatureTable.load(where)
            except (OSError, ValueError, KeyError):
                pass
    table = _measure(track, Path(video))
    if where is not None:
        where.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(where, table.to_bytes())
    return table


def _pixels(track: RawTrack, video: Path) -> Iterator[np.ndarray]:
    """Each tracked frame's pixels: read again from `video` when a channel reads them (a raw track keeps
    none), else a stand-in."""
    if not READS_PIXELS:
        yield from itertools.repeat(no_pixels(*track.size), len(track))
        return
    from app.sources.capture import FileSource, prefetched

    n = 0
    with FileSource(video) as source, contextlib.closing(prefetched(iter(source))) as frames:
        for frame in itertools.islice(frames, len(track)):
            if frame.t_s != track.t_s[n]:
                raise ValueError(f"{video.name}: frame {n} read again at {frame.t_s:.3f} s, tracked at {track.t_s[n]:.3f} s")
            n += 1
            yield frame.image
    if n != len(track):
        raise ValueError(f"{video.name}: {n} frames read again, {len(track)} tracked")


def _measure(track: RawTrack, video: Path) -> FeatureTable:
    extractor = FeatureExtractor(False)
    builder = FeatureTableBuilder(False)
    for i, pixels in enumerate(_pixels(track, video)):
        obs = (FaceObservation(track.landmarks[i], track.blendshapes[i], track.pose[i], int(track.faces_seen[i]))
               if track.face[i] else None)
        builder.append(extractor.update(float(track.t_s[i]), obs, pixels))
    return builder.build({"source": track.source, "fps": track.fps, "width": track.size[0],
                          "height": track.size[1]})
