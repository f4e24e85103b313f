"""`glimpse live`'s options, and `glimpse live --no-window`: a live session without a window.

The headless run (`app/cli/live_run.py`) drives the same `LiveSession` the window does, prints
each moment as a JSON line on standard output while it runs, and at the end this writes the
same JSON as `glimpse analyze`. Ctrl-C (or SIGTERM) ends it cleanly: the moments under way
are finished and the file is still written. Without `--no-window`, `glimpse live` opens the
window. The session's modules are imported only when one runs (`glimpse --help` stays quick).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from app.cli.args import file_to_write, folder_to_write
from app.errors import GlimpseError, OptionInvalid
from app.settings import store as settings_file
from app.settings.schema import Settings
from app.system.output import write_or_keep

if TYPE_CHECKING:
    from app.run.choices import SourceChoice

EXIT_ERROR = 2


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The live subcommand's options (the window's and the headless run's)."""
    p.add_argument("--camera", type=int, help="camera index")
    p.add_argument("--demo", action="store_true", help="play the bundled demo recording as if live "
                   "(same as --source demo)")
    p.add_argument("--no-window", action="store_true", help="run without a window: print each moment as a "
                   "JSON line, write the moments JSON at the end (Ctrl-C ends it cleanly)")
    p.add_argument("--source", help="what to watch: camera:N, demo, file:PATH (with --no-window: a file plays "
                   "once, in real time; the demo loops), screen:X,Y,W,H (a region of the screen, e.g. a video "
                   "call's tile), screen:N (monitor N, the face found on it) or screen:portal (Wayland: a window the "
                   "desktop shares, the face found in it; screen:portal:X,Y,W,H for part of it); default camera:0")
    p.add_argument("--duration", type=float, metavar="SECONDS", help="with --no-window: stop after this much "
                   "session time")
    p.add_argument("--out", type=file_to_write, help="with --no-window: write the moments JSON here at the end "
                   "(same shape as glimpse analyze)")
    p.add_argument("--record", type=folder_to_write, metavar="DIR", help="with --no-window: record the session "
                   "into a new folder in DIR (you confirm the person agreed to be recorded); a recording that "
                   "cannot be written (a full disk) ends the run with exit status 2, what was written kept")
    p.add_argument("--asked-at", metavar="T1,T2", help="with --no-window: simulated \"I just asked\" marks at "
                   "these session times (seconds), for scripted runs")
    p.add_argument("--settings", help="with --no-window: settings file (JSON, as saved by the app)")


def window_args_problem(a: argparse.Namespace) -> str | None:
    """Why these options cannot open the window, or None (the window takes --camera, --demo and a
    screen --source only)."""
    from app.sources.screen import is_screen_spec, parse_source_spec

    given = [name for name in ("source", "duration", "out", "record", "asked_at", "settings")
             if getattr(a, name, None) is not None]
    if given == ["source"] and is_screen_spec(a.source):
        parse_source_spec(a.source)  # a bad spec is reported here, before the window opens
        return None
    if given:
        return f"--{given[0].replace('_', '-')} needs --no-window (without it, glimpse live opens the window)"
    return None


def asked_times(text: str | None) -> tuple[float, ...]:
    """`--asked-at 12.5,30` as sorted session times."""
    if not text:
        return ()
    try:
        times = tuple(sorted(float(t) for t in text.split(",") if t.strip()))
    except ValueError:
        raise OptionInvalid(f"--asked-at {text!r}: expected times in seconds separated by commas, "
                            "e.g. 12.5,30") from None
    if any(t < 0 for t in times):
        raise OptionInvalid(f"--asked-at {text!r}: times are seconds from the start, not negative")
    return times


def source_choice(a: argparse.Namespace) -> SourceChoice:
    from app.run.choices import parse_source

    named = [s for s in (a.source, "demo" if a.demo else None,
                         None if a.camera is None else f"camera:{a.camera}") if s]
    if len(named) > 1:
        raise OptionInvalid(f"one source at a time: got {' and '.join(named)}")
    return parse_source(named[0] if named else "camera:0")


def cmd_live_headless(a: argparse.Namespace) -> int:
    """`glimpse live --no-window ...`; raises GlimpseError (one line, exit 2) on bad input."""
    settings = settings_file.load(a.settings) if a.settings else Settings()
    choice = source_choice(a)
    asked_at = asked_times(a.asked_at)
    if a.duration is not None and not a.duration > 0:
        raise OptionInvalid(f"--duration {a.duration:g}: expected a number of seconds above 0")
    from app.cli.live_run import run

    result = run(choice, settings, a.model, a.duration, asked_at, a.record)
    if result.failed:
        raise GlimpseError(result.fatal or "the live session failed")
    data = result.to_dict(str(choice.path) if choice.path else None, settings)
    if a.out:
        write_or_keep(a.out, (json.dumps(data, indent=2) + "\n").encode())
    print(f"glimpse: {data['frames']} frames tracked ({result.dropped} dropped), {data['duration_s']:.1f} s, "
          f"{len(data['moments'])} moments" + (f"; wrote {a.out}" if a.out else ""), file=sys.stderr)
    return EXIT_ERROR if result.recording_failed else 0  # its one sentence was said when it stopped
