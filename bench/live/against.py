"""Prompt latency side by side with an earlier revision (`python -m bench live_against [--against REV]`).

Issue 19 asks that the prompt's p95 latency be no worse than when the issue was filed (406 ms, measured by
`python -m bench live` at ISSUE_19_BASELINE on 2026-12-01). This machine is shared and its speed swings from
day to day, so a figure from another day does not compare: this plays the same cached clips through that
revision's own live bench and through this checkout's, in alternating rounds (each in a fresh process),
and reports both. The revision is taken with `git archive`; it runs with this checkout's environment.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common.paths import ROOT, unpack_revision
from bench.live.doc import DOC, write_section
from bench.live.latency import EVENTS, machine, make_clips

ISSUE_19_BASELINE = "29c5971"  # main when issue 19 quoted 406 ms (docs/BENCH_LIVE.md of that commit)
ARCHIVED = ("app", "bench", "models", "assets", "tests/data")  # what a revision's live bench reads
THIS = "this checkout"

_TOTAL = re.compile(r"(\d+) prompted events, \*\*latency p50 (\d+) ms, p95 (\d+) ms\*\*")
# a size's row: | 640x480 @ 30 | 14 / 24 | latency | spotter's delay | the app's share p50 / p95 | ...
_ROW = re.compile(r"^\| (\d+x\d+) @ 30 \| \d+ / \d+ \| [^|]+\| [^|]+\| (\d+) / (\d+) \|", re.MULTILINE)


@dataclass(frozen=True)
class Figures:
    """What one run of `python -m bench live` printed."""

    events: int
    p50_ms: int
    p95_ms: int
    app_p50_ms: dict[str, int]  # per source size: the app's share (tracking, signal, GUI)


def parse(report: str) -> Figures:
    """The figures of a live bench report (the same lines at the baseline and now)."""
    total = _TOTAL.search(report)
    if total is None:
        raise ValueError("no 'All sizes ... latency p50 ... p95' line in the live bench's report")
    events, p50, p95 = (int(g) for g in total.groups())
    return Figures(events, p50, p95, {size: int(p50) for size, p50, _ in _ROW.findall(report)})


def run_live(code_dir: Path, work: Path, doc: Path) -> Figures:
    """One fresh process of `python -m bench live` from `code_dir`, on the clips cached in `work`."""
    done = subprocess.run([sys.executable, "-m", "bench", "live", "--work", str(work), "--out", str(doc)],
                          cwd=code_dir, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    if done.returncode != 0:
        raise RuntimeError(f"the live bench in {code_dir} failed ({done.returncode}): {done.stderr[-2000:]}")
    return parse(done.stdout)


def report(rounds: list[dict[str, Figures]], rev: str, command: str, host: str) -> str:
    labels = list(rounds[0])
    sizes = sorted({s for r in rounds for f in r.values() for s in f.app_p50_ms}, key=lambda s: int(s.split("x")[0]))
    lines = ["## Prompt latency against an earlier revision, side by side", "",
             f"Command: `{command}`  ", f"Machine: {host}.  ", f"Date: {time.strftime('%Y-%m-%d %H:%M')}", "",
             f"The same cached clips as `python -m bench live`, played through {rev}'s own live bench and this "
             "checkout's in alternating rounds, each in a fresh process (bench/live/against.py).", "",
             "| round | code | events prompted | latency p50 / p95 (ms) | "
             + " | ".join(f"app's share p50 at {s} (ms)" for s in sizes) + " |",
             "|---|---|---|---|" + "---|" * len(sizes)]
    for k, r in enumerate(rounds, 1):
        for label, f in r.items():
            lines.append(f"| {k} | {label} | {f.events} | {f.p50_ms} / {f.p95_ms} | "
                         + " | ".join(str(f.app_p50_ms.get(s, "n/a")) for s in sizes) + " |")
    p95 = {label: statistics.median(r[label].p95_ms for r in rounds) for label in labels}
    worse = p95[THIS] - p95[rev]
    pairs = [r[THIS].p95_ms - r[rev].p95_ms for r in rounds]
    lines += ["", f"Median p95: {rev} {p95[rev]:g} ms, this checkout {p95[THIS]:g} ms: "
              + (f"**not worse** ({worse:+g} ms)." if worse <= 0 else f"**worse by {worse:g} ms**.")
              + f" Round by round, this checkout's p95 minus {rev}'s: {min(pairs):+d} to {max(pairs):+d} ms.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench live_against", description=__doc__.splitlines()[0])
    ap.add_argument("--against", default=ISSUE_19_BASELINE, help="the git revision to compare with")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--work", default=str(ROOT / "out" / "bench_live"), help="where the clips are cached")
    ap.add_argument("--out", default=str(DOC))
    a = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")  # as the children
    work = Path(a.work).resolve()
    make_clips(work, EVENTS)  # both sides then read the same cached clips (the live bench's default plan)
    host = machine()
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "rev"
        old.mkdir()
        unpack_revision(a.against, ARCHIVED, old)
        for k in range(a.rounds):
            figures = {}
            for label, code in ((a.against, old), (THIS, ROOT)):
                print(f"round {k + 1}: {label}...", file=sys.stderr)
                figures[label] = run_live(code, work, Path(tmp) / f"{k}-{code.name}.md")
            rounds.append(figures)
    host += f", at the end {os.getloadavg()[0]:.2f}"
    given = sys.argv[1:] if argv is None else argv
    text = report(rounds, a.against, "python -m bench live_against" + (" " + " ".join(given)).rstrip(), host)
    write_section(Path(a.out), "live_against", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
