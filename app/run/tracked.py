"""A video's features: from the per-video cache, or tracked (in one process or several) and then cached.

The one cache-or-track path: `glimpse analyze` (app/run/batch.py) and Review opening a video
(app/run/recordings.py) both come here. The file must be a readable video and the model the pinned
one before the cache is even looked at, so an altered model is refused whether or not it would be used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.face.features import FeatureTable
from app.face.tracking import load_model
from app.run.chunked import track_video_parallel
from app.sources.capture import FileSource
from app.store.cache import cache_path, load_cached, save_cached
from app.system.files import video_digest


@dataclass(frozen=True)
class VideoFeatures:
    """A video's feature table, whether it came from the cache, and the video's content digest (the
    cache's key; None when caching is off and the file was not read for it)."""

    table: FeatureTable
    from_cache: bool
    digest: str | None


def features_for(path: Path, model: str | Path | None, caching: bool, keep_landmarks: bool = False, workers: int = 1,
                 progress: Callable[[int, int], None] | None = None,
                 cancel: threading.Event | None = None) -> VideoFeatures:
    """The video's features, from the cache or tracked in `workers` processes (nothing is read from or
    written to the cache when `caching` is off). A table that is cached keeps its landmarks (Review's
    overlay reads the same file), one that is not keeps them when `keep_landmarks`."""
    FileSource(path).close()  # a clear message for a file that is not a readable video
    load_model(model)
    digest = video_digest(path) if caching else None
    cached_at = cache_path(path, digest=digest) if digest is not None else None
    table = load_cached(cached_at) if cached_at is not None else None
    if table is not None:
        return VideoFeatures(table, True, digest)
    # an interrupted run raises Cancelled before anything is written
    _info, table = track_video_parallel(path, workers, model, progress, cancel, keep_landmarks or caching)
    if cached_at is not None:
        save_cached(cached_at, table)
    return VideoFeatures(table, False, digest)
