"""Reliability figures: camera faults, bad input, crash safety, long sessions (`python -m app.bench_reliability`).

Each part is a function the test suite also runs, with smaller numbers:

* faults: a camera stand-in that stalls, fails its reads, disappears and hangs on cue,
  behind the real `CameraSource`, `LiveWorker`, pipeline and recorder;
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
import contextlib
import io
import json
import os
import queue
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
CLIP = DATA / "single_face.mp4"  # 72 frames, 640x360, H.264, moov at the end
PACED_CLIP = DATA / "injected_short.mp4"  # 10.2 s with two injected brief expressions


def rss_mb() -> float:
    """Resident memory of this process, MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


# ------------------------------------------------------------------------------------------------------
# Camera faults
# ------------------------------------------------------------------------------------------------------

class CameraScript:
    """What the stand-in camera does now; a test or the bench changes it on cue with `set`.

    ok: frames of `clip` (looped) at `fps`; stall: reads return no frame; error: reads raise
    cv2.error; gone: the device cannot be opened and handles opened before read nothing
    (unplugged); hang: a read blocks until the state changes (a driver that stops answering)."""

    STATES = ("ok", "stall", "error", "gone", "hang")

    def __init__(self, clip: Path = CLIP, fps: float = 30.0):
        self.clip, self.fps = Path(clip), fps
        self._cond = threading.Condition()
        self._state = "ok"
        self.opened = 0  # successful opens
        self.refused = 0  # opens refused while gone

    @property
    def state(self) -> str:
        return self._state

    def set(self, state: str) -> None:
        if state not in self.STATES:
            raise ValueError(f"state {state!r}; expected one of {self.STATES}")
        with self._cond:
            self._state = state
            self._cond.notify_all()

    def wait_while(self, state: str, timeout: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._state != state, timeout)

    def capture(self, index: int = 0) -> "ScriptedCapture":
        """Opens the stand-in device: what `CameraSource(open_capture=...)` calls."""
        return ScriptedCapture(self, index)


class ScriptedCapture:
    """A cv2.VideoCapture stand-in driven by a CameraScript."""

    def __init__(self, script: CameraScript, index: int = 0):
        import cv2

        self.script = script
        self._open = script.state != "gone"
        self._file = cv2.VideoCapture(str(script.clip)) if self._open else None
        if self._open:
            script.opened += 1
        else:
            script.refused += 1
        self._next_at: float | None = None

    def isOpened(self) -> bool:  # noqa: N802 - the cv2 API
        return self._open

    def set(self, prop: int, value: float) -> bool:
        return False

    def get(self, prop: int) -> float:
        import cv2

        if self._file is None:
            return 0.0
        if prop == cv2.CAP_PROP_FPS:
            return self.script.fps
        return self._file.get(prop)

    def read(self):
        import cv2

        s = self.script
        if s.state == "hang":
            s.wait_while("hang", timeout=60.0)
        state = s.state
        if not self._open or state in ("gone", "stall"):
            time.sleep(0.005)
            return False, None
        if state == "error":
            raise cv2.error("VIDEOIO(V4L2:/dev/video0): can't read frame (stand-in device error)")
        now = time.monotonic()
        if self._next_at is None or now - self._next_at > 1.0:
            self._next_at = now
        if self._next_at > now:
            time.sleep(self._next_at - now)
        self._next_at += 1.0 / s.fps
        ok, image = self._file.read()
        if not ok:  # loop the clip
            self._file.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._file.read()
        return ok, image

    def release(self) -> None:
        if self._file is not None:
            self._file.release()


@dataclass
class FaultRun:
    """What one scripted run of faults did to a live session with recording on."""

    plan: list[tuple[str, float]]
    events: list[tuple[float, str, object]] = field(default_factory=list)  # (monotonic, signal, value)
    folder: Path | None = None
    stopped: str | None = None

    def times(self, name: str) -> list[float]:
        return [t for t, n, _ in self.events if n == name]

    def values(self, name: str) -> list:
        return [v for _, n, v in self.events if n == name]


def camera_faults(plan: Sequence[tuple[str, float]], root: Path, script: CameraScript | None = None,
                  retry_s: Sequence[float] | None = None, lost_after_s: float = 2.0,
                  warm_s: float = 1.5, settings=None) -> FaultRun:
    """Run a live session on the stand-in camera, recording into `root`, through `plan`: a list of
    (state, seconds). The defaults are the app's (`CameraSource`'s 2 s, `RETRY_S`). Headless: the
    worker's signals are collected as they are emitted."""
    from PySide6.QtCore import Qt

    from .capture import RETRY_S, CameraSource
    from .settings import Settings
    from .ui.worker import LiveWorker

    retry_s = RETRY_S if retry_s is None else retry_s

    script = script or CameraScript()
    run = FaultRun(list(plan))
    lock = threading.Lock()

    def log(name):
        def add(*args):
            with lock:
                run.events.append((time.monotonic(), name, args[0] if len(args) == 1 else args))
        return add

    worker = LiveWorker(lambda: CameraSource(0, 640, 360, script.fps, lost_after_s=lost_after_s,
                                             open_capture=script.capture),
                        settings or Settings(), retry_s=retry_s)
    direct = Qt.ConnectionType.DirectConnection
    for name in ("source_lost", "source_back", "error", "recording", "moment", "stopped"):
        getattr(worker, name).connect(log(name), direct)
    worker.frame_ready.connect(lambda: worker.take(), direct)
    worker.start()
    worker.start_recording(root)
    try:
        deadline = time.monotonic() + 20.0
        while not run.values("recording") and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(warm_s)
        for state, seconds in plan:
            with lock:
                run.events.append((time.monotonic(), "script", state))
            script.set(state)
            time.sleep(seconds)
        script.set("ok")
    finally:
        worker.request_stop()
        script.set("ok")  # a hung read returns
        worker.join(20.0)
    folders = [v for v in run.values("recording") if v is not None]
    run.folder = Path(folders[0]) if folders else None
    stops = run.values("stopped")
    run.stopped = stops[0] if stops else None
    return run


def fault_figures(run: FaultRun) -> dict:
    """Faults injected and survived, time to notice and to resume, and what the recording kept."""
    from .session import open_session

    script = [(t, v) for t, n, v in run.events if n == "script"]
    faults = [(t, v) for t, v in script if v != "ok"]
    lost, back = run.times("source_lost"), run.times("source_back")
    notice = [min((x for x in lost if x >= t), default=np.nan) - t for t, _ in faults]
    ends = [t for t, v in script if v == "ok"] + [np.inf]
    resume = []
    for t, _ in faults:
        end = min(x for x in ends if x > t)
        resume.append(min((x for x in back if x >= end), default=np.nan) - end if np.isfinite(end) else np.nan)
    fig = {"faults": len(faults), "kinds": [v for _, v in faults], "lost_reported": len(lost),
           "resumed": len(back), "errors": run.values("error"), "stopped": run.stopped,
           "notice_s": [round(float(x), 2) for x in notice], "resume_s": [round(float(x), 2) for x in resume]}
    if run.folder is not None:
        s = open_session(run.folder)
        t = s.table.t_s
        fig.update(segments=len(s.segments), frames=len(s.table), gaps=s.info.get("gaps", []),
                   times_increasing=bool(np.all(np.diff(t) > 0)), notes=list(s.notes),
                   recorded_s=round(s.duration_s, 2))
    return fig


# ------------------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FuzzInput:
    path: Path
    kind: str


def make_base_clips(folder: Path, frames: int = 12, size: tuple[int, int] = (320, 180)) -> dict[str, Path]:
    """Small real clips to damage: the first `frames` frames of the face clip as mp4 (mp4v) and avi
    (MJPG), and the original H.264 file."""
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    cap = cv2.VideoCapture(str(CLIP))
    images = []
    while len(images) < frames:
        ok, image = cap.read()
        if not ok:
            break
        images.append(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    cap.release()
    clips = {}
    for name, fourcc in (("tiny.mp4", "mp4v"), ("tiny.avi", "MJPG")):
        path = folder / name
        if not path.exists():
            out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 30.0, size)
            for image in images:
                out.write(image)
            out.release()
        clips[name] = path
    clips["h264.mp4"] = CLIP
    return clips


def mp4_boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterable[tuple[bytes, int, int, int]]:
    """(type, offset, size, header size) of every box, depth first, in an ISO-BMFF file."""
    end = len(data) if end is None else end
    off = start
    while off + 8 <= end:
        size, kind = struct.unpack(">I4s", data[off:off + 8])
        header = 8
        if size == 1 and off + 16 <= end:
            size, header = struct.unpack(">Q", data[off + 8:off + 16])[0], 16
        elif size == 0:
            size = end - off
        if size < header:
            return
        yield kind, off, size, header
        if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"udta"):
            yield from mp4_boxes(data, off + header, min(off + size, end))
        off += size


def _flip(data: bytes, rng: random.Random, bits: int, lo: int = 0, hi: int | None = None) -> bytes:
    b = bytearray(data)
    hi = len(b) if hi is None else hi
    for _ in range(bits):
        i = rng.randrange(lo, hi)
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def _box(data: bytes, kind: bytes) -> tuple[int, int, int]:
    for k, off, size, header in mp4_boxes(data):
        if k == kind:
            return off, size, header
    raise KeyError(kind)


def _oversized(mp4: bytes, avi: bytes) -> dict[str, bytes]:
    """Files whose headers declare absurd sizes, counts and durations."""
    out = {}

    def patch(data: bytes, at: int, fmt: str, value) -> bytes:
        b = bytearray(data)
        struct.pack_into(fmt, b, at, value)
        return bytes(b)

    moov, _, _ = _box(mp4, b"moov")
    mdat, _, _ = _box(mp4, b"mdat")
    out["moov_size_4g"] = patch(mp4, moov, ">I", 0xFFFFFFFF)
    out["mdat_size_4g"] = patch(mp4, mdat, ">I", 0xFFFFFFFF)
    out["mdat_largesize_2e62"] = mp4[:mdat] + struct.pack(">I4sQ", 1, b"mdat", 1 << 62) + mp4[mdat + 8:]
    stts, _, _ = _box(mp4, b"stts")
    out["stts_count_2g"] = patch(mp4, stts + 16, ">I", 0x7FFFFFFF)
    out["stts_entries_2g"] = patch(mp4, stts + 12, ">I", 0x7FFFFFFF)
    stsz, _, _ = _box(mp4, b"stsz")
    out["stsz_count_2g"] = patch(mp4, stsz + 16, ">I", 0x7FFFFFFF)
    for kind in (b"mvhd", b"mdhd"):
        off, _, _ = _box(mp4, kind)
        out[f"{kind.decode()}_duration_4g"] = patch(mp4, off + 24, ">I", 0xFFFFFFF0)
    tkhd, _, _ = _box(mp4, b"tkhd")
    out["tkhd_size_65535"] = patch(patch(mp4, tkhd + 84, ">I", 0xFFFF0000), tkhd + 88, ">I", 0xFFFF0000)
    # AVI main header (avih): dwTotalFrames at +16, dwWidth/dwHeight at +32/+36 of its data
    avih = avi.find(b"avih") + 8
    if avih > 8:
        out["avi_frames_4g"] = patch(avi, avih + 16, "<I", 0xFFFFFFFF)
        out["avi_size_huge"] = patch(patch(avi, avih + 32, "<I", 1 << 30), avih + 36, "<I", 1 << 30)
    strf = avi.find(b"strf") + 8
    if strf > 8:
        out["avi_bitmap_huge"] = patch(patch(avi, strf + 4, "<i", 1 << 30), strf + 8, "<i", 1 << 30)
    out["y4m_100000x100000"] = b"YUV4MPEG2 W100000 H100000 F30:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(4096)
    out["y4m_truncated"] = b"YUV4MPEG2 W64 H64 F30:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(1000)
    out["ftyp_only_4g"] = struct.pack(">I4s", 0xFFFFFFFF, b"ftyp") + b"isom" * 4
    return out


def make_fuzz_inputs(folder: Path, seed: int = 0, scale: int = 1) -> list[FuzzInput]:
    """At least 200 damaged inputs (x `scale`), deterministic for a seed."""
    import cv2

    rng = random.Random(seed)
    base = make_base_clips(folder / "base")
    out_dir = folder / "inputs"
    out_dir.mkdir(parents=True, exist_ok=True)
    inputs: list[FuzzInput] = []

    def add(name: str, data: bytes, kind: str) -> None:
        path = out_dir / f"{len(inputs):04d}-{name}"
        path.write_bytes(data)
        inputs.append(FuzzInput(path, kind))

    clips = {k: p.read_bytes() for k, p in base.items()}
    mp4, avi, h264 = clips["tiny.mp4"], clips["tiny.avi"], clips["h264.mp4"]
    for ext in (".mp4", ".mov", ".avi", ".mkv"):
        add(f"empty{ext}", b"", "zero-byte")
    for name, data in (("tiny.mp4", mp4), ("tiny.avi", avi), ("h264.mp4", h264)):
        cuts = sorted({1, 7, 8, 12, 40, len(data) - 1, len(data) // 2}
                      | {rng.randrange(1, len(data)) for _ in range(6 * scale)})
        for cut in cuts:
            add(f"cut{cut}-{name}", data[:cut], "truncated")
    moov_mp4, size_mp4, _ = _box(mp4, b"moov")
    moov_264, size_264, _ = _box(h264, b"moov")
    for k in range(50 * scale):
        add(f"flip{k}-tiny.mp4", _flip(mp4, rng, rng.choice((1, 2, 4, 16, 64))), "bit-flipped")
    for k in range(25 * scale):
        add(f"flipmoov{k}-tiny.mp4", _flip(mp4, rng, rng.choice((1, 2, 4, 8)), moov_mp4, moov_mp4 + size_mp4),
            "bit-flipped")
    for k in range(25 * scale):
        add(f"flip{k}-tiny.avi", _flip(avi, rng, rng.choice((1, 2, 4, 16, 64)),
                                       0, len(avi) if k % 2 else min(len(avi), 4096)), "bit-flipped")
    for k in range(4 * scale):  # each decodes 72 frames at 640x360: the slow ones, so few
        add(f"flipmoov{k}-h264.mp4", _flip(h264, rng, rng.choice((1, 2, 4)), moov_264, moov_264 + size_264),
            "bit-flipped")
    for k in range(15 * scale):
        n = rng.choice((1, 16, 512, 4096, 65536, 200_000))
        add(f"random{k}.mp4", rng.randbytes(n), "random")
    for k in range(5 * scale):
        add(f"ftyp-random{k}.mp4", mp4[:32] + rng.randbytes(rng.choice((100, 5000, 50_000))), "random")
    for k in range(5 * scale):
        add(f"riff-random{k}.avi", avi[:64] + rng.randbytes(rng.choice((100, 5000, 50_000))), "random")
    for ext in (".mov", ".avi", ".mkv", ".webm", ".txt", ".png", ""):
        add(f"mp4-as{ext or '-none'}", mp4, "wrong extension")
    add("avi-as.mp4", avi, "wrong extension")
    ok, png = cv2.imencode(".png", np.full((90, 160, 3), 128, np.uint8))
    add("png-as.mp4", png.tobytes(), "wrong extension")
    add("json-as.mp4", json.dumps({"format": "glimpse-session", "fps": 30}).encode(), "wrong extension")
    add("python-as.mov", Path(__file__).read_bytes()[:4000], "wrong extension")
    buf = io.BytesIO()
    np.savez_compressed(buf, t_s=np.arange(10.0))
    add("npz-as.mp4", buf.getvalue(), "wrong extension")
    folder_as_video = out_dir / f"{len(inputs):04d}-folder.mp4"
    folder_as_video.mkdir(exist_ok=True)
    inputs.append(FuzzInput(folder_as_video, "wrong extension"))
    for name, data in _oversized(mp4, avi).items():
        add(f"huge-{name}.mp4", data, "huge declared size")
    add("twice-tiny.mp4", mp4 + mp4, "spliced")
    add("garbage-after-tiny.mp4", mp4 + rng.randbytes(5000), "spliced")
    add("garbage-before-tiny.mp4", rng.randbytes(5000) + mp4, "spliced")
    return inputs


def make_session_inputs(folder: Path, seed: int = 0, count: int = 60) -> list[FuzzInput]:
    """Damaged copies of a small recorded session folder (one file each: cut, flipped, emptied,
    replaced by random bytes or removed)."""
    from .capture import Frame, SourceInfo
    from .features import N_LEVELS, FrameFeatures
    from .session import SessionWriter
    from .settings import Settings
    from .spotting import Moment

    rng = random.Random(seed)
    root = folder / "session-base"
    if root.exists():
        shutil.rmtree(root)
    info = SourceInfo("stand-in camera", 10.0, 64, 48)
    w = SessionWriter(root, info, Settings(), consent_confirmed=True, segment_s=1.0)
    for i in range(25):
        lv = np.random.default_rng(i).normal(0, 0.01, N_LEVELS).astype(np.float32)
        w.add_frame(Frame(i, i / 10, np.full((48, 64, 3), i * 9 % 256, np.uint8)),
                    FrameFeatures(i / 10, True, lv, np.zeros(3, np.float32), np.zeros(52, np.float32), 1,
                                  np.random.default_rng(i).random((478, 3)).astype(np.float32)))
        if i == 12:
            w.add_mark(i / 10)
    w.add_moment(Moment(1.0, 1.1, 1.2, ("brows",), 9.0))
    w.close()
    base = w.folder
    files = sorted(p.relative_to(base) for p in base.rglob("*") if p.is_file())
    out = []
    for k in range(count):
        target = folder / f"session-{k:03d}"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(base, target)
        rel = files[k % len(files)]
        path = target / rel
        data = path.read_bytes()
        how = ("cut", "flip", "empty", "random", "remove", "nested")[(k // len(files)) % 6]
        if how == "cut":
            path.write_bytes(data[:rng.randrange(0, max(1, len(data)))])
        elif how == "flip":
            path.write_bytes(_flip(data, rng, rng.choice((1, 8, 64))) if data else b"\xff")
        elif how == "empty":
            path.write_bytes(b"")
        elif how == "random":
            path.write_bytes(rng.randbytes(max(1, len(data))))
        elif how == "remove":
            path.unlink()
        else:
            path.write_bytes(b"[" * 100_000 if path.suffix in (".json", ".jsonl") else b"\x00" * 7)
        out.append(FuzzInput(target, f"session: {how} {rel}"))
    info = json.loads((base / "session.json").read_text())
    edits = [("session.json", {**info, "fps": v}) for v in (0, -1, "30", float("nan"), 1e308, None)]
    edits += [("session.json", {**info, "width": v}) for v in (0, -1, 10 ** 12, 2.5)]
    edits += [("session.json", {**info, "gaps": v}) for v in ("x", [1], [{"lost_s": "a"}], [{"lost_s": 1.0}],
                                                               [{"lost_s": 1.0, "back_s": 0.5, "reason": "x"}])]
    edits += [("session.json", {**info, "format": "other"}), ("session.json", {**info, "version": 99}),
              ("session.json", [info]), ("session.json", "text")]
    edits += [("moments.jsonl", line) for line in ({"start_s": 1, "peak_s": 1, "end_s": 1, "regions": 5,
                                                    "strength": 1}, {"start_s": "x"}, {}, [1, 2])]
    edits += [("marks.jsonl", {"t_s": "x"}), ("marks.jsonl", {"t_s": None}), ("settings.json", {"sensitivity": 1e999}),
              ("settings.json", {"version": 1, "settings": {"regions": "brows"}})]
    for k, (name, value) in enumerate(edits):
        target = folder / f"session-edit-{k:03d}"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(base, target)
        text = json.dumps(value)
        if name.endswith(".jsonl"):
            text = text + "\n" + (base / name).read_text()  # a bad line first (a last one is taken as cut off)
        (target / name).write_text(text)
        out.append(FuzzInput(target, f"session: edited {name}"))
    return out


@dataclass
class FuzzResult:
    input: FuzzInput
    analyze: str = ""  # "result", "no face", "error" or a failure ("crash", "hang", "traceback", ...)
    replay: str = ""
    message: str = ""  # Glimpse's line, or what went wrong
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.analyze in ("result", "no face", "error") and self.replay in ("result", "error")


def _fuzz_child(cache: str, listing: str) -> int:
    """Child: reads "index<TAB>path" lines from `listing`, runs each through `glimpse analyze` and the replay loader,
    answers "start<TAB>index" and then "done<TAB>index<TAB>json"."""
    import threading as _threading

    os.environ["GLIMPSE_CACHE_DIR"] = cache
    from . import pipeline
    from .capture import FileSource
    from .cli import main as cli_main
    from .errors import GlimpseError
    from .settings import Settings
    from .tracking import FaceTracker
    from .ui.player import FrameReader
    from .ui.replay import load_session, load_video

    shared: list[FaceTracker] = []

    class SharedTracker:
        """One real tracker for every input (creating one costs 0.4 s; what is fuzzed is the file
        handling). Timestamps stay increasing across videos, as VIDEO mode needs."""

        def __init__(self, model_path=None, max_faces=2):
            if not shared:
                shared.append(FaceTracker(model_path, max_faces))
            self._t = shared[0]
            self._t._center = None
            self._offset_ms = self._t._last_ms + 1

        def update(self, image, t_s):
            return self._t.update(image, t_s + self._offset_ms / 1000.0)

        def close(self):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

    pipeline.FaceTracker = SharedTracker
    out_json = Path(cache) / "out.json"
    for line in Path(listing).read_text().splitlines():
        index, path = line.split("\t", 1)
        path = Path(path)
        print(f"start\t{index}", flush=True)
        t0 = time.perf_counter()
        res: dict = {}
        # glimpse analyze, in this process: Glimpse's own stderr is captured (FFmpeg's C logging goes to fd 2)
        err = io.StringIO()
        out_json.unlink(missing_ok=True)
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = cli_main(["analyze", str(path), "--out", str(out_json), "--quiet"])
            lines = err.getvalue().splitlines()
            if code == 0 and not lines and json.loads(out_json.read_text())["frames"] >= 1:
                res["analyze"] = "result"
            elif code == 3 and len(lines) == 1 and lines[0].startswith("glimpse: ") and out_json.exists():
                res["analyze"] = "no face"
            elif code == 2 and len(lines) == 1 and lines[0].startswith("glimpse: "):
                res["analyze"] = "error"
            else:
                res["analyze"] = f"unclear (exit {code}, {len(lines)} lines)"
            res["message"] = " | ".join(lines)[:300]
        except BaseException as exc:  # noqa: BLE001 - what the fuzz is looking for
            res["analyze"], res["message"] = "traceback", f"{type(exc).__name__}: {exc}"[:300]
        # the replay loader: a folder is a session, anything else a video
        try:
            cancel = _threading.Event()
            if path.is_dir():
                rec = load_session(path, Settings(), None, lambda d, t: None, cancel)
            else:
                with FileSource(path) as source:
                    if source.info.frame_count > path.stat().st_size:
                        raise AssertionError(f"implausible frame count {source.info.frame_count}")
                rec = load_video(path, Settings(), None, lambda d, t: None, cancel)
            reader = None
            for seg in rec.segments[:2]:  # the player's reads: first, a seek to the middle, last
                reader = FrameReader(seg.path, seg.times)
                for i in (0, len(seg.times) // 2, len(seg.times) - 1):
                    reader.read(i)
                reader.close()
            res["replay"] = "result"
        except GlimpseError as exc:
            one_line = "\n" not in str(exc) and str(exc)
            res["replay"] = "error" if one_line else "unclear (multi-line message)"
            res.setdefault("message", str(exc)[:300])
        except BaseException as exc:  # noqa: BLE001
            res["replay"] = "traceback"
            res["message"] = (res.get("message", "") + f" || replay {type(exc).__name__}: {exc}")[:400]
        res["seconds"] = round(time.perf_counter() - t0, 3)
        print(f"done\t{index}\t{json.dumps(res)}", flush=True)
    return 0


def _lines(stream) -> "queue.Queue[str | None]":
    """The lines of a child's output as they come, from a reader thread (None at the end): a select()
    on a buffered pipe would miss lines already read into the buffer."""
    q: queue.Queue = queue.Queue()

    def read() -> None:
        for line in stream:
            q.put(line)
        q.put(None)

    threading.Thread(target=read, name="glimpse-child-reader", daemon=True).start()
    return q


def _child_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env


def _fuzz_worker(items: list[tuple[int, FuzzInput]], results: dict, bound_s: float, work: Path) -> None:
    """Feeds `items` to child processes, one at a time; a child that hangs past `bound_s` on an
    input is killed, one that dies is noted; either way a new child takes the rest."""
    pending = dict(items)
    while pending:
        first = next(iter(pending))
        cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work))
        listing = cache / "inputs.txt"
        listing.write_text("".join(f"{i}\t{item.path}\n" for i, item in pending.items()))
        log = open(work / f"child-{first:05d}.log", "wb")
        child = subprocess.Popen([sys.executable, "-m", "app.bench_reliability", "_fuzz-child", str(cache),
                                  str(listing)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                 cwd=ROOT, env=_child_env(), text=True)
        lines = _lines(child.stdout)
        current, started = None, time.monotonic()
        try:
            while pending:
                timeout = bound_s if current is None else max(0.0, started + bound_s - time.monotonic())
                try:
                    line = lines.get(timeout=timeout if current is not None else bound_s + 30.0)
                except queue.Empty:
                    stuck = current if current is not None else next(iter(pending))
                    results[stuck] = FuzzResult(pending.pop(stuck), "hang", "hang", f"no answer within {bound_s:g} s",
                                                time.monotonic() - started)
                    break
                if line is None:  # the child died
                    child.wait()
                    dead = current if current is not None else next(iter(pending))
                    results[dead] = FuzzResult(pending.pop(dead), "crash", "crash",
                                               f"child died with exit {child.returncode}", time.monotonic() - started)
                    break
                kind, index, *rest = line.rstrip("\n").split("\t")
                index = int(index)
                if kind == "start":
                    current, started = index, time.monotonic()
                elif kind == "done":
                    r = json.loads(rest[0])
                    results[index] = FuzzResult(pending.pop(index), r.get("analyze", ""), r.get("replay", ""),
                                                r.get("message", ""), r.get("seconds", 0.0))
                    current = None
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
            log.close()
            shutil.rmtree(cache, ignore_errors=True)


def run_fuzz(inputs: Sequence[FuzzInput], work: Path, bound_s: float = 30.0, workers: int = 2) -> list[FuzzResult]:
    """Every input through analyze and the replay loader, spread over `workers` child processes."""
    work.mkdir(parents=True, exist_ok=True)
    results: dict[int, FuzzResult] = {}
    items = list(enumerate(inputs))
    threads = [threading.Thread(target=_fuzz_worker, args=(items[k::workers], results, bound_s, work))
               for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [results[i] for i in range(len(inputs))]


def fuzz_summary(results: Sequence[FuzzResult]) -> dict:
    kinds: dict[str, dict] = {}
    for r in results:
        k = kinds.setdefault(r.input.kind.split(":")[0], {"inputs": 0, "failures": 0})
        k["inputs"] += 1
        k["failures"] += not r.ok
    outcome = {}
    for r in results:
        key = f"analyze {r.analyze} / replay {r.replay}"
        outcome[key] = outcome.get(key, 0) + 1
    seconds = [r.seconds for r in results]
    return {"inputs": len(results), "failures": sum(not r.ok for r in results), "by_kind": kinds,
            "outcomes": outcome, "max_s": round(max(seconds, default=0.0), 2),
            "median_s": round(float(np.median(seconds)) if seconds else 0.0, 3),
            "failed": [f"{r.input.path.name}: {r.analyze}/{r.replay}: {r.message}" for r in results if not r.ok]}


# ------------------------------------------------------------------------------------------------------
# Crash safety
# ------------------------------------------------------------------------------------------------------

def _record_child(root: str, clip: str, segment_s: float, mark_every_s: float) -> int:
    """Child: a live session on a paced clip (looped), recording into `root` from the first frame;
    prints each moment and mark as the worker reports it, until it is killed."""
    import functools

    from PySide6.QtCore import Qt

    from .capture import PacedSource
    from .settings import Settings
    from .ui import worker as worker_mod

    worker_mod.SessionWriter = functools.partial(worker_mod.SessionWriter, segment_s=segment_s)
    worker = worker_mod.LiveWorker(lambda: PacedSource(clip, loop=True), Settings(cooldown_s=0.0, sensitivity=75.0))
    direct = Qt.ConnectionType.DirectConnection
    say = threading.Lock()

    def emit(kind: str, value) -> None:
        with say:
            print(json.dumps({"kind": kind, "at": time.time(), "value": value}), flush=True)

    worker.recording.connect(lambda folder: emit("recording", str(folder) if folder else None), direct)
    worker.moment.connect(lambda m, t, at: emit("moment", m.to_dict()), direct)
    worker.marked.connect(lambda t: emit("mark", t), direct)
    worker.error.connect(lambda text: emit("error", text), direct)
    worker.frame_ready.connect(lambda: worker.take(), direct)
    worker.start()
    worker.start_recording(Path(root))
    while True:
        time.sleep(mark_every_s)
        worker.mark()


@dataclass
class KillRun:
    folder: Path | None
    killed_at: float  # time.time()
    recorded_s: float  # seconds between the recording starting and the kill
    moments: list[dict]  # as reported by the child before the kill, with "at"
    marks: list[dict]
    errors: list[str]


def kill_recording(root: Path, after_s: float, segment_s: float = 2.0, clip: Path = PACED_CLIP,
                   mark_every_s: float = 0.7, timeout_s: float = 60.0) -> KillRun:
    """Start a recording child, SIGKILL it `after_s` seconds after the recording started."""
    child = subprocess.Popen([sys.executable, "-m", "app.bench_reliability", "_record", str(root), str(clip),
                              str(segment_s), str(mark_every_s)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, cwd=ROOT, env=_child_env(), text=True)
    lines = _lines(child.stdout)
    events, started, folder = [], None, None
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            wait = started + after_s - time.time() if started is not None else 1.0
            if wait <= 0:
                break
            try:
                line = lines.get(timeout=min(wait, 1.0))
            except queue.Empty:
                continue
            if line is None:
                break
            event = json.loads(line)
            events.append(event)
            if event["kind"] == "recording" and event["value"]:
                folder, started = Path(event["value"]), event["at"]
        killed_at = time.time()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        while (line := lines.get(timeout=5.0)) is not None:  # lines written before the kill
            events.append(json.loads(line))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return KillRun(folder, killed_at, killed_at - started if started else 0.0,
                   [e for e in events if e["kind"] == "moment"], [e for e in events if e["kind"] == "mark"],
                   [e["value"] for e in events if e["kind"] == "error"])


def kill_figures(run: KillRun, segment_s: float = 2.0) -> dict:
    """What survived the kill: moments and marks reported more than a second before it that are on
    disk, finished segments, and how much video (from the start) the session still holds."""
    from .session import open_session

    s = open_session(run.folder)
    early = [e for e in run.moments if e["at"] <= run.killed_at - 1.0]
    early_marks = [e for e in run.marks if e["at"] <= run.killed_at - 1.0]
    # the child reports pipeline times; the session's are shifted by its first frame's time
    shift = run.marks[0]["value"] - s.marks[0] if run.marks and s.marks else 0.0
    kept = sum(any(abs(m.start_s - (e["value"]["start_s"] - shift)) < 2e-3 and list(m.regions) == e["value"]["regions"]
                   for m in s.moments) for e in early)
    return {"recorded_s": round(run.recorded_s, 2), "moments_reported": len(run.moments),
            "moments_due": len(early), "moments_kept": kept, "moments_on_disk": len(s.moments),
            "marks_due": len(early_marks), "marks_on_disk": len(s.marks),
            "segments": len(s.segments), "segments_expected_min": max(0, int(run.recorded_s // segment_s) - 1),
            "video_s": round(s.duration_s, 2), "lost_s": round(run.recorded_s - s.duration_s, 2),
            "notes": list(s.notes), "errors": run.errors}


def _atomic_child(folder: str) -> int:
    """Child: rewrites a settings file, an export and a feature cache, alternating two versions of
    each, as fast as it can, until it is killed."""
    from . import review, settings as settings_mod
    from .features import FeatureTable
    from .storage import save_cached

    folder = Path(folder)
    versions = [settings_mod.Settings(), settings_mod.preset("attentive")]
    tables = [FeatureTable(np.arange(n, dtype=np.float64), np.ones(n, bool), np.zeros((n, 13), np.float32),
                           np.zeros((n, 3), np.float32), np.zeros((n, 52), np.float16), np.ones(n, np.int8),
                           meta={"n": n}) for n in (1000, 20000)]
    exports = [json.dumps({"moments": [{"i": i} for i in range(n)]}) for n in (10, 50_000)]
    print("ready", flush=True)
    k = 0
    while True:
        settings_mod.save(versions[k % 2], folder / "settings.json")
        review.export(folder / "moments.json", exports[k % 2])
        save_cached(folder / "cache" / "features.npz", tables[k % 2])
        k += 1


def kill_atomic_writer(folder: Path, after_s: float) -> dict:
    """SIGKILL the rewriting child after `after_s`; every file must hold one whole version."""
    from . import settings as settings_mod
    from .features import FeatureTable

    folder.mkdir(parents=True, exist_ok=True)
    child = subprocess.Popen([sys.executable, "-m", "app.bench_reliability", "_atomic", str(folder)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=_child_env(), text=True)
    try:
        child.stdout.readline()
        time.sleep(after_s)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    found = {}
    try:
        found["settings"] = settings_mod.load(folder / "settings.json").preset
    except Exception as exc:  # noqa: BLE001 - reported, the test says what it found
        found["settings"] = f"broken: {exc}"
    try:
        found["export"] = len(json.loads((folder / "moments.json").read_text())["moments"])
    except Exception as exc:  # noqa: BLE001
        found["export"] = f"broken: {exc}"
    try:
        found["cache"] = len(FeatureTable.load(folder / "cache" / "features.npz"))
    except Exception as exc:  # noqa: BLE001
        found["cache"] = f"broken: {exc}"
    found["temp_files_left"] = sorted(p.name for p in folder.rglob(".*.tmp"))
    return found


# ------------------------------------------------------------------------------------------------------
# Privacy
# ------------------------------------------------------------------------------------------------------

def _snapshot(roots: Sequence[Path]) -> dict[str, str]:
    """Every file and folder under `roots`, with its permission bits (octal)."""
    found = {}
    for root in roots:
        for p in [root, *root.rglob("*")] if root.exists() else []:
            found[str(p)] = oct(p.stat().st_mode & 0o777)
    return found


def _privacy_probe(out: str) -> int:
    """Child: analyze, live without and with recording, replay with caching off and on, each
    headless; prints, for each step, the files it created (HOME, XDG folders, TMPDIR and the
    working folder are the caller's empty folders) and any Python-level network attempt."""
    import socket

    from PySide6.QtCore import Qt

    from .capture import PacedSource
    from .cli import main as cli_main
    from .session import sessions_root
    from .settings import Settings
    from .ui.replay import load_session, load_video
    from .ui.worker import LiveWorker

    attempts = []

    def refuse(name):
        def call(*args, **kwargs):
            attempts.append(name)
            raise OSError(f"no network for Glimpse ({name})")
        return call

    for name in ("connect", "connect_ex", "sendto"):
        setattr(socket.socket, name, refuse(f"socket.{name}"))
    socket.create_connection = refuse("create_connection")
    socket.getaddrinfo = refuse("getaddrinfo")
    out = Path(out)
    roots = [Path(os.environ["HOME"]), Path(os.environ["TMPDIR"]), Path.cwd(), out]
    report, before = {}, _snapshot(roots)

    def step(name: str) -> None:
        nonlocal before
        now = _snapshot(roots)
        report[name] = {p: m for p, m in now.items() if p not in before}
        before = now

    def live(record: bool) -> str | None:
        worker = LiveWorker(lambda: PacedSource(CLIP, speed=3.0), Settings())
        folders, done = [], threading.Event()
        direct = Qt.ConnectionType.DirectConnection
        worker.recording.connect(lambda f: folders.append(f), direct)
        worker.stopped.connect(lambda reason: done.set(), direct)
        worker.frame_ready.connect(lambda: worker.take(), direct)
        worker.start()
        if record:
            worker.start_recording(sessions_root())
        done.wait(60)
        worker.join(10)
        return str(folders[0]) if folders and folders[0] else None

    cli_main(["analyze", str(CLIP), "--out", str(out / "moments.json"), "--quiet"])
    step("analyze --out")
    live(record=False)
    step("live, not recording")
    os.environ["GLIMPSE_CACHE"] = "off"
    load_video(CLIP, Settings(), None, lambda d, t: None, threading.Event())
    step("replay a video, caching off")
    os.environ["GLIMPSE_CACHE"] = "on"
    load_video(CLIP, Settings(), None, lambda d, t: None, threading.Event())
    step("replay a video, caching on")
    folder = live(record=True)
    step("live, recording")
    load_session(Path(folder), Settings(), None, lambda d, t: None, threading.Event())
    step("replay the recorded session")
    print(json.dumps({"steps": report, "python_network_attempts": attempts, "session": folder}))
    return 0


def privacy_probe(work: Path, strace: bool = True) -> dict:
    """Run `_privacy_probe` with HOME, XDG folders and TMPDIR in `work` (empty), under strace when it
    is there: returns the probe's report and, from strace, every connect/sendto to an inet address."""
    home, tmp, cwd, out = (work / n for n in ("home", "tmp", "cwd", "out"))
    for d in (home, tmp, cwd, out):
        d.mkdir(parents=True, exist_ok=True)
    env = _child_env({"HOME": str(home), "TMPDIR": str(tmp), "XDG_CONFIG_HOME": str(home / ".config"),
                      "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local" / "share"),
                      "XDG_STATE_HOME": str(home / ".local" / "state")})
    for key in ("GLIMPSE_CACHE_DIR", "GLIMPSE_SESSIONS_DIR", "GLIMPSE_CACHE"):
        env.pop(key, None)
    command = [sys.executable, "-m", "app.bench_reliability", "_privacy-probe", str(out)]
    log = work / "strace.log"
    traced = strace and shutil.which("strace") is not None
    if traced:
        command = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(log)] + command
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"privacy probe failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["traced"] = traced
    if traced:
        calls = log.read_text().splitlines()
        report["inet_calls"] = [c for c in calls if "AF_INET" in c]
        report["unix_connects"] = sorted({c.split("sun_path=")[-1].split("}")[0] for c in calls
                                          if "connect(" in c and "AF_UNIX" in c})
    return report


# ------------------------------------------------------------------------------------------------------
# Long sessions
# ------------------------------------------------------------------------------------------------------

def track_clip(clip: Path = PACED_CLIP) -> tuple[list, tuple[int, int]]:
    """The tracked faces of every frame of `clip` (tracked once, replayed by `long_session`)."""
    from .capture import FileSource
    from .tracking import FaceTracker

    faces = []
    with FileSource(clip) as source, FaceTracker() as tracker:
        for frame in source:
            faces.append(tracker.update(frame.image, frame.t_s))
        size = (source.info.width, source.info.height)
    return faces, size


def pingpong_period(faces: list, multiple: int = 15) -> list:
    """Forward then back (no jump where the loop closes), trimmed so the period is a multiple of
    `multiple` frames (the spotter's noise update stride at 30 fps), so every period is computed alike."""
    n = len(faces)
    while (2 * n - 2) % multiple:
        n -= 1
    return faces[:n] + faces[n - 2:0:-1]


@dataclass
class LongRun:
    frames: int
    seconds: float
    chunk_fps: list[float]  # frames/s in each tenth
    rss_mb: list[float]  # after each tenth
    moments: list  # every Moment, in order
    period_frames: int
    segments: int
    folder: Path | None


def long_session(faces: list, size: tuple[int, int], minutes: float, root: Path | None, fps: float = 30.0,
                 record: bool = True) -> LongRun:
    """`minutes` of frames at `fps`, unpaced, through the live per-frame path (features, spotter,
    prompt policy, and the recorder's video and features), the tracked faces replayed in a loop."""
    from .capture import Frame, SourceInfo
    from .features import FeatureExtractor
    from .prompts import PromptPolicy
    from .session import SessionWriter
    from .settings import Settings
    from .spotting import Spotter

    period = pingpong_period(faces)
    settings = Settings()
    extractor, spotter, policy = FeatureExtractor(keep_landmarks=True), Spotter(settings), PromptPolicy(settings.cooldown_s)
    image = np.zeros((90, 160, 3), np.uint8)
    writer = SessionWriter(root, SourceInfo("replayed faces", fps, 160, 90), settings, True) if record else None
    n = int(round(minutes * 60 * fps))
    tenth = max(1, n // 10)
    chunk_fps, mem, moments = [], [], []
    t0 = chunk_start = time.perf_counter()
    for i in range(n):
        t = i / fps
        f = extractor.update(t, period[i % len(period)], size)
        for m in spotter.update(f):
            m = policy.update(m)
            moments.append(m)
            if writer is not None:
                writer.add_moment(m)
        if writer is not None:
            image[0, 0, 0] = i % 256
            writer.add_frame(Frame(i, t, image), f)
        if (i + 1) % tenth == 0:
            now = time.perf_counter()
            chunk_fps.append(tenth / (now - chunk_start))
            mem.append(rss_mb())
            chunk_start = now
    moments += [policy.update(m) for m in spotter.flush()]
    seconds = time.perf_counter() - t0
    segments, folder = 0, None
    if writer is not None:
        writer.close()
        folder = writer.folder
        segments = len(list((folder / "segments").glob("*.npz")))
    return LongRun(n, seconds, chunk_fps, mem, moments, len(period), segments, folder)


def long_figures(run: LongRun, fps: float = 30.0) -> dict:
    """Growth, speed, and whether moments late in the session sit exactly where the same frames put
    them early on: the input repeats every `period_frames`, so must the moments (as phases within
    the period). Compared: periods 2-3 (after the warm-up) and the last two whole periods."""
    p = run.period_frames / fps
    last = int((run.frames / fps - 2.0) // p)  # whole periods before the end (the end flushes)
    ref = [m for m in run.moments if 2 * p <= m.start_s < 4 * p]
    late = [m for m in run.moments if (last - 2) * p <= m.start_s < last * p]

    def phase_error(m, r) -> float:
        err = 0.0
        for a, b in ((m.start_s, r.start_s), (m.peak_s, r.peak_s), (m.end_s, r.end_s)):
            d = (a - b) % p
            err = max(err, min(d, p - d))
        return err

    errors = [min((phase_error(m, r) for r in ref if r.regions == m.regions and r.kind == m.kind),
                  default=float("inf")) for m in late]
    return {"frames": run.frames, "hours": round(run.frames / fps / 3600, 3), "seconds": round(run.seconds, 1),
            "fps_first_tenth": round(run.chunk_fps[0], 1), "fps_last_tenth": round(run.chunk_fps[-1], 1),
            "speed_ratio": round(run.chunk_fps[-1] / run.chunk_fps[0], 3),
            "rss_first_tenth_mb": round(run.rss_mb[0], 1), "rss_end_mb": round(run.rss_mb[-1], 1),
            "rss_max_mb": round(max(run.rss_mb), 1), "growth_mb": round(run.rss_mb[-1] - run.rss_mb[0], 1),
            "moments": len(run.moments), "period_s": round(p, 4), "moments_early": len(ref),
            "moments_late": len(late), "late_at_s": round((last - 2) * p, 1),
            "worst_time_error_s": float(max(errors, default=0.0)), "segments": run.segments}


def long_mediapipe(minutes: float, clip: Path = PACED_CLIP) -> dict:
    """The real live pipeline (MediaPipe tracking included), unpaced, on `clip` looped for `minutes`
    of 30 fps frames: memory and speed per tenth."""
    from .capture import FileSource, Frame
    from .pipeline import LivePipeline

    images = []
    with FileSource(clip) as source:
        for frame in source:
            images.append(frame.image)
    period = images + images[-2:0:-1]
    pipeline = LivePipeline()
    n = int(round(minutes * 60 * 30))
    tenth = max(1, n // 10)
    fps, mem = [], []
    start = time.perf_counter()
    for i in range(n):
        pipeline.process(Frame(i, i / 30.0, period[i % len(period)]))
        if (i + 1) % tenth == 0:
            now = time.perf_counter()
            fps.append(tenth / (now - start))
            mem.append(rss_mb())
            start = now
    pipeline.close()
    return {"frames": n, "fps_first_tenth": round(fps[0], 1), "fps_last_tenth": round(fps[-1], 1),
            "speed_ratio": round(fps[-1] / fps[0], 3), "rss_first_tenth_mb": round(mem[0], 1),
            "rss_end_mb": round(mem[-1], 1), "growth_mb": round(mem[-1] - mem[0], 1)}


# ------------------------------------------------------------------------------------------------------
# The figures
# ------------------------------------------------------------------------------------------------------

# each fault outlasts the 2 s in which a camera counts as lost; "gone" is a camera unplugged for 8 s
FAULT_PLAN = [("stall", 4.0), ("ok", 4.0), ("error", 4.0), ("ok", 4.0), ("gone", 8.0), ("ok", 4.0),
              ("hang", 5.0), ("ok", 4.0)]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_fuzz-child":
        return _fuzz_child(argv[1], argv[2])
    if argv and argv[0] == "_record":
        return _record_child(argv[1], argv[2], float(argv[3]), float(argv[4]))
    if argv and argv[0] == "_atomic":
        return _atomic_child(argv[1])
    if argv and argv[0] == "_privacy-probe":
        return _privacy_probe(argv[1])
    ap = argparse.ArgumentParser(prog="python -m app.bench_reliability", description=__doc__.splitlines()[0])
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
        from .session import SEGMENT_S

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
