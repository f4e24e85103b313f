"""A local crash log: what made Glimpse stop, written to a file on this computer, never sent anywhere.

`install()` (called first thing by `glimpse`, app/__main__.py) points `faulthandler` (a native
crash: a segfault in Qt, OpenCV or MediaPipe) and the uncaught-exception hooks (`sys.excepthook`,
`threading.excepthook`) at one file, `crash.log` in the user's log folder (platformdirs; the
`GLIMPSE_LOG_DIR` variable overrides it), rotated by size. Nothing else is written there, so any
new text in it since the last start is a crash: `install()` returns a `CrashNotice` for the start
after one, which the CLI prints on stderr and the window shows in its message bar.

`glimpse --crash-test [python|native]` (or GLIMPSE_CRASH_TEST=1 / native) forces a crash so a test
can check all of this: an uncaught exception, or a segfault through `faulthandler._sigsegv()`.
"""

from __future__ import annotations

import faulthandler
import io
import json
import logging
import logging.handlers
import os
import platform
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from app import __version__
from app.system.files import private_dir, write_atomic

LOG_NAME = "crash.log"
SEEN_NAME = ".reported.json"  # how much of crash.log an earlier start has already pointed at
MAX_BYTES = 256 * 1024  # a few dozen tracebacks: enough to see a pattern, small enough to mail
BACKUPS = 2
CRASH_TEST_ENV = "GLIMPSE_CRASH_TEST"
CRASH_MODES = ("python", "native")
LOGGER = "glimpse.crash"
PRIVATE_FILE = 0o600
FORCED_CRASH = "glimpse --crash-test: a forced crash, to check the crash log"


@dataclass(frozen=True)
class CrashNotice:
    """An earlier run left a crash report: where it is."""

    path: Path

    @property
    def text(self) -> str:
        """The sentence for the window's message bar."""
        return f"An earlier run stopped on an error; its report is in {self.path} (kept on this computer only)."

    @property
    def line(self) -> str:
        """The line for the terminal."""
        return "glimpse: " + self.text[0].lower() + self.text[1:].rstrip(".")


def log_dir() -> Path:
    import platformdirs

    return Path(os.environ.get("GLIMPSE_LOG_DIR") or platformdirs.user_log_dir("glimpse", appauthor=False))


def log_path() -> Path:
    return log_dir() / LOG_NAME


class _CrashFileHandler(logging.handlers.RotatingFileHandler):
    """Rotates by size; faulthandler follows the current file (it writes to a descriptor, not to us).
    Owner-only, like everything Glimpse writes (a traceback can name the files being worked on)."""

    def _open(self) -> io.TextIOWrapper:
        stream = open(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors,
                      opener=lambda path, flags: os.open(path, flags, PRIVATE_FILE))
        assert isinstance(stream, io.TextIOWrapper)  # a text mode
        return stream

    def doRollover(self) -> None:  # noqa: N802 - logging API
        super().doRollover()
        if self.stream is not None:
            faulthandler.enable(file=self.stream, all_threads=True)


_state: dict = {}


def _file_state(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return 0, 0
    return st.st_ino, st.st_size


def unseen_crash(folder: Path) -> CrashNotice | None:
    """A notice when crash.log holds text no earlier start has pointed at; marks it as pointed at."""
    path, seen_path = folder / LOG_NAME, folder / SEEN_NAME
    inode, size = _file_state(path)
    try:
        seen = json.loads(seen_path.read_text())
        seen_inode, seen_size = int(seen["inode"]), int(seen["size"])
    except (OSError, ValueError, KeyError, TypeError):
        seen_inode, seen_size = 0, 0
    new = size > 0 and (inode != seen_inode or size > seen_size)
    if new:
        write_atomic(seen_path, json.dumps({"inode": inode, "size": size}).encode())
    return CrashNotice(path) if new else None


def _header(kind: str) -> str:
    return (f"{kind} in Glimpse {__version__} ({'bundle' if getattr(sys, 'frozen', False) else 'source'}), "
            f"Python {platform.python_version()}, {platform.platform(terse=True)}, "
            f"thread {threading.current_thread().name}")


def install(folder: Path | None = None) -> CrashNotice | None:
    """Send native crashes and uncaught exceptions to crash.log; the notice for an earlier crash.
    Installed once per process (a second call only returns None). A folder that cannot be written
    leaves the default hooks in place: a crash log must never be what stops Glimpse from starting."""
    if _state:
        return None
    folder = folder or log_dir()
    try:
        private_dir(folder)
        notice = unseen_crash(folder)
        handler = _CrashFileHandler(folder / LOG_NAME, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError as exc:
        print(f"glimpse: no crash log ({exc})", file=sys.stderr)
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    logger.propagate = False  # the crash file only; the hooks below still print to stderr as before
    assert handler.stream is not None  # opened by the handler's constructor (delay=False)
    faulthandler.enable(file=handler.stream, all_threads=True)
    previous_sys, previous_thread = sys.excepthook, threading.excepthook

    def sys_hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            logger.error(_header("Uncaught exception"), exc_info=(kind, value, tb))
            handler.flush()
        previous_sys(kind, value, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit:
            logger.error(_header(f"Uncaught exception in thread {getattr(args.thread, 'name', '?')}"),
                         exc_info=(args.exc_type, args.exc_value, args.exc_traceback))  # type: ignore[arg-type] # value: None only for a bare class
            handler.flush()
        previous_thread(args)

    sys.excepthook, threading.excepthook = sys_hook, thread_hook
    _state.update(handler=handler, notice=notice, hooks=(previous_sys, previous_thread))
    return notice


def last_notice() -> CrashNotice | None:
    """The notice `install()` found at this start (for the window's message bar)."""
    return _state.get("notice")


def uninstall() -> None:
    """Restore the hooks `install()` replaced and close the file (tests)."""
    if not _state:
        return
    faulthandler.disable()
    sys.excepthook, threading.excepthook = _state["hooks"]
    handler = _state["handler"]
    logging.getLogger(LOGGER).removeHandler(handler)
    handler.close()
    _state.clear()


def crash_mode(flag: str | None, env: dict | os._Environ = os.environ) -> str | None:
    """The forced crash asked for: `--crash-test [MODE]`, else GLIMPSE_CRASH_TEST (1 means python)."""
    if flag:
        return flag
    value = env.get(CRASH_TEST_ENV, "").strip().lower()
    if value in ("", "0", "no", "off", "false"):
        return None
    return value if value in CRASH_MODES else "python"


def crash_if_asked(flag: str | None) -> None:
    """Crash on purpose when asked (never otherwise): the way a test proves the crash log works."""
    mode = crash_mode(flag)
    if mode == "native":
        faulthandler._sigsegv()  # type: ignore[attr-defined]  # faulthandler writes the native traceback, then the process dies of SIGSEGV
    elif mode:
        # a plain RuntimeError: a GlimpseError would be caught and printed in one line, never logged
        raise RuntimeError(FORCED_CRASH)
