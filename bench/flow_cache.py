"""Per-frame pixel motion (app.flow) of a tracked clip, computed once and cached beside its track.

The key is the track's digest (its landmarks place the crop) and the source of app/flow.py, so a change
to the flow module is measured without tracking again.
"""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path

import numpy as np

from app.storage import write_atomic

from .personwise_track import RawTrack, _track_digest

FLOW_DIR = Path("out/personwise/flow")


def _flow_digest() -> str:
    import app.flow

    return hashlib.sha256(inspect.getsource(app.flow).encode()).hexdigest()[:16]


def flow_of(video: str | Path, track: RawTrack, cache_dir: Path | None = FLOW_DIR, log=print) -> np.ndarray:
    """(n, N_REGIONS, N_STATS) float32 flow rows of `video` (NaN without a face or on a run's first frame)."""
    where = None
    if cache_dir is not None:
        where = cache_dir / f"{Path(track.source).stem}-{_track_digest(track)}-{_flow_digest()}.npy"
        if where.exists():
            try:
                return np.load(where)
            except (OSError, ValueError):
                pass
    from app.capture import FileSource
    from app.flow import FlowTracker

    ft, rows = FlowTracker(), []
    with FileSource(video) as src:
        for k, frame in enumerate(src):
            if k >= len(track):
                break
            rows.append(ft.update(frame.image, track.landmarks[k] if track.face[k] else None, frame.t_s).values)
    if len(rows) != len(track):
        raise ValueError(f"{video}: decoded {len(rows)} frames, the track has {len(track)}")
    out = np.stack(rows).astype(np.float32)
    if where is not None:
        where.parent.mkdir(parents=True, exist_ok=True)
        import io

        buf = io.BytesIO()
        np.save(buf, out)
        write_atomic(where, buf.getvalue())
        log(f"  flow of {Path(video).name}: {len(out)} frames")
    return out


def flow_levels(rows: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """(n, len(FLOW_SIGNALS)) float32 integrated flow levels (app.flow.FlowLevels) of cached flow rows."""
    from app.flow import FlowLevels, FlowRow

    lv = FlowLevels()
    return np.stack([lv.update(FlowRow(float(t), r)).reshape(-1) for t, r in zip(t_s, rows)]).astype(np.float32)


def clip_flow(video: str | Path, track: RawTrack, log=print) -> np.ndarray:
    """The flow levels of a tracked clip (rows cached)."""
    return flow_levels(flow_of(video, track, log=log), track.t_s)
