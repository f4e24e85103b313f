"""Reliability figures: camera faults, bad input, crash safety, long sessions (`python -m bench reliability`).

Each part is a function the test suite also runs, with smaller numbers:

* faults: a camera stand-in that stalls, fails its reads, disappears and hangs on cue,
  behind the real `CameraSource`, `LiveSession`, pipeline and recorder;
* fuzz: truncated, bit-flipped, random, mislabelled and oversized files (and damaged
  session folders) through `glimpse analyze` and the replay loader, in child processes
  with a time bound per input, so a crash or a hang is caught and named;
* kill: SIGKILL a recording child at a random time, then open what it left;
* atomic: SIGKILL a child that rewrites settings, an export and a cache in a loop;
* long: an hour of 30 fps frames through the live per-frame path (features, spotter,
  prompts, recorder) from a tracked clip replayed in a loop, and a shorter run with
  the real tracker.

The figures go to RELIABILITY.md (see there for the commands).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.support.crash import (
    kill_atomic_writer,
    kill_figures,
    kill_recording,
)
from tests.support.faults import camera_faults, fault_figures
from tests.support.fuzz import (
    fuzz_summary,
    make_fuzz_inputs,
    make_session_inputs,
    run_fuzz,
)
from tests.support.long_run import long_figures, long_mediapipe, long_session, track_clip

# ------------------------------------------------------------------------------------------------------
# The figures
# ------------------------------------------------------------------------------------------------------

# each fault outlasts the 2 s in which a camera counts as lost; "gone" is a camera unplugged for 8 s
FAULT_PLAN = [("stall", 4.0), ("ok", 4.0), ("error", 4.0), ("ok", 4.0), ("gone", 8.0), ("ok", 4.0),
              ("hang", 5.0), ("ok", 4.0)]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(prog="python -m bench reliability", description=__doc__.splitlines()[0])
    ap.add_argument("parts", nargs="*", default=["faults", "fuzz", "kill", "atomic", "long", "mediapipe"],
                    help="which figures: faults fuzz kill atomic long mediapipe (default: all)")
    ap.add_argument("--fuzz-scale", type=int, default=5, help="fuzz inputs x this (x1: about 230)")
    ap.add_argument("--kills", type=int, default=5, help="recordings killed")
    ap.add_argument("--minutes", type=float, default=60.0, help="long session length")
    ap.add_argument("--mediapipe-minutes", type=float, default=10.0, help="long run with the real tracker")
    ap.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    a = ap.parse_args(argv)
    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix="glimpse-reliability-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("GLIMPSE_CACHE_DIR", str(work / "cache"))
    figures: dict = {"machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"}

    def show(name: str, value) -> None:
        figures[name] = value
        print(f"## {name}\n{json.dumps(value, indent=2, default=str)}\n", flush=True)

    if "faults" in a.parts:
        for k in range(2):
            show(f"faults run {k + 1}", fault_figures(camera_faults(FAULT_PLAN, work / f"faults-{k}")))
    if "fuzz" in a.parts:
        inputs = make_fuzz_inputs(work / "fuzz", seed=1, scale=a.fuzz_scale)
        inputs += make_session_inputs(work / "fuzz", seed=1, count=12 * a.fuzz_scale)
        t0 = time.perf_counter()
        results = run_fuzz(inputs, work / "fuzz" / "run", bound_s=60.0)
        summary = fuzz_summary(results)
        summary["wall_s"] = round(time.perf_counter() - t0, 1)
        show("fuzz", summary)
    if "kill" in a.parts:  # with the app's 10 s segments, killed 12-35 s into the recording
        from app.store.session import SEGMENT_S

        rng = random.Random(7)
        show("kill", [kill_figures(kill_recording(work / f"kill-{k}", rng.uniform(12.0, 35.0), segment_s=SEGMENT_S),
                                   segment_s=SEGMENT_S) for k in range(a.kills)])
    if "atomic" in a.parts:
        rng = random.Random(3)
        show("atomic", [kill_atomic_writer(work / f"atomic-{k}", rng.uniform(0.5, 2.5)) for k in range(20)])
    if "long" in a.parts:
        faces, size = track_clip()
        run = long_session(faces, size, a.minutes, work / "long")
        show("long", long_figures(run))
        shutil.rmtree(run.folder, ignore_errors=True)
    if "mediapipe" in a.parts:
        show("mediapipe", long_mediapipe(a.mediapipe_minutes))
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
