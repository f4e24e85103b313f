"""Call video is not camera video: repeated frames, freezes and jumps in a grabbed call stream.

A 15 fps call grabbed at 30 Hz shows every picture twice; when the network stalls the picture
freezes, then jumps to the present. Fed to the spotter as they come, a repeat looks like a hold
and a jump like a brief change. `CallVideoFilter.update(frame)` says, per grab, whether it is a
new picture (feed it), a repeat (do not), and whether the call video was paused (frozen longer
than `FREEZE_S`): then the face run must be broken before the next new picture is fed, as after
a lost face, so that nothing measured across the pause can become a moment (`pipeline.watch_call`).

A repeat is a grab whose grey thumbnail is (all but) identical to the previous grab's: screen
grabs of an unchanged picture are pixel-identical, while a new picture of a face changes some
pixel by several grey levels (measured: no new frame of the test clips, at gallery-tile size
too, had its largest change at or below `REPEAT_LEVEL`). The largest change is used, not the
mean, because a small face in a large region dilutes the mean to almost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.sources.capture import Frame

THUMB_SIDE_PX = 320  # grabs are compared at most this size (long side): ~0.3 ms a grab
REPEAT_LEVEL = 1  # grey levels: a grab whose every thumbnail pixel changed by at most this is a repeat
FREEZE_S = 0.25  # repeats for longer than this are a freeze: the call video paused


@dataclass(frozen=True)
class CallDecision:
    """What to do with one grab.

    new: a new picture: feed it to tracking and spotting; False for a repeat (skip it).
    paused: the call video is paused (frozen for longer than FREEZE_S) at this grab.
    break_run: end the face run before feeding this frame (the first new picture after a pause).
    held_s: how long the picture had been unchanged when this grab came.
    change: the thumbnail's mean absolute change from the previous grab, grey levels (the jump).
    """

    new: bool
    paused: bool
    break_run: bool
    held_s: float
    change: float


def thumbnail(image: np.ndarray) -> np.ndarray:
    """Grey, at most THUMB_SIDE_PX on the long side, int16 (differences do not wrap)."""
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    scale = THUMB_SIDE_PX / max(grey.shape[:2])
    if scale < 1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return grey.astype(np.int16)


class CallVideoFilter:
    """Per-grab repeat and freeze detection; `update(frame) -> CallDecision`, `reset()`."""

    def __init__(self, repeat_level: int = REPEAT_LEVEL, freeze_s: float = FREEZE_S):
        self.repeat_level, self.freeze_s = repeat_level, freeze_s
        self.repeats = 0  # repeats seen (skipped)
        self.pauses = 0  # pauses seen
        self.reset()

    def reset(self) -> None:
        self._prev: np.ndarray | None = None
        self._new_t = 0.0  # when the current picture first came
        self._paused = False

    def update(self, frame: Frame) -> CallDecision:
        thumb = thumbnail(frame.image)
        prev, self._prev = self._prev, thumb
        if prev is None or prev.shape != thumb.shape:  # the first grab, or the region was resized
            self._new_t, self._paused = frame.t_s, False
            return CallDecision(True, False, False, 0.0, 0.0)
        diff = np.abs(thumb - prev)
        held = frame.t_s - self._new_t
        if int(diff.max()) <= self.repeat_level:
            self.repeats += 1
            if held > self.freeze_s and not self._paused:
                self._paused = True
                self.pauses += 1
            return CallDecision(False, self._paused, False, held, float(diff.mean()))
        resumed, self._paused, self._new_t = self._paused, False, frame.t_s
        return CallDecision(True, resumed, resumed, held, float(diff.mean()))

