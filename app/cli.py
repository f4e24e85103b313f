"""The `glimpse` command: analyze, devices, inject, evaluate, and the desktop app (live, replay)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from . import crashlog, settings as settings_mod
from .cli_live import add_arguments, cmd_live_headless, window_args_problem
from .errors import GlimpseError, NoFaceFound
from .storage import write_atomic

EXIT_ERROR, EXIT_NO_FACE = 2, 3


class ProgressBar:
    """A one-line progress bar on stderr (only on a terminal)."""

    def __init__(self, label: str, stream=sys.stderr):
        self.label, self.stream = label, stream
        self.enabled = stream.isatty()
        self._start = time.perf_counter()
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self._last < 0.1 and done < total):
            return
        self._last = now
        frac = min(done / total, 1.0) if total else 0.0
        bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
        rate = done / max(now - self._start, 1e-9)
        self.stream.write(f"\r{self.label} [{bar}] {100 * frac:3.0f}% {done}/{total} frames {rate:.0f} fps")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")


def moments_csv(moments: list[dict]) -> str:
    out = io.StringIO()
    cols = ["start_s", "peak_s", "end_s", "duration_s", "kind", "regions", "strength", "prompted", "prompt"]
    writer = csv.DictWriter(out, cols, extrasaction="ignore")
    writer.writeheader()
    for m in moments:
        writer.writerow({**m, "duration_s": round(m["end_s"] - m["start_s"], 4), "regions": " ".join(m["regions"]),
                         "prompt": m["prompt"] or ""})
    return out.getvalue()


def analyze_one(video: str, out: str | None, csv_path: str | None, settings_file: str | None,
                model: str | None, show_progress: bool = True) -> dict:
    """Analyse one video and write its results; raises GlimpseError on bad input."""
    from .pipeline import analyze

    settings = settings_mod.load(settings_file) if settings_file else settings_mod.Settings()
    bar = ProgressBar(Path(video).name) if show_progress else None
    try:
        result = analyze(video, settings, model, progress=bar)
    finally:
        if bar:
            bar.close()
    data = result.to_dict()
    text = json.dumps(data, indent=2) + "\n"
    if out:
        write_atomic(Path(out), text.encode())
    else:
        sys.stdout.write(text)
    if csv_path:
        write_atomic(Path(csv_path), moments_csv(data["moments"]).encode())
    if result.face_frames == 0:
        raise NoFaceFound(f"{video}: no face was seen in any of its {data['frames']} frames")
    return data


def _analyze_job(args: tuple) -> tuple[str, str | None, int]:
    video, out, settings_file, model = args
    try:
        data = analyze_one(video, out, None, settings_file, model, show_progress=False)
        return video, None, len(data["moments"])
    except NoFaceFound as exc:
        return video, str(exc), 0
    except GlimpseError as exc:
        return video, str(exc), -1


def cmd_analyze(a: argparse.Namespace) -> int:
    if len(a.videos) > 1 or a.out_dir:
        if not a.out_dir:
            raise GlimpseError("several videos need --out-dir DIR (one JSON per video)")
        if a.out or a.csv:
            raise GlimpseError("--out and --csv are for one video; with several, use --out-dir")
        out_dir = Path(a.out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        jobs = [(v, str(out_dir / f"{Path(v).stem}.json"), a.settings, a.model) for v in a.videos]
        if a.settings:
            settings_mod.load(a.settings)  # fail once, early, on a broken file
        failed = 0
        with ProcessPoolExecutor(max_workers=max(1, a.jobs)) as pool:
            for fut in as_completed([pool.submit(_analyze_job, j) for j in jobs]):
                video, error, n = fut.result()
                if error:
                    failed += 1
                    print(f"glimpse: {error}", file=sys.stderr)
                else:
                    print(f"{video}: {n} moments", file=sys.stderr)
        return EXIT_ERROR if failed else 0
    try:
        analyze_one(a.videos[0], a.out, a.csv, a.settings, a.model, show_progress=not a.quiet)
    except NoFaceFound as exc:
        print(f"glimpse: {exc}", file=sys.stderr)
        return EXIT_NO_FACE
    return 0


def cmd_devices(a: argparse.Namespace) -> int:
    from .capture import list_cameras

    cameras = list_cameras()
    if not cameras:
        print("No camera found. Glimpse can replay a recording, or play the bundled demo as if live.")
        return 0
    for cam in cameras:
        print(f"{cam.index}: {cam.name}")
    return 0


def cmd_gui(a: argparse.Namespace) -> int:
    from .ui.app import run_app

    if getattr(a, "no_cache", False):
        os.environ["GLIMPSE_CACHE"] = "off"  # read by storage.caching_on, in every thread

    return run_app(a)


def cmd_live(a: argparse.Namespace) -> int:
    """`glimpse live`: the window, or with --no-window a headless session (app/cli_live.py)."""
    if a.no_window:
        return cmd_live_headless(a)
    problem = window_args_problem(a)
    if problem:
        raise GlimpseError(problem)
    return cmd_gui(a)


def build_parser() -> argparse.ArgumentParser:
    model_help = "Face Landmarker model file (default: the bundled, verified one)"
    top = argparse.ArgumentParser(add_help=False)
    top.add_argument("--model", help=model_help)
    # accepted after the command too; without a default of its own, or `glimpse --model M replay` would lose M
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--model", default=argparse.SUPPRESS, help=model_help)
    parser = argparse.ArgumentParser(prog="glimpse", parents=[top], description="Notice brief facial changes; "
                                     "answer each with a gentle, open question. Without a command, opens the "
                                     "live window.")
    parser.add_argument("--crash-test", nargs="?", const="python", choices=crashlog.CRASH_MODES,
                        help=argparse.SUPPRESS)  # app/crashlog.py: a forced crash, to check the crash log
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("analyze", parents=[common], help="find moments in video files")
    p.add_argument("videos", nargs="+", metavar="VIDEO")
    p.add_argument("--out", help="write the moments JSON here (default: standard output)")
    p.add_argument("--csv", help="also write the moments as CSV")
    p.add_argument("--out-dir", help="with several videos: one JSON per video in this folder")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel processes for several videos")
    p.add_argument("--settings", help="settings file (JSON, as saved by the app)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("devices", help="list cameras")
    p.set_defaults(func=cmd_devices)

    for name, helptext in (("live", "the live window (default)"), ("replay", "review a video or recorded session")):
        p = sub.add_parser(name, parents=[common], help=helptext)
        p.add_argument("--no-cache", action="store_true", help="keep no measurements or marks of opened videos "
                       "on disk (recordings are written only when you press Record)")
        if name == "replay":
            p.add_argument("path", nargs="?", help="video file or session folder")
            p.set_defaults(func=cmd_gui)
        else:
            add_arguments(p)
            p.set_defaults(func=cmd_live)

    p = sub.add_parser("inject", help="add known brief expressions to a real face video (ground truth)")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=lambda a: _delegate("app.research.inject", "main_inject", a.args))

    p = sub.add_parser("evaluate", help="score a moments JSON against ground truth")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=lambda a: _delegate("app.research.evaluate", "main_evaluate", a.args))
    return parser


def _delegate(module: str, func: str, argv: list[str]) -> int:
    import importlib

    return int(getattr(importlib.import_module(module), func)(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    crashlog.crash_if_asked(a.crash_test)  # --crash-test or GLIMPSE_CRASH_TEST: proves the crash log works
    if a.command is None:
        a.command, a.func, a.camera, a.demo = "live", cmd_gui, None, False
    try:
        return a.func(a)
    except GlimpseError as exc:
        print(f"glimpse: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("glimpse: interrupted", file=sys.stderr)
        return 130
