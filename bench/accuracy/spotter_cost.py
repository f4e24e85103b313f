"""Online cost of features + spotting per frame, on a real clip's tracked features.

    python bench/accuracy/spotter_cost.py [--video PATH] [--against REV] [--rounds N]

Tracks the clip once (kept under out/), then times, in a fresh process per round: the feature
extractor on the tracked landmarks, the online Spotter frame by frame, and the batch spot_table,
over the clip played `--loops` times end to end as one face run (so the steady state past the
noise window dominates). CPU time per frame, median over rounds. `--against REV` times the `app`
package of a git revision in the same rounds, alternating with this checkout, and prints the ratio
(the machine is shared: only ratios from one run compare). Each round also checks that the online
spotter gives exactly the batch moments.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common.paths import ROOT, unpack_revision  # noqa: E402

DEFAULT_VIDEO = ROOT.parent / "shared" / "data" / "WolfgangLanger_Pexels.mp4"
CACHE = ROOT / "out" / "spotter_cost"


def tracked(video: Path) -> Path:
    """The clip's features with landmarks, tracked once."""
    from app.run.pipeline import track_video
    from app.system.files import video_digest

    path = CACHE / f"{video_digest(video)[:16]}.npz"
    if not path.exists():
        _, table = track_video(video, keep_landmarks=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(table.to_bytes())
    return path


def measure(table_path: str, loops: int) -> dict:
    """One round, in this process (run by the parent with `app` pointing at the code under test)."""
    import dataclasses
    import inspect

    import numpy as np

    from app.face.features import FeatureExtractor, FeatureTable
    from app.face.tracking import FaceObservation
    from app.settings.schema import Settings
    from app.spotting.spotter import Spotter, spot_table

    one = FeatureTable.load(table_path)
    w, h = int(one.meta.get("width", 640)), int(one.meta.get("height", 360))
    span = float(one.t_s[-1] - one.t_s[0]) + float(np.median(np.diff(one.t_s)))
    rows = [dataclasses.replace(one.row(i), t_s=float(one.t_s[i]) + k * span, landmarks=None)
            for k in range(loops) for i in range(len(one))]
    table = FeatureTable.from_frames(rows, one.meta)
    faces = [FaceObservation(one.landmarks[i].astype(np.float32), one.blendshapes[i].astype(np.float32),
                             np.eye(4, dtype=np.float32)) for i in range(len(one))]
    settings = Settings()

    extractor = FeatureExtractor()
    # the frame's pixels since the face stage (issue 18), its size before
    seen = np.zeros((h, w, 3), np.uint8) if "image" in inspect.signature(extractor.update).parameters else (w, h)
    t0 = time.process_time()
    for _ in range(loops):
        extractor.reset()
        for i, face in enumerate(faces):
            extractor.update(float(one.t_s[i]), face, seen)
    features = time.process_time() - t0

    spotter, online = Spotter(settings), []
    t0 = time.process_time()
    for r in rows:
        online += spotter.update(r)
    online += spotter.flush()
    spotting = time.process_time() - t0

    t0 = time.process_time()
    batch = spot_table(table, settings)
    batch_s = time.process_time() - t0
    n = len(rows)
    return {"frames": n, "features_ms": 1e3 * features / n, "online_ms": 1e3 * spotting / n,
            "batch_ms": 1e3 * batch_s / n, "moments": len(batch), "online_equals_batch": online == batch}


def _round(table: Path, loops: int, app_dir: Path | None) -> dict:
    import os

    # the child finds `bench` in this checkout, and `app` in `app_dir` when given (first on the path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(str(p) for p in (app_dir, ROOT) if p is not None))
    out = subprocess.run([sys.executable, __file__, "--child", str(table), "--loops", str(loops)],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--against", help="a git revision whose app/ to time alongside")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--loops", type=int, default=3)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.loops)))
        return
    table = tracked(args.video)
    labels: dict[str, Path | None] = {"this checkout": None}
    with tempfile.TemporaryDirectory() as tmp:
        if args.against:
            unpack_revision(args.against, ("app",), Path(tmp))
            labels = {args.against: Path(tmp), **labels}
        runs: dict[str, list[dict]] = {k: [] for k in labels}
        for _ in range(args.rounds):
            for label, app_dir in labels.items():
                runs[label].append(_round(table, args.loops, app_dir))
    frames = runs["this checkout"][0]["frames"]
    print(f"{args.video.name}: {frames} frames ({args.loops} plays as one face run), CPU ms per frame, "
          f"median of {args.rounds} rounds")
    print("| code | features | spotting online | features + online | batch spot_table | moments | online == batch |")
    print("|---|---|---|---|---|---|---|")
    med = {}
    for label, rs in runs.items():
        m = {k: statistics.median(r[k] for r in rs) for k in ("features_ms", "online_ms", "batch_ms")}
        med[label] = m
        same = all(r["online_equals_batch"] for r in rs)
        print(f"| {label} | {m['features_ms']:.3f} | {m['online_ms']:.3f} | {m['features_ms'] + m['online_ms']:.3f} "
              f"| {m['batch_ms']:.4f} | {rs[0]['moments']} | {'yes' if same else 'NO'} |")
    if args.against:
        old, new = med[args.against], med["this checkout"]
        print(f"ratio this/{args.against}: features {new['features_ms'] / old['features_ms']:.2f}, online "
              f"{new['online_ms'] / old['online_ms']:.2f}, features + online "
              f"{(new['features_ms'] + new['online_ms']) / (old['features_ms'] + old['online_ms']):.2f}")


if __name__ == "__main__":
    main()
