"""A private virtual X server (Xvfb) for tests and benchmarks that grab the screen."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

XVFB = "Xvfb"
START_TIMEOUT_S = 10.0
SCREEN = (1280, 800)


def xvfb_missing() -> str | None:
    """Why a virtual X server cannot be started here (None: it can)."""
    if shutil.which(XVFB) is None:
        return "Xvfb is not installed (Debian/Ubuntu: apt-get install xvfb)"
    return None


@dataclass(frozen=True)
class XServer:
    display: str  # ":N", for DISPLAY
    pid: int


@contextlib.contextmanager
def virtual_display(width: int = SCREEN[0], height: int = SCREEN[1]) -> Iterator[XServer]:
    """Starts Xvfb on a free display number (Xvfb picks it: -displayfd), yields it, stops it."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([XVFB, "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
                             "-nolisten", "tcp", "-noreset"], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        import select

        ready, _, _ = select.select([read_fd], [], [], START_TIMEOUT_S)
        number = os.read(read_fd, 16).decode().strip() if ready else ""
        if not number:
            raise RuntimeError(f"Xvfb did not start within {START_TIMEOUT_S:.0f} s")
        yield XServer(f":{number}", proc.pid)
    finally:
        os.close(read_fd)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc (Linux)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
