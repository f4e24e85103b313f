"""The `glimpse` command: analyze, summary, export, devices, inject, evaluate, and the desktop app (live, replay)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from app.cli import analyze as cli_analyze
from app.cli import session_files
from app.cli.args import Parser
from app.cli.live import add_arguments, cmd_live_headless, window_args_problem
from app.errors import GlimpseError
from app.run.batch import moments_csv
from app.system import crashlog

EXIT_ERROR = 2
EXIT_PIPE = 141  # as a shell reports a command ended by SIGPIPE
__all__ = ["main", "build_parser", "moments_csv"]


def cmd_devices(a: argparse.Namespace) -> int:
    from app.sources.capture import list_cameras

    cameras = list_cameras()
    if not cameras:
        print("No camera found. Glimpse can replay a recording, or play the bundled demo as if live.")
        return 0
    for cam in cameras:
        print(f"{cam.index}: {cam.name}")
    return 0


OpenWindow = Callable[[argparse.Namespace], int]


def no_window(a: argparse.Namespace) -> int:
    raise GlimpseError(f"'glimpse {a.command}' opens the desktop window, which this entry point does not have; "
                       "run 'glimpse' or 'python -m app'")


def cmd_gui(a: argparse.Namespace) -> int:
    """The desktop window (live or replay), opened through the hook `app.__main__` gives: the command line
    itself never imports the Qt shell."""
    if getattr(a, "no_cache", False):
        os.environ["GLIMPSE_CACHE"] = "off"  # read by files.caching_on, in every thread
    return a.open_window(a)


def cmd_live(a: argparse.Namespace) -> int:
    """`glimpse live`: the window, or with --no-window a headless session (app/cli/live.py)."""
    if a.no_window:
        return cmd_live_headless(a)
    problem = window_args_problem(a)
    if problem:
        raise GlimpseError(problem)
    return cmd_gui(a)


def build_parser() -> argparse.ArgumentParser:
    model_help = "Face Landmarker model file (default: the bundled, verified one)"
    top = Parser(add_help=False)
    top.add_argument("--model", help=model_help)
    # accepted after the command too; without a default of its own, or `glimpse --model M replay` would lose M
    common = Parser(add_help=False)
    common.add_argument("--model", default=argparse.SUPPRESS, help=model_help)
    parser = Parser(prog="glimpse", parents=[top], description="Notice brief facial changes; "
                                     "answer each with a gentle, open question. Without a command, opens the "
                                     "live window.")
    parser.add_argument("--crash-test", nargs="?", const="python", choices=crashlog.CRASH_MODES,
                        help=argparse.SUPPRESS)  # app/system/crashlog.py: a forced crash, to check the crash log
    sub = parser.add_subparsers(dest="command")

    cli_analyze.add_parser(sub, common)

    session_files.add_parsers(sub)

    p = sub.add_parser("devices", help="list cameras", description="List the cameras this computer exposes, "
                       "with the index to give to 'glimpse live --camera N'.")
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

    from app.cli import research

    p = sub.add_parser("inject", help="add known brief expressions to a real face video (ground truth)",
                       description="Warp known facial actions into a face video and write the ground truth.")
    research.add_inject_arguments(p)
    p.set_defaults(func=research.run_inject)

    p = sub.add_parser("evaluate", help="score a moments JSON against ground truth",
                       description="Score spotted moments against ground truth (see the MEGC lines for the "
                                   "conventions each figure follows).")
    research.add_evaluate_arguments(p)
    p.set_defaults(func=research.run_evaluate)
    return parser


def main(argv: list[str] | None = None, open_window: OpenWindow = no_window,
         print_pdf: session_files.PrintPdf = session_files.no_pdf) -> int:
    """The command; `open_window` and `print_pdf` are the Qt shell's, given by `app.__main__` (the
    command line never imports it)."""
    parser = build_parser()
    a = parser.parse_args(argv)
    a.open_window, a.print_pdf = open_window, print_pdf
    crashlog.crash_if_asked(a.crash_test)  # --crash-test or GLIMPSE_CRASH_TEST: proves the crash log works
    if a.command is None:
        a.command, a.func, a.camera, a.demo = "live", cmd_gui, None, False
    try:
        return a.func(a)
    except GlimpseError as exc:
        _say(f"glimpse: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _say("glimpse: interrupted")
        return 130
    except BrokenPipeError:  # `glimpse analyze v.mp4 | head`: the reader has all it wanted; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # what is buffered goes nowhere
        return EXIT_PIPE


def _say(line: str) -> None:
    """One line on stderr; a stderr that refuses it (closed, a full disk) does not turn it into a traceback."""
    try:
        print(line, file=sys.stderr, flush=True)
    except OSError:
        pass
