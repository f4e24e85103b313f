"""Spotting accuracy on injected ground truth: `python -m bench accuracy [--split tune|report] [--quick]`.

Without `--quick`, the full report (BENCHMARKS.md, see `bench.accuracy.report`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.accuracy.dataset import SPLITS, build_dataset
from bench.common.paths import DEFAULT_ROOT
from bench.common.tables import quick

# ----------------------------------------------------------------------------------------------
# Command line.

def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench accuracy", description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=SPLITS, default="report",
                    help="with --quick: which split (default: report); the full run reports both")
    ap.add_argument("--quick", action="store_true", help="only the one-screen preset table for --split")
    ap.add_argument("--naive", action="store_true", help="with --quick: also the naive reference spotter")
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="dataset folder (default: out/bench)")
    ap.add_argument("--build-only", action="store_true", help="build videos and cached features, then stop")
    ap.add_argument("--retrack", action="store_true",
                    help="track every video again (after a change to tracking or features.py)")
    args = ap.parse_args(argv)
    if args.retrack or args.build_only:
        build_dataset(args.root, SPLITS, retrack=args.retrack)
        if args.build_only:
            return 0
    if args.quick:
        print(quick(args.split, args.root, naive=args.naive))
        return 0
    from bench.accuracy.report import full_report

    return full_report(args.root)


if __name__ == "__main__":
    sys.exit(main())
