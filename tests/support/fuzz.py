"""Bad input: truncated, bit-flipped, random, mislabelled and oversized files (and damaged session
folders) through `glimpse analyze` and the replay loader, in child processes with a time bound per input.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.support.child import child_env, child_lines
from tests.support.paths import CLIP, ROOT


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
            out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), 30.0, size)
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
    from app.face.features import N_LEVELS, FrameFeatures
    from app.settings.schema import Settings
    from app.sources.capture import Frame, SourceInfo
    from app.spotting.spotter import Moment
    from app.store.session import SessionWriter

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
    from app.cli.main import main as cli_main
    from app.errors import GlimpseError
    from app.face.tracking import FaceTracker
    from app.run import pipeline
    from app.run.recordings import load_session, load_video
    from app.settings.schema import Settings
    from app.sources.capture import FileSource
    from app.sources.video import FrameReader

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
                code = cli_main(["analyze", str(path), "--out", str(out_json), "--quiet", "--no-cache"])
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
        child = subprocess.Popen([sys.executable, "-m", "tests.support.fuzz", "_fuzz-child", str(cache),
                                  str(listing)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                 cwd=ROOT, env=child_env(), text=True)
        lines = child_lines(child.stdout)
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


if __name__ == "__main__":  # the child the harness starts
    sys.exit(_fuzz_child(sys.argv[2], sys.argv[3]))
