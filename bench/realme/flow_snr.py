"""Pixel motion (app.face.flow) against landmarks: cost a frame, and signal to noise on real micro-expressions.

    python -m bench.realme.flow_snr            # the real clips in context (30 fps) and quiet talking footage

Signal and noise are measured the same way for both sensors, on every channel (landmarks: the distance
and height levels of `app.features`, gaze left out; flow: each region's integrated dx and dy, `FlowLevels`):
the *change* of a channel at frame t is its level at t minus the median of the `PRE_S` before t - L
(L = the clip's length); the noise unit is the robust std (1.4826 MAD) of that change over the still
lead-in of the same video (head micro-motion, sensor noise and compression, no expression); the signal is
the largest |change| while the clip plays. SNR = signal / noise unit, the best channel of each sensor. On
talking footage: the share of frames where some channel's change exceeds the bar that the real clips
clear, with the noise unit of the clip's own quietest 2 s (speech is the limit).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from app.face.features import LEVELS
from app.face.flow import REGION_NAMES, FlowLevels, FlowTracker
from app.sources.capture import FileSource
from app.spotting.evidence import MAD_TO_STD
from bench.common.paths import shared_data
from bench.personwise.track import RawTrack, features_of, tracked
from bench.realme.run import FEATURES, Case, cases

PRE_S = 0.3
LANDMARK_CHANNELS = [i for i, n in enumerate(LEVELS) if not n.startswith(("gaze", "flow_"))]
QUIETEST_S = 2.0
COST_ROUNDS = 3
TALKING = ("franck_part1.mp4", "idiap_webcam_talking.mp4", "liveportrait_d10_talking.mp4")


def flow_levels(video, track: RawTrack, reference_frames: int = 1) -> tuple[np.ndarray, float]:
    """(n, N_REGIONS * 2) integrated flow levels of a tracked video (or, with `reference_frames` > 1, the
    flow against that many frames back itself), and the mean cost a frame (ms)."""
    ft, lv = FlowTracker(reference_frames), FlowLevels()
    out, spent = [], 0.0
    with FileSource(video) as src:
        for k, frame in enumerate(src):
            if k >= len(track):
                break
            lm = track.landmarks[k] if track.face[k] else None
            t0 = time.perf_counter()
            row = ft.update(frame.image, lm, frame.t_s)
            spent += time.perf_counter() - t0
            out.append(lv.update(row).reshape(-1) if reference_frames == 1 else row.values[:, :2].reshape(-1))
    return np.stack(out), 1000 * spent / max(1, len(out))


def change(x: np.ndarray, fps: float, length_s: float) -> np.ndarray:
    """(n, C) level minus the median of the PRE_S before t - length (NaN where there is none)."""
    lag, pre = max(1, round(length_s * fps)), max(2, round(PRE_S * fps))
    out = np.full(x.shape, np.nan)
    for t in range(lag + pre, len(x)):
        out[t] = x[t] - np.median(x[t - lag - pre:t - lag], axis=0)
    return out


def robust_std(c: np.ndarray, axis: int = 0, floor: float = 1e-6) -> np.ndarray:
    """The robust std (MAD_TO_STD x the median absolute deviation) along `axis`, NaN-aware, at least `floor`."""
    med = np.nanmedian(c, axis=axis, keepdims=True)
    return np.maximum(MAD_TO_STD * np.nanmedian(np.abs(c - med), axis=axis), floor)


def snr(case: Case, x: np.ndarray) -> tuple[float, int]:
    """Best channel's signal / noise unit (and which channel) for one case."""
    fps = case.variant.fps
    c = change(x, fps, case.clip.duration_s)
    t = np.arange(len(x)) / fps
    still = (t >= 2.0) & (t < case.onset_s - 0.05)
    during = (t >= case.onset_s) & (t <= case.offset_s + PRE_S)
    ratio = np.nanmax(np.abs(c[during]), axis=0) / robust_std(c[still])
    k = int(np.nanargmax(ratio))
    return float(ratio[k]), k


REFERENCE_S = 0.2  # the direct variant: flow against the crop this long before


def direct_snr(case: Case) -> float:
    """SNR of the flow against the crop REFERENCE_S back itself (no integration): the largest deviation from
    its median on the still lead-in while the clip plays, over that lead-in's robust std; best channel."""
    fps = case.variant.fps
    fl, _ = flow_levels(case.video, case.track, max(1, round(REFERENCE_S * fps)))
    t = np.arange(len(fl)) / fps
    still = (t >= 2.0) & (t < case.onset_s - 0.05)
    during = (t >= case.onset_s) & (t <= case.offset_s + PRE_S)
    med = np.nanmedian(fl[still], axis=0)
    return float(np.nanmax(np.nanmax(np.abs(fl[during] - med), axis=0) / robust_std(fl[still])))


DOC = Path("docs/BENCH_FLOW.md")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.realme.flow_snr", description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"also write {DOC} (with bench.realme.flow_cost's figure)")
    args = ap.parse_args(argv)
    lines: list[str] = []
    print_ = lines.append
    rows, costs = [], []
    for case in cases(log=lambda m: print(m, file=sys.stderr), fps_list=(30,)):
        lm = features_of(case.track, case.video, FEATURES).levels[:, LANDMARK_CHANNELS].astype(np.float64)
        fl, ms = flow_levels(case.video, case.track)
        costs.append(ms)
        s_lm, k_lm = snr(case, lm)
        s_fl, k_fl = snr(case, fl)
        rows.append((case, s_lm, LEVELS[LANDMARK_CHANNELS[k_lm]], s_fl, f"{REGION_NAMES[k_fl // 2]} {'xy'[k_fl % 2]}",
                     direct_snr(case)))
    print_(f"| clip | face px | landmarks SNR (channel) | flow, integrated (channel) | flow / landmarks | flow against "
          f"{REFERENCE_S:g} s back |")
    print_("|---|---|---|---|---|---|")
    for case, s_lm, n_lm, s_fl, n_fl, s_dir in rows:
        print_(f"| {case.clip.short} | {case.variant.face_px} | {s_lm:.1f} ({n_lm}) | {s_fl:.1f} ({n_fl}) | "
              f"{s_fl / s_lm:.1f}x | {s_dir:.1f} |")
    lm_all, fl_all, dir_all = (np.array([r[k] for r in rows]) for k in (1, 3, 5))
    print_("")
    print_(f"median SNR: landmarks {np.median(lm_all):.1f}, flow integrated {np.median(fl_all):.1f}, flow against "
          f"{REFERENCE_S:g} s back {np.median(dir_all):.1f}; over 4 units: landmarks {(lm_all > 4).sum()}/{len(rows)}, "
          f"flow {(fl_all > 4).sum()}/{len(rows)}, {(dir_all > 4).sum()}/{len(rows)}")
    print_(f"flow cost a frame (crop, DIS FAST, global fit, regions): median {np.median(costs):.2f} ms over "
          f"{len(costs)} videos")
    for name in TALKING:
        path = shared_data() / "natural" / name
        tr = tracked(path)
        fl, _ = flow_levels(path, tr)
        lm = features_of(tr, path).levels[:, LANDMARK_CHANNELS].astype(np.float64)
        for label, x in (("landmarks", lm), ("flow", fl)):
            c = change(x, tr.fps, 0.3)
            span = int(QUIETEST_S * tr.fps)
            unit = np.min([robust_std(c[a:a + span]) for a in range(int(tr.fps), len(c) - span, span // 2)], axis=0)
            share = np.nanmean((np.abs(c) / unit > 4).any(axis=1))
            print_(f"{name}: {label}: frames with some channel's change over 4 units (noise of its quietest "
                  f"{QUIETEST_S:g} s): {share:.0%}")
    print("\n".join(lines))
    if args.write:
        from bench.personwise.report import spotter_version
        from bench.realme.flow_cost import DEFAULT, one_round

        rounds = [one_round(DEFAULT) for _ in range(COST_ROUNDS)]
        mp, fl = (float(np.median([r[k] for r in rounds])) for k in (0, 1))
        head = ["# Pixel motion against landmarks (`python -m bench.realme.flow_snr --write`)", "",
                f"Generated on {time.strftime('%Y-%m-%d %H:%M')} (at {spotter_version()}). " + " ".join(__doc__.split("\n\n")[2:]).replace("\n", " "), "",
                f"Cost (`python -m bench.realme.flow_cost`, {DEFAULT.name}, {COST_ROUNDS} rounds, CPU time a frame, medians; "
                f"shared 2-core machine): MediaPipe {mp:.2f} ms, flow {fl:.2f} ms, (MediaPipe + flow) / MediaPipe = "
                f"{(mp + fl) / mp:.2f}x.", ""]
        DOC.write_text("\n".join(head + lines) + "\n")
        print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
