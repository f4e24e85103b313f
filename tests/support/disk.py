"""Disks that refuse: a read-only folder, a full disk, a folder owned by someone else, for the fault-injection
tests of every output path (tests/test_output_faults.py).

Real where this machine allows it: as root with mount rights, a tmpfs mounted read-only, or tiny and filled to
the last byte (the kernel says EROFS and ENOSPC); as another user, a folder without write permission. Where it
does not (root without mount rights: root writes anywhere), the refusal is patched in at the system calls
Python's writes go through (os.access, os.mkdir, os.open, os.fsync, the segment writer) for paths under the
folder, with the same errno.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

TINY_KB = 64  # a full disk: this small, and filled


@functools.cache
def can_mount() -> bool:
    """Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN); GLIMPSE_TEST_NO_MOUNT=1 says no
    (to run the patched stand-ins where mounts work)."""
    if os.geteuid() != 0 or os.environ.get("GLIMPSE_TEST_NO_MOUNT") == "1":
        return False
    probe = Path(f"/tmp/glimpse-mount-probe-{uuid.uuid4().hex[:8]}")
    probe.mkdir()
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(probe)],
                            capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", str(probe)], check=True)
        return ok
    except OSError:
        return False
    finally:
        probe.rmdir()


@contextlib.contextmanager
def _tmpfs(path: Path, options: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def _fill(folder: Path) -> None:
    """Write until the disk says it is full."""
    with open(folder / "filler", "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 512)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc


def _under(path, folder: Path) -> bool:
    try:
        return Path(os.fsdecode(path)).absolute().is_relative_to(folder)
    except (TypeError, ValueError):
        return False


def _patch_refusal(monkeypatch: pytest.MonkeyPatch, folder: Path, code: int, at_write: bool) -> None:
    """Writes under `folder` fail with `code`: at once (os.access says no, creating fails), or, with
    `at_write`, only when data reaches the disk (a full disk: fsync and the video writer refuse)."""
    def refuse(path=None):
        raise OSError(code, os.strerror(code), str(path) if path is not None else None)

    if at_write:
        real_fsync = os.fsync
        monkeypatch.setattr(os, "fsync", lambda fd: refuse() if _under(os.readlink(f"/proc/self/fd/{fd}"), folder)
                            else real_fsync(fd))
        from app.store import segment_io

        real_write = segment_io.SegmentVideoWriter.write
        monkeypatch.setattr(segment_io.SegmentVideoWriter, "write", lambda self, image: refuse(self.path)
                            if _under(self.path, folder) else real_write(self, image))
        return
    real_access, real_mkdir, real_open = os.access, os.mkdir, os.open
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if _under(p, folder) and mode & os.W_OK
                        else real_access(p, mode, **kw))
    monkeypatch.setattr(os, "mkdir", lambda p, *a, **kw: refuse(p) if _under(p, folder) else real_mkdir(p, *a, **kw))
    monkeypatch.setattr(os, "open", lambda p, flags, *a, **kw: refuse(p)
                        if _under(p, folder) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
                        else real_open(p, flags, *a, **kw))


@contextlib.contextmanager
def read_only_folder(path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder nothing can be written in: a read-only tmpfs (root), a folder without write permission
    (another user), else patched."""
    if can_mount():
        with _tmpfs(path, "ro,size=64k") as folder:
            yield folder
        return
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)
        return
    _patch_refusal(monkeypatch, path.absolute(), errno.EROFS, at_write=False)
    yield path


@contextlib.contextmanager
def full_disk(path: Path, monkeypatch: pytest.MonkeyPatch, kb: int = TINY_KB, fill: bool = True) -> Iterator[Path]:
    """A folder on a full disk: a tiny tmpfs filled to the last byte (`fill=False`: `kb` of room, for a
    recording that fills it), else a patched one whose writes fail once data reaches the disk."""
    if can_mount():
        with _tmpfs(path, f"size={kb}k") as folder:
            if fill:
                _fill(folder)
            yield folder
        return
    path.mkdir(parents=True, exist_ok=True)
    _patch_refusal(monkeypatch, path.absolute(), errno.ENOSPC, at_write=True)
    yield path


@contextlib.contextmanager
def someone_elses_folder(path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder of another user's (mode 0755): we may look in it, not write in it. Simulated: as root it
    is given to `nobody`; the refusal is patched in (root may write anywhere, and a test cannot make a
    folder another user owns without root)."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o755)
    if os.geteuid() == 0:
        os.chown(path, 65534, 65534)
    _patch_refusal(monkeypatch, path.absolute(), errno.EACCES, at_write=False)
    yield path
