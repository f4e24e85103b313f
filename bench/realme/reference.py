"""Pixel motion against a short reference: does it see real-size events the other sensors miss?

    python -m bench.realme.reference [--events] [--finest-scale 0]

The events `bench.realme.realsize` takes (the 103 "real q" counts: 1-3% IOD, 100-450 ms, the person not
talking). Per event, three sensors in the channels its region's actions read (`realsize._region_signals`),
each as a change over a lag L (0.1, 0.2, 0.3 s):

- landmarks: the region's landmark signals, level at t minus level at t - L;
- pixel motion as today: the integrated flow levels the feature cache keeps (`Flow`), the same difference;
- pixel motion against a short reference: DIS flow from the crop L back directly to this one
  (`FlowTracker(reference_frames)`, the global motion taken off, the region means).

The event's part is the change on the injected clip minus the control's (the same frames without the
warp) at the apex; the noise unit is the robust std (1.4826 MAD) of the same change over the control's
frames where the person does not talk, per clip and channel, the same way for every sensor; SNR is the
region's best channel. Beside it, per sensor, how often some channel of any region crosses 4 units on the
control's quiet and talking frames (if a sensor's tails or its talking noise grow with its SNR, the gain is
not one), and what the quiet noise is (against white jitter; how the two flows agree). `--finest-scale`
recomputes both flows with DIS refined down to another pyramid level. Flow passes are kept under
`out/personwise/reference/`. `measure(extra=...)` puts more sensors through the same frame (phase 8's region
statistics: `bench.realme.moving`), and `by_seen` the events seen at 1-3% IOD instead (phase 7).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.face import flow
from app.face.features import FeatureTable
from app.face.flow import N_REGIONS, Flow, FlowLevels, FlowTracker, region_means
from app.research.events import REGION_OF
from app.sources.capture import FileSource
from app.spotting.evidence import JITTER_FROM_DIFF, SIGNAL, SIGNALS, signals
from bench.personwise.evaluate import load_people, quiet_events
from bench.personwise.inject import INJECT_DIR
from bench.personwise.score import is_brief, is_real_size, is_seen_real
from bench.personwise.track import RawTrack, features_of
from bench.realme import flow_snr
from bench.realme.diagnose import patched
from bench.realme.realsize import _region_signals

LAGS_S = (0.1, 0.2, 0.3)
BAR = 4.0  # noise units: phase 5a's "seen" line
LOCAL_S = 10.0  # the local noise unit: over this much before the onset, as the evidence's estimate
SENSORS = ("landmarks", "flow, integrated", "flow, direct")
REGIONS = ("brows", "lids", "nose", "mouth")
CACHE = Path("out/personwise/reference")
CACHE_VERSION = 1


def lag_frames(fps: float) -> list[int]:
    return [max(1, round(s * fps)) for s in LAGS_S]


def flow_passes(video: Path, track: RawTrack, finest_scale: int | None = None) -> np.ndarray:
    """(1 + len(LAGS_S), n, N_REGIONS * 2) each region's mean flow (dx, dy, IOD units, global motion off) from
    the crop 1 frame back, then L back, to this one; NaN without a face or a reference; cached on disk.
    `finest_scale`: DIS refined down to this pyramid level instead of the app's (flow.FINEST_SCALE)."""
    scale = flow.FINEST_SCALE if finest_scale is None else finest_scale
    where = CACHE / f"{video.stem}-s{scale}-flow{Flow.VERSION}-v{CACHE_VERSION}.npy"  # the flow code, by its version
    if where.exists():
        return np.load(where)
    lags = [1, *lag_frames(track.fps)]
    with patched(flow, {"FINEST_SCALE": scale}):
        trackers = [FlowTracker(k) for k in lags]
    out = np.full((len(lags), len(track), N_REGIONS * 2), np.nan, np.float32)
    with FileSource(video) as src:
        for i, frame in enumerate(itertools.islice(src, len(track))):
            if abs(frame.t_s - track.t_s[i]) > 1e-6:
                raise ValueError(f"{video.name}: frame {i} read at {frame.t_s:.3f} s, tracked at {track.t_s[i]:.3f} s")
            h, w = frame.image.shape[:2]
            pts = track.landmarks[i][:, :2].astype(np.float64) * np.array([w, h])
            for j, ft in enumerate(trackers):
                if not track.face[i]:
                    ft.reset()
                elif (got := ft.dense(frame.image, pts)) is not None:
                    out[j, i] = region_means(*got).reshape(-1)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(where, out)
    return out


def integrate(t_s: np.ndarray, face: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """(n, N_REGIONS * 2) the frame-to-frame flow `steps` integrated as the Flow channel does (`FlowLevels`)."""
    levels, out = FlowLevels(), np.full(steps.shape, np.nan, np.float64)
    for i, (t, row) in enumerate(zip(t_s, steps, strict=True)):
        if not face[i]:
            levels.reset()
            continue
        out[i] = levels.add(float(t), None if np.isnan(row).any() else row.reshape(N_REGIONS, 2)).reshape(-1)
    return out


def lagged(x: np.ndarray, k: int) -> np.ndarray:
    """x[t] - x[t - k] (NaN for the first k frames)."""
    out = np.full(x.shape, np.nan, np.float64)
    out[k:] = x[k:] - x[:-k]
    return out


def changes(table: FeatureTable, video: Path, track: RawTrack, columns: dict[str, list[int]],
            finest_scale: int | None = None) -> dict[str, np.ndarray]:
    """sensor -> (len(LAGS_S), n, C) changes over each lag in the union of the regions' channels: landmark and
    integrated-flow columns of `signals` (with `finest_scale`, the flow integrated here at that scale), and the
    direct flow's matching region channels."""
    sig = signals(table.levels, table.blendshapes, table.head).astype(np.float64)
    lags = lag_frames(track.fps)
    passes = flow_passes(video, track, finest_scale)
    direct = flow_columns(columns)
    levels = (sig[:, columns["flow"]] if finest_scale is None
              else integrate(track.t_s, track.face, passes[0])[:, direct])
    return {"landmarks": np.stack([lagged(sig[:, columns["landmarks"]], k) for k in lags]),
            "flow, integrated": np.stack([lagged(levels, k) for k in lags]),
            "flow, direct": passes[1:, :, direct].astype(np.float64),
            "landmarks, 1 frame": lagged(sig[:, columns["landmarks"]], 1), "flow, 1 frame": lagged(levels, 1)}


def robust_std(c: np.ndarray) -> np.ndarray:
    """Per lag and channel over axis 1 (frames)."""
    return flow_snr.robust_std(c, axis=1, floor=1e-9)


@dataclass
class EventSNR:
    person: str
    type: str
    amplitude: float
    duration_s: float
    snr: dict[str, np.ndarray]  # sensor -> (len(LAGS_S),) the region's best channel at the apex, noise units
    local: dict[str, np.ndarray]  # ... in the noise unit of the control's quiet LOCAL_S before the onset
    seen: dict[str, np.ndarray]  # ... the best channel's change itself, IOD units
    unit: dict[str, np.ndarray]  # ... and its noise unit (the control's quiet frames), IOD units

    @property
    def region(self) -> str:
        return REGION_OF[self.type]

    def best(self, sensor: str, noise: str = "clip") -> float:
        return float(np.nanmax((self.snr if noise == "clip" else self.local)[sensor]))


@dataclass
class Crossings:
    """Per lag, the control's quiet and talking frames (rows), and those where some region channel is over BAR;
    and each quiet frame's largest channel (for a bar at a given share of quiet frames over it)."""

    frames: np.ndarray = field(default_factory=lambda: np.zeros((2, len(LAGS_S)), int))
    over: np.ndarray = field(default_factory=lambda: np.zeros((2, len(LAGS_S)), int))
    peaks: list[list[np.ndarray]] = field(default_factory=lambda: [[] for _ in LAGS_S])

    def add(self, z: np.ndarray, talking: np.ndarray) -> None:
        """`z` (len(LAGS_S), n, C) a control's changes in noise units; `talking` (n,) bool."""
        valid = ~np.isnan(z).all(axis=2)
        peak = np.nanmax(np.where(np.isnan(z), -np.inf, z), axis=2)
        over = valid & (peak > BAR)
        for row, mask in enumerate((~talking, talking)):
            self.frames[row] += (valid & mask).sum(axis=1)
            self.over[row] += (over & mask).sum(axis=1)
        for j in range(len(LAGS_S)):
            self.peaks[j].append(peak[j][valid[j] & ~talking])

    def share(self, row: int, j: int) -> float:
        return float(self.over[row, j] / max(self.frames[row, j], 1))

    def bar_at(self, j: int, share: float) -> float:
        """The bar (noise units) that this share of the quiet frames cross at lag j."""
        return float(np.quantile(np.concatenate(self.peaks[j]), 1 - share))


@dataclass
class Quiet:
    """Per control clip, on its quiet frames: the shortest lag's noise unit over the white-jitter unit the
    evidence estimates (JITTER_FROM_DIFF x the median frame-to-frame change; sqrt(2) if the noise were white),
    median over channels, for the landmarks and the integrated flow; and how the two flows' changes over the
    shortest lag agree (correlation, median over channels)."""

    white: dict[str, list[float]] = field(default_factory=lambda: {"landmarks": [], "flow, integrated": []})
    agree: list[float] = field(default_factory=list)

    def add(self, c: dict[str, np.ndarray], quiet: np.ndarray, units: dict[str, np.ndarray]) -> None:
        for s, step in (("landmarks", c["landmarks, 1 frame"]), ("flow, integrated", c["flow, 1 frame"])):
            jitter = JITTER_FROM_DIFF * np.nanmedian(np.abs(step[quiet]), axis=0)
            self.white[s].append(float(np.median(units[s][0] / jitter)))
        a, b = c["flow, integrated"][0][quiet], c["flow, direct"][0][quiet]
        ok = ~np.isnan(a) & ~np.isnan(b)
        self.agree.append(float(np.median([np.corrcoef(a[ok[:, j], j], b[ok[:, j], j])[0, 1]
                                           for j in range(a.shape[1])])))


def _columns(copies: dict[str, int] | None = None) -> tuple[dict[str, list[int]], dict[str, dict[str, list[int]]]]:
    """The union of the regions' channels per sensor, and per region its positions within that union.
    `copies`: added sensors, each with so many blocks of the flow sensors' channels (e.g. an upper and a lower
    quantile of the same region axis)."""
    per = {r: _region_signals(r) for r in REGIONS}
    lm = sorted({j for a, _ in per.values() for j in a})
    fl = sorted({j for _, b in per.values() for j in b})
    cols = {"landmarks": lm, "flow": fl}
    flows = {"flow, integrated": 1, "flow, direct": 1, **(copies or {})}
    where = {r: {"landmarks": [lm.index(j) for j in a],
                 **{s: [c * len(fl) + fl.index(j) for c in range(n) for j in b] for s, n in flows.items()}}
             for r, (a, b) in per.items()}
    return cols, where


# Landmark and pixel-motion signals that read the same movement: a landmark level's rise is the flow's -y
AGREEING = (("brow_right", "flow_brow_right_y"), ("brow_left", "flow_brow_left_y"), ("lid_right", "flow_lid_right_y"),
            ("lid_left", "flow_lid_left_y"), ("nose_wings", "flow_nose_y"), ("corner_right", "flow_corner_right_y"),
            ("corner_left", "flow_corner_left_y"))


def _agreeing(cols: dict[str, list[int]],
              where: dict[str, dict[str, list[int]]]) -> tuple[np.ndarray, list[int], dict[str, list[int]]]:
    """For a landmarks-and-flow sensor: (len(AGREEING), 2) the pairs' positions in the landmark and flow unions;
    the landmark positions in no pair (kept as they are); per region its channels (the pairs, then the rest)."""
    pair_of = np.array([(cols["landmarks"].index(SIGNAL[a]), cols["flow"].index(SIGNAL[b])) for a, b in AGREEING])
    alone = [k for k in range(len(cols["landmarks"])) if k not in pair_of[:, 0]]
    chans = {r: [i for i, (k, _) in enumerate(pair_of) if k in w["landmarks"]]
             + [len(pair_of) + alone.index(k) for k in w["landmarks"] if k in alone] for r, w in where.items()}
    return pair_of, alone, chans


def _region_best(z: np.ndarray, chans: list[int]) -> np.ndarray:
    """(len(LAGS_S), n) the largest of a region's channels `chans` of `z` (len(LAGS_S), n, C); NaN if none."""
    part = z[:, :, chans]
    return np.where(np.isnan(part).all(axis=2), np.nan, np.nanmax(np.where(np.isnan(part), -np.inf, part), axis=2))


def flow_columns(cols: dict[str, list[int]]) -> list[int]:
    """The (region, axis) positions (`Flow.NAMES`) of the flow sensors' channels."""
    return [Flow.NAMES.index(SIGNALS[j]) for j in cols["flow"]]


# Added sensors: (video, track, the flow channels' positions) -> sensor -> (len(LAGS_S), n, copies * channels)
Extra = Callable[[Path, RawTrack, list[int]], dict[str, np.ndarray]]


def measure(log: Callable[[str], object] = print, finest_scale: int | None = None,
            extra: Extra | None = None, copies: dict[str, int] | None = None,
            by_seen: bool = False,
            fused: tuple[tuple[str, str], ...] = (),
            summed: tuple[tuple[str, str], ...] = (),
            agree: tuple[str, ...] = ()) -> tuple[list[EventSNR], dict[str, Crossings], Quiet]:
    """Every real-size event while quiet, and per sensor the controls' crossings and quiet noise. `extra`
    adds sensors (`copies`: each one's blocks of channels, see `_columns`). `by_seen`: the brief events real-size
    as the tracker sees them (`bench.personwise.seen`, phase 7) instead of the injected 1-3%. `fused`: pairs of
    sensors read as one ("a or b": the larger of the two in their own noise units); `summed`: ... ("a + b": per
    region, the sum of the two sensors' best channels, each in its own noise units); `agree`: flow sensors (one
    block of channels) read with the landmarks along the same movement (`_agreeing`)."""
    cols, where = _columns(copies)
    sensors = (*SENSORS, *(copies or {}))
    pairs = {f"{a} or {b}": (a, b) for a, b in fused}
    sums = {f"{a} + {b}": (a, b) for a, b in summed}
    combos = {f"landmarks + {s}, signed": s for s in agree}
    pair_of, alone, combo_where = _agreeing(cols, where)
    for r, chans in combo_where.items():
        where[r] |= dict.fromkeys(combos, chans)
    events: list[EventSNR] = []
    cross = {s: Crossings() for s in (*sensors, *combos, *pairs, *sums)}
    controls_seen: set[str] = set()
    quiet = Quiet()
    keep = (lambda e: is_brief(e) and is_seen_real(e)) if by_seen else is_real_size
    for pd, inj, at, evs in quiet_events(load_people(log=log), keep, seen=by_seen):
        inj_video, ctl_video = INJECT_DIR / inj.track.source, INJECT_DIR / inj.control.source
        c_inj = changes(features_of(inj.track, inj_video), inj_video, inj.track, cols, finest_scale)
        c_ctl = changes(features_of(inj.control, ctl_video), ctl_video, inj.control, cols, finest_scale)
        if extra is not None:
            c_inj |= extra(inj_video, inj.track, flow_columns(cols))
            c_ctl |= extra(ctl_video, inj.control, flow_columns(cols))
        t = inj.control.t_s
        speaking = np.array([at(x) for x in t])
        units = {s: robust_std(c_ctl[s][:, ~speaking]) for s in sensors}
        for name, fl in combos.items():
            for c in (c_inj, c_ctl):
                z_lm, z_fl = c["landmarks"] / units["landmarks"][:, None, :], c[fl] / units[fl][:, None, :]
                c[name] = np.concatenate([(z_lm[:, :, pair_of[:, 0]] - z_fl[:, :, pair_of[:, 1]]) / np.sqrt(2),
                                          z_lm[:, :, alone]], axis=2)
            units[name] = robust_std(c_ctl[name][:, ~speaking])
        if inj.control.source not in controls_seen:  # one control per source, counted once
            controls_seen.add(inj.control.source)
            quiet.add(c_ctl, ~speaking, units)
            z_ctl = {s: np.abs(c_ctl[s]) / units[s][:, None, :] for s in (*sensors, *combos)}
            for s in (*sensors, *combos):
                cross[s].add(z_ctl[s], speaking)
            for name, (a, b) in pairs.items():
                cross[name].add(np.concatenate([z_ctl[a], z_ctl[b]], axis=2), speaking)
            for name, (a, b) in sums.items():
                cross[name].add(np.stack([_region_best(z_ctl[a], where[r][a]) + _region_best(z_ctl[b], where[r][b])
                                          for r in REGIONS], axis=2), speaking)
        for e in evs:
            k = int(np.argmin(np.abs(inj.track.t_s - e["apex_s"])))
            near = ~speaking & (t >= e["onset_s"] - LOCAL_S) & (t < e["onset_s"])
            snr, local, seen, unit = {}, {}, {}, {}
            for s in (*sensors, *combos):
                chans = where[REGION_OF[e["type"]]][s]
                part = np.abs(c_inj[s][:, k] - c_ctl[s][:, k])[:, chans]
                z = np.nan_to_num(part / units[s][:, chans], nan=-np.inf)
                best = np.argmax(z, axis=1)
                rows = np.arange(len(LAGS_S))
                snr[s], seen[s], unit[s] = z[rows, best], part[rows, best], units[s][:, chans][rows, best]
                local[s] = np.nanmax(part / robust_std(c_ctl[s][:, near])[:, chans], axis=1)
            for name, (a, b) in pairs.items():
                first = snr[a] >= snr[b]
                snr[name], local[name] = np.maximum(snr[a], snr[b]), np.maximum(local[a], local[b])
                seen[name], unit[name] = np.where(first, seen[a], seen[b]), np.where(first, unit[a], unit[b])
            for name, (a, b) in sums.items():
                snr[name], local[name] = snr[a] + snr[b], local[a] + local[b]
            for name in (*combos, *sums):  # no channel in IOD: no returned share
                seen[name] = unit[name] = np.full(len(LAGS_S), np.nan)
            events.append(EventSNR(pd.person.name, e["type"], e["amplitude_iod"], e["offset_s"] - e["onset_s"],
                                   snr, local, seen, unit))
        log(f"  {pd.person.name} {inj.track.source}: {len(evs)} events")
    return events, cross, quiet


Pick = Callable[[EventSNR, str], float]  # an event's figure for a sensor


def _sensors(events: list[EventSNR]) -> tuple[str, ...]:
    """The sensors measured (the events' order): SENSORS and any added ones."""
    return tuple(events[0].snr) if events else SENSORS


def _row(label: str, evs: list[EventSNR], pick: Pick, sensors: tuple[str, ...]) -> str:
    cells = []
    for s in sensors:
        v = np.array([pick(e, s) for e in evs])
        cells.append(f"{int((v >= BAR).sum())} / {np.median(v):.1f}")
    return f"| {label} | {len(evs)} | " + " | ".join(cells) + " |"


def _at_lag(j: int) -> Pick:
    return lambda e, s: float(e.snr[s][j])


def _table(events: list[EventSNR], pick: Pick) -> list[str]:
    sensors = _sensors(events)
    rows = ["| events | n | " + " | ".join(f"{s}: >= {BAR:g} / median" for s in sensors) + " |",
            "|---|---|" + "---|" * len(sensors), _row("all", events, pick, sensors)]
    return rows + [_row(r, [e for e in events if e.region == r], pick, sensors) for r in REGIONS]


def summary(events: list[EventSNR], cross: dict[str, Crossings], quiet: Quiet) -> list[str]:
    lines = ["The change at the apex, the region's best channel, in the noise unit of the control's quiet frames:", ""]
    for j, lag in enumerate(LAGS_S):
        lines += [f"over {lag:g} s:", "", *_table(events, _at_lag(j)), ""]
    lines += ["What each sensor returns of the injected amplitude at the apex (the best channel's change / the "
              "amplitude, median) and that channel's noise unit (IOD, median), per lag:", "",
              "| sensor | " + " | ".join(f"{lag:g} s: seen / amplitude, unit" for lag in LAGS_S) + " |",
              "|---|" + "---|" * len(LAGS_S)]
    for s in (s for s in _sensors(events) if not np.isnan(events[0].seen[s]).all()):
        lines.append(f"| {s} | " + " | ".join(
            f"{np.median([e.seen[s][j] / e.amplitude for e in events]):.2f}, "
            f"{np.median([e.unit[s][j] for e in events]):.4f}" for j in range(len(LAGS_S))) + " |")
    lines += ["", "best of the three lags:", "", *_table(events, lambda e, s: e.best(s)), "",
              f"... in the noise unit of the control's quiet {LOCAL_S:g} s before the onset, best lag:", "",
              *_table(events, lambda e, s: e.best(s, "local")), ""]
    for noise in ("clip", "local"):
        best = {s: np.array([e.best(s, noise) for e in events]) for s in _sensors(events)}
        base = (best["landmarks"] >= BAR) | (best["flow, integrated"] >= BAR)
        lines.append(f"{noise} noise, best lag: over {BAR:g} where neither the landmarks nor the integrated flow is: "
                     + ", ".join(f"{s} {int(((v >= BAR) & ~base).sum())}" for s, v in best.items() if s not in
                                 ("landmarks", "flow, integrated"))
                     + f"; any sensor over {BAR:g}: {int(np.any([v >= BAR for v in best.values()], axis=0).sum())} "
                     f"of {len(events)}; per event, best-lag SNR / the integrated flow's (median): "
                     + ", ".join(f"{s} {np.median(v / np.maximum(best['flow, integrated'], 1e-9)):.2f}"
                                 for s, v in best.items() if s != "flow, integrated"))
    ref = cross["flow, integrated"]
    lines += ["", f"At the integrated flow's share of quiet control frames over {BAR:g} units (per lag), each sensor's "
              "own bar (noise units, per lag) and the events over it at some lag:", "",
              "| sensor | bar at " + ", ".join(f"{lag:g}" for lag in LAGS_S) + " s | events over it / n |", "|---|---|---|"]
    for s, c in cross.items():
        bars = np.array([c.bar_at(j, ref.share(0, j)) for j in range(len(LAGS_S))])
        hit = sum(bool((e.snr[s] >= bars).any()) for e in events)
        lines.append(f"| {s} | " + ", ".join(f"{b:.2f}" for b in bars) + f" | {hit} / {len(events)} |")
    lines += ["", f"Control frames with some region channel over {BAR:g} quiet units (any region), per lag: quiet / talking:",
              "", "| sensor | " + " | ".join(f"{lag:g} s" for lag in LAGS_S) + " |", "|---|" + "---|" * len(LAGS_S)]
    for s, c in cross.items():
        lines.append(f"| {s} | " + " | ".join(f"{c.share(0, j):.1%} / {c.share(1, j):.1%}"
                                              for j in range(len(LAGS_S))) + " |")
    n = cross["landmarks"].frames
    lines += [f"({n[0, 0]} quiet, {n[1, 0]} talking control frames, {len(quiet.agree)} controls)", "",
              f"Quiet control frames, median [range] over controls: the {LAGS_S[0]:g} s noise unit / the white-jitter unit: "
              + "; ".join(f"{s} {np.median(v):.2f} [{min(v):.2f}-{max(v):.2f}]" for s, v in quiet.white.items())
              + f" (white noise: {np.sqrt(2):.2f}); the direct and the integrated flow's {LAGS_S[0]:g} s changes "
              f"correlate {np.median(quiet.agree):.2f} [{min(quiet.agree):.2f}-{max(quiet.agree):.2f}]"]
    return lines


def event_table(events: list[EventSNR]) -> list[str]:
    sensors = _sensors(events)
    lines = ["| person | type | IOD | s | " + " | ".join(f"{s} {lag:g} s" for s in sensors for lag in LAGS_S) + " |",
             "|---|---|---|---|" + "---|" * (len(sensors) * len(LAGS_S))]
    for e in events:
        lines.append(f"| {e.person} | {e.type} | {e.amplitude:.3f} | {e.duration_s:.2f} | "
                     + " | ".join(f"{v:.1f}" for s in sensors for v in e.snr[s]) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.realme.reference", description=__doc__.splitlines()[0])
    ap.add_argument("--events", action="store_true", help="print the per-event table too")
    ap.add_argument("--finest-scale", type=int, help="both flow sensors with DIS refined down to this pyramid "
                    f"level (the app's: {flow.FINEST_SCALE}; 0 is the crop's full resolution)")
    args = ap.parse_args(argv)
    events, cross, quiet = measure(lambda m: print(m, file=sys.stderr), args.finest_scale)
    print("\n".join(summary(events, cross, quiet)))
    if args.events:
        print()
        print("\n".join(event_table(events)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
