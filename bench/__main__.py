"""`python -m bench [PART [ARGS...]]` from the checkout: one benchmark, or (no PART) every report in turn.

PART is personwise (docs/BENCH_PERSONWISE.md: the headline, leave-one-person-out), accuracy (BENCHMARKS.md),
replay (docs/BENCH_REPLAY.md), live, live_cpu, live_60 or live_against (the sections of docs/BENCH_LIVE.md: prompt
latency; the whole live session's CPU against raw MediaPipe; 60 frames/s; prompt latency side by side with the
revision issue 19 measured against), reliability (the figures behind
RELIABILITY.md), analyze_speed (docs/BENCH_ANALYZE.md), face_size (docs/BENCH_FACE_SIZE.md), screen_capture (docs/BENCH_SCREEN.md), recording_kill
(RELIABILITY.md section 6), demo_doc (assets/DEMO.md), memory (30 minutes of headless live mode: RELIABILITY.md
section 4), bundle (docs/BENCH_BUNDLE.md) or real_me (docs/BENCH_REAL_ME.md: six real micro-expressions in
a call-like context) or asked (docs/BENCH_ASKED.md: what the "I just asked" window is worth, person-wise);
ARGS go to that part
(`python -m bench live --help`).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

PARTS = {  # part -> module, in the order of a full run; bundle needs `make bundle`
    "personwise": "bench.personwise.run", "accuracy": "bench.accuracy.run", "replay": "bench.accuracy.replay",
    "live": "bench.live.latency", "live_cpu": "bench.live.cpu", "live_60": "bench.live.at_60",
    "live_against": "bench.live.against",
    "reliability": "bench.reliability.run", "analyze_speed": "bench.live.analyze_speed",
    "face_size": "bench.accuracy.face_size", "screen_capture": "bench.live.screen_capture",
    "recording_kill": "bench.reliability.recording_kill", "demo_doc": "bench.accuracy.demo_doc",
    "memory": "bench.reliability.memory", "bundle": "bench.reliability.bundle",
    "real_me": "bench.realme.run", "asked": "bench.personwise.asked",
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv and argv[0] not in PARTS:
        print(f"python -m bench: unknown part {argv[0]!r}; choose one of {', '.join(PARTS)}", file=sys.stderr)
        return 2
    if argv:
        return importlib.import_module(PARTS[argv[0]]).main(argv[1:])
    for part in PARTS:  # each part's own defaults: the full figures
        print(f"== python -m bench {part}", flush=True)
        code = importlib.import_module(PARTS[part]).main([])
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
