"""A recorded segment's files: written so that a kill loses under a second, read back whole or cut.

The video is Matroska (MPEG-4 Part 2 with the settings OpenCV's "mp4v" writer used before): the
muxer hands a cluster, a self-contained run of frames, to the kernel at least every `CLUSTER_MS`,
and a Matroska file that ends after any cluster is still a valid file. Each frame's features are
appended to a row log as the frame comes. So a process killed mid-segment (SIGKILL included) leaves
a video readable up to its last whole cluster and a log readable up to its last whole row;
`read_segments` keeps the frames that are in both, and once the writer is gone finishes the cut
segment on disk (the frames copied into a whole, seekable file; its npz written).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt

from app.face.features import LEVELS, N_LEVELS, FeatureTable, FrameFeatures, levels_as_now
from app.face.tracking import N_BLENDSHAPES, N_LANDMARKS
from app.system.files import write_atomic
from app.system.progress import format_clock

VIDEO_SUFFIX = ".mkv"
VIDEO_SUFFIXES = (VIDEO_SUFFIX, ".mp4")  # .mp4: segments of sessions recorded before Matroska
PARTIAL = ".partial" + VIDEO_SUFFIX  # the video while it is written
ROWS = ".partial.rows"  # the features while the video is written
SEGMENT_DIGITS = 6  # segments/000000.mkv
# A cluster holds at most this much video (nominal time): what a kill can lose, and the frame being written.
CLUSTER_MS = 100
# OpenCV's mp4v settings, kept so quality, size and CPU cost stay as they were: a key frame every
# 12 frames, quantiser floor 3, a bit-rate target (2 bits per pixel per second) the floor caps first
GOP = 12
QMIN = 3
BITS_PER_PIXEL = 2
MAX_FPS = 1000.0
DEFAULT_FPS = 30.0
ROWS_MAGIC = b"GLIMPSE-ROWS\n"
_HEADER_LEN = struct.Struct("<I")


def _even(n: int) -> int:
    return n - n % 2  # 4:2:0 video needs even sizes (OpenCV cropped the same way)


class SegmentVideoWriter:
    """Writes BGR frames to a Matroska file that stays readable when the process is killed."""

    def __init__(self, path: Path, width: int, height: int, fps: float):
        import av

        fps = fps if 0 < fps < MAX_FPS else DEFAULT_FPS
        self.path, self.size = Path(path), (_even(width), _even(height))
        rate = Fraction(fps).limit_denominator(1001)
        # flush_packets: each cluster goes to the kernel as soon as it is complete, not at close
        self._container = av.open(str(path), "w", format="matroska",
                                  options={"cluster_time_limit": str(CLUSTER_MS), "flush_packets": "1"})
        self._stream = self._container.add_stream("mpeg4", rate=rate)
        self._stream.width, self._stream.height = self.size
        self._stream.pix_fmt = "yuv420p"
        bit_rate = int(BITS_PER_PIXEL * fps * self.size[0] * self.size[1])
        self._stream.codec_context.options = {"g": str(GOP), "qmin": str(QMIN), "b": str(bit_rate),
                                              "bt": str(bit_rate), "threads": "1"}
        self._frames = 0

    def write(self, image: np.ndarray) -> None:
        import av
        import cv2

        w, h = self.size
        # OpenCV converts to 4:2:0 (BT.601, limited range, as FFmpeg would) at a sixth of the CPU
        # PyAV's own conversion takes: that kept recording as cheap as OpenCV's writer was
        yuv = cast(npt.NDArray[np.uint8], cv2.cvtColor(np.ascontiguousarray(image[:h, :w]), cv2.COLOR_BGR2YUV_I420))
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = self._frames
        self._frames += 1
        self._container.mux(self._stream.encode(frame))

    def close(self) -> None:
        try:
            self._container.mux(self._stream.encode(None))
        finally:
            self._container.close()


def count_frames(path: Path) -> int:
    """Whole frames readable in a video file (a cut one too), or -1 when it cannot be read."""
    import av

    try:
        with av.logging.Capture(), av.open(str(path)) as container:  # a cut file's notes are expected
            stream = container.streams.video[0]
            n = 0
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue  # the demuxer's end-of-stream marker
                if packet.is_corrupt:
                    break  # a frame cut off by the end of the file
                n += 1
            return n
    except (av.error.FFmpegError, IndexError, OSError, UnicodeDecodeError, ValueError):
        return -1


def row_dtype(keep_landmarks: bool, n_levels: int = N_LEVELS) -> np.dtype:
    fields: list[tuple[str, str] | tuple[str, str, tuple[int, ...]]] = [
        ("t_s", "<f8"), ("face", "?"), ("faces_seen", "i1"), ("levels", "<f4", (n_levels,)),
        ("head", "<f4", (3,)), ("blendshapes", "<f2", (N_BLENDSHAPES,))]
    if keep_landmarks:
        fields.append(("landmarks", "<f2", (N_LANDMARKS, 3)))
    return np.dtype(fields)


class RowLog:
    """Each frame's features appended to a file as the frame comes (one write, straight to the
    kernel), and kept in memory for the segment's table."""

    def __init__(self, path: Path, keep_landmarks: bool):
        self.path, self.keep_landmarks = Path(path), keep_landmarks
        self._dtype = row_dtype(keep_landmarks)
        self._rows: list[bytes] = []
        header = json.dumps({"n_levels": N_LEVELS, "landmarks": keep_landmarks}).encode()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        os.write(self._fd, ROWS_MAGIC + _HEADER_LEN.pack(len(header)) + header)

    def append(self, f: FrameFeatures) -> None:
        row = np.zeros((), self._dtype)
        row["t_s"], row["face"], row["faces_seen"] = f.t_s, f.face, f.faces_seen
        row["levels"], row["head"], row["blendshapes"] = f.levels, f.head, f.blendshapes
        if self.keep_landmarks and f.landmarks is not None:
            row["landmarks"] = f.landmarks
        data = row.tobytes()
        os.write(self._fd, data)
        self._rows.append(data)

    def __len__(self) -> int:
        return len(self._rows)

    def table(self, meta: dict) -> FeatureTable:
        return rows_table(np.frombuffer(b"".join(self._rows), self._dtype), self.keep_landmarks, meta)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def rows_table(rows: np.ndarray, keep_landmarks: bool, meta: dict) -> FeatureTable:
    return FeatureTable(t_s=rows["t_s"].astype(np.float64), face=rows["face"].copy(),
                        levels=rows["levels"].astype(np.float32), head=rows["head"].astype(np.float32),
                        blendshapes=rows["blendshapes"].astype(np.float16),
                        faces_seen=rows["faces_seen"].astype(np.int8),
                        landmarks=rows["landmarks"].copy() if keep_landmarks else None, meta=dict(meta))


def read_rows(path: Path, meta: dict) -> FeatureTable:
    """The whole rows of a row log (a row cut off by a kill is left out); ValueError when the
    file is not a row log this Glimpse wrote."""
    data = Path(path).read_bytes()
    start = len(ROWS_MAGIC) + _HEADER_LEN.size
    if not data.startswith(ROWS_MAGIC) or len(data) < start:
        raise ValueError(f"{path}: not a Glimpse row log")
    (size,) = _HEADER_LEN.unpack_from(data, len(ROWS_MAGIC))
    try:
        header = json.loads(data[start:start + size])
        keep_landmarks, n_levels = bool(header["landmarks"]), int(header["n_levels"])
        if not 0 < n_levels <= N_LEVELS:
            raise ValueError("measured by another Glimpse version")
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise ValueError(f"{path}: unreadable row log header ({exc})") from None
    dtype = row_dtype(keep_landmarks, n_levels)
    body = data[start + size:]
    table = rows_table(np.frombuffer(body, dtype, count=len(body) // dtype.itemsize), keep_landmarks, meta)
    # written before a channel was added: channels are only ever added after the others (features.CHANNELS)
    return dataclasses.replace(table, levels=levels_as_now(table.levels, LEVELS[:n_levels], path))


# -- reading a session's segments ---------------------------------------------------------------

def _segment_files(seg_dir: Path) -> dict[int, dict[str, Path]]:
    """{index: {kind: path}} of the segment files, kind being what follows the number (".npz",
    ".mkv", ".partial.mkv", ".partial.rows", ...)."""
    found: dict[int, dict[str, Path]] = {}
    for path in seg_dir.iterdir() if seg_dir.is_dir() else ():
        number, dot, kind = path.name.partition(".")
        if len(number) == SEGMENT_DIGITS and number.isdigit() and dot and path.is_file():
            found.setdefault(int(number), {})[dot + kind] = path
    return found


def _first_rows(table: FeatureTable, n: int) -> FeatureTable:
    cols = {k: getattr(table, k)[:n] for k in ("t_s", "face", "levels", "head", "blendshapes", "faces_seen")}
    return dataclasses.replace(table, **cols, landmarks=None if table.landmarks is None else table.landmarks[:n])


@dataclass(frozen=True)
class _Damaged:
    """A segment that cannot be read whole: why, in words; its features when they were readable, and
    its video when its first `whole` frames are (they are kept)."""

    why: str
    table: FeatureTable | None = None
    video: Path | None = None
    whole: int = 0


def _finished_segment(npz: Path, files: dict[str, Path]) -> tuple[Path, FeatureTable] | _Damaged:
    """A finished segment's video and features, or what is damaged when they do not match."""
    video = next((files[s] for s in VIDEO_SUFFIXES if s in files), None)
    try:
        table = FeatureTable.load(npz)
    except Exception:  # noqa: BLE001 - a damaged npz fails in zipfile, zlib, numpy or ast: all mean "corrupt"
        table = None
    if video is None:
        return _Damaged("its video file is missing", table)
    if table is None:
        return _Damaged("its measurements are damaged")
    n_video = count_frames(video)
    if n_video <= 0:
        return _Damaged("its video is damaged", table)
    if n_video < len(table):
        return _Damaged("part of its video is damaged", table, video, n_video)
    return video, table  # (frames past its features, should there be any, are never shown)


def _remux(source: Path, target: Path, frames: int) -> None:
    """Copy the first `frames` frames of `source` into a finished Matroska file at `target`
    (no re-encoding; owner-only from the first byte; written aside, then renamed)."""
    import av

    tmp = target.with_name(f".{target.name}.remux")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        with av.logging.Capture(), av.open(str(source)) as src, av.open(str(tmp), "w", format="matroska") as dst:
            stream = src.streams.video[0]
            out = dst.add_stream_from_template(stream)
            copied = 0
            for packet in src.demux(stream):
                if copied == frames or packet.size == 0 or packet.is_corrupt:
                    break
                packet.stream = out
                dst.mux(packet)
                copied += 1
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _finish_cut(video: Path, rows: Path, partial: Path | None, index: int, table: FeatureTable) -> Path:
    """Finish a cut segment on disk as its writer would have: its readable frames copied into a
    whole video (so that players can seek in it), then its npz; returns the video to read (the cut
    one as it is, should that fail)."""
    import av

    final = rows.with_name(f"{index:0{SEGMENT_DIGITS}d}{VIDEO_SUFFIX}")
    try:
        _remux(video, final, len(table))
        write_atomic(final.with_suffix(".npz"), table.to_bytes())  # the seal: a finished segment from now on
    except (av.error.FFmpegError, OSError):
        return video
    for leftover in (partial, rows):
        if leftover is not None and leftover != final:
            leftover.unlink(missing_ok=True)
    return final


def _cut_segment(files: dict[str, Path], fps: float, finish: bool) -> tuple[Path, FeatureTable] | None:
    """The readable part of a segment the recording was cut in: its frames up to the last one that
    is whole in the video and has its features (None when nothing of it is readable).
    With `finish` (its writer is gone) the segment is finished on disk as its writer would have: the
    readable frames copied into a whole video (so players can seek in it) with its npz."""
    video = files.get(PARTIAL) or files.get(VIDEO_SUFFIX)  # renamed, and cut before its npz was written
    rows = files.get(ROWS)
    if video is None or rows is None:
        return None
    index = int(rows.name[:SEGMENT_DIGITS])
    try:
        table = read_rows(rows, {"segment": index, "fps": fps})
    except (OSError, ValueError):
        return None
    n = min(count_frames(video), len(table))
    if n <= 0:
        return None
    table = _first_rows(table, n)
    if finish:
        video = _finish_cut(video, rows, files.get(PARTIAL), index, table)
    return video, table


@dataclass(frozen=True)
class MissingPart:
    """A stretch of a recorded session that could not be read: from `start_s` to `end_s` (None: to the
    end), session seconds, and why in a few words."""

    start_s: float
    end_s: float | None
    why: str

    def __str__(self) -> str:  # whole seconds that cover the span
        end = format_clock(math.ceil(self.end_s)) if self.end_s is not None else "the end"
        return f"{format_clock(math.floor(self.start_s))}-{end} ({self.why})"


CUT_NOTE = "the last video segment was not finished (the recording was cut) and is left out"


def read_segments(seg_dir: Path, fps: float, notes: list[str], finish_cut: bool,
                  missing: list[MissingPart] | None = None) -> tuple[list[Path], list[FeatureTable]]:
    """Every readable segment's video and features, in order: finished ones checked (as many frames as
    features), cut ones read up to their last whole frame (`finish_cut` finishes such a segment on disk,
    only when its writer is gone). A segment that cannot be read is left out and added to `missing`
    with its time span; an unreadable last segment the recording was cut in is only noted (a crash)."""
    files = _segment_files(seg_dir)
    last = max(files, default=-1)
    videos: list[Path] = []
    tables: list[FeatureTable] = []
    lost: list[tuple[int, _Damaged]] = []  # (where in `tables` it would have been, what happened)
    for i in range(last + 1):
        kinds = files.get(i, {})
        if ".npz" in kinds:
            read = _finished_segment(kinds[".npz"], kinds)
        else:
            cut = _cut_segment(kinds, fps, finish_cut)
            if cut is None and i == last and kinds:
                notes.append(CUT_NOTE)
                continue
            read = cut or _Damaged("its files are missing" if not kinds else "its video or measurements are damaged")
        if isinstance(read, _Damaged):
            if read.whole and read.video is not None and read.table is not None:  # its start is kept
                videos.append(read.video)
                tables.append(_first_rows(read.table, read.whole))
            lost.append((len(tables), read))
            continue
        videos.append(read[0])
        tables.append(read[1])
    if missing is not None:
        missing += [_span(k, damaged, tables, fps) for k, damaged in lost]
    return videos, tables


def _span(k: int, damaged: _Damaged, tables: list[FeatureTable], fps: float) -> MissingPart:
    """When a lost segment was: from its own measurements if they were readable, else between the
    segments kept around it (the `k`-th kept one comes after it)."""
    frame = 1.0 / fps
    own = damaged.table.t_s[damaged.whole:] if damaged.table is not None else np.zeros(0)
    if len(own):
        return MissingPart(float(own[0]), float(own[-1]) + frame, damaged.why)
    before = next((t for t in reversed(tables[:k]) if len(t)), None)
    after = next((t for t in tables[k:] if len(t)), None)
    start = float(before.t_s[-1]) + frame if before is not None else 0.0
    return MissingPart(start, float(after.t_s[0]) if after is not None else None, damaged.why)
