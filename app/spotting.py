"""Spotting brief facial changes that rise and return, online and causal.

Two stages, so that tuning re-spots a whole recording in milliseconds:

* `Evidence` (settings-free, cached): per face run, for each signed action
  channel (e.g. "left brow up") and each event length, how far the level
  inside a window rose above *both* the level before it and the level after
  it, in units of that channel's own noise. Taking the smaller of the two
  rises is the rise-and-return test: a held expression has no "after" drop, a
  slow drift no sharp "before" rise; penalties for a drifting or restless
  level before, and for not coming back, keep speech and fidgeting out.
  Channels are landmark distances (features.LEVELS) and sums of MediaPipe
  blendshape scores. Masks for blinks, talking and fast head motion are
  computed here too.
* `Decider` (settings): threshold, lengths, regions and filters pick moments
  from the evidence, one frame at a time, identical for live and replay.

A decision about an event is made 0.2 s (`Timing.post`) after it ends, using
only frames up to then, and reported once it has settled (`SETTLE_S`): the
spotter is causal, with that much latency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .features import LEVELS, FeatureTable, FrameFeatures
from .settings import Settings
from .tracking import BLENDSHAPE_NAMES

# MediaPipe's blendshape scores, summed per action: a second opinion on the same landmarks, from a
# model trained on faces, that reacts to changes the raw distances show only faintly.
BLEND_SIGNALS = {
    "shape_brows_up": ("browInnerUp", "browOuterUpLeft", "browOuterUpRight"),
    "shape_brows_down": ("browDownLeft", "browDownRight"),
    "shape_eyes_wide": ("eyeWideLeft", "eyeWideRight"),
    "shape_smile": ("mouthSmileLeft", "mouthSmileRight"),
    "shape_frown": ("mouthFrownLeft", "mouthFrownRight"),
    "shape_press": ("mouthPressLeft", "mouthPressRight"),
    "shape_sneer": ("noseSneerLeft", "noseSneerRight"),
}
SIGNALS = LEVELS + tuple(BLEND_SIGNALS)
SIGNAL = {name: i for i, name in enumerate(SIGNALS)}
_BLEND_COLUMNS = [[BLENDSHAPE_NAMES.index(n) for n in names] for names in BLEND_SIGNALS.values()]


def signals(levels: np.ndarray, blendshapes: np.ndarray) -> np.ndarray:
    """(n, len(SIGNALS)) float32: the levels, then the blendshape sums (element-wise, so one row
    gives the same values alone as in a batch)."""
    b = blendshapes.astype(np.float32)
    sums = []
    for cols in _BLEND_COLUMNS:
        acc = b[:, cols[0]].copy()
        for c in cols[1:]:
            acc += b[:, c]
        sums.append(acc)
    return np.concatenate([levels.astype(np.float32), np.stack(sums, axis=1)], axis=1)


@dataclass(frozen=True)
class Action:
    name: str
    signal: str
    sign: int
    region: str


ACTIONS = (
    Action("brow_up_right", "brow_right", +1, "brows"),
    Action("brow_up_left", "brow_left", +1, "brows"),
    Action("brow_down_right", "brow_right", -1, "brows"),
    Action("brow_down_left", "brow_left", -1, "brows"),
    Action("brow_knit", "brow_gap", -1, "brows"),
    Action("lid_up_right", "lid_right", +1, "lids"),
    Action("lid_up_left", "lid_left", +1, "lids"),
    Action("nose_wings_up", "nose_wings", +1, "nose"),
    Action("corner_up_right", "corner_right", +1, "mouth"),
    Action("corner_up_left", "corner_left", +1, "mouth"),
    Action("corner_down_right", "corner_right", -1, "mouth"),
    Action("corner_down_left", "corner_left", -1, "mouth"),
    Action("mouth_stretch", "mouth_width", +1, "mouth"),
    Action("lip_press", "lip_thickness", -1, "mouth"),
    Action("glance_side_a", "gaze_x", +1, "gaze"),
    Action("glance_side_b", "gaze_x", -1, "gaze"),
    Action("glance_up", "gaze_y", +1, "gaze"),
    Action("glance_down", "gaze_y", -1, "gaze"),
    Action("brows_up_shape", "shape_brows_up", +1, "brows"),
    Action("brows_down_shape", "shape_brows_down", +1, "brows"),
    Action("eyes_wide_shape", "shape_eyes_wide", +1, "lids"),
    Action("smile_shape", "shape_smile", +1, "mouth"),
    Action("frown_shape", "shape_frown", +1, "mouth"),
    Action("press_shape", "shape_press", +1, "mouth"),
    Action("sneer_shape", "shape_sneer", +1, "nose"),
)
N_ACTIONS = len(ACTIONS)
# "Smile" counts only as far as the landmarks agree (geometric mean of the two): its score jumps on
# its own on a crying or grimacing face. The other blendshape sums hold up alone.
CONFIRMED_BY = {"smile_shape": ("corner_up_right", "corner_up_left", "mouth_stretch")}
_INDEX = {a.name: i for i, a in enumerate(ACTIONS)}
_CONFIRMED = [(_INDEX[b], [_INDEX[n] for n in names]) for b, names in CONFIRMED_BY.items()]
ACTION_SIGNALS = np.array([SIGNAL[a.signal] for a in ACTIONS])
ACTION_SIGNS = np.array([a.sign for a in ACTIONS], dtype=np.float32)
IS_GAZE = np.array([a.region == "gaze" for a in ACTIONS])
IS_MOUTH = np.array([a.region == "mouth" for a in ACTIONS])
IS_EYE_AREA = np.array([a.region in ("lids", "brows", "gaze") for a in ACTIONS])

# Event window lengths tried, in seconds: expressions up to max_duration_s, glances up to glance_max_s.
EVENT_LENGTHS_S = (0.067, 0.1, 0.133, 0.2, 0.267, 0.333, 0.4, 0.5, 0.6, 0.8, 1.0)


@dataclass(frozen=True)
class Moment:
    """A brief change, in seconds from the start of the video or session."""

    start_s: float
    peak_s: float
    end_s: float
    regions: tuple[str, ...]
    strength: float
    kind: str = "expression"  # or "glance"
    prompted: bool = False
    prompt: str | None = None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict:
        return {"start_s": round(self.start_s, 4), "peak_s": round(self.peak_s, 4), "end_s": round(self.end_s, 4),
                "regions": list(self.regions), "strength": round(self.strength, 3), "kind": self.kind,
                "prompted": self.prompted, "prompt": self.prompt}

    @classmethod
    def from_dict(cls, d: dict) -> "Moment":
        return cls(float(d["start_s"]), float(d["peak_s"]), float(d["end_s"]), tuple(d["regions"]),
                   float(d["strength"]), d.get("kind", "expression"), bool(d.get("prompted", False)), d.get("prompt"))


@dataclass(frozen=True)
class Timing:
    """Frame counts for one face run, from its frame rate."""

    fps: float
    widths: tuple[int, ...]  # event window lengths in frames, one per EVENT_LENGTHS_S (deduplicated)
    pre: int
    post: int
    noise_window: int
    noise_stride: int
    margin: int  # frames around an event window in which a blink or head turn still counts

    @classmethod
    def for_fps(cls, fps: float, pre_s: float = 0.3, post_s: float = 0.2, noise_s: float = 10.0) -> "Timing":
        widths = sorted({max(1, round(s * fps)) for s in EVENT_LENGTHS_S})
        return cls(fps, tuple(widths), max(2, round(pre_s * fps)), max(2, round(post_s * fps)),
                   max(10, round(noise_s * fps)), max(1, round(0.5 * fps)), max(1, round(0.1 * fps)))

    @property
    def lookback(self) -> int:
        """Rows before a decision frame that deciding it reads."""
        return self.post + 2 * self.widths[-1] + 2 * self.pre + self.margin


def nominal_fps(t_s: np.ndarray, fallback: float = 30.0) -> float:
    """The frame rate of a run from its timestamps (robust to a few dropped frames)."""
    if len(t_s) < 3:
        return fallback
    dt = float(np.median(np.diff(t_s)))
    return 1.0 / dt if dt > 0 else fallback


@dataclass
class Evidence:
    """Settings-free evidence for the decision frames of one face run.

    t_s: (n,) timestamps of the decision frames;
    rise: (n, N_ACTIONS, n_widths) float32 rise-and-return in noise units, NaN where the run is too young;
    start_s, end_s: (n, n_widths) the event window each width refers to;
    flags: (n, n_widths, 3) bool, a blink / talking / fast head motion in or next to that window.
    """

    t_s: np.ndarray
    rise: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    flags: np.ndarray
    timing: Timing
    first_row: int = 0  # row of the recording's FeatureTable where this face run starts
    # the last settings scored and their scores: replay asks for moments and the strength curve
    # under the same settings, one right after the other
    scored: tuple | None = field(default=None, repr=False, compare=False)


def _gather(x: np.ndarray, ends: np.ndarray, k: int) -> np.ndarray:
    """(len(ends), k, ...) the k rows ending at each of `ends` (all >= k - 1)."""
    return x[ends[:, None] - np.arange(k - 1, -1, -1)[None, :]]


def _median_ending(x: np.ndarray, ends: np.ndarray, k: int) -> np.ndarray:
    return np.median(_gather(x, ends, k), axis=1)


def _mean_ending(x: np.ndarray, ends: np.ndarray, k: int) -> np.ndarray:
    acc = x[ends - (k - 1)].copy()
    for j in range(k - 2, -1, -1):  # one fixed summation order, whatever the batch size
        acc += x[ends - j]
    return acc / np.float32(k)


def noise_at(levels: np.ndarray, i: int, timing: Timing) -> np.ndarray:
    """Per-level noise at row i: robust std of frame-to-frame change over the window before it,
    divided by sqrt 2 (so it is the std of one frame's level for white jitter)."""
    lo = max(0, i - timing.noise_window)
    if i - lo < 4:
        return np.full(levels.shape[1], np.inf, np.float32)
    d = np.abs(np.diff(levels[lo:i + 1], axis=0))
    est = np.float32(1.4826 / math.sqrt(2)) * np.median(d, axis=0)
    return np.maximum(est, noise_floor()).astype(np.float32)


NOISE_FLOOR = 0.002  # IOD units: the tracker's resolution on a sharp 640x360 face
BLEND_NOISE_FLOOR = 0.04  # blendshape score units
GAZE_NOISE_FLOOR = 0.03  # eye widths: eyes flick about constantly; only a real look away counts


def noise_floor() -> np.ndarray:
    floor = np.full(len(SIGNALS), NOISE_FLOOR, np.float32)
    floor[[SIGNAL["gaze_x"], SIGNAL["gaze_y"]]] = GAZE_NOISE_FLOOR
    floor[len(LEVELS):] = BLEND_NOISE_FLOOR
    return floor
TALKING_RANGE = 0.06  # IOD: mouth opening that varies this much within a second means speech
HEAD_FAST_DEG_S = 60.0
BLINK_RATIO = 0.6  # eyes closing to this share of their usual opening is a blink
# Penalties, in the units of the rise, for a change that does not come back to where it started
# and for a restless level before it (speech, crying, fidgeting): tuned on the tune split only.
K_RETURN = 1.0
K_SPREAD = 1.0


def frame_flags(levels: np.ndarray, head: np.ndarray, t_s: np.ndarray, rows: np.ndarray,
                timing: Timing) -> np.ndarray:
    """(len(rows), 3) bool: eye closing, talking, fast head motion, at each row (needs the rows before)."""
    flags = np.zeros((len(rows), 3), bool)
    lids = levels[:, [SIGNAL["lid_right"], SIGNAL["lid_left"]]]
    k = timing.pre + timing.widths[-1]
    ok = rows >= k
    if ok.any():
        r = rows[ok]
        ref = _median_ending(lids, r - 1, k)
        flags[ok, 0] = (lids[r] < BLINK_RATIO * ref).all(axis=1)  # blinks close both eyes
    mouth = levels[:, SIGNAL["mouth_open"]]
    talk_k = max(2, round(timing.fps))
    ok = rows >= talk_k - 1
    if ok.any():
        win = _gather(mouth, rows[ok], talk_k)
        flags[ok, 1] = (win.max(axis=1) - win.min(axis=1)) > TALKING_RANGE
    k = max(1, round(0.1 * timing.fps))  # over 0.1 s, so tracker jitter does not read as speed
    ok = rows >= k
    if ok.any():
        r = rows[ok]
        speed = np.abs(head[r] - head[r - k]).max(axis=1) / np.maximum(t_s[r] - t_s[r - k], 1e-3)
        flags[ok, 2] = speed > HEAD_FAST_DEG_S
    return flags


def rise_at(levels: np.ndarray, noise: np.ndarray, t_s: np.ndarray, rows: np.ndarray, timing: Timing):
    """Rise-and-return for decision rows (same values whatever the batch).

    noise: (n, N_LEVELS) per-row noise. Returns rise (len(rows), A, W), start_s and end_s (len(rows), W).
    """
    x = levels[:, ACTION_SIGNALS] * ACTION_SIGNS
    nz = noise[:, ACTION_SIGNALS]
    q, p = timing.post, timing.pre
    n_w = len(timing.widths)
    rise = np.full((len(rows), N_ACTIONS, n_w), np.nan, np.float32)
    start = np.full((len(rows), n_w), np.nan)
    end = np.full((len(rows), n_w), np.nan)
    half = 0.5 / timing.fps
    after = np.full((len(rows), N_ACTIONS), np.nan, np.float32)
    has_after = rows >= q - 1
    if has_after.any():
        after[has_after] = _median_ending(x, rows[has_after], q)
    # The level before an event window (median of the p rows ending at a row) and its spread, once per
    # row that any width needs: the widths share most of them.
    needed = [rows[rows >= 2 * p + w + q - 1] - q - w - k for w in timing.widths for k in (0, p)]
    ends = np.unique(np.concatenate(needed)) if needed else np.zeros(0, int)
    level_before = spread_before = ends
    if len(ends):
        level_before = _median_ending(x, ends, p)
        spread_before = np.median(np.abs(_gather(x, ends, p) - level_before[:, None, :]), axis=1)
    for j, w in enumerate(timing.widths):
        ok = rows >= 2 * p + w + q - 1
        if not ok.any():
            continue
        d = rows[ok]
        e = d - q
        centre = _mean_ending(x, e, w)
        i = np.searchsorted(ends, e - w)
        before, spread = level_before[i], spread_before[i]
        # a brief change starts from a level that was steady: a slope before it means a slow drift
        drift = np.abs(before - level_before[np.searchsorted(ends, e - w - p)])
        # ...and returns to it; and the level before was calm, not mid-way through other movement
        unreturned = np.abs(after[ok] - before)
        scale = nz[e - w] * np.float32(math.sqrt(1.0 / w + 1.57 / p))
        penalty = drift + np.float32(K_RETURN) * unreturned + np.float32(K_SPREAD) * spread
        rise[ok, :, j] = (np.minimum(centre - before, centre - after[ok]) - penalty) / scale
        # the window that fits best covers the top of a change; its onset and offset reach about half
        # a window further each way (never past the decision frame)
        start[ok, j] = t_s[np.maximum(e - w + 1 - w // 2, 0)] - half
        end[ok, j] = t_s[np.minimum(e + w // 2, d)] + half
    return rise, start, end


def window_flags(flags: np.ndarray, rows: np.ndarray, timing: Timing) -> np.ndarray:
    """(len(rows), n_widths, 3): any per-frame flag from a margin before each width's event window
    up to the decision frame (integer counts, so the same values whatever the batch)."""
    counts = np.concatenate([np.zeros((1, 3), np.int64), np.cumsum(flags, axis=0, dtype=np.int64)])
    out = np.zeros((len(rows), len(timing.widths), 3), bool)
    for j, w in enumerate(timing.widths):
        lo = np.maximum(rows - timing.post - w + 1 - timing.margin, 0)
        out[:, j] = (counts[rows + 1] - counts[lo]) > 0
    return out


def run_evidence(levels: np.ndarray, head: np.ndarray, t_s: np.ndarray, first_row: int = 0) -> Evidence:
    """Evidence for every frame of one whole face run."""
    n = len(t_s)
    timing = Timing.for_fps(nominal_fps(t_s[:FPS_PROBE_FRAMES]))
    rows = np.arange(n)
    checkpoints = rows[::timing.noise_stride]
    full = checkpoints[checkpoints >= timing.noise_window]  # whole windows: one median call for all
    at_checkpoints = [noise_at(levels, i, timing) for i in checkpoints[checkpoints < timing.noise_window]]
    if len(full):
        diffs = np.abs(np.diff(levels, axis=0))  # diffs[k] = change from row k to k + 1
        window = _gather(diffs, full - 1, timing.noise_window)
        est = np.float32(1.4826 / math.sqrt(2)) * np.median(window, axis=1)
        at_checkpoints += list(np.maximum(est, noise_floor()).astype(np.float32))
    noise = np.stack(at_checkpoints)[rows // timing.noise_stride] if n else np.empty(levels.shape, np.float32)
    rise, start, end = rise_at(levels, noise, t_s, rows, timing)
    flags = window_flags(frame_flags(levels, head, t_s, rows, timing), rows, timing)
    return Evidence(t_s, rise, start, end, flags, timing, first_row)


FPS_PROBE_FRAMES = 8
TALKING_FACTOR = 2.0


def threshold_for(sensitivity: float) -> float:
    """Rise, in noise units, that counts at a sensitivity of 0..100 (higher sensitivity, lower bar).

    Log-linear, set on the tune split so that gentle (30) gives about 1 false alarm a minute on a
    lively talking face, balanced (50) about 3, attentive (75) about 7."""
    hi, lo = 11.4, 4.3
    return hi * (lo / hi) ** (sensitivity / 100.0)


@dataclass
class _Candidate:
    best: float
    action: int
    start_s: float
    end_s: float
    regions: set = field(default_factory=set)
    frames: int = 1  # decision frames over the threshold so far
    emitted: bool = False


class Decider:
    """Turns evidence into moments one decision frame at a time: the same code live and in replay.

    A moment is a run of consecutive decision frames over the threshold. It is reported once the run
    has lasted `SETTLE_S` (or ends sooner), so a prompt follows the change within about
    `post_s + SETTLE_S`; the rest of the run belongs to the same moment.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.theta = threshold_for(settings.sensitivity)
        self._off = np.array([a.region not in settings.regions for a in ACTIONS])
        self.reset()

    def reset(self) -> None:
        self._cand: _Candidate | None = None
        self._last_end_s = -np.inf

    def scores(self, ev: Evidence) -> tuple[np.ndarray, np.ndarray]:
        """Per decision frame and action: the best rise over the allowed lengths as a multiple of its
        bar (>= 1 is a moment), and the index of that length."""
        dur = np.array(ev.timing.widths) / ev.timing.fps
        s = self.settings
        expr = (dur >= s.min_duration_s - 1e-6) & (dur <= s.max_duration_s + 1e-6)
        glance = (dur >= GLANCE_MIN_S - 1e-6) & (dur <= s.glance_max_s + 1e-6)
        bar = np.where(np.where(IS_GAZE[:, None], glance[None, :], expr[None, :]), np.float32(self.theta), np.inf)
        bar = np.broadcast_to(bar, ev.rise.shape).astype(np.float32)  # (n, A, W)
        bar[:, self._off] = np.inf
        blink, talking, head_fast = (ev.flags[:, None, :, k] for k in range(3))
        if s.blink_filter:
            bar[blink & IS_EYE_AREA[None, :, None]] = np.inf
        if s.talking_filter:
            bar[talking & IS_MOUTH[None, :, None]] *= TALKING_FACTOR
        if s.head_motion_filter:
            bar[np.broadcast_to(head_fast, bar.shape)] = np.inf
        usable = np.isfinite(bar) & ~np.isnan(ev.rise)
        ratio = np.where(usable, np.nan_to_num(ev.rise) / np.where(usable, bar, 1), -np.inf)
        for b, confirming in _CONFIRMED:
            agree = np.maximum(ratio[:, confirming].max(axis=1), 0)
            ratio[:, b] = np.where(np.isfinite(ratio[:, b]), np.sqrt(np.maximum(ratio[:, b], 0) * agree), -np.inf)
        width = ratio.argmax(axis=2)
        return np.take_along_axis(ratio, width[..., None], axis=2)[..., 0], width

    def scores_of(self, ev: Evidence) -> tuple[np.ndarray, np.ndarray]:
        """`scores(ev)`, kept on `ev` so a second request under the same settings costs nothing."""
        if ev.scored is None or ev.scored[0] != self.settings:
            ev.scored = (self.settings, *self.scores(ev))
        return ev.scored[1], ev.scored[2]

    @property
    def smoothing_frames(self) -> int:
        """Decision frames averaged by the smoothing setting (1: none; at most about 0.15 s)."""
        return 1 + int(round(self.settings.smoothing * 4))

    def decide(self, ev: Evidence, score_row: np.ndarray, width_row: np.ndarray, d: int,
               run_start_s: float) -> Moment | None:
        """Feed decision frame d of `ev` (frames in time order); a moment when one is settled."""
        a = int(np.argmax(score_row))
        c = self._cand
        if score_row[a] < 1.0:
            self._cand = None
            return self._report(c, run_start_s) if c is not None and not c.emitted else None
        if c is None:
            c = self._cand = _Candidate(-np.inf, a, 0.0, 0.0, frames=0)
        c.frames += 1
        if c.emitted:
            return None
        if score_row[a] > c.best:
            j = int(width_row[a])
            c.best, c.action, c.start_s, c.end_s = float(score_row[a]), a, float(ev.start_s[d, j]), float(ev.end_s[d, j])
        c.regions.update(ACTIONS[i].region for i in np.flatnonzero(score_row >= 1.0))
        if c.frames > round(SETTLE_S * ev.timing.fps):
            c.emitted = True
            return self._report(c, run_start_s)
        return None

    def finish(self, run_start_s: float) -> Moment | None:
        """End of a face run: report the moment under way, if any."""
        c, self._cand = self._cand, None
        return self._report(c, run_start_s) if c is not None and not c.emitted else None

    def carry_over(self, other: "Decider") -> None:
        """Continue `other`'s moment under way (settings changed between two frames)."""
        self._cand, self._last_end_s = other._cand, other._last_end_s

    def _report(self, c: _Candidate, run_start_s: float) -> Moment | None:
        if c.start_s - run_start_s < self.settings.warmup_s or c.start_s < self._last_end_s:
            return None  # still warming up, or the tail of the moment just reported
        gaze = bool(IS_GAZE[c.action])
        peak = (c.start_s + c.end_s) / 2
        half = min(c.end_s - c.start_s, self.settings.glance_max_s if gaze else self.settings.max_duration_s) / 2
        start, end = peak - half, peak + half
        self._last_end_s = end
        regions = {"gaze"} if gaze else c.regions - {"gaze"}
        return Moment(start, peak, end, tuple(sorted(regions)), round(c.best * self.theta, 3),
                      "glance" if gaze else "expression")


SETTLE_S = 0.05  # how long the strongest reading of a change may still improve before it is reported


def smooth_scores(scores: np.ndarray, k: int) -> np.ndarray:
    """Causal mean of each row with the k-1 rows before it (fewer at the start), negatives as 0.

    Summed newest first, one row at a time, so the online spotter, which sums its last k rows the
    same way, gets the same values."""
    if k <= 1:
        return scores
    x = np.maximum(scores, 0)
    acc, count = x.copy(), np.ones(len(x), np.float32)
    for j in range(1, k):
        acc[j:] += x[:-j]
        count[j:] += 1
    return acc / count[:, None]


GLANCE_MIN_S = 0.15


def face_runs(face: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index pairs of consecutive frames with a face."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], face.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def table_evidence(table: FeatureTable) -> list[Evidence]:
    """Evidence for every face run of a recording: the settings-free, cacheable part of spotting."""
    return [run_evidence(signals(table.levels[a:b], table.blendshapes[a:b]), table.head[a:b], table.t_s[a:b], a)
            for a, b in face_runs(table.face)]


def strength_curve(runs: list[Evidence], settings: Settings, n_rows: int) -> np.ndarray:
    """(n_rows,) float32: per frame of the recording, the strongest change the settings would consider,
    in the threshold's units (compare with `threshold_for(settings.sensitivity)`); NaN without a face.
    Each value belongs to the frame where it was decided (0.2 s after the change ended)."""
    curve = np.full(n_rows, np.nan, np.float32)
    decider = Decider(settings)
    for ev in runs:
        scores = smooth_scores(decider.scores_of(ev)[0], decider.smoothing_frames)
        best = scores.max(axis=1) * np.float32(decider.theta)
        curve[ev.first_row:ev.first_row + len(best)] = np.maximum(best, 0)
    return curve


def spot(runs: list[Evidence], settings: Settings) -> list[Moment]:
    """Moments (not yet prompted) in a recording's evidence, under `settings`."""
    moments = []
    for ev in runs:
        decider = Decider(settings)
        scores, widths = decider.scores_of(ev)
        scores = smooth_scores(scores, decider.smoothing_frames)
        run_start = float(ev.t_s[0])
        hot = np.flatnonzero(scores.max(axis=1) >= 1.0)
        # frames that are neither hot nor right after a hot one leave the decider as it was
        for d in np.union1d(hot, np.minimum(hot + 1, len(ev.t_s) - 1)):
            m = decider.decide(ev, scores[d], widths[d], int(d), run_start)
            if m is not None:
                moments.append(m)
        m = decider.finish(run_start)
        if m is not None:
            moments.append(m)
    return moments


def spot_table(table: FeatureTable, settings: Settings) -> list[Moment]:
    return spot(table_evidence(table), settings)


class Spotter:
    """Online spotter: feed FrameFeatures in time order, get moments as they complete.

    Keeps only the last seconds of the current face run, and finds exactly the moments that
    `spot_table` finds in the same frames (a test holds it to that).
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.decider = Decider(settings)
        self._new_run()

    def _new_run(self) -> None:
        self._levels: list[np.ndarray] = []
        self._head: list[np.ndarray] = []
        self._t: list[float] = []
        self._noise: list[np.ndarray] = []
        self._flags: list[np.ndarray] = []
        self._scores: list[np.ndarray] = []
        self._run_len = 0
        self._run_start_s = 0.0
        self._timing: Timing | None = None
        self.decider.reset()

    reset = _new_run

    def set_settings(self, settings: Settings) -> None:
        """Swap settings between frames; the person's baseline and noise estimates are kept."""
        self.settings = settings
        decider = Decider(settings)
        decider.carry_over(self.decider)
        self.decider = decider

    def update(self, f: FrameFeatures) -> list[Moment]:
        if not f.face:
            return self.flush()
        if not self._t:
            self._run_start_s = f.t_s
        self._levels.append(signals(np.asarray(f.levels)[None], np.asarray(f.blendshapes)[None])[0])
        self._head.append(np.asarray(f.head, np.float32))
        self._t.append(float(f.t_s))
        self._run_len += 1
        if self._timing is None:
            if self._run_len < FPS_PROBE_FRAMES:
                return []
            self._timing = Timing.for_fps(nominal_fps(np.array(self._t[:FPS_PROBE_FRAMES])))
            rows = range(len(self._t))  # catch up on the frames seen while the frame rate was unknown
        else:
            rows = range(len(self._t) - 1, len(self._t))
        moments = [m for i in rows if (m := self._decide_row(i)) is not None]
        self._trim()
        return moments

    def _decide_row(self, i: int) -> Moment | None:
        timing = self._timing
        levels, head, t = np.array(self._levels[:i + 1]), np.array(self._head[:i + 1]), np.array(self._t[:i + 1])
        run_index = self._run_len - len(self._t) + i
        if run_index == 0 or run_index % timing.noise_stride == 0:
            self._current_noise = noise_at(levels, i, timing)
        self._noise.append(self._current_noise)
        self._flags.append(frame_flags(levels, head, t, np.array([i]), timing)[0])
        row = np.array([i])
        rise, start, end = rise_at(levels, np.array(self._noise), t, row, timing)
        ev = Evidence(t[row], rise, start, end, window_flags(np.array(self._flags), row, timing), timing)
        scores, widths = self.decider.scores(ev)
        self._scores.append(np.maximum(scores[0], 0))
        k = self.decider.smoothing_frames
        del self._scores[:-k]
        if k > 1:
            acc = self._scores[-1].copy()
            for j in range(2, len(self._scores) + 1):
                acc += self._scores[-j]
            scores = (acc / np.float32(len(self._scores)))[None]
        return self.decider.decide(ev, scores[0], widths[0], 0, self._run_start_s)

    def _trim(self) -> None:
        timing = self._timing
        keep = max(timing.noise_window, timing.lookback) + 2
        cut = len(self._t) - keep
        if cut > 0:
            for buf in (self._levels, self._head, self._t, self._noise, self._flags):
                del buf[:cut]

    def flush(self) -> list[Moment]:
        """End of the face run (face lost, or end of the video): the moment under way, if any."""
        m = self.decider.finish(self._run_start_s) if self._t else None
        self._new_run()
        return [m] if m is not None else []
