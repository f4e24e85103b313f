"""How much video a SIGKILL loses while recording, and what recording costs: old writer vs new.

    python -m bench.reliability.recording_kill [--kills 12] [--old-kills 4] [--rounds 5] [--seed 0]

*Kills.* A child process plays a clip in real time (looped, like a camera), tracks it, measures
it and records it with the app's SessionWriter (10 s segments); after each frame is recorded it
prints that frame's session time. It is SIGKILLed at a random moment 1-25 s into the recording;
the session is then opened as replay opens it. Per kill: the declared recorded duration (the last
frame the child said it had recorded, plus one frame) against the readable duration (what
`open_session` gives back), and the difference, the video lost. `--old-kills` does the same with
the writer Glimpse had before (OpenCV's mp4v in .mp4 segments, features saved per finished segment).

*CPU.* The same decoded frames and features are recorded, unpaced, by the old and the new writer
in alternating rounds in this one process; the figure is process CPU time (every thread) per
frame, video encoding, feature files and the per-segment npz included.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from bench.common.paths import ROOT  # noqa: E402

CLIP = ROOT / "tests" / "data" / "injected_short.mp4"  # 640x360, 23.98 fps, one face
KILL_AFTER_S = (1.0, 25.0)
START_TIMEOUT_S = 60.0


# -- the writer Glimpse had before, kept here to measure against ------------------------------------

def legacy_writer_class():
    """SessionWriter as it was: OpenCV's mp4v writer into NNNNNN.partial.mp4 (renamed when
    finished), features kept in memory and saved only with the finished segment."""
    import cv2

    from app.errors import SessionInvalid
    from app.face.features import FeatureTableBuilder
    from app.store.session import SessionWriter
    from app.system.files import write_atomic

    class LegacySessionWriter(SessionWriter):
        def _open_segment(self, image, t):
            h, w = image.shape[:2]
            path = self._segment_path(self._segment, ".partial.mp4")
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
            fps = self.source_info.fps if 0 < self.source_info.fps < 1000 else 30.0
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
            if not writer.isOpened():
                raise SessionInvalid(f"{path}: cannot write an mp4v video there")
            self._writer, self._segment_start_t = writer, t
            self._rows = FeatureTableBuilder(self.keep_landmarks)

        def _finish_segment(self):
            if self._writer is None:
                return
            writer, builder, self._writer, self._rows = self._writer, self._rows, None, None
            writer.release()
            partial = self._segment_path(self._segment, ".partial.mp4")
            final = self._segment_path(self._segment, ".mp4")
            os.chmod(partial, 0o600)
            os.replace(partial, final)
            table = builder.build({"source": self.source_info.name, "segment": self._segment,
                                   "fps": self.source_info.fps})
            write_atomic(self._segment_path(self._segment, ".npz"), table.to_bytes())
            self._segment += 1

    return LegacySessionWriter


def writer_class(which: str):
    from app.store.session import SessionWriter

    return SessionWriter if which == "new" else legacy_writer_class()


# -- kills ------------------------------------------------------------------------------------------

def _record_child(root: str, clip: str, which: str) -> int:
    """Child: live tracking of a paced, looped clip, recorded from the first frame, until killed."""
    from app.run.pipeline import LivePipeline
    from app.settings.schema import Settings
    from app.sources.capture import PacedSource

    source = PacedSource(clip, loop=True)
    pipeline = LivePipeline(Settings())
    writer = writer_class(which)(root, source.info, Settings(), consent_confirmed=True)
    print(json.dumps({"folder": str(writer.folder), "fps": source.info.fps}), flush=True)
    for frame in source:
        result = pipeline.process(frame)
        writer.add_frame(frame, result.features)
        print(json.dumps({"t": writer.duration_s, "at": time.time()}), flush=True)
    return 0


def _lines(stream) -> queue.Queue[str | None]:
    out: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in stream:
            out.put(line)
        out.put(None)

    threading.Thread(target=read, daemon=True).start()
    return out


def kill_once(root: Path, after_s: float, which: str, clip: Path = CLIP) -> dict:
    """Start a recording child, SIGKILL it `after_s` after its first recorded frame, open the session."""
    from app.errors import SessionInvalid
    from app.store.session import open_session

    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen([sys.executable, "-m", "bench.reliability.recording_kill", "_record", str(root), str(clip), which],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=env, text=True)
    lines = _lines(child.stdout)
    head, last, first_at = None, None, None
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while first_at is None or time.time() < first_at + after_s:
            try:
                line = lines.get(timeout=0.05)
            except queue.Empty:
                if time.monotonic() > deadline and first_at is None:
                    raise RuntimeError("the recording child did not start") from None
                continue
            if line is None:
                raise RuntimeError(f"the recording child ended by itself (exit {child.wait()})")
            event = json.loads(line)
            if head is None:
                head = event
            else:
                last, first_at = event, first_at or event["at"]
        killed_at = time.time()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        while (line := lines.get(timeout=5.0)) is not None:  # frames it reported just before the kill
            last = json.loads(line)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    fps = float(head["fps"])
    declared = last["t"] + 1.0 / fps
    try:
        session = open_session(head["folder"])
        readable, segments, notes = session.duration_s, len(session.segments), list(session.notes)
    except SessionInvalid as exc:  # nothing readable (the old writer, killed in its first segment)
        readable, segments, notes = 0.0, 0, [str(exc)]
    return {"writer": which, "killed_after_s": round(killed_at - first_at, 2), "declared_s": round(declared, 3),
            "readable_s": round(readable, 3), "lost_s": round(declared - readable, 3), "segments": segments,
            "notes": notes}


# -- CPU --------------------------------------------------------------------------------------------

def _frames_and_features(clip: Path, limit: int) -> tuple[list, list, object]:
    """The clip's first `limit` frames (looped if shorter) and their tracked features."""
    from app.run.pipeline import LivePipeline
    from app.settings.schema import Settings
    from app.sources.capture import FileSource

    source = FileSource(clip)
    frames = list(source)
    pipeline = LivePipeline(Settings())
    features = [pipeline.process(f).features for f in frames]
    pipeline.close()
    reps = -(-limit // len(frames))
    frames = [f for _ in range(reps) for f in frames][:limit]
    features = [f for _ in range(reps) for f in features][:limit]
    return frames, features, source.info


def record_cpu(which: str, frames: list, features: list, info, work: Path) -> float:
    """Process CPU seconds to record `frames` with the `which` writer (close included)."""
    import dataclasses

    from app.settings.schema import Settings
    from app.sources.capture import Frame

    cls = writer_class(which)
    period = 1.0 / info.fps
    start = time.process_time()
    writer = cls(work, info, Settings(), consent_confirmed=True)
    for k, (frame, feat) in enumerate(zip(frames, features, strict=True)):
        t = k * period  # looped frames go on in time
        writer.add_frame(Frame(k, t, frame.image), dataclasses.replace(feat, t_s=t))
    writer.close()
    return time.process_time() - start


def cpu_side_by_side(frames: list, features: list, info, rounds: int) -> dict:
    seconds: dict[str, list[float]] = {"old": [], "new": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for which in (("old", "new") if r % 2 == 0 else ("new", "old")):  # alternate who goes first
                work = Path(tmp) / f"{which}{r}"
                seconds[which].append(record_cpu(which, frames, features, info, work))
                shutil.rmtree(work)
    per_frame = {k: [1000.0 * s / len(frames) for s in v] for k, v in seconds.items()}
    med = {k: float(np.median(v)) for k, v in per_frame.items()}
    return {"frames": len(frames), "rounds": rounds, "ms_per_frame": per_frame, "median_ms": med,
            "ratio_new_old": med["new"] / med["old"]}


# -- report -----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_record"]:
        return _record_child(*argv[1:4])
    parser = argparse.ArgumentParser(prog="python -m bench.reliability.recording_kill", description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=12, help="kills of the new writer (default 12)")
    parser.add_argument("--old-kills", type=int, default=4, help="kills of the old writer, for comparison (default 4)")
    parser.add_argument("--rounds", type=int, default=5, help="CPU rounds per writer (default 5)")
    parser.add_argument("--cpu-frames", type=int, default=720, help="frames per CPU round (default 720: 30 s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clip", type=Path, default=CLIP)
    a = parser.parse_args(argv)

    import av
    import cv2

    print(f"# bench.reliability.recording_kill, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, OpenCV {cv2.__version__}, PyAV {av.__version__}; clip {a.clip.name}")
    rng = random.Random(a.seed)
    kills = []
    with tempfile.TemporaryDirectory() as tmp:
        plan = [("new", rng.uniform(*KILL_AFTER_S)) for _ in range(a.kills)]
        plan += [("old", rng.uniform(*KILL_AFTER_S)) for _ in range(a.old_kills)]
        print("\n| kill | writer | killed after | declared recorded | readable | video lost | segments |")
        print("|---|---|---|---|---|---|---|")
        for n, (which, after) in enumerate(plan, 1):
            k = kill_once(Path(tmp) / f"kill{n}", after, which, a.clip)
            kills.append(k)
            print(f"| {n} | {which} | {k['killed_after_s']:.2f} s | {k['declared_s']:.2f} s | {k['readable_s']:.2f} s "
                  f"| {k['lost_s']:.2f} s | {k['segments']} |", flush=True)
    for which in ("new", "old"):
        lost = [k["lost_s"] for k in kills if k["writer"] == which]
        if lost:
            print(f"\n{which} writer, {len(lost)} kills: video lost median {np.median(lost):.2f} s, "
                  f"max {max(lost):.2f} s, min {min(lost):.2f} s")

    frames, features, info = _frames_and_features(a.clip, a.cpu_frames)
    cpu = cpu_side_by_side(frames, features, info, a.rounds)
    print(f"\nCPU to record {cpu['frames']} frames ({info.width}x{info.height}, unpaced), {cpu['rounds']} "
          f"alternating rounds each (process CPU time per frame, all threads):\n")
    print("| writer | ms per frame, each round | median |")
    print("|---|---|---|")
    for which, label in (("old", "old: OpenCV mp4v, .mp4"), ("new", "new: PyAV mpeg4, Matroska + row log")):
        rounds = ", ".join(f"{v:.2f}" for v in cpu["ms_per_frame"][which])
        print(f"| {label} | {rounds} | {cpu['median_ms'][which]:.2f} |")
    print(f"\nnew / old CPU: {cpu['ratio_new_old']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
