"""The injected events: the seven action types, their kinds and ranges, and one `Event` (onset, apex,
offset, amplitude) with its envelope.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from app.errors import InjectError as InjectError  # re-exported: callers catch it from here

ACTION_TYPES = ("brow_raise", "brow_lower", "lip_corner_pull", "lip_corner_depress",
                "nose_wrinkle", "lip_press", "upper_lid_raise")
REGION_OF = {"brow_raise": "brows", "brow_lower": "brows", "lip_corner_pull": "mouth",
             "lip_corner_depress": "mouth", "nose_wrinkle": "nose", "lip_press": "mouth",
             "upper_lid_raise": "lids"}
SIDES = ("both", "right", "left")  # the subject's right and left
KINDS = ("micro", "macro")
MICRO_S = (0.06, 0.5)
MACRO_S = (1.5, 4.0)
AMPLITUDE_IOD = (0.02, 0.08)
# Real micro-expressions (shared/data/real_me, `python -m bench.realme.amplitude`): peak landmark
# displacement 1.3-3.2% IOD in four of six (5.3% and a blink's 7.4% in the others), and 0.45-1.0 of the
# peak still there at the coded offset in five of six. "Real-size" injections sample from these.
REAL_AMPLITUDE_IOD = (0.01, 0.035)
REAL_RESIDUALS = (0.0, 0.45, 0.47, 0.67, 0.7, 0.9)  # measured shares (1.0 -> 0.9: it still fades after)
RESIDUAL_FADE_S = 1.5  # a partial return's remainder fades out over this long after the offset



@dataclass(frozen=True)
class Event:
    """One injected action. Times in seconds of the output video; the envelope rises (raised cosine)
    from onset, holds for `hold_s` centred on apex and falls to `residual` of the apex level at offset
    (0: a full return; real micro-expressions often keep 0.3-1.0 of their change at the coded offset),
    the remainder fading out over RESIDUAL_FADE_S after it. `amplitude_iod` is the displacement of the
    driving landmarks at apex, in inter-ocular distances."""

    onset_s: float
    apex_s: float
    offset_s: float
    type: str
    kind: str
    amplitude_iod: float
    side: str = "both"
    hold_s: float = 0.0
    residual: float = 0.0

    def __post_init__(self) -> None:
        if self.type not in ACTION_TYPES:
            raise ValueError(f"unknown action type {self.type!r}; expected one of {ACTION_TYPES}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.side not in SIDES or (self.type == "lip_press" and self.side != "both"):
            raise ValueError(f"side {self.side!r} is not possible for {self.type}")
        if not (self.onset_s <= self.apex_s - self.hold_s / 2 and self.apex_s + self.hold_s / 2 <= self.offset_s
                and self.onset_s < self.offset_s and self.hold_s >= 0):
            raise ValueError(f"times must satisfy onset <= apex -+ hold/2 <= offset, got {self}")
        if not 0 < self.amplitude_iod < 0.5:
            raise ValueError(f"amplitude_iod must be in (0, 0.5), got {self.amplitude_iod}")
        if not 0 <= self.residual < 1:
            raise ValueError(f"residual must be in [0, 1), got {self.residual}")

    @property
    def regions(self) -> list[str]:
        return [REGION_OF[self.type]]

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s

    @property
    def end_s(self) -> float:
        """When the warp is over: the offset, or the end of a partial return's fade."""
        return self.offset_s + (RESIDUAL_FADE_S if self.residual else 0.0)

    def envelope(self, t_s: float) -> float:
        """0..1: raised-cosine rise to the apex plateau, hold, raised-cosine fall to `residual`, then
        a raised-cosine fade of the remainder."""
        lo, hi = self.apex_s - self.hold_s / 2, self.apex_s + self.hold_s / 2
        if t_s <= self.onset_s or t_s >= self.end_s:
            return 0.0
        if t_s < lo:
            return 0.5 - 0.5 * math.cos(math.pi * (t_s - self.onset_s) / (lo - self.onset_s))
        if t_s <= hi:
            return 1.0
        if t_s < self.offset_s:
            fall = 0.5 + 0.5 * math.cos(math.pi * (t_s - hi) / (self.offset_s - hi))
            return self.residual + (1.0 - self.residual) * fall
        return self.residual * (0.5 + 0.5 * math.cos(math.pi * (t_s - self.offset_s) / RESIDUAL_FADE_S))

    def to_dict(self) -> dict:
        d = asdict(self)
        if not self.residual:  # full returns keep the truth files (and the benchmarks' cache keys) as they were
            del d["residual"]
        return {**d, "regions": self.regions}

    @classmethod
    def from_dict(cls, d: dict) -> Event:
        return cls(float(d["onset_s"]), float(d["apex_s"]), float(d["offset_s"]), d["type"], d["kind"],
                   float(d["amplitude_iod"]), d.get("side", "both"), float(d.get("hold_s", 0.0)),
                   float(d.get("residual", 0.0)))


def make_event(type: str, apex_s: float, duration_s: float, amplitude_iod: float,
               kind: str = "micro", side: str = "both", residual: float = 0.0) -> Event:
    """An event of `duration_s` (onset to offset) whose apex plateau is centred on `apex_s`.
    Micro: rise 35 %, hold 20 %, fall 45 % of the duration. Macro: rise 0.3 s, fall 0.4 s, held between."""
    if kind == "micro":
        rise, hold = 0.35 * duration_s, 0.2 * duration_s
    else:
        rise, hold = 0.3, max(duration_s - 0.7, 0.0)
    onset = apex_s - rise - hold / 2
    r = lambda x: round(float(x), 4)  # noqa: E731 - truth files stay readable
    return Event(r(onset), r(apex_s), r(onset + duration_s), type, kind, r(amplitude_iod), side, r(hold), r(residual))
