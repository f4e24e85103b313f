"""Settings-free evidence of brief facial changes, for a whole face run or one frame at a time.

Per face run, for each signed action channel (e.g. "left brow up") and each event length: how far
the level inside a window rose above *both* the level before it and the level after it, in units
of that channel's own noise. Taking the smaller of the two rises is the rise-and-return test: a
held expression has no "after" drop, a slow drift no sharp "before" rise; penalties for a drifting
or restless level before, and for not coming back, keep speech and fidgeting out. Real micro-expressions
often end in a step (half their change left): while the person listens and the head holds still, a small,
fast onset that both sensors (landmarks and pixel motion) see may come back only part way. The unit of a
rise is at least a multiple of this person's usual short-term movement on that channel, learned
over the last seconds (so a lively talker needs a larger change than a still listener). Channels
are landmark distances (features.LEVELS), sums of MediaPipe blendshape scores, and the jaw, lids
and head angles as channels that explain other changes away (never moments themselves). Flags for
blinks, talking and fast head motion, and how far the head moved around each window, are computed here too.

Batch (`run_evidence`) and online (`EvidenceStream`) share one kernel: causal per-row columns
(running medians, prefix sums, noise), then the rise for some decision rows from those columns.
Every step is element-wise or reduces along a window axis, so a row gets the same bits whichever
batch it is computed in; the online stream computes each row's columns once, when it arrives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np

from app.face.features import LEVELS
from app.face.flow import Flow
from app.face.tracking import BLENDSHAPE_NAMES

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
HEAD_SIGNALS = ("head_yaw", "head_pitch", "head_roll")  # degrees against the run's reference pose
FLOW_SIGNALS = Flow.NAMES  # levels of the pixel-motion channel (app/face/flow.py): IOD units, y down
SIGNALS = LEVELS + tuple(BLEND_SIGNALS) + HEAD_SIGNALS
SIGNAL = {name: i for i, name in enumerate(SIGNALS)}
_BLEND_COLUMNS = [[BLENDSHAPE_NAMES.index(n) for n in names] for names in BLEND_SIGNALS.values()]


def signals(levels: np.ndarray, blendshapes: np.ndarray, head: np.ndarray) -> np.ndarray:
    """(n, len(SIGNALS)) float32: the levels, the blendshape sums (summed in one fixed order, so one
    row gives the same values alone as in a batch), then the head angles."""
    b = blendshapes.astype(np.float32)
    sums = []
    for cols in _BLEND_COLUMNS:
        acc = b[:, cols[0]].copy()
        for c in cols[1:]:
            acc += b[:, c]
        sums.append(acc)
    return np.concatenate([levels.astype(np.float32), np.stack(sums, axis=1), head.astype(np.float32)], axis=1)


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
    # Pixel motion of the same regions (y down: up is -1); off unless spotting.FLOW_REGIONS lets them in
    Action("flow_brow_up_right", "flow_brow_right_y", -1, "brows"),
    Action("flow_brow_up_left", "flow_brow_left_y", -1, "brows"),
    Action("flow_brow_down_right", "flow_brow_right_y", +1, "brows"),
    Action("flow_brow_down_left", "flow_brow_left_y", +1, "brows"),
    Action("flow_lid_up_right", "flow_lid_right_y", -1, "lids"),
    Action("flow_lid_up_left", "flow_lid_left_y", -1, "lids"),
    Action("flow_nose_up", "flow_nose_y", -1, "nose"),
    Action("flow_corner_up_right", "flow_corner_right_y", -1, "mouth"),
    Action("flow_corner_up_left", "flow_corner_left_y", -1, "mouth"),
    Action("flow_corner_down_right", "flow_corner_right_y", +1, "mouth"),
    Action("flow_corner_down_left", "flow_corner_left_y", +1, "mouth"),
    Action("flow_corner_out_right", "flow_corner_right_x", -1, "mouth"),
    Action("flow_corner_out_left", "flow_corner_left_x", +1, "mouth"),
    Action("flow_chin_up", "flow_chin_y", -1, "mouth"),
    # Movements that are never moments themselves but explain away a change that comes with them
    # (regions no setting names): the jaw (speech), the lids closing (blinks), the head (nods, laughter).
    Action("jaw_open", "mouth_open", +1, "jaw"),
    Action("jaw_close", "mouth_open", -1, "jaw"),
    Action("lid_down_right", "lid_right", -1, "blink"),
    Action("lid_down_left", "lid_left", -1, "blink"),
    Action("head_yaw_a", "head_yaw", +1, "head"),
    Action("head_yaw_b", "head_yaw", -1, "head"),
    Action("head_pitch_a", "head_pitch", +1, "head"),
    Action("head_pitch_b", "head_pitch", -1, "head"),
    Action("head_roll_a", "head_roll", +1, "head"),
    Action("head_roll_b", "head_roll", -1, "head"),
)
N_ACTIONS = len(ACTIONS)
ACTION_INDEX = {a.name: i for i, a in enumerate(ACTIONS)}
ACTION_SIGNALS = np.array([SIGNAL[a.signal] for a in ACTIONS])
ACTION_SIGNS = np.array([a.sign for a in ACTIONS], dtype=np.float32)
IS_FLOW = np.array([a.signal in FLOW_SIGNALS for a in ACTIONS])
# Regions both sensors see: (N_ACTIONS, R) float32 one-hot of each action's region, landmark and blendshape
# actions apart from pixel-motion ones (for the two-sensor test of a partial return).
SEEN_REGIONS = tuple(dict.fromkeys(a.region for a in ACTIONS if a.signal in FLOW_SIGNALS))
_REGION_HOT = np.array([[a.region == r for r in SEEN_REGIONS] for a in ACTIONS], np.float32)
TRACKER_REGION = _REGION_HOT * ~IS_FLOW[:, None]
FLOW_REGION = _REGION_HOT * IS_FLOW[:, None]


def in_regions(*regions: str) -> np.ndarray:
    """(N_ACTIONS,) bool: the actions of these regions."""
    return np.array([a.region in regions for a in ACTIONS])


IS_HEAD = in_regions("head")


class Flag(IntEnum):
    """Per-frame conditions under which a change is not (or not easily) a moment."""

    BLINK = 0  # both eyes closing
    TALKING = 1  # the mouth opening varies as in speech
    HEAD_FAST = 2  # the head turns or nods fast


N_FLAGS = len(Flag)

# Event window lengths tried, in seconds: expressions up to max_duration_s, glances up to glance_max_s.
EVENT_LENGTHS_S = (0.067, 0.1, 0.133, 0.2, 0.267, 0.333, 0.4, 0.5, 0.6, 0.8, 1.0)
PRE_S = 0.3  # the level before a window: median over this long
POST_S = 0.2  # the level after it, and the delay of every decision
NOISE_S = 10.0  # noise is estimated over this much of the run before a frame
NOISE_STRIDE_S = 0.5  # ...and re-estimated this often
MARGIN_S = 0.1  # a flag this close before an event window still counts for it
HEAD_SPEED_SPAN_S = 0.1  # head speed over this span, so tracker jitter does not read as speed
TALK_SPAN_S = 1.0  # mouth-opening range over this span tells speech
MIN_PRE_FRAMES = MIN_POST_FRAMES = 2
MIN_NOISE_FRAMES = 10
MIN_NOISE_DIFFS = 4  # fewer frame-to-frame changes than this give no noise estimate yet

NOISE_FLOOR = 0.002  # IOD units: the tracker's resolution on a sharp 640x360 face
BLEND_NOISE_FLOOR = 0.04  # blendshape score units
GAZE_NOISE_FLOOR = 0.03  # eye widths: eyes flick about constantly; only a real look away counts
HEAD_NOISE_FLOOR_DEG = 0.3  # the tracker's pose jitter on a still head
FLOW_NOISE_FLOOR = 0.001  # IOD units: integrated flow on a still, sharp face
# std of one frame's level from the median absolute frame-to-frame change (white jitter):
# 1.4826 turns a median absolute deviation into a std; a difference of two frames has sqrt 2 of it.
MAD_TO_STD = 1.4826
JITTER_FROM_DIFF = np.float32(MAD_TO_STD / math.sqrt(2))
MEDIAN_VARIANCE = math.pi / 2  # variance of a median of p samples, relative to their mean's
TALKING_RANGE = 0.06  # IOD: mouth opening that varies this much within a second means speech
HEAD_FAST_DEG_S = 60.0
MIN_SPAN_S = 1e-3  # guards the head speed against duplicate timestamps
BLINK_RATIO = 0.6  # eyes closing to this share of their usual opening is a blink
# Penalties, in the units of the rise, for a change that does not come back to where it started
# and for a restless level before it (speech, crying, fidgeting): tuned on the tune split only.
K_RETURN = 1.0
K_SPREAD = 1.0
K_DRIFT = 1.0  # ...and for a level that was still sliding before it
# Each of those three penalties counts only beyond this many noise units of the channel, while the person does
# not talk and while they do: on a still face the tracker's jitter alone gives them 0.5-0.7 noise units each
# (medians of a few noisy frames), which a change of real size (a few noise units) cannot spare. 0: all count
# (bench/SPOTTER_LOG.md, phase 5a: allowing it finds natural quiet movement as fast as real-size events).
PENALTY_ALLOWANCE = (0.0, 0.0)
# The return test reads the level after a window as if it came back by at least this share of the rise
# (0: a full return is needed; real micro-expressions often keep half their change at the offset).
RETURN_SHARE = 0.0
ACTIVITY_WEIGHT = 2.0  # the unit of a rise is at least this multiple of the person's usual restlessness
# That restlessness learned apart while the person talks and while they do not, each window judged by the
# state around it (a listener's bar is then set by quiet movement, not by their speech a moment ago);
# a state seen on fewer than MIN_STATE_SHARE of the window's rows uses the whole window's.
STATE_ACTIVITY = False
MIN_STATE_SHARE = 0.2
# Outside speech the return test may accept a partial return: the level after counts as if it came
# back by this share of the rise (a step that stays up, as four of the six real clips end). On by
# bench/SPOTTER_LOG.md change 18 with all the conditions below: real clips found 1 -> 4 of 6, context
# moments 5 -> 1, held-out core recall 0.41 -> 0.42 at natural FA 1.67 -> 1.87/min. 0: off...
QUIET_RETURN_SHARE = 0.5
# ...when at least this share of the rise did come back (a change that stays up entirely is not brief)...
MIN_RETURNED = 0.25
# ...and only for a small, fast onset: a window no longer than this (s) whose rise is no larger than this
# (level units: IOD for landmarks and flow); real micro-expressions rise in 65-300 ms by 1-4% IOD, held
# expressions and speech steps are larger or slower. inf: any window, any size.
PARTIAL_MAX_WINDOW_S = 0.3
PARTIAL_MAX_RISE = 0.04
# ...and only when both sensors see a rise in the region (a landmark or blendshape action and a pixel-motion
# one each rising by at least this many units of their own): a step one sensor alone makes (tracker jitter,
# flow drift) is not taken for a change that stays. 0: off.
PARTIAL_CORROBORATION = 3.0
# ...and the partial reading never scores a change above its full-return reading: only the unreturned part of
# the rise, up to that share, is forgiven (else a change that did come back gains K_RETURN x the share of its
# rise, and returned head bobs outscore real steps: bench/SPOTTER_LOG.md, phase 5c). False: the old form.
PARTIAL_CAPPED = True
# ...and only while the head holds still: every head angle's onset, in its own units, below this share of the
# region's (a listener's natural step comes with a posture shift the alignment leaves in the landmarks). 0: off.
PARTIAL_HEAD_STILL = 0.5
# While the noise estimate is young the unit is raised: by YOUNG_GAIN at the run's first frame, falling
# linearly to nothing at YOUNG_S (the estimate's whole window). It keeps a run's first seconds (head
# micro-motion measured against seconds of noise) quiet, and costs marginal changes there (change 18).
YOUNG_GAIN = 1.0
YOUNG_S = NOISE_S
FPS_PROBE_FRAMES = 8  # a run's frame rate is read from its first frames
FALLBACK_FPS = 30.0
BATCH_ROWS = 2048  # rows per chunk in batch: bounds the memory of windowed medians on long runs
NOISE_CHUNK = 64  # noise checkpoints per chunk in batch (each reads a whole noise window)


def noise_floor() -> np.ndarray:
    floor = np.full(len(SIGNALS), NOISE_FLOOR, np.float32)
    floor[[SIGNAL["gaze_x"], SIGNAL["gaze_y"]]] = GAZE_NOISE_FLOOR
    floor[len(LEVELS):len(LEVELS) + len(BLEND_SIGNALS)] = BLEND_NOISE_FLOOR
    floor[[SIGNAL[n] for n in HEAD_SIGNALS]] = HEAD_NOISE_FLOOR_DEG
    floor[[SIGNAL[n] for n in FLOW_SIGNALS]] = FLOW_NOISE_FLOOR
    return floor


_NOISE_FLOOR = noise_floor()


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
    def for_fps(cls, fps: float) -> Timing:
        widths = sorted({max(1, round(s * fps)) for s in EVENT_LENGTHS_S})
        return cls(fps, tuple(widths), max(MIN_PRE_FRAMES, round(PRE_S * fps)),
                   max(MIN_POST_FRAMES, round(POST_S * fps)), max(MIN_NOISE_FRAMES, round(NOISE_S * fps)),
                   max(1, round(NOISE_STRIDE_S * fps)), max(1, round(MARGIN_S * fps)))

    @property
    def lookback(self) -> int:
        """Rows before a decision frame that deciding it reads."""
        return self.post + 2 * self.widths[-1] + 2 * self.pre + self.margin

    @property
    def keep(self) -> int:
        """Rows an online stream keeps: enough for the noise and activity windows and the lookback."""
        return max(self.noise_window + self.pre, self.lookback) + 2

    @property
    def blink_reference(self) -> int:
        """Frames before a frame whose median eye opening is the usual one."""
        return self.pre + self.widths[-1]

    @property
    def talk_span(self) -> int:
        return max(2, round(TALK_SPAN_S * self.fps))

    @property
    def head_span(self) -> int:
        return max(1, round(HEAD_SPEED_SPAN_S * self.fps))

    def first_decision(self, w: int) -> int:
        """The first run row at which a window of w frames can be decided."""
        return 2 * self.pre + w + self.post - 1


def nominal_fps(t_s: np.ndarray, fallback: float = FALLBACK_FPS) -> float:
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
    flags: (n, n_widths, N_FLAGS) bool, each `Flag` in or next to that window;
    head_moved: (n, n_widths) float32 how far the head moved in or right after that window, in noise units,
    whether or not it came back (the largest of its angles' rises above the level before or after).
    """

    t_s: np.ndarray
    rise: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    flags: np.ndarray
    head_moved: np.ndarray
    timing: Timing
    first_row: int = 0  # row of the recording's FeatureTable where this face run starts
    watched_from_s: float | None = None  # a run that kept the person: when their first run began


def _windows(x: np.ndarray, ends: np.ndarray, k: int) -> np.ndarray:
    """(len(ends), k, ...) the k rows ending at each of `ends` (all >= k - 1)."""
    return x[ends[:, None] - np.arange(k - 1, -1, -1)[None, :]]


def _median(w: np.ndarray, axis: int) -> np.ndarray:
    """np.median along `axis` for NaN-free data, through one partition (np.median's own checks cost
    more than the work on the small windows here)."""
    k = w.shape[axis]
    mid = k // 2
    if k % 2:
        return np.take(np.partition(w, mid, axis=axis), mid, axis=axis)
    part = np.partition(w, (mid - 1, mid), axis=axis)
    return (np.take(part, mid - 1, axis=axis) + np.take(part, mid, axis=axis)) / part.dtype.type(2)


def _median_ending(x: np.ndarray, ends: np.ndarray, k: int) -> np.ndarray:
    """Median of the k rows ending at each of `ends`; NaN where fewer than k rows exist."""
    out = np.full((len(ends),) + x.shape[1:], np.nan, np.float32)
    ok = ends >= k - 1
    if ok.any():
        out[ok] = _median(_windows(x, ends[ok], k), axis=1)
    return out


@dataclass(frozen=True)
class Prior:
    """What a face run hands the next when the person stays (a paused call, a face lost for a moment): the
    last seconds of the measurements the noise and the usual restlessness are estimated from, so that the
    next run starts with the person's estimates instead of a young one (and its raised unit)."""

    diffs: np.ndarray  # (<= noise window, n_signals) float32 absolute frame-to-frame changes, oldest first
    spread: np.ndarray  # (<= noise window, A) float32 the short-term spread per row...
    talking: np.ndarray  # (same,) bool ...and whether the person talked there
    rows: int  # how many of the person's rows the estimates rest on (the young unit's age)


def _topped_up(older: np.ndarray, own: np.ndarray, k: int) -> np.ndarray:
    """`own` rows (at most k), after as many of `older`'s last rows as make k."""
    return np.concatenate([older[max(0, len(older) - (k - len(own))):], own])


def prior_of(levels: np.ndarray, spread: np.ndarray, talking: np.ndarray, rows: int, timing: Timing,
             earlier: Prior | None) -> Prior:
    """The prior a face run of `rows` rows hands on, from its rows (all, or at least its last noise
    window's) and the prior it started with."""
    k = timing.noise_window
    diffs = np.abs(np.diff(levels[-(k + 1):], axis=0))
    valid = ~np.isnan(spread[:, 0])  # a run's first rows have no spread yet
    spread, talking = spread[valid][-k:], talking[valid][-k:]
    if earlier is not None:
        diffs, spread = _topped_up(earlier.diffs, diffs, k), _topped_up(earlier.spread, spread, k)
        talking, rows = _topped_up(earlier.talking, talking, k), rows + earlier.rows
    return Prior(diffs, spread, talking, rows)


def _noise(levels: np.ndarray, ends: np.ndarray, timing: Timing, prior: Prior | None = None) -> np.ndarray:
    """(len(ends), n_signals) noise at each of `ends`: the robust std of one frame's level, from the
    frame-to-frame changes over the noise window before it (fewer at the start of a run, topped up
    from `prior`'s, the changes just before the run, when it has some)."""
    out = np.full((len(ends), levels.shape[1]), np.inf, np.float32)
    full = ends >= timing.noise_window
    if full.any():  # whole windows: one median for all of them
        d = np.abs(np.diff(_windows(levels, ends[full], timing.noise_window + 1), axis=1))
        out[full] = JITTER_FROM_DIFF * _median(d, axis=1)
    for j in np.flatnonzero(~full):
        d = np.abs(np.diff(levels[:ends[j] + 1], axis=0))
        if prior is not None:
            d = _topped_up(prior.diffs, d, timing.noise_window)
        if len(d) >= MIN_NOISE_DIFFS:
            out[j] = JITTER_FROM_DIFF * _median(d, axis=0)
    return np.maximum(out, _NOISE_FLOOR)


def _activity(spread: np.ndarray, talking: np.ndarray, ends: np.ndarray, timing: Timing,
              prior: Prior | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(len(ends), A) twice: this person's usual restlessness per action at each of `ends`, the median of
    the short-term spread over the noise window before it (topped up from `prior`'s at the start of a run;
    0 until there is some), over the rows where they do not talk and over those where they do (`talking`
    (n,) bool per row; both the whole window's median unless STATE_ACTIVITY)."""
    quiet = np.zeros((len(ends), spread.shape[1]), np.float32)
    loud = quiet.copy()
    first = timing.pre - 1  # the first row with a spread
    for j, end in enumerate(ends.tolist()):
        lo = max(first, end - timing.noise_window + 1)
        w, talk = spread[lo:end + 1], talking[lo:end + 1]
        if prior is not None:
            k = timing.noise_window
            w, talk = _topped_up(prior.spread, w, k), _topped_up(prior.talking, talk, k)
        if len(w) <= MIN_NOISE_DIFFS:
            continue
        quiet[j] = loud[j] = _median(w, axis=0)
        if STATE_ACTIVITY:
            least = max(MIN_NOISE_DIFFS, MIN_STATE_SHARE * len(w))
            if least <= (~talk).sum() < len(w):
                quiet[j] = _median(w[~talk], axis=0)
            if least <= talk.sum() < len(w):
                loud[j] = _median(w[talk], axis=0)
    return quiet, loud


@dataclass
class Columns:
    """Causal per-row quantities of one face run (row r depends on rows <= r only)."""

    t: np.ndarray  # (n,) float64 seconds
    x: np.ndarray  # (n, A) float32 signed action levels
    csum: np.ndarray  # (n, A) float64 running sum of x (rows 0..r), for window means
    before: np.ndarray  # (n, A) float32 median of the `pre` rows ending at r
    spread: np.ndarray  # (n, A) float32 median absolute deviation from it
    after: np.ndarray  # (n, A) float32 median of the `post` rows ending at r
    noise: np.ndarray  # (n, A) float32
    activity: np.ndarray  # (n, A) float32, see `_activity`: while not talking...
    activity_talking: np.ndarray  # ...and while talking
    flags: np.ndarray  # (n, N_FLAGS) bool, per frame
    counts: np.ndarray  # (n, N_FLAGS) int64 running count of flags (rows 0..r)


def row_columns(levels: np.ndarray, head: np.ndarray, t: np.ndarray, x: np.ndarray, rows: np.ndarray,
                timing: Timing) -> tuple[np.ndarray, ...]:
    """before, spread, after and per-frame flags at `rows`, from the rows up to each."""
    p = timing.pre
    before = _median_ending(x, rows, p)
    ok = rows >= p - 1
    spread = np.full_like(before, np.nan)
    if ok.any():
        spread[ok] = _median(np.abs(_windows(x, rows[ok], p) - before[ok][:, None, :]), axis=1)
    after = _median_ending(x, rows, timing.post)
    return before, spread, after, frame_flags(levels, head, t, rows, timing)


def frame_flags(levels: np.ndarray, head: np.ndarray, t: np.ndarray, rows: np.ndarray,
                timing: Timing) -> np.ndarray:
    """(len(rows), N_FLAGS) bool at each row (needs the rows before)."""
    flags = np.zeros((len(rows), N_FLAGS), bool)
    lids = levels[:, [SIGNAL["lid_right"], SIGNAL["lid_left"]]]
    k = timing.blink_reference
    ok = rows >= k
    if ok.any():
        r = rows[ok]
        usual = _median_ending(lids, r - 1, k)
        flags[ok, Flag.BLINK] = (lids[r] < BLINK_RATIO * usual).all(axis=1)  # blinks close both eyes
    mouth = levels[:, SIGNAL["mouth_open"]]
    k = timing.talk_span
    ok = rows >= k - 1
    if ok.any():
        win = _windows(mouth, rows[ok], k)
        flags[ok, Flag.TALKING] = (win.max(axis=1) - win.min(axis=1)) > TALKING_RANGE
    k = timing.head_span
    ok = rows >= k
    if ok.any():
        r = rows[ok]
        speed = np.abs(head[r] - head[r - k]).max(axis=1) / np.maximum(t[r] - t[r - k], MIN_SPAN_S)
        flags[ok, Flag.HEAD_FAST] = speed > HEAD_FAST_DEG_S
    return flags


def action_levels(levels: np.ndarray) -> np.ndarray:
    return levels[:, ACTION_SIGNALS] * ACTION_SIGNS


@dataclass(frozen=True)
class RiseParts:
    """The terms of the rise-and-return test for some decision rows, each (n, W, A) float32 in level
    units (`scale` is the noise unit times the window's factor): rise = (min(up, down) - K_DRIFT *
    drift - K_RETURN * unreturned - K_SPREAD * spread) / scale, each penalty less PENALTY_ALLOWANCE x noise."""

    up: np.ndarray  # the window's mean above the level before it
    down: np.ndarray  # ... above the level after it
    drift: np.ndarray  # slope of the level before
    unreturned: np.ndarray  # after - before
    spread: np.ndarray  # restlessness of the level before
    noise: np.ndarray  # (n, W, A) the channel's noise
    activity: np.ndarray  # the person's usual short-term movement (the learned unit is ACTIVITY_WEIGHT x this)
    scale: np.ndarray
    talking: np.ndarray  # (n, W, 1) bool: the person talks around the window
    window_s: np.ndarray  # (1, W, 1) float32 each window's length, seconds

    def rise(self) -> np.ndarray:
        drift, unreturned, spread = self.drift, self.unreturned, self.spread
        if any(PENALTY_ALLOWANCE):
            quiet, talking = (np.float32(a) for a in PENALTY_ALLOWANCE)
            free = np.where(self.talking, talking, quiet) * np.where(np.isfinite(self.noise), self.noise, 0)
            drift, unreturned, spread = (np.maximum(x - free, 0) for x in (drift, unreturned, spread))
        penalty = np.float32(K_DRIFT) * drift + np.float32(K_RETURN) * unreturned + np.float32(K_SPREAD) * spread
        down = self.down + np.float32(RETURN_SHARE) * self.up if RETURN_SHARE else self.down
        if QUIET_RETURN_SHARE:  # a partial return, outside speech, when part of the rise came back
            partial = ~self.talking & (self.down >= np.float32(MIN_RETURNED) * self.up)
            if PARTIAL_MAX_WINDOW_S < math.inf or PARTIAL_MAX_RISE < math.inf:  # a small, fast onset only
                partial &= (self.window_s <= PARTIAL_MAX_WINDOW_S) & (self.up <= PARTIAL_MAX_RISE)
            if PARTIAL_CORROBORATION:
                partial &= self.both_sensors(np.float32(PARTIAL_CORROBORATION))
            if PARTIAL_HEAD_STILL:
                units = self.up / self.scale
                partial &= units[..., IS_HEAD].max(axis=-1, keepdims=True) < np.float32(PARTIAL_HEAD_STILL) * units
            share = np.float32(QUIET_RETURN_SHARE) * self.up
            forgiven = np.minimum(share, self.unreturned) if PARTIAL_CAPPED else share
            down = np.where(partial, down + share, down)
            penalty = np.where(partial, penalty - np.float32(K_RETURN) * forgiven, penalty)
        return (np.minimum(self.up, down) - penalty) / self.scale

    def both_sensors(self, units: np.float32) -> np.ndarray:
        """(n, W, A) bool: the action's region rises by `units` of its own scale in a tracker action and in a
        pixel-motion one (False for regions flow does not cover)."""
        seen = (self.up >= units * self.scale).astype(np.float32)
        both = ((seen @ TRACKER_REGION) > 0) & ((seen @ FLOW_REGION) > 0)  # (n, W, R)
        return (both.astype(np.float32) @ _REGION_HOT.T) > 0


def rise_parts(c: Columns, rows: np.ndarray, timing: Timing, offset: int = 0,
               age: int = 0) -> tuple[RiseParts, np.ndarray, np.ndarray]:
    """The rise's terms for decision `rows` (indices into the columns, whose row 0 is run row `offset`;
    `age`: the person's rows before the run that its estimates rest on), whether each width can be
    decided there (n, W), and the rows where each window ends (n, W)."""
    widths = np.array(timing.widths)
    q, p = timing.post, timing.pre
    d = rows[:, None]
    ok = d + offset >= np.array([timing.first_decision(w) for w in widths])[None, :]  # (n, W)
    e = np.maximum(d - q, 0)  # the window ends here: the last `post` rows are the "after"
    b = np.where(ok, e - widths, 0)  # the "before" ends here (any valid row where not decided)
    centre = ((c.csum[e] - c.csum[b]) / widths[None, :, None]).astype(np.float32)  # (n, W, A)
    before, spread = c.before[b], c.spread[b]
    # a brief change starts from a level that was steady: a slope before it means a slow drift...
    drift = np.abs(before - c.before[np.maximum(b - p, 0)])
    # ...and returns to it; and the level before was calm, not mid-way through other movement
    after = c.after[rows][:, None, :]
    # the person talks from the level before to the window's end (the talking flag of any row there)
    talk = c.counts[e, Flag.TALKING] - c.counts[np.maximum(b - p, 0), Flag.TALKING] > 0
    talking = talk[:, :, None]
    activity = np.where(talking, c.activity_talking[b], c.activity[b])
    unit = np.maximum(c.noise[b], np.float32(ACTIVITY_WEIGHT) * activity)
    if YOUNG_GAIN:  # an estimate from the run's first seconds may be too low
        young_frames = np.float32(max(MIN_NOISE_FRAMES, round(YOUNG_S * timing.fps)))
        young = np.clip(1 - (b + offset + age) / young_frames, 0, 1).astype(np.float32)
        unit = unit * (1 + np.float32(YOUNG_GAIN) * young)[:, :, None]
    scale = unit * np.sqrt(1.0 / widths + MEDIAN_VARIANCE / p).astype(np.float32)[None, :, None]
    parts = RiseParts(centre - before, centre - after, drift, np.abs(after - before), spread, c.noise[b],
                      activity, scale, talking, (widths / np.float32(timing.fps)).astype(np.float32)[None, :, None])
    return parts, ok, e


def decide_rows(c: Columns, rows: np.ndarray, timing: Timing, offset: int = 0,
                age: int = 0) -> tuple[np.ndarray, ...]:
    """Rise-and-return, event windows and window flags for decision `rows` (indices into the columns,
    whose row 0 is run row `offset`; `age` as in `rise_parts`).

    Returns rise (len(rows), A, W), start_s and end_s (len(rows), W), flags (len(rows), W, N_FLAGS) and
    head_moved (len(rows), W)."""
    widths = np.array(timing.widths)
    d = rows[:, None]
    parts, ok, e = rise_parts(c, rows, timing, offset, age)
    rise = np.where(ok[:, :, None], parts.rise(), np.float32(np.nan)).transpose(0, 2, 1)
    # the head actions come in signed pairs: the largest rise among them is the largest movement either way
    moved = (np.maximum(parts.up, parts.down)[..., IS_HEAD] / parts.scale[..., IS_HEAD]).max(axis=2)
    head_moved = np.where(ok, moved, np.float32(np.nan)).astype(np.float32)
    # the window that fits best covers the top of a change; its onset and offset reach about half
    # a window further each way (never past the decision frame)
    half = 0.5 / timing.fps
    start = np.where(ok, c.t[np.maximum(e - widths + 1 - widths // 2, 0)] - half, np.nan)
    end = np.where(ok, c.t[np.minimum(e + widths // 2, d)] + half, np.nan)
    lo = np.maximum(e - widths + 1 - timing.margin, 0)  # flags from a margin before the window on
    flags = (c.counts[d] - c.counts[lo] + c.flags[lo]) > 0
    return rise, start, end, flags, head_moved


def run_columns(levels: np.ndarray, head: np.ndarray, t_s: np.ndarray,
                prior: Prior | None = None) -> tuple[Columns, Timing]:
    """The causal columns of one whole face run (`levels` as from `signals`; `prior` from the run before
    it, when the person stayed), and its timing."""
    n = len(t_s)
    timing = Timing.for_fps(nominal_fps(t_s[:FPS_PROBE_FRAMES]))
    x = action_levels(levels)
    parts = [row_columns(levels, head, t_s, x, rows, timing) for rows in _chunks(n)]
    before, spread, after, flags = ((np.concatenate(col) for col in zip(*parts, strict=True)) if parts
                                    else _empty_columns())
    checkpoints = np.arange(0, n, timing.noise_stride)
    noise = np.concatenate([_noise(levels, ends, timing, prior) for ends in np.array_split(
        checkpoints, max(1, len(checkpoints) // NOISE_CHUNK))])
    noise = noise[np.arange(n) // timing.noise_stride][:, ACTION_SIGNALS]
    talking = flags[:, Flag.TALKING]
    quiet, loud = (_activity(spread, talking, checkpoints, timing, prior) if n
                   else (np.zeros((0, N_ACTIONS), np.float32),) * 2)
    at = np.arange(n) // timing.noise_stride
    c = Columns(t_s, x, np.cumsum(x, axis=0, dtype=np.float64), before, spread, after, noise, quiet[at], loud[at],
                flags, np.cumsum(flags, axis=0, dtype=np.int64))
    return c, timing


def run_evidence(levels: np.ndarray, head: np.ndarray, t_s: np.ndarray, first_row: int = 0,
                 prior: Prior | None = None) -> Evidence:
    """Evidence for every frame of one whole face run (`levels` as from `signals`; `prior`: see `Prior`)."""
    return columns_evidence(*run_columns(levels, head, t_s, prior), first_row, prior)


def columns_evidence(c: Columns, timing: Timing, first_row: int = 0, prior: Prior | None = None) -> Evidence:
    """Evidence for every frame of one whole face run, from its columns (`run_columns`, with the same `prior`)."""
    n, t_s = len(c.t), c.t
    w = len(timing.widths)
    age = prior.rows if prior is not None else 0
    out = [decide_rows(c, rows, timing, age=age) for rows in _chunks(n)] or [(
        np.zeros((0, N_ACTIONS, w), np.float32), np.zeros((0, w)), np.zeros((0, w)), np.zeros((0, w, N_FLAGS), bool),
        np.zeros((0, w), np.float32))]
    rise, start, end, wflags, moved = (np.concatenate(col) for col in zip(*out, strict=True))
    return Evidence(t_s, rise, start, end, wflags, moved, timing, first_row)


def handed_on(levels: np.ndarray, c: Columns, timing: Timing, earlier: Prior | None) -> Prior | None:
    """The prior a whole face run hands on (as `EvidenceStream.prior` at its end), from its columns
    (`run_columns` with `earlier`)."""
    if len(levels) < FPS_PROBE_FRAMES:  # too short to be measured online: the person's estimates pass through
        return earlier
    return prior_of(levels, c.spread, c.flags[:, Flag.TALKING], len(levels), timing, earlier)


class EvidenceStream:
    """Evidence for one face run, one frame at a time: the same values as `run_evidence`'s rows.

    Holds the last `timing.keep` rows (up to twice that between compactions)."""

    def __init__(self, timing: Timing, prior: Prior | None = None):
        self.timing = timing
        self.start_prior = prior
        self._cap = 2 * timing.keep
        cap, a = self._cap, N_ACTIONS
        self._levels = np.zeros((cap, len(SIGNALS)), np.float32)
        self._head = np.zeros((cap, 3), np.float32)
        f32 = np.zeros((cap, a), np.float32)
        self._c = Columns(np.zeros(cap), f32.copy(), np.zeros((cap, a)), f32.copy(), f32.copy(), f32.copy(),
                          f32.copy(), f32.copy(), f32.copy(), np.zeros((cap, N_FLAGS), bool),
                          np.zeros((cap, N_FLAGS), np.int64))
        self._activity = self._activity_talking = np.zeros(a, np.float32)
        self._n = 0  # rows held
        self._offset = 0  # run row of held row 0
        self._noise = np.full(a, np.inf, np.float32)

    def push(self, levels: np.ndarray, head: np.ndarray, t_s: float) -> Evidence:
        """Add the next frame (`levels` one row of `signals`, `head` its angles) and return the
        evidence deciding it."""
        if self._n == self._cap:
            self._compact()
        r, timing, c = self._n, self.timing, self._c
        self._n += 1
        self._levels[r], self._head[r], c.t[r] = levels, head, t_s
        c.x[r] = action_levels(self._levels[r:r + 1])[0]
        c.csum[r] = c.x[r] if r == 0 else c.csum[r - 1] + c.x[r]  # r is 0 only at the run's start
        row = np.array([r])
        n = r + 1
        lv, hd, t = self._levels[:n], self._head[:n], c.t[:n]
        before, spread, after, flags = row_columns(lv, hd, t, c.x[:n], row, timing)
        c.before[r], c.spread[r], c.after[r], c.flags[r] = before[0], spread[0], after[0], flags[0]
        c.counts[r] = c.flags[r] if r == 0 else c.counts[r - 1] + c.flags[r]
        if (r + self._offset) % timing.noise_stride == 0:
            self._noise = _noise(lv, row, timing, self.start_prior)[0][ACTION_SIGNALS]
            quiet, loud = _activity(c.spread[:n], c.flags[:n, Flag.TALKING], row, timing, self.start_prior)
            self._activity, self._activity_talking = quiet[0], loud[0]
        c.noise[r], c.activity[r], c.activity_talking[r] = self._noise, self._activity, self._activity_talking
        held = Columns(*(getattr(c, f.name)[:n] for f in fields(Columns)))
        age = self.start_prior.rows if self.start_prior is not None else 0
        rise, start, end, wflags, moved = decide_rows(held, row, timing, self._offset, age)
        return Evidence(c.t[row], rise, start, end, wflags, moved, timing)

    def prior(self) -> Prior:
        """What this run hands the next when the person stays (see `Prior`)."""
        n, c = self._n, self._c
        return prior_of(self._levels[:n], c.spread[:n], c.flags[:n, Flag.TALKING], self.rows, self.timing,
                        self.start_prior)

    @property
    def rows(self) -> int:
        return self._offset + self._n

    def _compact(self) -> None:
        keep, drop = self.timing.keep, self._n - self.timing.keep
        for arr in (self._levels, self._head, *(getattr(self._c, f.name) for f in fields(Columns))):
            arr[:keep] = arr[drop:self._n]
        self._n, self._offset = keep, self._offset + drop


def _chunks(n: int) -> list[np.ndarray]:
    return [np.arange(a, min(a + BATCH_ROWS, n)) for a in range(0, n, BATCH_ROWS)]


def _empty_columns() -> tuple[np.ndarray, ...]:
    z = np.zeros((0, N_ACTIONS), np.float32)
    return z, z, z, np.zeros((0, N_FLAGS), bool)
