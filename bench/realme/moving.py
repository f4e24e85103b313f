"""Pixel motion's region statistic: does reading the moving part of a region see more than its mean?

    python -m bench.realme.moving [--events]      # the 103 real-size events (bench.realme.reference's frame)
    python -m bench.realme.moving --seen          # ... the brief quiet events seen at 1-3% IOD (phase 7)
    python -m bench.realme.moving --real          # the six real clips in context, 30 fps (flow_snr's SNR)

Phase 6 found both flows return only 0.31-0.40 of a real-size change where the landmarks return 0.59-0.69, at
the same noise. A region's statistic is today the mean flow over discs of 0.14 IOD around each of its
landmarks (`app.face.flow.region_means`), so skin that does not move dilutes skin that does. Added sensors,
all from the same frame-to-frame DIS flow with the global motion taken off (`remove_global`), channels as the
flow's (each region's x and y, IOD units):

- small discs: the mean over discs of SMALL_RADIUS_IOD instead, integrated as `FlowLevels` does;
- main direction: MDMD's main-direction vector, signed (the mean flow of the region's pixels whose direction
  is in the most common of eight), integrated the same way;
- sum over L: each pixel's flow summed over the last L (its displacement), then the region's mean (a check:
  as the integrated mean), or its upper and lower QUANTILES (two channels per axis: the moving part's shift
  whichever way it goes), on the regions' discs and on the small discs.

Everything else is `bench.realme.reference`'s: the same events, the change over the same lags, the same noise
unit (the control's quiet frames), the best of the region's channels, and each sensor at the integrated flow's
rate of quiet crossings. Beside them, the landmarks and a flow read as one: the larger of the two (FUSED, "or"),
the sum of the regions' best channels ("+"), and the sum along the same movement (AGREE, "signed"). Per-video
statistics are kept under `out/personwise/reference/`. A diagnostic (SPOTTER_LOG phase 8): the app's flow
channel is unchanged.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

from app.face.flow import (
    IOD_PX,
    MIN_FLOW,
    N_REGIONS,
    REGIONS,
    Flow,
    FlowTracker,
    Layout,
    remove_global,
)
from app.sources.capture import FileSource
from bench.personwise.track import RawTrack
from bench.realme import reference
from bench.realme.reference import CACHE, integrate, lag_frames, lagged

SMALL_RADIUS_IOD = 0.07  # half the app's REGION_RADIUS_IOD
QUANTILES = (0.8, 0.9)  # upper; the lower is 1 - q
DIRECTION_BINS = 8
VERSION = 1
COST_VIDEO = "franck_part1.mp4"
LEVELS = ("small discs", "main direction")  # integrated per-frame statistics
SUMS = ("mean over L", *(f"q{round(100 * q)} over L" for q in QUANTILES),
        *(f"small q{round(100 * q)} over L" for q in QUANTILES))
FUSED = (("landmarks", "flow, integrated"), ("landmarks", "small q80 over L"))  # read as one: today's pair; ...
AGREE = ("flow, integrated", "small discs")  # ... summed with the landmarks along the same movement
COPIES = {**dict.fromkeys(LEVELS, 1), "mean over L": 1, **dict.fromkeys(SUMS[1:], 2)}


def small_masks(layout: Layout) -> list[np.ndarray]:
    """Per region, which of its pixels (in the layout's order) lie within SMALL_RADIUS_IOD of its landmarks."""
    out = []
    for r, idx in enumerate(REGIONS.values()):
        xy = layout.design[layout.region_of == r, :2]
        d = np.linalg.norm(xy[:, None, :] - layout.canonical[idx][None, :, :], axis=2).min(axis=1)
        out.append(d <= SMALL_RADIUS_IOD * IOD_PX)
    return out


def main_direction(v: np.ndarray) -> np.ndarray:
    """(T, 2) per frame the mean of the vectors `v` (T, m, 2) in the most common of DIRECTION_BINS directions."""
    moving = np.hypot(v[..., 0], v[..., 1]) > MIN_FLOW
    bins = ((np.arctan2(v[..., 1], v[..., 0]) + np.pi) / (2 * np.pi) * DIRECTION_BINS).astype(int) % DIRECTION_BINS
    votes = np.stack([(moving & (bins == b)).sum(axis=1) for b in range(DIRECTION_BINS)], axis=1)
    main = moving & (bins == votes.argmax(axis=1)[:, None])
    return (v * main[..., None]).sum(axis=1) / np.maximum(main.sum(axis=1), 1)[:, None]


def _run_stats(res: np.ndarray, layout: Layout, lags: list[int]) -> dict[str, np.ndarray]:
    """One face run's statistics. `res` (T, M, 2) the residual flow at the layout's region pixels, crop px, the
    run's first frame NaN (no reference). Per-frame: name -> (T, N_REGIONS * 2); sums: (len(lags), T, copies *
    N_REGIONS * 2), NaN where the sum would reach before the run."""
    t_n = len(res)
    small = small_masks(layout)
    out = {name: np.full((t_n, N_REGIONS, 2), np.nan) for name in LEVELS}
    out["mean"] = np.full((t_n, N_REGIONS, 2), np.nan)
    for r in range(N_REGIONS):
        v = res[:, layout.region_of == r]
        out["mean"][:, r] = v.mean(axis=1)
        out["small discs"][:, r] = v[:, small[r]].mean(axis=1)
        out["main direction"][1:, r] = main_direction(v[1:])
    per = {name: x.reshape(t_n, -1) / IOD_PX for name, x in out.items()}
    total = np.cumsum(np.nan_to_num(res, nan=0.0), axis=0, dtype=np.float64)  # frame 0: 0
    for name in SUMS:
        per[name] = np.full((len(lags), t_n, COPIES[name], N_REGIONS, 2), np.nan)
    for j, k in enumerate(lags):
        if t_n <= k:
            continue
        shift = total[k:] - total[:-k]  # (T - k, M, 2) each pixel's displacement over the last k frames
        for r in range(N_REGIONS):
            s = shift[:, layout.region_of == r]
            per["mean over L"][j, k:, 0, r] = s.mean(axis=1)
            for q in QUANTILES:
                for label, part in (("", s), ("small ", s[:, small[r]])):
                    lo, hi = np.quantile(part, [1 - q, q], axis=1)
                    per[f"{label}q{round(100 * q)} over L"][j, k:, :, r] = np.stack([hi, lo], axis=1)
    for name in SUMS:
        per[name] = per[name].reshape(len(lags), t_n, -1) / IOD_PX
    return per


def statistics(video: Path, track: RawTrack) -> dict[str, np.ndarray]:
    """Per-frame statistics (see `_run_stats`) of a tracked video, NaN without a face; cached on disk."""
    where = CACHE / f"{video.stem}-moving-flow{Flow.VERSION}-v{VERSION}.npz"
    if where.exists():
        with np.load(where) as z:
            return {k.replace("_", " "): z[k] for k in z.files}
    lags, n = lag_frames(track.fps), len(track)
    out = {name: np.full((n, N_REGIONS * 2), np.nan) for name in (*LEVELS, "mean")}
    out |= {name: np.full((len(lags), n, COPIES[name] * N_REGIONS * 2), np.nan) for name in SUMS}
    ft = FlowTracker()
    # the face run: its first frame (no reference yet), its layout, the residuals of the frames after
    start, layout, rows = 0, None, []  # type: tuple[int, Layout | None, list[np.ndarray]]

    def flush() -> None:
        if layout is None or not rows:
            return
        res = np.concatenate([np.full((1, len(layout.pixels), 2), np.nan, np.float32), np.stack(rows)])
        for name, x in _run_stats(res, layout, lags).items():
            if x.ndim == 2:
                out[name][start:start + len(res)] = x
            else:
                out[name][:, start:start + len(res)] = x

    with FileSource(video) as src:
        for i, frame in enumerate(itertools.islice(src, n)):
            if not track.face[i]:
                ft.reset()
                continue
            h, w = frame.image.shape[:2]
            got = ft.dense(frame.image, track.landmarks[i][:, :2].astype(np.float64) * np.array([w, h]))
            if got is None:  # a run's first frame
                flush()
                start, layout, rows = i, None, []
            else:
                layout = got[1]
                rows.append(remove_global(*got)[0])
    flush()
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(where, **{k.replace(" ", "_"): v.astype(np.float32) for k, v in out.items()})
    return out


def sensors(video: Path, track: RawTrack, direct: list[int]) -> dict[str, np.ndarray]:
    """`reference.Extra`: every added sensor's change over each lag in the flow's channels `direct`."""
    st = statistics(video, track)
    pick = np.concatenate([[c * N_REGIONS * 2 + j for j in direct] for c in range(2)])
    out = {name: np.stack([lagged(integrate(track.t_s, track.face, st[name])[:, direct], k)
                           for k in lag_frames(track.fps)]) for name in LEVELS}
    return out | {name: st[name][:, :, pick[:COPIES[name] * len(direct)]].astype(np.float64) for name in SUMS}


def real_clips() -> list[str]:
    """The six real clips in context (30 fps, 18 videos): each sensor's SNR as `bench.realme.flow_snr` measures
    it, all 16 flow channels (x2 for the quantiles): integrated statistics as its integrated flow, sums over
    0.2 s as its flow against 0.2 s back; the landmarks and the flow read along the same movement
    (`reference.AGREEING`) as its landmarks."""
    from app.face.features import LEVELS as SIGNAL_LEVELS
    from bench.personwise.track import features_of
    from bench.realme.flow_snr import LANDMARK_CHANNELS, PRE_S, REFERENCE_S, change, robust_std, snr
    from bench.realme.run import FEATURES, cases

    names = ("landmarks", "integrated (today)", *LEVELS, *SUMS,
             *(f"landmarks + {s}, signed" for s in AGREE))
    lm_names = [SIGNAL_LEVELS[k] for k in LANDMARK_CHANNELS]
    paired = [(lm_names.index(a), Flow.NAMES.index(b)) for a, b in reference.AGREEING]
    alone = [k for k in range(len(lm_names)) if k not in {a for a, _ in paired}]
    rows = []
    for case in cases(log=lambda m: print(m, file=sys.stderr), fps_list=(30,)):
        st, tr = statistics(case.video, case.track), case.track
        fps = case.variant.fps
        t = np.arange(len(tr)) / fps
        still = (t >= 2.0) & (t < case.onset_s - 0.05)
        lm = features_of(tr, case.video, FEATURES).levels[:, LANDMARK_CHANNELS].astype(np.float64)
        levels = {name: integrate(tr.t_s, tr.face, st[name]) for name in ("mean", *LEVELS)}
        got = [snr(case, lm)[0], *(snr(case, x)[0] for x in levels.values())]
        combined = []  # AGREE's, each channel in its unit on the still lead-in
        z_lm = lm / robust_std(change(lm, fps, case.clip.duration_s)[still])
        for x in (levels["mean"], levels["small discs"]):
            z_fl = x / robust_std(change(x, fps, case.clip.duration_s)[still])
            pairs = (z_lm[:, [a for a, _ in paired]] - z_fl[:, [b for _, b in paired]]) / np.sqrt(2)
            combined.append(snr(case, np.concatenate([pairs, z_lm[:, alone]], axis=1))[0])
        j = lag_frames(fps).index(max(1, round(REFERENCE_S * fps)))
        during = (t >= case.onset_s) & (t <= case.offset_s + PRE_S)
        for name in SUMS:
            x = st[name][j].astype(np.float64)
            med = np.nanmedian(x[still], axis=0)
            got.append(float(np.nanmax(np.nanmax(np.abs(x[during] - med), axis=0) / robust_std(x[still]))))
        rows.append((case, got + combined))
    lines = ["| clip | face px | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    lines += [f"| {c.clip.short} | {c.variant.face_px} | " + " | ".join(f"{v:.1f}" for v in got) + " |"
              for c, got in rows]
    a = np.array([got for _, got in rows])
    lines += [f"| median SNR ({len(rows)} videos) | | " + " | ".join(f"{v:.1f}" for v in np.median(a, axis=0)) + " |",
              "| over 4 units | | " + " | ".join(f"{int(v)}/{len(rows)}" for v in (a > 4).sum(axis=0)) + " |"]
    return lines


def cost_ms(rounds: int = 300) -> str:
    """What the quantiles over L would add a frame online (numpy): a running per-pixel sum over one lag and each
    region's upper and lower quantile of x and y, on the layout of a real face (the first of COST_VIDEO)."""
    from bench.common.paths import shared_data
    from bench.personwise.track import tracked

    track = tracked(shared_data() / "natural" / COST_VIDEO)
    i = int(np.argmax(track.face))
    layout = Layout.from_points(track.landmarks[i][:, :2].astype(np.float64) * np.array(track.size))
    rng = np.random.default_rng(0)
    m = len(layout.pixels)
    regions = [np.flatnonzero(layout.region_of == r) for r in range(N_REGIONS)]
    ring, total = rng.normal(0, 0.1, (6, m, 2)).astype(np.float32), np.zeros((m, 2), np.float32)
    t0 = time.perf_counter()
    for i in range(rounds):
        new = ring[i % 6]
        total += new - ring[(i + 1) % 6]
        for idx in regions:
            np.quantile(total[idx], [0.1, 0.9], axis=0)
    return f"{1000 * (time.perf_counter() - t0) / rounds:.2f} ms a frame ({m} region pixels, {N_REGIONS} regions)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.realme.moving", description=__doc__.splitlines()[0])
    ap.add_argument("--events", action="store_true", help="print the per-event table too")
    ap.add_argument("--real", action="store_true", help="the six real clips instead")
    ap.add_argument("--seen", action="store_true", help="the brief quiet events seen at 1-3%% IOD (phase 7) instead")
    args = ap.parse_args(argv)
    if args.real:
        print("\n".join(real_clips()))
        return 0
    events, cross, quiet = reference.measure(lambda m: print(m, file=sys.stderr), extra=sensors, copies=COPIES,
                                            by_seen=args.seen, fused=FUSED, summed=FUSED,
                                            agree=AGREE)
    print("\n".join(reference.summary(events, cross, quiet)))
    print(f"\ncost of the quantiles over L online: {cost_ms()}")
    if args.events:
        print("\n" + "\n".join(reference.event_table(events)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
