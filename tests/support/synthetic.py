"""Synthetic inputs: feature tables of a still face with tracker-like jitter and changes added at known
times, a blank frame source for live sessions that need no face, and a live pipeline without a tracker."""

from __future__ import annotations

import time

import numpy as np

from app.face.features import LEVEL, N_LEVELS, FeatureTable, empty_features
from app.face.tracking import N_BLENDSHAPES
from app.run.pipeline import LiveResult
from app.settings.schema import Settings
from app.sources.capture import Frame, SourceInfo
from app.spotting.spotter import Moment

# a resting face's landmark levels, IOD units (gaze: eye widths); other channels' columns stay at 0
SHAPE_REST = {"brow_right": -1.49, "brow_left": -1.39, "brow_gap": 0.51, "lid_right": 0.10, "lid_left": 0.10,
              "nose_wings": -2.50, "corner_right": -2.90, "corner_left": -2.82, "mouth_width": 1.00,
              "lip_thickness": 0.32, "mouth_open": 0.05, "gaze_x": 0.0, "gaze_y": 0.0}
SHAPE_COLUMNS = [LEVEL[name] for name in SHAPE_REST]


def still_face(seconds: float = 20.0, fps: float = 30.0, jitter: float = 0.004, seed: int = 0,
               t0: float = 0.0) -> FeatureTable:
    rng = np.random.default_rng(seed)
    n = int(round(seconds * fps))
    t = t0 + np.arange(n) / fps
    levels = np.zeros((n, N_LEVELS), np.float32)
    levels[:, SHAPE_COLUMNS] = (np.array(list(SHAPE_REST.values()), np.float32)
                                + rng.normal(0, jitter, (n, len(SHAPE_REST))).astype(np.float32))
    head = rng.normal(0, 0.2, (n, 3)).astype(np.float32)
    return FeatureTable(t, np.ones(n, bool), levels, head, np.zeros((n, N_BLENDSHAPES), np.float16),
                        np.ones(n, np.int8))


def add_change(table: FeatureTable, level_names, onset_s: float, duration_s: float, amplitude: float) -> None:
    """A raised-cosine rise and return (onset to offset `duration_s`), in IOD units, on some levels."""
    t = table.t_s
    phase = (t - onset_s) / duration_s
    inside = (phase >= 0) & (phase <= 1)
    bump = np.where(inside, 0.5 - 0.5 * np.cos(2 * np.pi * np.clip(phase, 0, 1)), 0.0)
    for name in level_names:
        table.levels[:, LEVEL[name]] += (amplitude * bump).astype(np.float32)


def add_hold(table: FeatureTable, level_names, onset_s: float, hold_s: float, amplitude: float,
             ramp_s: float = 0.15) -> None:
    """A change that rises in `ramp_s`, is held, and falls back: an ordinary expression."""
    t = table.t_s
    up = np.clip((t - onset_s) / ramp_s, 0, 1)
    down = np.clip((onset_s + ramp_s + hold_s + ramp_s - t) / ramp_s, 0, 1)
    for name in level_names:
        table.levels[:, LEVEL[name]] += (amplitude * np.minimum(up, down)).astype(np.float32)


class BlankClip:
    """`seconds` of blank 30 fps frames, delivered ten times faster than real time (a FrameSource)."""

    def __init__(self, seconds: float = 3.0):
        self.info = SourceInfo("clip", 30.0, 64, 48, int(seconds * 30))

    def __iter__(self):
        for i in range(self.info.frame_count):
            time.sleep(1 / 300)
            yield Frame(i, i / 30, np.zeros((48, 64, 3), np.uint8))

    def close(self):
        pass


class SettingsLog:
    """Stands in for the live pipeline (no tracker): notes the settings each frame is spotted with."""

    seen: list[tuple[float, Settings]] = []

    def __init__(self, settings, model_path=None):
        self.settings = settings
        SettingsLog.seen = []

    def set_settings(self, settings):
        self.settings = settings

    def lift_cooldown(self):
        pass

    def process(self, frame):
        SettingsLog.seen.append((frame.t_s, self.settings))
        return LiveResult(frame, empty_features(frame.t_s), ())

    def finish(self):
        return (Moment(0.1, 0.2, 0.3, ("brows",), 9.0),)

    def close(self):
        pass
