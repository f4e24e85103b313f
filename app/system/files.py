"""Files on disk: atomic writes, private folders, stale temporary files, where caches live.

Everything Glimpse writes is readable by the owner only, and written so that a
crash leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path


def private_dir(path: Path) -> Path:
    """`path` as a folder, created with any missing parents, each new one readable by the owner only.
    A folder that exists is left as it is: Glimpse never changes the mode of a folder it did not create
    (`--record ~` must not lock the home folder)."""
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)  # the umask can only narrow it
        except FileExistsError:
            if not folder.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(folder)) from None
    return path


# write_atomic's temporary file: a short name of its own in the target's folder, so that any name the
# folder takes (up to 255 bytes) can be written; TEMP_NAME below also matches the older ".NAME.XXXXXXXX.tmp"
TEMP_PREFIX, TEMP_SUFFIX = ".glimpse.", ".tmp"


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename (owner-only permissions; folders it
    creates are owner-only too)."""
    path = Path(path)
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _remove_stale_temps(path)


STALE_TEMP_S = 60.0  # no write takes this long: an older temporary file was left by a killed process
# write_atomic's temporary names: tempfile.mkstemp adds 8 of [a-z0-9_] to the prefix
TEMP_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
STALE_DEPTH = 2  # sessions/session-…/segments/ is the deepest folder Glimpse writes to


def _remove_if_stale(path: Path, now: float) -> bool:
    """Remove `path` if it is one of our temporary files and old (never one still being written)."""
    try:
        st = path.lstat()
        if (TEMP_NAME.fullmatch(path.name) and stat.S_ISREG(st.st_mode) and now - st.st_mtime > STALE_TEMP_S
                and st.st_uid == os.getuid()):
            path.unlink()
            return True
    except OSError:
        pass  # gone already, or not ours to remove
    return False


def _remove_stale_temps(path: Path) -> None:
    """Temporary files a killed write left beside `path` (ours, and the older ones named after `path`)."""
    now = time.time()
    for pattern in (f"{TEMP_PREFIX}*{TEMP_SUFFIX}", f".{glob.escape(path.name)}.*.tmp"):
        for stale in path.parent.glob(pattern):
            _remove_if_stale(stale, now)


def remove_stale_temps(roots: Iterable[Path], depth: int = STALE_DEPTH) -> list[Path]:
    """At start: the temporary files of atomic writes cut by a kill, in Glimpse's own folders `roots`
    and their subfolders `depth` levels down; only our own name pattern, only older than a minute.
    Returns what was removed."""
    now, removed = time.time(), []

    def visit(folder: Path, level: int) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return  # missing, or not readable: nothing of ours to clean there
        for entry in entries:
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                if level < depth:
                    visit(path, level + 1)
            elif _remove_if_stale(path, now):
                removed.append(path)

    for root in roots:
        visit(Path(root), 0)
    return removed


def cache_root() -> Path:
    import platformdirs

    return Path(os.environ.get("GLIMPSE_CACHE_DIR") or platformdirs.user_cache_dir("glimpse", appauthor=False))


def caching_on() -> bool:
    """Whether replay keeps a plain video's measurements and the listener's marks on disk
    (`GLIMPSE_CACHE=off`, or `glimpse replay --no-cache`, turns it off: nothing is written then)."""
    return os.environ.get("GLIMPSE_CACHE", "on").strip().lower() not in ("off", "0", "no", "false")


def video_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
