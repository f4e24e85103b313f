"""Frames of recorded video by index: one file (`FrameReader`) or a recording made of several
(`SegmentReader`), for the replay player and anything else that shows recorded frames.

Frames are found by their timestamps (the same ones the features carry), which stays exact
on variable-frame-rate files where seeking by frame number drifts. No Qt here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SEEK_BACKOFF_S = 1.0  # seek this far before a frame's time, then read up to it: exact where the container is not
SKIP_AHEAD_MAX = 30  # a jump forward by up to this many frames is read through rather than sought


@dataclass(frozen=True)
class Segment:
    """One video file of a recording: its frames are the recording's frames `first` to `first + len(times)`,
    and `times` are their presentation times inside this file (what seeking in it uses)."""

    path: Path
    first: int
    times: np.ndarray


class FrameReader:
    """Frames of one video file by index, given every frame's time in that file (seconds)."""

    def __init__(self, path: Path, times: np.ndarray):
        self.path = Path(path)
        self.times = np.asarray(times, np.float64)
        self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        self._next: int | None = 0  # index of the frame the next read() returns, when known

    def read(self, index: int) -> np.ndarray | None:
        """(H, W, 3) uint8 BGR, or None past the end."""
        if not 0 <= index < len(self.times):
            return None
        if self._next is not None and 0 <= index - self._next <= SKIP_AHEAD_MAX:
            for _ in range(index - self._next):
                if not self._cap.grab():
                    return None
            ok, image = self._cap.read()
            self._next = index + 1 if ok else None
            return image if ok else None
        return self._seek_read(index)

    def _seek_read(self, index: int) -> np.ndarray | None:
        """Seek a little before the frame's time, then read up to it, recognising frames by their
        timestamps: each frame owns the times from halfway after the one before to halfway before
        the one after."""
        t = self.times
        lo = (t[index - 1] + t[index]) / 2 if index > 0 else -np.inf
        hi = (t[index] + t[index + 1]) / 2 if index + 1 < len(t) else np.inf
        backoff = SEEK_BACKOFF_S
        while True:
            start = max(0.0, t[index] - backoff)
            self._cap.set(cv2.CAP_PROP_POS_MSEC, start * 1000.0)
            first = True
            while True:
                ok, image = self._cap.read()
                if not ok:
                    self._next = None
                    return None
                now = self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                if first and now >= hi and start > 0:
                    break  # the container landed past the frame: seek from further back
                first = False
                if now >= lo:
                    self._next = index + 1
                    return image
            backoff *= 4

    def close(self) -> None:
        self._cap.release()


class SegmentReader:
    """Frames of a recording made of one or more video files, by the recording's frame index."""

    def __init__(self, segments: Sequence[Segment]):
        self.segments = list(segments)
        self._starts = np.array([seg.first for seg in self.segments])
        self._open: tuple[int, FrameReader] | None = None

    def read(self, index: int) -> np.ndarray | None:
        s = int(np.searchsorted(self._starts, index, side="right")) - 1
        if s < 0:
            return None
        if self._open is None or self._open[0] != s:
            self.close()
            self._open = (s, FrameReader(self.segments[s].path, self.segments[s].times))
        return self._open[1].read(index - self.segments[s].first)

    @property
    def name(self) -> str:
        return self.segments[0].path.name if self.segments else ""

    def close(self) -> None:
        if self._open is not None:
            self._open[1].close()
            self._open = None
