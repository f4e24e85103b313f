"""Files the person asked for (`--out`, `--csv`, a recording's folder): checked before the long work
starts, and kept when the final write fails anyway.

`output_problem` says in plain words why a path cannot be written (a name too long, a folder that is
a file, read-only or not ours to write in) without writing anything; `write_or_keep` writes the result
and, when the disk refuses (full, gone read-only), keeps it in Glimpse's own folder and says where.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

from app.errors import OutputUnwritable
from app.system.files import private_dir, write_atomic

NAME_MAX = 255  # bytes in one name on Linux (ext4, btrfs, tmpfs, ...) and macOS, when the folder does not say
SHOWN_NAME = 60  # a name longer than this is shortened in messages

OS_WORDS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "your disk quota is used up",
    errno.EFBIG: "the file is larger than this disk allows",
    errno.EROFS: "the disk is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENAMETOOLONG: f"a name in it is too long (at most {NAME_MAX} bytes)",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENOENT: "the folder does not exist",
    errno.EIO: "the disk reported an input/output error",
}


def os_words(exc: OSError) -> str:
    """An operating-system error in plain words ("the disk is full")."""
    return OS_WORDS.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()


def shown(path: str | os.PathLike) -> str:
    """`path` for a message: an absurdly long last name is shortened (the start and end kept)."""
    path = Path(path)
    name = path.name
    if len(name) <= SHOWN_NAME:
        return str(path)
    short = f"{name[:SHOWN_NAME // 2]}…{name[-SHOWN_NAME // 3:]}"
    return str(path.with_name(short)) if path.parent != Path(".") else short


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # not a POSIX system, or the folder does not exist yet
        return NAME_MAX


def _existing_ancestor(path: Path) -> Path:
    for folder in (path, *path.parents):
        try:
            if folder.exists():
                return folder
        except OSError:  # a name too long to look up: its parent is looked at next
            continue
    return Path(path.anchor or ".")


def output_problem(path: str | os.PathLike, folder: bool = False) -> str | None:
    """Why a file (`folder`: a folder to write files in) cannot be written at `path`, or None.

    Nothing is written: names are measured against what the disk allows, the nearest folder that
    exists must be a folder we may write in (a read-only disk says so too)."""
    path = Path(path).absolute()
    base = _existing_ancestor(path if folder else path.parent)
    limit = _name_max(base if base.is_dir() else base.parent)
    for part in path.parts[1:]:
        size = len(os.fsencode(part))
        if size > limit:
            return f"the name {shown(part)!r} is {size} bytes long; names on this disk can be at most {limit} bytes"
    if base == path and not base.is_dir():
        return f"{shown(path)} is a file; expected a folder"
    if not base.is_dir():
        return f"{shown(base)} is a file, not a folder"
    if not folder and path.is_dir():
        return f"{shown(path)} is a folder; expected a file name"
    if not os.access(base, os.W_OK | os.X_OK):
        try:
            read_only = os.statvfs(base).f_flag & os.ST_RDONLY
        except OSError:
            read_only = False
        why = "the disk is read-only" if read_only else "you may not write in it (permission denied)"
        return f"cannot write in {shown(base)}: {why}"
    return None


def check_output(path: str | os.PathLike, option: str) -> None:
    """Raises OutputUnwritable (naming `option`) when a file cannot be written at `path`."""
    problem = output_problem(path)
    if problem:
        raise OutputUnwritable(f"{option} {shown(path)}: {problem}; nothing was done")


def kept_root() -> Path:
    """Where results go that could not be written where asked (Glimpse's own data folder)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("glimpse", appauthor=False)) / "kept"


def keep_aside(name: str, data: bytes) -> Path | None:
    """Keep `data` under a fitting form of `name` in Glimpse's own folder (else the temporary folder):
    the path, or None when no disk would take it."""
    import tempfile

    stem, suffix = os.path.splitext(name)
    suffix = suffix if len(suffix) <= 16 else ""
    kept_name = f"{stem[:80]}-{time.strftime('%Y%m%d-%H%M%S')}{suffix}"
    for folder in (kept_root(), Path(tempfile.gettempdir()) / f"glimpse-kept-{os.getuid()}"):
        try:
            target = private_dir(folder) / kept_name
            write_atomic(target, data)
            return target
        except OSError:
            continue
    return None


def write_or_keep(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` atomically (folders it makes are owner-only). When the disk refuses,
    the result is kept elsewhere and OutputUnwritable says why and where."""
    path = Path(path)
    try:
        write_atomic(path, data)
        return path
    except OSError as exc:
        kept = kept_words(path.name, data)
        raise OutputUnwritable(f"could not write {shown(path)}: {os_words(exc)}; {kept}") from None


def kept_words(name: str, data: bytes) -> str:
    """Keep `data` aside (`keep_aside`) and say where, for the message of a write that failed."""
    kept = keep_aside(name, data)
    return f"the result was kept as {kept}" if kept else "no other disk would take the result either"
