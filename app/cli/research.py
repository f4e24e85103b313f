"""`glimpse inject` and `glimpse evaluate`: the research tools' command lines (`app.research` does the work)."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from app.cli.args import file_to_write, non_negative_float, positive_float
from app.errors import AnnotationsInvalid, InjectError
from app.research.evaluate import evaluate, format_report, load_moments, load_truth
from app.research.inject import ACTION_TYPES, inject
from app.sources.capture import FileSource
from app.store.segment_io import count_frames
from app.system.output import shown, write_or_keep


def main_inject(argv: Sequence[str] | None = None) -> int:
    """`glimpse inject IN OUT --truth truth.json [--seed N] [--events N] [--macro N] [--length S]`.
    Raises GlimpseError for the caller to show."""
    ap = argparse.ArgumentParser(prog="glimpse inject", description="Warp known facial actions into a face "
                                 "video and write the ground truth.")
    add_inject_arguments(ap)
    return run_inject(ap.parse_args(argv))


def add_inject_arguments(ap: argparse.ArgumentParser) -> None:
    """The options of `glimpse inject`."""
    ap.add_argument("video_in", metavar="IN", help="a video of one face")
    ap.add_argument("video_out", metavar="OUT", type=file_to_write, help="output video (mp4v)")
    ap.add_argument("--truth", required=True, type=file_to_write, help="where to write the truth JSON")
    ap.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same events")
    ap.add_argument("--events", type=int, default=None, help="micro events (default: one per 8 s of output)")
    ap.add_argument("--macro", type=int, default=None, help="held macro events (default: one per 40 s)")
    ap.add_argument("--length", type=float, default=None, metavar="S",
                    help="output duration in seconds: longer plays the clip forward and backward, shorter cuts it")
    ap.add_argument("--types", default=",".join(ACTION_TYPES), help="comma-separated action types to draw from")
    ap.add_argument("--unilateral", type=float, default=0.0, metavar="P", help="share of one-sided events")
    ap.add_argument("--model", default=None, help="Face Landmarker model file")


def run_inject(args: argparse.Namespace) -> int:
    """`glimpse inject` with parsed arguments."""
    types = [t.strip() for t in args.types.split(",") if t.strip()]
    unknown = [t for t in types if t not in ACTION_TYPES]
    if unknown or not types:
        raise InjectError(f"--types: unknown {unknown}; expected some of {', '.join(ACTION_TYPES)}")
    if args.length is not None and not (args.length > 0 and math.isfinite(args.length)):
        raise InjectError(f"--length must be a positive number of seconds, found {args.length:g}")
    for name in ("events", "macro"):
        if getattr(args, name) is not None and getattr(args, name) < 0:
            raise InjectError(f"--{name} must be 0 or more, found {getattr(args, name)}")
    if not 0.0 <= args.unilateral <= 1.0:
        raise InjectError(f"--unilateral is a share from 0 to 1, found {args.unilateral:g}")
    duration = args.length
    if duration is None:
        with FileSource(args.video_in) as src:
            duration = src.info.duration_s
    n_micro = args.events if args.events is not None else max(1, int(duration / 8))
    n_macro = args.macro if args.macro is not None else int(duration / 40)

    def report(stage: str, i: int, n: int) -> None:
        print(f"\r{stage} {i}/{n or '?'} frames ", end="", file=sys.stderr, flush=True)

    tty = sys.stderr.isatty()
    truth = inject(args.video_in, args.video_out, n_micro, args.seed, args.length, macro=n_macro, types=types,
                   unilateral=args.unilateral, model_path=args.model, progress=report if tty else None)
    if tty:
        print(file=sys.stderr)
    if count_frames(Path(args.video_out)) != truth["frames"]:  # OpenCV's writer does not say when the disk refuses
        raise InjectError(f"{shown(args.video_out)}: the video could not be written whole (is the disk full?)")
    write_or_keep(args.truth, (json.dumps(truth, indent=2) + "\n").encode())
    print(f"wrote {args.video_out} ({truth['frames']} frames, {truth['duration_s']:.1f} s) and {args.truth} "
          f"({len(truth['events'])} events)")
    return 0


def add_evaluate_arguments(ap: argparse.ArgumentParser) -> None:
    """The options of `glimpse evaluate`."""
    ap.add_argument("truth", metavar="TRUTH", help="truth JSON from 'glimpse inject', or an annotation CSV")
    ap.add_argument("moments", metavar="MOMENTS", help="moments JSON from 'glimpse analyze'")
    ap.add_argument("--fps", type=positive_float, default=None, help="frame rate of a CSV truth's clip "
                    "(default: the frame rate in MOMENTS)")
    ap.add_argument("--clip", default=None, help="CSV truth: only rows of this clip (e.g. 006_1)")
    ap.add_argument("--first-frame", type=int, default=1, help="CSV truth: number of the clip's first frame")
    ap.add_argument("--tolerance", type=non_negative_float, default=0.1, metavar="S", help="seconds around each event")
    ap.add_argument("--json", action="store_true", help="print the full result as JSON")


def main_evaluate(argv: Sequence[str] | None = None) -> int:
    """`glimpse evaluate TRUTH MOMENTS [--fps F] [--json]`. Raises GlimpseError for the caller to show."""
    ap = argparse.ArgumentParser(prog="glimpse evaluate", description="Score spotted moments against ground truth.")
    add_evaluate_arguments(ap)
    return run_evaluate(ap.parse_args(argv))


def run_evaluate(args: argparse.Namespace) -> int:
    """`glimpse evaluate` with parsed arguments."""
    moments = load_moments(args.moments)
    fps = args.fps
    is_csv = Path(args.truth).suffix.lower() in (".csv", ".tsv", ".txt")
    if is_csv and fps is None:
        fps = moments.get("fps")
        if not fps:
            raise AnnotationsInvalid(f"{args.truth} counts frames: give the clip's frame rate with --fps")
        print(f"using the frame rate of {args.moments}: {fps:g} fps", file=sys.stderr)
    truth = load_truth(args.truth, fps, args.clip, args.first_frame)
    for s in truth.get("skipped", []):
        print(f"{args.truth}: skipped line {s['line']}: {s['reason']}", file=sys.stderr)
    duration = moments.get("duration_s") or truth.get("duration_s")
    if not duration:
        raise AnnotationsInvalid(f"neither {args.moments} nor {args.truth} gives the video's duration_s")
    result = evaluate(truth, moments["moments"], float(duration), args.tolerance,
                      fps or moments.get("fps") or truth.get("fps"))
    try:
        print(json.dumps(result, indent=2) if args.json else format_report(result), flush=True)
    except BrokenPipeError:
        # the reader has all it wanted (`glimpse evaluate ... | head`): stop quietly. What is still
        # buffered goes nowhere, or flushing it at exit would raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
