"""A recorded live session on disk: the folder format, its writer and its reader.

    session-YYYYmmdd-HHMMSS/        owner-only
      session.json      format, version, created, source, fps, size, consent; at the end also
                        ended, frames, duration_s (rewritten atomically); when the camera was lost
                        mid-session, gaps: [{"lost_s", "back_s", "reason"}] (the video goes on in a
                        new segment after each gap)
      settings.json     the settings when recording started (the app.settings.schema file format)
      moments.jsonl     one moment a line (Moment.to_dict), appended and flushed as each completes;
                        live sessions add "settings": the settings it was spotted with
      settings.jsonl    live sessions: the settings in force, one line per change: {"t_s", "settings"}
                        (the listener's own, raised for a while after "I just asked")
      marks.jsonl       one "I just asked" mark a line: {"t_s": 12.3}
      pauses.jsonl      live sessions watching a call: the first new picture after each pause of the call
                        video, one a line: {"t_s": 40.1} (the face run was broken there, the person kept)
      segments/000000.mkv   ~10 s of video (Matroska, see app.store.segment_io; sessions recorded before
                            have .mp4 segments, read the same way); written as 000000.partial.mkv,
                            renamed when finished
      segments/000000.partial.rows  the segment's features, appended frame by frame while it is
                            written; removed once the npz is there
      segments/000000.npz   that segment's per-frame features (a FeatureTable), one row per video
                            frame, written atomically once the segment is finished

Times are seconds from the session start (its first recorded frame). The feature rows'
`t_s` are the true frame times; the video's own frame rate is nominal (a live source may
skip frames), so readers map video frame k of segment s to row `first_row[s] + k`.
A crash (SIGKILL included) loses only the Matroska cluster being filled (at most 100 ms of the
video's time) and a half-written last line: the unfinished segment is read up to its last whole
frame that has its features, and finished on disk once its writer is gone.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO, TypeVar

import numpy as np

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None  # type: ignore[assignment]

from app.errors import RecordingFailed, SessionInvalid, SettingsInvalid
from app.face.features import FeatureTable, FrameFeatures
from app.settings import store as settings_file
from app.settings.schema import Settings, from_dict
from app.sources.capture import Frame, SourceInfo
from app.spotting.spotter import Breaks, Moment
from app.store.segment_io import (
    PARTIAL,
    ROWS,
    SEGMENT_DIGITS,
    VIDEO_SUFFIX,
    VIDEO_SUFFIXES,
    MissingPart,
    RowLog,
    SegmentVideoWriter,
    read_segments,
)
from app.system.files import private_dir, write_atomic
from app.system.output import os_words, shown
from app.system.progress import format_clock

FORMAT = "glimpse-session"
SESSION_VERSION = 1
SEGMENT_S = 10.0
SETTINGS_LOG = "settings.jsonl"
PAUSES = "pauses.jsonl"
TIME_SLACK_S = 1e-3  # recorded times are rounded to 0.1 ms; a frame interval is ~30 ms
T = TypeVar("T")


def sessions_root() -> Path:
    """Where recordings go by default (GLIMPSE_SESSIONS_DIR overrides it)."""
    import platformdirs

    return Path(os.environ.get("GLIMPSE_SESSIONS_DIR")
                or Path(platformdirs.user_data_dir("glimpse", appauthor=False)) / "sessions")


def _new_folder(root: Path, now: float) -> Path:
    base = "session-" + time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    folder, n = root / base, 2
    while folder.exists():  # two recordings in one second
        folder, n = root / f"{base}-{n}", n + 1
    return folder


def _iso(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now))


def _hold_lock(fh: IO) -> None:
    if fcntl is not None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def recording_in_progress(folder: str | os.PathLike) -> bool:
    """Whether a SessionWriter (in any process) is still writing `folder`: it holds a lock on
    moments.jsonl until it closes or its process ends, SIGKILL included."""
    if fcntl is None:
        return False  # no flock here: a cut segment is read as it is, never finished on disk
    try:
        fd = os.open(Path(folder) / "moments.jsonl", os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)  # releases the probe's lock


def _append_only(path: Path) -> TextIO:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    return os.fdopen(fd, "a", encoding="utf-8")


def _stops_on_failure(method: Callable[..., None]) -> Callable[..., None]:
    """A SessionWriter method whose disk errors stop the recording with RecordingFailed (said in words)."""

    @functools.wraps(method)
    def wrapped(self: SessionWriter, *args: Any, **kwargs: Any) -> None:
        try:
            method(self, *args, **kwargs)
        except (OSError, SessionInvalid) as exc:
            raise self._failure(exc) from None

    return wrapped


class SessionWriter:
    """Writes one session folder, frame by frame, from one thread.

    Give it the live pipeline's frames and features (`add_frame`), moments as they complete
    (`add_moment`) and marks (`add_mark`), all in the pipeline's time; it shifts them so the
    first recorded frame is at 0. `close()` finishes the last segment; it is safe to call twice.
    """

    def __init__(self, root: str | os.PathLike, source_info: SourceInfo, settings: Settings,
                 consent_confirmed: bool, segment_s: float = SEGMENT_S, keep_landmarks: bool = True,
                 now: float | None = None):
        if not consent_confirmed:
            raise SessionInvalid("a recording needs the filmed person's consent, confirmed by the listener")
        now = time.time() if now is None else now
        try:
            self.folder = _new_folder(private_dir(Path(root)), now)
            self._segments_dir = private_dir(self.folder / "segments")
        except OSError as exc:
            raise RecordingFailed(f"cannot record into {shown(root)}: {os_words(exc)}") from None
        self._stopped: str | None = None  # why the recording could not go on
        self.source_info, self.segment_s, self.keep_landmarks = source_info, segment_s, keep_landmarks
        self.frames = 0
        self.t0_s: float | None = None  # pipeline time of the first recorded frame
        self._last_t = 0.0
        self._segment = 0
        self._writer: SegmentVideoWriter | None = None
        self._rows: RowLog | None = None
        self._segment_start_t = 0.0
        self._closed = False
        self._gap: dict | None = None  # the camera gap under way
        self._info: dict[str, Any] = {
            "format": FORMAT, "version": SESSION_VERSION, "created": _iso(now),
            "source": source_info.name, "fps": round(float(source_info.fps), 4),
            "width": int(source_info.width), "height": int(source_info.height),
            "segment_s": segment_s, "consent_confirmed": True,
            "ended": None, "frames": 0, "duration_s": 0.0,
        }
        try:
            self._write_info()
            settings_file.save(settings, self.folder / "settings.json")
            self._moments = _append_only(self.folder / "moments.jsonl")
            _hold_lock(self._moments)  # released by the kernel however this process ends
            self._marks = _append_only(self.folder / "marks.jsonl")
            self._pauses = _append_only(self.folder / PAUSES)
            self._settings_log = _append_only(self.folder / SETTINGS_LOG)
        except OSError as exc:
            shutil.rmtree(self.folder, ignore_errors=True)  # new and empty: nothing was recorded yet
            raise RecordingFailed(f"cannot record into {shown(root)}: {os_words(exc)}") from None

    # -- writing -------------------------------------------------------------------------------

    @_stops_on_failure
    def add_frame(self, frame: Frame, features: FrameFeatures) -> None:
        if self._closed:
            raise SessionInvalid(f"{self.folder}: the recording is already closed")
        if self.t0_s is None:
            self.t0_s = frame.t_s
        t = frame.t_s - self.t0_s
        if self._gap is not None:
            self._gap["back_s"], self._gap = round(t, 4), None
            self._write_info()
        half_frame = 0.5 / max(self.source_info.fps, 1.0)
        if self._writer is not None and t - self._segment_start_t >= self.segment_s - half_frame:
            self._finish_segment()
        if self._writer is None:
            self._open_segment(frame.image, t)
        assert self._writer is not None and self._rows is not None  # opened just above
        self._writer.write(frame.image)
        if not self.keep_landmarks and features.landmarks is not None:
            features = dataclasses.replace(features, landmarks=None)
        self._rows.append(dataclasses.replace(features, t_s=t))
        self.frames += 1
        self._last_t = t

    @_stops_on_failure
    def add_moment(self, moment: Moment, settings: Settings | None = None) -> None:
        """Appended and flushed at once, so a crash keeps every moment seen so far; `settings`: the
        ones it was spotted with (what Review shows as in force)."""
        shift = self._shift()
        m = dataclasses.replace(moment, start_s=moment.start_s - shift, peak_s=moment.peak_s - shift,
                                end_s=moment.end_s - shift)
        self._append(self._moments, m.to_dict() | ({"settings": settings.to_dict()} if settings else {}))

    @_stops_on_failure
    def add_settings(self, t_s: float, settings: Settings) -> None:
        """The spotter uses `settings` from pipeline time `t_s` on (a replay applies them there too)."""
        self._append_time(self._settings_log, t_s, settings=settings.to_dict())

    @_stops_on_failure
    def add_mark(self, t_s: float) -> None:
        """An "I just asked" mark at pipeline time `t_s`."""
        self._append_time(self._marks, t_s)

    @_stops_on_failure
    def add_pause(self, t_s: float) -> None:
        """The watched call's video paused; the frame at pipeline time `t_s` is the first new picture after
        it (live mode broke the face run there, keeping the person's estimates)."""
        self._append_time(self._pauses, t_s)

    def _append_time(self, fh: TextIO, t_s: float, **fields: Any) -> None:
        """A line of pipeline time `t_s`, in the recording's time, with `fields` (settings, a mark or a pause
        given as the recording starts belong to its first frame)."""
        if self.t0_s is None:
            self.t0_s = t_s
        self._append(fh, {"t_s": round(t_s - self._shift(), 4), **fields})

    @_stops_on_failure
    def source_lost(self, t_s: float, reason: str) -> None:
        """The source stopped delivering after pipeline time `t_s`: the segment under way is finished
        now (so it is safe on disk) and the gap is noted; the next frame starts a new segment."""
        if self._closed or self._gap is not None or self.t0_s is None:
            return
        self._finish_segment()
        self._gap = {"lost_s": round(t_s - self.t0_s, 4), "back_s": None, "reason": reason}
        self._info.setdefault("gaps", []).append(self._gap)
        self._write_info()

    def close(self) -> None:
        """Finish the last segment and mark the session ended, also after a failure (a full disk): then
        what was written stays readable and `session.json` says why it stopped. Raises RecordingFailed
        only for a failure not reported before."""
        if self._closed:
            return
        self._closed = True
        reported, failure = self._stopped, None
        try:
            self._finish_segment()
        except (OSError, SessionInvalid) as exc:
            failure = self._failure(exc)
        for fh in (self._moments, self._marks, self._pauses, self._settings_log):
            try:
                fh.close()
            except OSError:
                pass  # the line that could not be written was reported with the failure
        fps = self.source_info.fps if self.source_info.fps > 0 else 30.0
        self._info.update(ended=_iso(time.time()), frames=self.frames,
                          duration_s=round(self._last_t + 1.0 / fps, 4) if self.frames else 0.0)
        if self._stopped:
            self._info["stopped"] = self._stopped
        try:
            self._write_info(in_place_when_full=True)
        except OSError as exc:
            failure = failure or self._failure(exc)
        if failure is not None and not reported:
            raise failure

    @property
    def duration_s(self) -> float:
        return self._last_t if self.frames else 0.0

    # -- parts ---------------------------------------------------------------------------------

    def _shift(self) -> float:
        return self.t0_s if self.t0_s is not None else 0.0

    @staticmethod
    def _append(fh: TextIO, record: dict) -> None:
        fh.write(json.dumps(record) + "\n")
        fh.flush()
        os.fsync(fh.fileno())

    def _write_info(self, in_place_when_full: bool = False) -> None:
        """session.json, atomically; `in_place_when_full`: on a full disk, rewritten where it is when it
        fits in the space the file already holds (the end of a recording must be marked)."""
        path, data = self.folder / "session.json", (json.dumps(self._info, indent=2) + "\n").encode()
        try:
            write_atomic(path, data)
        except OSError:
            if not in_place_when_full or len(data) > os.stat(path).st_blocks * 512:
                raise
            with open(path, "r+b") as fh:
                fh.write(data)
                fh.truncate()
                fh.flush()
                os.fsync(fh.fileno())

    def _failure(self, exc: OSError | SessionInvalid) -> RecordingFailed:
        """The recording cannot go on (a full disk, its folder taken away): what to say about it."""
        why = os_words(exc) if isinstance(exc, OSError) else str(exc)
        self._stopped = self._stopped or why
        return RecordingFailed(f"the recording stopped: {why}; what was recorded up to {format_clock(self.duration_s)} "
                               f"is kept in {self.folder}")

    def _segment_path(self, index: int, suffix: str) -> Path:
        return self._segments_dir / f"{index:0{SEGMENT_DIGITS}d}{suffix}"

    def _open_segment(self, image: np.ndarray, t: float) -> None:
        h, w = image.shape[:2]
        path = self._segment_path(self._segment, PARTIAL)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))  # owner-only from the first byte
        try:
            writer = SegmentVideoWriter(path, w, h, self.source_info.fps)
        except Exception as exc:  # noqa: BLE001 - PyAV/FFmpeg raise many kinds; all mean "cannot record here"
            raise SessionInvalid(f"{path}: cannot write a video there ({type(exc).__name__}: {exc})") from None
        self._writer, self._segment_start_t = writer, t
        self._rows = RowLog(self._segment_path(self._segment, ROWS), self.keep_landmarks)

    def _finish_segment(self) -> None:
        if self._writer is None:
            return
        writer, rows, self._writer, self._rows = self._writer, self._rows, None, None
        assert rows is not None  # opened with the writer
        try:
            writer.close()
        finally:
            rows.close()
        partial = self._segment_path(self._segment, PARTIAL)
        final = self._segment_path(self._segment, VIDEO_SUFFIX)
        os.chmod(partial, 0o600)
        os.replace(partial, final)
        # the features are the segment's seal: a segment without its npz is unfinished
        table = rows.table({"source": self.source_info.name, "segment": self._segment, "fps": self.source_info.fps})
        write_atomic(self._segment_path(self._segment, ".npz"), table.to_bytes())
        rows.path.unlink(missing_ok=True)
        self._segment += 1

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class RecordedSession:
    """A session folder, read back. `table` holds the features of every finished segment, one row
    per video frame; segment s's frames are rows `first_row[s]` to `first_row[s] + segment_frames[s]`."""

    folder: Path
    info: dict
    settings: Settings
    segments: tuple[Path, ...]
    segment_frames: tuple[int, ...]
    table: FeatureTable
    moments: tuple[Moment, ...]
    marks: tuple[float, ...]
    notes: tuple[str, ...] = ()  # what was left out: an unfinished segment, a cut-off last line
    moment_settings: tuple[Settings | None, ...] = ()  # per moment: the settings live spotted it with
    settings_log: tuple[tuple[float, Settings], ...] = ()  # (from t_s, settings in force), in time order
    missing: tuple[str, ...] = ()  # what is damaged or gone and left out, in words ("the video of 0:10-0:20 (…)")
    pauses: tuple[float, ...] = ()  # first new picture after each pause of a watched call's video

    @property
    def breaks(self) -> Breaks:
        """The rows where live mode broke the face run though a face was there (see `Breaks`)."""
        t = np.asarray(self.table.t_s, np.float64)
        lost = [float(g["lost_s"]) for g in self.info.get("gaps", [])]
        return Breaks(tuple(int(i) for i in np.searchsorted(t, np.add(lost, TIME_SLACK_S), side="right")),
                      tuple(int(i) for i in np.searchsorted(t, np.subtract(self.pauses, TIME_SLACK_S))))

    @property
    def missing_message(self) -> str | None:
        """One plain message listing what could not be opened, or None when the session is whole."""
        if not self.missing:
            return None
        return f"Part of this session is damaged and left out: {'; '.join(self.missing)}. The rest is shown."

    @property
    def first_row(self) -> tuple[int, ...]:
        return tuple(int(x) for x in np.concatenate([[0], np.cumsum(self.segment_frames)[:-1]]))

    @property
    def fps(self) -> float:
        return float(self.info["fps"])

    @property
    def size(self) -> tuple[int, int]:
        return int(self.info["width"]), int(self.info["height"])

    @property
    def duration_s(self) -> float:
        return float(self.table.t_s[-1]) + 1.0 / self.fps if len(self.table) else 0.0

    def locate(self, row: int) -> tuple[int, int]:
        """(segment index, frame index inside that segment's video) of feature row `row`."""
        if not 0 <= row < len(self.table):
            raise IndexError(f"row {row} is outside 0..{len(self.table) - 1}")
        s = int(np.searchsorted(np.cumsum(self.segment_frames), row, side="right"))
        return s, row - self.first_row[s]


def is_session(folder: str | os.PathLike) -> bool:
    """True when `folder` holds a session.json that names our format (cheap, no validation)."""
    try:
        data = json.loads((Path(folder) / "session.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        return False
    return isinstance(data, dict) and data.get("format") == FORMAT


def list_sessions(root: str | os.PathLike | None = None) -> list[Path]:
    """Session folders under `root` (default: `sessions_root()`), newest first."""
    root = Path(root) if root is not None else sessions_root()
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if p.is_dir() and is_session(p)), key=lambda p: p.name, reverse=True)


def _read_info(folder: Path) -> dict:
    path = folder / "session.json"
    if not folder.is_dir():
        raise SessionInvalid(f"{folder}: no such folder")
    if not path.is_file():
        raise SessionInvalid(f"{folder}: not a Glimpse session (no session.json)")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionInvalid(f"{path}: cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SessionInvalid(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except ValueError:  # Python's limit on the digits of an integer (4300)
        raise SessionInvalid(f"{path}: not valid JSON here (it holds a number too long to read)") from None
    except RecursionError:
        raise SessionInvalid(f"{path}: not valid JSON (nested too deeply)") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise SessionInvalid(f"{path}: expected format {FORMAT!r}, found "
                             f"{info.get('format') if isinstance(info, dict) else type(info).__name__!r}")
    if info.get("version") != SESSION_VERSION:
        raise SessionInvalid(f"{path}: session version {info.get('version')!r}; this Glimpse reads "
                             f"version {SESSION_VERSION}")
    missing = [k for k in ("fps", "width", "height", "source") if k not in info]
    if missing:
        raise SessionInvalid(f"{path}: missing {', '.join(missing)}")

    def number(v: object) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if not (number(info["fps"]) and 0 < info["fps"] < 1000):
        raise SessionInvalid(f"{path}: fps is {info['fps']!r}, expected a number between 0 and 1000")
    for key in ("width", "height"):
        if not (isinstance(info[key], int) and not isinstance(info[key], bool) and 0 < info[key] <= 1 << 16):
            raise SessionInvalid(f"{path}: {key} is {info[key]!r}, expected a whole number of pixels")
    gaps = info.get("gaps", [])
    if not (isinstance(gaps, list) and all(isinstance(g, dict) and number(g.get("lost_s"))
                                           and (g.get("back_s") is None or number(g.get("back_s"))) for g in gaps)):
        raise SessionInvalid(f"{path}: gaps is {gaps!r:.80}, expected a list of {{lost_s, back_s, reason}}")
    return info


DAMAGE = (KeyError, TypeError, ValueError, ArithmeticError, RecursionError, SettingsInvalid)  # a record unreadable


def _read_records(path: Path, parse: Callable[[dict], T], what: str, notes: list[str],
                  missing: list[str], optional: bool = False) -> list[T]:
    """The records of a .jsonl file, each line through `parse`. A cut-off last line (a crash mid-write)
    is left out with a note; a damaged line elsewhere, or a missing file, goes on the `missing` list
    (`what`: the records' name, e.g. "moments") and the rest is read."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        if not optional:
            missing.append(f"the {what} ({path.name} is missing)")
        return []
    except OSError as exc:
        missing.append(f"the {what} ({path.name} cannot be read: {os_words(exc)})")
        return []
    records, damaged = [], 0
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not an object")
            records.append(parse(record))
        except DAMAGE:
            if n == len(lines):
                notes.append(f"The last of the {what} was cut off and is left out ({path.name}).")
            else:
                damaged += 1
    if damaged:
        missing.append(f"{damaged} of the {what} (damaged lines in {path.name})")
    return records


def _moment_record(d: dict) -> tuple[Moment, Settings | None]:
    """A moments.jsonl line: the moment, and the settings live spotted it with (None when not recorded
    or unreadable: the moment is intact all the same)."""
    try:
        in_force = from_dict(d["settings"]) if "settings" in d else None
    except DAMAGE:
        in_force = None
    return Moment.from_dict(d), in_force


def _concat(tables: list[FeatureTable], meta: dict) -> FeatureTable:
    landmarks = None
    if all(t.landmarks is not None for t in tables):
        landmarks = np.concatenate([t.landmarks for t in tables])
    cols = {k: np.concatenate([getattr(t, k) for t in tables])
            for k in ("t_s", "face", "levels", "head", "blendshapes", "faces_seen")}
    return FeatureTable(**cols, landmarks=landmarks, meta=meta)


def open_session(folder: str | os.PathLike) -> RecordedSession:
    """Read a session folder: what is intact opens, what is not is listed in `missing` (in words, with
    the time spans of lost video). Raises SessionInvalid naming the file only when nothing can be shown:
    no usable session.json, or no readable video at all."""
    folder = Path(folder)
    info = _read_info(folder)
    notes: list[str] = []
    missing: list[str] = []
    try:
        settings = settings_file.load(folder / "settings.json")
    except SettingsInvalid:
        settings = Settings()
        missing.append("the settings of the recording (settings.json is damaged or missing; the defaults are shown)")
    seg_dir = folder / "segments"
    in_progress = recording_in_progress(folder)
    if info.get("stopped"):
        notes.append(f"The recording stopped early ({info['stopped']}); what was recorded up to then is kept.")
    elif info.get("ended") is None and not in_progress:
        notes.append("The recording was cut off (Glimpse was stopped unexpectedly); what was recorded up to "
                     "its last whole frame is kept.")
    lost_video: list[MissingPart] = []
    segments, tables = read_segments(seg_dir, float(info["fps"]), notes, not in_progress, lost_video)
    if not segments:
        videos = sorted(p.name for p in seg_dir.iterdir() if p.suffix in VIDEO_SUFFIXES) if seg_dir.is_dir() else []
        damage = f"; damaged: {', '.join(str(m) for m in lost_video)}" if lost_video else ""
        raise SessionInvalid(f"{folder}: no readable video segment (found {videos or 'none'}{damage}); the "
                             f"recording may have ended before its first {info.get('segment_s', SEGMENT_S):g} s "
                             "were saved")
    missing[:0] = [f"the video of {m}" for m in lost_video]
    spotted = _read_records(folder / "moments.jsonl", _moment_record, "moments", notes, missing)
    marks = _read_records(folder / "marks.jsonl", lambda d: float(d["t_s"]), "marks", notes, missing)
    log = _read_records(folder / SETTINGS_LOG, lambda d: (float(d["t_s"]), from_dict(d["settings"])),
                        "settings changes", notes, missing, optional=True)
    pauses = _read_records(folder / PAUSES, lambda d: float(d["t_s"]), "call pauses", notes, missing, optional=True)
    gaps = info.get("gaps", [])
    if gaps:
        spans = ", ".join(f"at {g['lost_s']:.1f} s for "
                          + (f"{g['back_s'] - g['lost_s']:.1f} s" if g.get("back_s") is not None
                             else "the rest of the recording") for g in gaps)
        notes.append(f"The camera was lost {len(gaps)} time(s) ({spans}); the recording goes on after each gap.")
    table = _concat(tables, {"source": info["source"], "fps": info["fps"], "width": info["width"],
                             "height": info["height"], "session": folder.name})
    spotted.sort(key=lambda r: r[0].end_s)
    return RecordedSession(folder, info, settings, tuple(segments), tuple(len(t) for t in tables), table,
                           tuple(m for m, _ in spotted), tuple(sorted(marks)), tuple(notes),
                           tuple(s for _, s in spotted), tuple(sorted(log, key=lambda e: e[0])), tuple(missing),
                           tuple(sorted(pauses)))


def forget(path: str | os.PathLike) -> list[Path]:
    """Delete, in one go, what Glimpse keeps about a recording; returns what was removed.

    A session folder goes entirely: its video, features, moments and marks all live inside it.
    For a plain video file, its feature cache and the listener's marks go (also any copies a
    repair kept aside); the video itself is the person's own file and is left alone."""
    path = Path(path)
    if path.is_dir():
        delete_session(path)
        return [path]
    from app.store.cache import cache_path
    from app.store.marks import legacy_review_path_for_video, review_path_for_video
    from app.system.files import video_digest

    if not path.is_file():
        raise SessionInvalid(f"{path}: no such file or session folder; nothing was deleted")
    digest = video_digest(path)
    cache = cache_path(path, digest=digest)
    doomed = [cache, cache.with_suffix(".corrupt")]
    for review in (review_path_for_video(digest), legacy_review_path_for_video(cache)):
        doomed += [review, *review.parent.glob(review.name + ".broken-*")]
    removed = []
    for p in doomed:
        if p.is_file():
            p.unlink()
            removed.append(p)
    return removed


def delete_session(folder: str | os.PathLike) -> None:
    """Remove a session folder; refuses anything that is not one (no session.json of our format)."""
    folder = Path(folder)
    if not is_session(folder):
        raise SessionInvalid(f"{folder}: not a Glimpse session folder; nothing was deleted")
    shutil.rmtree(folder)
