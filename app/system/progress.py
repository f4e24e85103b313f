"""Progress with time left: an estimate from (time, fraction done) samples. No Qt here.

The rate comes from a window of recent samples, not from the start, so a slow first second
(opening the model, warming the decoder) does not haunt the estimate.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

WINDOW_S = 10.0  # the rate is measured over this much recent time
MIN_SPAN_S = 1.0  # no estimate until samples span this long (the first readings are noise)


@dataclass(frozen=True)
class Estimate:
    """Fraction done (0..1), seconds left (None: not known yet) and seconds so far."""

    done: float
    left_s: float | None
    elapsed_s: float

    def text(self) -> str:
        """'42% · about 1 min 10 s left', or '42% · estimating time left'."""
        pct = f"{100 * self.done:.0f}%"
        if self.done >= 1.0:
            return f"{pct} · finishing"
        if self.left_s is None:
            return f"{pct} · estimating time left"
        return f"{pct} · about {format_duration(self.left_s)} left"


def format_duration(seconds: float) -> str:
    """Rounded for a person: '5 s', '40 s', '1 min 10 s', '12 min'."""
    s = max(0.0, seconds)
    if s < 10:
        return f"{max(1, round(s))} s"
    if s < 60:
        return f"{round(s / 5) * 5:.0f} s"
    minutes, rest = divmod(round(s / 10) * 10, 60)
    if minutes >= 10:
        return f"{round(s / 60)} min"
    return f"{minutes:.0f} min" + (f" {rest:.0f} s" if rest else "")


def format_clock(t_s: float) -> str:
    """A time in a recording for a person: 'm:ss' (whole seconds)."""
    minutes, seconds = divmod(int(round(max(0.0, t_s))), 60)
    return f"{minutes}:{seconds:02d}"


def format_time(t_s: float) -> str:
    """A moment's time in a recording for a person: 'm:ss.s' (tenths; 'h:mm:ss.s' past an hour)."""
    tenths = int(round(max(0.0, t_s) * 10))
    h, rest = divmod(tenths, 36000)
    m, rest = divmod(rest, 600)
    s, tenth = divmod(rest, 10)
    return f"{h}:{m:02d}:{s:02d}.{tenth}" if h else f"{m}:{s:02d}.{tenth}"


def format_length(seconds: float) -> str:
    """How long a brief change lasted, for a person: '0.2 s', 'under 0.1 s' (never milliseconds)."""
    return "under 0.1 s" if seconds < 0.05 else f"{seconds:.1f} s"


def estimate(samples: list[tuple[float, float]] | tuple[tuple[float, float], ...]) -> Estimate:
    """From (time_s, fraction_done) samples in time order, the last fraction and the time left
    at the rate seen over the samples given."""
    if not samples:
        return Estimate(0.0, None, 0.0)
    (t0, f0), (t1, f1) = samples[0], samples[-1]
    done = min(max(f1, 0.0), 1.0)
    elapsed = t1 - t0
    rate = (f1 - f0) / elapsed if elapsed >= MIN_SPAN_S else 0.0
    left = (1.0 - done) / rate if rate > 0 else None
    return Estimate(done, left, elapsed)


class ProgressClock:
    """Feed `update(done, total, now_s)`; read the estimate. Keeps `WINDOW_S` of recent samples."""

    def __init__(self, window_s: float = WINDOW_S):
        self.window_s = window_s
        self.reset()

    def reset(self) -> None:
        self._samples: deque[tuple[float, float]] = deque()
        self._start_s: float | None = None

    def update(self, done: int, total: int, now_s: float) -> Estimate:
        if self._start_s is None:
            self._start_s = now_s
        fraction = done / total if total > 0 else 0.0
        self._samples.append((now_s, fraction))
        while len(self._samples) > 2 and now_s - self._samples[1][0] >= self.window_s:
            self._samples.popleft()
        e = estimate(tuple(self._samples))
        return Estimate(e.done, e.left_s, now_s - self._start_s)
