"""`glimpse summary` and `glimpse export`: a recorded session's summary page (HTML or PDF) and its
moments (CSV or JSON, as shown live or as a what-if), the same code as Review's menus.

A damaged session gives what is intact, and the command says on stderr what was left out. The PDF is
printed by Qt, reached through the hook `app.__main__` gives (the command line never imports the Qt
shell itself).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from app.cli.args import file_to_write
from app.errors import GlimpseError, OptionInvalid
from app.store.session import RecordedSession
from app.system.output import check_output, write_or_keep

PrintPdf = Callable[[str], bytes]  # a summary page's HTML -> the PDF's bytes

SUMMARY_DESCRIPTION = """Write a recorded session's summary page: when and how long, its timeline, the questions
shown live, your marks and notes, the settings in force. FILE ending .pdf gives a PDF, else HTML.
Default: SESSION-NAME.html in the current folder."""

EXPORT_DESCRIPTION = """Write a recorded session's moments with your marks and notes. --view live (default):
what was shown live, from the session's own record. --view what-if: what the settings (--settings FILE,
default the session's own) find on it; such a file says so (a "view" column or key, "would_prompt" in
place of "prompted") and its default name has "what-if" in it. Default file: NAME-moments.csv (or
NAME-what-if-moments.csv) in the current folder."""


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("summary", help="a recorded session's summary page (HTML or PDF)",
                       description=SUMMARY_DESCRIPTION)
    p.add_argument("session", metavar="SESSION", help="a recorded session's folder")
    p.add_argument("--out", type=file_to_write, metavar="FILE", help="FILE.html or FILE.pdf")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("export", help="a recorded session's moments as CSV or JSON",
                       description=EXPORT_DESCRIPTION)
    p.add_argument("session", metavar="SESSION", help="a recorded session's folder")
    p.add_argument("--view", choices=("live", "what-if"), default="live", help="what was shown live (default), "
                   "or what the settings would find")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="default csv")
    p.add_argument("--settings", help="with --view what-if: settings file (JSON, as saved by the app)")
    p.add_argument("--out", type=file_to_write, metavar="FILE", help="where to write it")
    p.set_defaults(func=cmd_export)


def _open(folder: str) -> RecordedSession:
    """The session, whatever of it is intact; what is not is said on stderr."""
    from app.store.session import open_session

    if not Path(folder).is_dir():
        raise OptionInvalid(f"{folder}: expected a recorded session's folder (for a video file: glimpse analyze)")
    session = open_session(folder)
    if session.missing_message:
        print(f"glimpse: {session.missing_message}", file=sys.stderr)
    return session


def cmd_summary(a: argparse.Namespace) -> int:
    from app.store import summary

    target = a.out or Path(f"{Path(a.session).resolve().name}.html")
    pdf = target.suffix.lower() == ".pdf"
    check_output(target, "--out")
    page = summary.to_html(summary.collect(_open(a.session)))
    data = a.print_pdf(page) if pdf else page.encode("utf-8")
    write_or_keep(target, data)
    print(f"glimpse: wrote {target}", file=sys.stderr)
    return 0


def cmd_export(a: argparse.Namespace) -> int:
    from app.run.pipeline import analyze
    from app.settings import store as settings_file
    from app.store.export import LIVE, export_name, export_text, read_review

    if a.settings and a.view == LIVE:
        raise OptionInvalid("--settings is for --view what-if (the live view is what was shown, with the "
                            "settings then in force)")
    target = a.out or Path(export_name(Path(a.session).resolve().name, a.view, a.format))
    check_output(target, "--out")
    session = _open(a.session)
    settings = settings_file.load(a.settings) if a.settings else session.settings
    analysis = analyze(str(session.folder), settings, table=session.table)  # spotted again, never tracked
    review, problem = read_review(session.folder)
    if problem:
        print(f"glimpse: {problem}; exported without marks", file=sys.stderr)
    data = analysis.to_dict()
    moments = list(session.moments) if a.view == LIVE else analysis.moments
    write_or_keep(target, export_text(data, moments, review, a.view, a.format).encode("utf-8"))
    print(f"glimpse: wrote {len(moments)} moments ({a.view}) to {target}", file=sys.stderr)
    return 0


def no_pdf(page: str) -> bytes:
    raise GlimpseError("a PDF is printed by the desktop app's Qt, which this entry point does not have; "
                       "write FILE.html, or run 'glimpse' or 'python -m app'")
