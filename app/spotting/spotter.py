"""Spotting brief facial changes that rise and return, online and causal.

Two stages, so that tuning re-spots a whole recording in milliseconds:

* `Evidence` (settings-free, cached; see `evidence`): per face run, decision
  frame, action channel and event length, how far a window rose above the
  levels before and after it, in noise units, and flags for blinks, talking
  and fast head motion.
* `Decider` (settings): threshold, lengths, regions and filters pick moments
  from the evidence, one frame at a time, identical for live and replay. It
  drops a change that comes with a jaw, lid or head movement as large
  (speech, a blink, a nod), or that a window longer than the longest moment
  explains better (a longer change waits for that reading).

A decision about an event is made 0.2 s (`Timing.post`) after it ends, using
only frames up to then, and reported once it has settled (`SETTLE_S`, more
for changes longer than `WAIT_FROM_S`): the spotter is causal, with that
much latency.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from app.face.features import LEVEL, FeatureTable, FrameFeatures
from app.settings.schema import Settings
from app.spotting.evidence import (
    ACTION_INDEX,
    ACTIONS,
    FPS_PROBE_FRAMES,
    IS_FLOW,
    Evidence,
    EvidenceStream,
    Flag,
    Prior,
    Timing,
    columns_evidence,
    handed_on,
    in_regions,
    nominal_fps,
    run_columns,
    signals,
)

IS_GAZE = in_regions("gaze")
# Regions whose pixel-motion channels may raise a moment where pixels are seen (bench/SPOTTER_LOG.md,
# change 12: nose only; brows, lids and mouth lost held-out recall or added false alarms).
FLOW_REGIONS: tuple[str, ...] = ("nose",)
# A change that comes with a movement of the jaw, the lids or the head of at least `factor` times its
# own size (both in noise units, same window) is explained by that movement: speech, a blink, a nod.
JAW_COUPLING = BLINK_COUPLING = HEAD_COUPLING = 1.0
# Pixel motion sees a head turn or nod even where the global-motion fit follows it (the nose stands out of
# the plane of the fit's anchors) and whether or not the head comes back: a pixel-motion change is explained
# by the head's movement (Evidence.head_moved), not only by a head change that rises and returns.
# bench/SPOTTER_LOG.md change 17: the live bench's late prompts were head nods read by the nose's flow.
FLOW_HEAD_MOVEMENT = True
# The warm-up (settings.warmup_s) counts from the start of a face run, but for a run that keeps the person (a
# paused call, a face lost for a moment) from when Glimpse began watching them (True: from the run's start;
# change 19).
WARMUP_AFTER_PAUSE = False
# A face lost for at most this long and found again is the same person, looked at again (a hand across the
# face, a look down, a turn the tracker cannot follow): the run after it keeps their noise estimates and
# warm-up as after a paused call (0: every face found again starts afresh; change 20). Longer, it may be
# someone else, or the same person somewhere else.
FACE_GAP_CARRY_S = 1.0
# ... and only when the face found there has the same shape (after a pause too: a call's speaker view may
# show someone else): the brows' and nose wings' levels (IOD, set by the person's face) over the new run's
# first frames within SAME_FACE_IOD of their median over the last SAME_FACE_S before. The same person half
# a second later differs by more in 3% of looks, different people in 97% of pairs (bench/SPOTTER_LOG.md
# change 20).
SAME_FACE_LEVELS = np.array([LEVEL[name] for name in ("brow_right", "brow_left", "nose_wings")])
SAME_FACE_IOD = 0.1
SAME_FACE_S = 1.0
JAW_TARGETS = ("mouth", "brows", "lids", "nose")


# (the filter that turns it on, source actions, target actions, factor)
COUPLINGS = tuple((flag, in_regions(src), in_regions(*targets), np.float32(factor)) for flag, src, targets, factor in (
    ("talking_filter", "jaw", JAW_TARGETS, JAW_COUPLING),
    ("blink_filter", "blink", ("brows", "nose", "mouth", "gaze"), BLINK_COUPLING),
    ("head_motion_filter", "head", ("brows", "lids", "nose", "mouth", "gaze"), HEAD_COUPLING)))


def coupled(s: Settings) -> tuple:
    """(filter, source actions, target actions, factor) of the couplings the settings' filters turn on."""
    return tuple(coupling for coupling in COUPLINGS if getattr(s, coupling[0]))


# Regions whose bar the talking factor raises while the person talks. Raising brows, lids and nose too
# (listening-aware) cut held-out false alarms (2.08 -> 1.67/min) at a recall within noise, but the talking
# flag also fires on a grimacing or laughing face and the demo then loses its first added expressions
# (bench/SPOTTER_LOG.md, change 10): mouth only until the talking flag tells speech better.
TALKING_REGIONS: tuple[str, ...] = ("mouth",)
IS_EYE_AREA = in_regions("lids", "brows", "gaze")  # the flag masks these; the lid coupling the rest
# "Smile" counts only as far as the landmarks agree (geometric mean of the two): its score jumps on
# its own on a crying or grimacing face. The other blendshape sums hold up alone.
CONFIRMED_BY = {"smile_shape": ("corner_up_right", "corner_up_left", "mouth_stretch")}
_CONFIRMED = [(ACTION_INDEX[b], [ACTION_INDEX[n] for n in names]) for b, names in CONFIRMED_BY.items()]
TALKING_FACTOR = 2.0  # while the person talks, a change in TALKING_REGIONS needs this much more rise
FLOW_TALKING_FACTOR = 2.0  # ... and a pixel-motion change this much more again (any region); held out, 1.5-6
# give the same figures, 1 one more held expression (bench/SPOTTER_LOG.md, issue 19 item 4)
GLANCE_MIN_S = 0.15
SETTLE_S = 0.05  # how long the strongest reading of a change may still improve before it is reported
WAIT_FROM_S = 0.25  # a change read best by a longer window than this waits...
LONGER_WAIT_SHARE = 0.5  # ...this share of the excess longer (a 0.5 s one: 0.125 s)
LENGTH_TOLERANCE_S = 1e-6  # window lengths are rounded frame counts: compare durations with this slack
# Sensitivity 0..100 maps log-linearly onto the bar, in noise units: set on the tune split so that
# gentle (30) gives about 1 false alarm a minute on a lively talking face, balanced (50) about 3,
# attentive (75) about 7.
THRESHOLD_AT_0, THRESHOLD_AT_100 = 11.4, 1.85
SMOOTHING_MAX_EXTRA_FRAMES = 4  # smoothing 1.0 averages this many decision frames more (about 0.15 s)


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
    def from_dict(cls, d: dict) -> Moment:
        return cls(float(d["start_s"]), float(d["peak_s"]), float(d["end_s"]), tuple(d["regions"]),
                   float(d["strength"]), d.get("kind", "expression"), bool(d.get("prompted", False)), d.get("prompt"))


def threshold_for(sensitivity: float) -> float:
    """Rise, in noise units, that counts at a sensitivity of 0..100 (higher sensitivity, lower bar)."""
    return THRESHOLD_AT_0 * (THRESHOLD_AT_100 / THRESHOLD_AT_0) ** (sensitivity / 100.0)


@dataclass
class _Candidate:
    best: float
    action: int
    start_s: float
    end_s: float
    regions: set = field(default_factory=set)
    frames: int = 1  # decision frames over the threshold so far
    emitted: bool = False
    width_s: float = 0.0  # length of the window of the best reading


class Decider:
    """Turns evidence into moments one decision frame at a time: the same code live and in replay.

    A moment is a run of consecutive decision frames over the threshold. It is reported once the run
    has lasted `SETTLE_S` (or ends sooner), so a prompt follows the change within about
    `post_s + SETTLE_S`; the rest of the run belongs to the same moment.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.theta = threshold_for(settings.sensitivity)
        self._off = ~in_regions(*settings.regions) | (IS_FLOW & ~in_regions(*FLOW_REGIONS))
        self._talk = in_regions(*TALKING_REGIONS)
        self._bar_for: Timing | None = None
        self.reset()

    def reset(self) -> None:
        self._cand: _Candidate | None = None
        self._last_end_s = -np.inf

    def _allowed_bar(self, timing: Timing) -> np.ndarray:
        """(A, W) float32: the bar per action and window length, inf where the length is not allowed."""
        if self._bar_for is not timing:
            dur = np.array(timing.widths) / timing.fps
            s, tol = self.settings, LENGTH_TOLERANCE_S
            expr = (dur >= s.min_duration_s - tol) & (dur <= s.max_duration_s + tol)
            glance = (dur >= GLANCE_MIN_S - tol) & (dur <= s.glance_max_s + tol)
            allowed = np.where(IS_GAZE[:, None], glance[None, :], expr[None, :])
            longest = np.where(IS_GAZE, s.glance_max_s, s.max_duration_s)[:, None]
            self._longer = dur[None, :] > longest + tol  # (A, W) windows too long to be a moment
            self._allowed = allowed
            allowed = allowed & ~self._off[:, None]
            self._bar = np.where(allowed, np.float32(self.theta), np.float32(np.inf)).astype(np.float32)
            self._bar_for = timing
        return self._bar

    def scores(self, ev: Evidence, trace: dict[str, np.ndarray] | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per decision frame and action: the best rise over the allowed lengths as a multiple of its
        bar (>= 1 is a moment), the index of that length, and whether a window longer than any
        allowed one explains the change better (then it is not a brief change).

        `trace` (diagnostics, benchmarks) receives, after each rule in turn, the (n, A) best ratio
        so far: which rule took a change below its bar."""
        s = self.settings
        bar = np.broadcast_to(self._allowed_bar(ev.timing), ev.rise.shape)  # (n, A, W)

        def note(stage: str, r: np.ndarray) -> None:
            if trace is not None:
                trace[stage] = r.max(axis=2)

        if trace is not None:
            note("allowed", np.where(np.isfinite(bar) & ~np.isnan(ev.rise), ev.rise / np.float32(self.theta),
                                     np.float32(-np.inf)))
        def note_bar(stage: str) -> None:
            if trace is not None:
                note(stage, np.where(np.isfinite(bar) & ~np.isnan(ev.rise), ev.rise / bar, np.float32(-np.inf)))

        flag = ev.flags[:, None, :, :]  # (n, 1, W, N_FLAGS)
        if s.blink_filter:
            bar = np.where(flag[..., Flag.BLINK] & IS_EYE_AREA[None, :, None], np.float32(np.inf), bar)
            note_bar("flag_blink")
        if s.talking_filter:
            talking = flag[..., Flag.TALKING]
            bar = np.where(talking & self._talk[None, :, None], bar * np.float32(TALKING_FACTOR), bar)
            # speech moves the skin of the whole lower face: pixel motion needs more while talking
            bar = np.where(talking & IS_FLOW[None, :, None], bar * np.float32(FLOW_TALKING_FACTOR), bar)
            note_bar("flag_talking")
        if s.head_motion_filter:
            bar = np.where(flag[..., Flag.HEAD_FAST], np.float32(np.inf), bar)
            note_bar("flag_head_fast")
        usable = np.isfinite(bar) & ~np.isnan(ev.rise)
        ratio = np.where(usable, ev.rise / np.where(usable, bar, np.float32(1)), np.float32(-np.inf))
        # a change that a window longer than any allowed one explains better is not a brief moment
        raw = np.where(np.isnan(ev.rise), np.float32(-np.inf), ev.rise)
        too_long = np.where(self._longer, raw, np.float32(-np.inf)).max(axis=2)
        brief = np.where(self._allowed, raw, np.float32(-np.inf)).max(axis=2)
        longer = too_long > brief
        ratio = np.where(longer[..., None], np.float32(-np.inf), ratio)
        note("longer_window", ratio)
        for filter_name, source, targets, factor in coupled(s):
            explained = raw[:, source].max(axis=1)[:, None, :] >= factor * raw[:, targets]
            ratio[:, targets] = np.where(explained, np.float32(-np.inf), ratio[:, targets])
            note(f"explained_{filter_name.removesuffix('_filter')}", ratio)
        if s.head_motion_filter and FLOW_HEAD_MOVEMENT:
            explained = ev.head_moved[:, None, :] >= np.float32(HEAD_COUPLING) * raw[:, IS_FLOW]
            ratio[:, IS_FLOW] = np.where(explained, np.float32(-np.inf), ratio[:, IS_FLOW])
            note("explained_head_movement", ratio)
        for b, confirming in _CONFIRMED:
            agree = np.maximum(ratio[:, confirming].max(axis=1), 0)
            ratio[:, b] = np.where(np.isfinite(ratio[:, b]), np.sqrt(np.maximum(ratio[:, b], 0) * agree), -np.inf)
        note("confirmed", ratio)
        width = ratio.argmax(axis=2)
        return np.take_along_axis(ratio, width[..., None], axis=2)[..., 0], width, longer

    @property
    def smoothing_frames(self) -> int:
        """Decision frames averaged by the smoothing setting (1: none; at most about 0.15 s)."""
        return 1 + int(round(self.settings.smoothing * SMOOTHING_MAX_EXTRA_FRAMES))

    def decide(self, ev: Evidence, score_row: np.ndarray, width_row: np.ndarray, longer_row: np.ndarray, d: int,
               run_start_s: float) -> Moment | None:
        """Feed decision frame d of `ev` (frames in time order); a moment when one is settled."""
        c = self._cand
        if c is not None and longer_row[c.action]:
            c.emitted = True  # a longer window explains it better: not a brief change, nothing to report
        a = int(np.argmax(score_row))
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
            c.best, c.action = float(score_row[a]), a
            c.start_s, c.end_s = float(ev.start_s[d, j]), float(ev.end_s[d, j])
            c.width_s = ev.timing.widths[j] / ev.timing.fps
        c.regions.update(ACTIONS[i].region for i in np.flatnonzero(score_row >= 1.0))
        # a longer change is best read by a longer window, whose reading comes later (it ends later):
        # a change that may be one waits for it
        wait_s = SETTLE_S + max(0.0, c.width_s - WAIT_FROM_S) * LONGER_WAIT_SHARE
        if c.frames > round(wait_s * ev.timing.fps):
            c.emitted = True
            return self._report(c, run_start_s)
        return None

    def finish(self, run_start_s: float) -> Moment | None:
        """End of a face run: report the moment under way, if any."""
        c, self._cand = self._cand, None
        return self._report(c, run_start_s) if c is not None and not c.emitted else None

    def carry_over(self, other: Decider) -> None:
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


def smooth_scores(scores: np.ndarray, k: int) -> np.ndarray:
    """Causal mean of each row with the k-1 rows before it (fewer at the start), negatives as 0.

    Summed newest first, one row at a time; the online spotter calls it on its last k rows."""
    if k <= 1:
        return scores
    x = np.maximum(scores, 0)
    acc, count = x.copy(), np.ones(len(x), np.float32)
    for j in range(1, k):
        acc[j:] += x[:-j]
        count[j:] += 1
    return acc / count[:, None]


def face_shape(t_s: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """What a face run hands on of the face's shape: its SAME_FACE_LEVELS over the run's last SAME_FACE_S."""
    return np.median(levels[t_s >= t_s[-1] - SAME_FACE_S][:, SAME_FACE_LEVELS], axis=0)


def same_face(shape: np.ndarray | None, first_levels: np.ndarray) -> bool:
    """Whether a run whose first rows have `first_levels` shows the face of `shape` (None: nothing to compare)."""
    if shape is None:
        return True
    return not bool((np.abs(np.median(first_levels[:, SAME_FACE_LEVELS], axis=0) - shape) > SAME_FACE_IOD).any())


def face_runs(face: np.ndarray, cuts: list[int] | tuple[int, ...] = ()) -> list[tuple[int, int]]:
    """[start, stop) index pairs of consecutive frames with a face, also cut before each row of `cuts`."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], face.astype(np.int8), [0]])))
    runs = list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
    for cut in cuts:
        runs = [part for a, b in runs for part in (((a, cut), (cut, b)) if a < cut < b else ((a, b),))]
    return runs


@dataclass(frozen=True)
class Breaks:
    """Rows where live mode ended a face run though the face was there: after a lost camera (`lost`: the
    next run starts afresh) and after a paused call (`paused`: the person stays, so the next run keeps
    their noise estimates, see `evidence.Prior`, and their warm-up, if its face has the same shape)."""

    lost: tuple[int, ...] = ()
    paused: tuple[int, ...] = ()


NO_BREAKS = Breaks()


def table_evidence(table: FeatureTable, breaks: Breaks = NO_BREAKS) -> list[Evidence]:
    """Evidence for every face run of a recording: the settings-free, cacheable part of spotting."""
    out: list[Evidence] = []
    handed: Prior | None = None  # what the run before hands on if a pause or a face lost follows it
    shape: np.ndarray | None = None  # ... and the face's shape it hands on with it
    end = -1
    for a, b in face_runs(table.face, sorted(set(breaks.lost) | set(breaks.paused))):
        # the run before carries on across a pause, and across a face found again soon (rows between runs
        # have no face), not across a camera back, and only if the face is the same (checked once the run
        # has its first frames, as online)
        after_pause = a == end and a in breaks.paused
        after_gap = a > end > 0 and table.t_s[a] - table.t_s[end - 1] <= FACE_GAP_CARRY_S
        camera_back = any(end <= r <= a for r in breaks.lost)
        same = b - a < FPS_PROBE_FRAMES or same_face(shape, table.levels[a:a + FPS_PROBE_FRAMES])
        carried = (after_pause or after_gap) and not camera_back and same
        prior = handed if carried else None
        levels = signals(table.levels[a:b], table.blendshapes[a:b], table.head[a:b])
        c, timing = run_columns(levels, table.head[a:b], table.t_s[a:b], prior)
        ev = columns_evidence(c, timing, a, prior)
        if carried:  # as the online spotter: watched since the first run the pauses chain back to
            before = out[-1]
            ev.watched_from_s = before.watched_from_s if before.watched_from_s is not None else float(before.t_s[0])
        out.append(ev)
        hands_on = b in breaks.paused or b < len(table) and not table.face[b]
        handed = handed_on(levels, c, timing, prior) if hands_on else None
        if b - a >= FPS_PROBE_FRAMES:  # measured: its own face; too short, what it was given
            shape = face_shape(table.t_s[a:b], table.levels[a:b])
        elif not carried:
            shape = None
        end = b
    return out


@dataclass(frozen=True)
class Spotted:
    """A recording's moments (not yet prompted) under one set of settings, and its strength curve:
    (n_rows,) float32, per frame the strongest change the settings would consider, in the threshold's
    units (compare with `threshold_for(settings.sensitivity)`), NaN without a face. Each value belongs
    to the frame where it was decided (0.2 s after the change ended)."""

    moments: tuple[Moment, ...]
    curve: np.ndarray


def _scored(runs: list[Evidence], settings: Settings) -> Iterator[tuple[Decider, Evidence, np.ndarray, np.ndarray,
                                                                         np.ndarray]]:
    """Per face run: its decider, its evidence, and its (smoothed) scores, widths and longer flags."""
    for ev in runs:
        decider = Decider(settings)
        scores, widths, longer = decider.scores(ev)
        yield decider, ev, smooth_scores(scores, decider.smoothing_frames), widths, longer


def warmup_from(run_start_s: float, watched_from_s: float | None) -> float:
    """Where the warm-up counts from: the run's start or, in a run that kept the person, when Glimpse began
    watching them (see WARMUP_AFTER_PAUSE)."""
    return run_start_s if WARMUP_AFTER_PAUSE or watched_from_s is None else watched_from_s


def _decided(decider: Decider, ev: Evidence, scores: np.ndarray, widths: np.ndarray,
             longer: np.ndarray) -> list[Moment]:
    """The moments of one scored face run."""
    moments = []
    run_start = warmup_from(float(ev.t_s[0]), ev.watched_from_s)
    hot = np.flatnonzero(scores.max(axis=1) >= 1.0)
    # frames that are neither hot nor right after a hot one leave the decider as it was
    for d in np.union1d(hot, np.minimum(hot + 1, len(ev.t_s) - 1)):
        m = decider.decide(ev, scores[d], widths[d], longer[d], int(d), run_start)
        if m is not None:
            moments.append(m)
    m = decider.finish(run_start)
    if m is not None:
        moments.append(m)
    return moments


def spot_with_curve(runs: list[Evidence], settings: Settings, n_rows: int) -> Spotted:
    """Moments and strength curve together, each run scored once (what Review draws after a change)."""
    moments: list[Moment] = []
    curve = np.full(n_rows, np.nan, np.float32)
    for decider, ev, scores, widths, longer in _scored(runs, settings):
        curve[ev.first_row:ev.first_row + len(scores)] = np.maximum(scores.max(axis=1) * np.float32(decider.theta), 0)
        moments += _decided(decider, ev, scores, widths, longer)
    return Spotted(tuple(moments), curve)


def strength_curve(runs: list[Evidence], settings: Settings, n_rows: int) -> np.ndarray:
    """The strength curve alone (see `Spotted`)."""
    return spot_with_curve(runs, settings, n_rows).curve


def spot(runs: list[Evidence], settings: Settings) -> list[Moment]:
    """Moments (not yet prompted) in a recording's evidence, under `settings`."""
    return [m for scored in _scored(runs, settings) for m in _decided(*scored)]


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
        self._last_face_s: float | None = None  # the person's last face frame, while a run may carry on
        self._gap_from_s: float | None = None  # ... when the face was lost (see FACE_GAP_CARRY_S)
        self._new_run()

    def _new_run(self, prior: Prior | None = None, watched_from_s: float | None = None,
                 shape: np.ndarray | None = None) -> None:
        self._prior = prior  # what the run starts from (see `evidence.Prior`)
        self._shape = shape  # ... and the face it was measured on (see `same_face`)
        self._shapes: deque[tuple[float, np.ndarray]] = deque()  # the run's last SAME_FACE_S of levels
        self._watched_from_s = watched_from_s  # a run that kept the person: when their first run began
        self._probe: list[tuple[np.ndarray, np.ndarray, float]] = []  # frames before the rate is known
        self._stream: EvidenceStream | None = None
        self._recent: list[np.ndarray] = []  # the last decision frames' scores, for smoothing
        self._run_start_s: float | None = None
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
            if self._gap_from_s is None:
                self._gap_from_s = self._last_face_s
            return self.flush(carry=self._gap_from_s is not None)  # the person is kept until the gap is too long
        if self._gap_from_s is not None and f.t_s - self._gap_from_s > FACE_GAP_CARRY_S:
            self._new_run()
        t = float(f.t_s)
        self._gap_from_s, self._last_face_s = None, t
        if self._run_start_s is None:
            self._run_start_s = t
        self._shapes.append((t, np.asarray(f.levels)))
        while self._shapes[0][0] < t - SAME_FACE_S and len(self._shapes) > FPS_PROBE_FRAMES:
            self._shapes.popleft()
        head = np.asarray(f.head, np.float32)
        frame = (signals(np.asarray(f.levels)[None], np.asarray(f.blendshapes)[None], head[None])[0], head, t)
        if self._stream is None:
            self._probe.append(frame)
            if len(self._probe) < FPS_PROBE_FRAMES:
                return []
            if not same_face(self._shape, np.array([lv for _, lv in list(self._shapes)[:FPS_PROBE_FRAMES]])):
                self._prior, self._watched_from_s = None, None  # someone else: their own estimates and warm-up
            self._stream = EvidenceStream(Timing.for_fps(nominal_fps(np.array([p[2] for p in self._probe]))),
                                          self._prior)
            frames, self._probe = self._probe, []  # catch up on the frames seen while the rate was unknown
        else:
            frames = [frame]
        return [m for fr in frames if (m := self._decide(self._stream.push(*fr))) is not None]

    def _decide(self, ev: Evidence) -> Moment | None:
        scores, widths, longer = self.decider.scores(ev)
        k = self.decider.smoothing_frames
        self._recent.append(scores[0])
        del self._recent[:-k]
        smoothed = smooth_scores(np.stack(self._recent), k)[-1]
        return self.decider.decide(ev, smoothed, widths[0], longer[0], 0, self._warmup_from())

    def flush(self, carry: bool = False) -> list[Moment]:
        """End of the face run (face lost, end of the video, an interrupted source): the moment under way,
        if any. `carry`: the person stays (a paused call, a face lost), so the next run keeps their noise
        estimates and their warm-up (if its face has the same shape: `same_face`)."""
        m = self.decider.finish(self._warmup_from()) if self._run_start_s is not None else None
        if not carry:
            self._new_run()
            self._last_face_s = self._gap_from_s = None
        else:  # what this run measured; too short to measure (or none), what it was given
            prior = self._stream.prior() if self._stream is not None else self._prior
            watched = self._watched_from_s if self._watched_from_s is not None else self._run_start_s
            shape = self._shape
            if self._stream is not None:
                t, lv = zip(*self._shapes, strict=True)
                shape = face_shape(np.array(t), np.array(lv))
            self._new_run(prior, watched, shape)
        return [m] if m is not None else []

    def _warmup_from(self) -> float:
        assert self._run_start_s is not None  # set by update() before any evidence arrives
        return warmup_from(self._run_start_s, self._watched_from_s)
