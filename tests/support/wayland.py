"""A private headless Wayland desktop for tests and benchmarks: sway, PipeWire and the ScreenCast portal.

    with wayland_desktop() as desktop:
        subprocess.run([...], env=desktop.env)      # a Wayland client on it, talking to its portal
    python -m tests.support.wayland [COMMAND ...]           # COMMAND (default: a shell) inside one

Everything is private to the run: its own XDG_RUNTIME_DIR and XDG_DATA_HOME (the portal's permission
store), and its own D-Bus session bus (dbus-daemon), on which run PipeWire with WirePlumber,
xdg-desktop-portal and its wlroots backend. sway runs with the headless backend and the pixman renderer
(no GPU, no input devices), as an unprivileged user when started as root (sway refuses root). The
backend is configured to share the one output without a dialog (chooser_type=none). Without a GPU its
0.7 release refuses to start a cast (see tests/support/wayland_shim.py), so it reaches sway through that relay.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LIBEXEC = Path("/usr/libexec")
PROGRAMS = {"sway": "sway", "pipewire": "pipewire", "wireplumber": "wireplumber", "dbus-daemon": "dbus",
            "grim": "grim", str(LIBEXEC / "xdg-desktop-portal"): "xdg-desktop-portal",
            str(LIBEXEC / "xdg-desktop-portal-wlr"): "xdg-desktop-portal-wlr"}  # program -> Debian package
PACKAGES = tuple(dict.fromkeys(PROGRAMS.values()))
OUTPUT = "HEADLESS-1"
SCREEN = (1280, 800)
START_TIMEOUT_S = 20.0
STREAMING = 'stream state changed to "streaming"'  # xdg-desktop-portal-wlr's log line (with -l INFO or lower)
UNPRIVILEGED = "nobody"
WLR_BACKEND = "org.freedesktop.impl.portal.desktop.wlr"  # xdg-desktop-portal-wlr's bus name  # sway as root: "Unable to drop root", it will not start
ROOT = Path(__file__).resolve().parents[2]


def wayland_missing() -> str | None:
    """Why the desktop cannot be started here (None: it can)."""
    if not sys.platform.startswith("linux"):
        return "a headless Wayland desktop needs Linux"
    absent = [p for p in PROGRAMS if shutil.which(p) is None]
    if absent:
        packages = " ".join(dict.fromkeys(PROGRAMS[p] for p in absent))
        return f"{', '.join(Path(p).name for p in absent)} not installed (Debian/Ubuntu: apt-get install {packages})"
    return None


@dataclass(frozen=True)
class Desktop:
    env: dict[str, str]  # for clients: Wayland, the session bus, Qt on Wayland
    folder: Path  # logs of every service, for a failing test to show
    services: _Services

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole output, taken by grim inside the compositor."""
        subprocess.run(["grim", str(path)], env=self.env, check=True, timeout=30)
        return path

    def log(self, name: str, chars: int = 1500) -> str:
        try:
            return (self.folder / f"{name}.log").read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_for_stream(self, timeout: float = 60.0) -> None:
        """Until the portal backend streams to a client (it logs each state change)."""
        _wait_for("a screen-cast stream", lambda: STREAMING in self.log("xdpw", 100_000), timeout, self.services,
                  "xdpw")

    def stop_service(self, name: str) -> None:
        """End one service (e.g. "xdpw", the portal backend: its streams end with it)."""
        self.services.stop(name)


class _Services:
    """Started processes, each in its own process group, ended in reverse order."""

    def __init__(self, folder: Path):
        self.folder, self.procs = folder, list[tuple[str, subprocess.Popen]]()

    def start(self, name: str, argv: list[str], env: dict[str, str], **kw) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")
        proc = subprocess.Popen(argv, env=env, stdout=kw.pop("stdout", log), stderr=log, stdin=subprocess.DEVNULL,
                                start_new_session=True, **kw)
        log.close()
        self.procs.append((name, proc))
        return proc

    def stop(self, only: str | None = None) -> None:
        """End every service (last started first), or the one named `only`."""
        for name, proc in reversed(list(self.procs)):
            if only is not None and name != only:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 15)  # the group: what dbus-daemon activated goes too
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, 9)
                proc.wait()
            self.procs.remove((name, proc))


def _wait_for(what: str, ready, timeout: float, services: _Services, log: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        dead = [name for name, p in services.procs if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            tail = (services.folder / f"{log}.log").read_text(errors="replace")[-800:]
            raise RuntimeError(f"the headless desktop did not start: {what} "
                               f"({'exited: ' + ', '.join(dead) if dead else 'timed out'}); {log}.log: {tail}")
        time.sleep(0.05)


def _has_owner(address: str, name: str) -> bool:
    """Someone owns `name` on the bus (a service is up: starting its client earlier makes the bus start
    another copy of it, without our settings)."""
    from jeepney import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus=address) as conn:
        return bool(conn.send_and_get_reply(message_bus.NameHasOwner(name), timeout=5).body[0])


def _portal_ready(address: str) -> bool:
    """The ScreenCast portal answers on the private bus."""
    from app.errors import ScreenUnreadable
    from app.sources.portal import BUS_NAME, SCREENCAST, PortalBus

    if not _has_owner(address, BUS_NAME):  # asking before it is up would make the bus start a copy of its own
        return False
    try:
        bus = PortalBus(address)
    except ScreenUnreadable:
        return False
    try:
        return bus.property(SCREENCAST, "AvailableSourceTypes") is not None
    finally:
        bus.close()


@contextlib.contextmanager
def wayland_desktop(width: int = SCREEN[0], height: int = SCREEN[1]) -> Iterator[Desktop]:
    folder = Path(tempfile.mkdtemp(prefix="glimpse-wayland-"))
    os.chmod(folder, 0o755)  # the compositor's user reaches its runtime folder through it
    runtime = folder / "run"
    runtime.mkdir(mode=0o700)
    as_user: dict = {}
    if os.geteuid() == 0:
        user = pwd.getpwnam(UNPRIVILEGED)
        os.chown(runtime, user.pw_uid, user.pw_gid)
        as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    (folder / "sway.conf").write_text(f"output {OUTPUT} resolution {width}x{height} position 0,0\n"
                                      "xwayland disable\n")
    (folder / "xdpw.conf").write_text(f"[screencast]\noutput_name={OUTPUT}\nchooser_type=none\nmax_fps=30\n")
    base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    base.update(XDG_RUNTIME_DIR=str(runtime), XDG_DATA_HOME=str(folder / "data"), XDG_CURRENT_DESKTOP="sway",
                XDG_SESSION_TYPE="wayland", DBUS_SESSION_BUS_ADDRESS=f"unix:path={runtime}/bus")
    services = _Services(folder)
    try:
        bus = services.start("dbus", ["dbus-daemon", "--session", "--nofork", "--nopidfile",
                                      f"--address={base['DBUS_SESSION_BUS_ADDRESS']}", "--print-address=1"],
                             base, stdout=subprocess.PIPE)
        assert bus.stdout is not None
        bus.stdout.readline()  # printed once it listens
        services.start("sway", ["sway", "-c", str(folder / "sway.conf")],
                       {**base, "WLR_BACKENDS": "headless", "WLR_LIBINPUT_NO_DEVICES": "1", "WLR_RENDERER": "pixman",
                        "HOME": str(folder)}, **as_user)
        sockets = lambda: sorted(p.name for p in runtime.glob("wayland-*") if not p.name.endswith(".lock"))  # noqa: E731
        _wait_for("sway's Wayland socket", sockets, START_TIMEOUT_S, services, "sway")
        display = sockets()[0]
        services.start("pipewire", ["pipewire"], base)
        _wait_for("PipeWire's socket", (runtime / "pipewire-0").exists, START_TIMEOUT_S, services, "pipewire")
        services.start("wireplumber", ["wireplumber"], base)
        relay = services.start("shim", [sys.executable, "-m", "tests.support.wayland_shim", str(runtime / "wayland-shim"),
                                        str(runtime / display)], base, cwd=ROOT, stdout=subprocess.PIPE)
        assert relay.stdout is not None
        relay.stdout.readline()
        services.start("xdpw", [str(LIBEXEC / "xdg-desktop-portal-wlr"), "-l", "INFO", "-c", str(folder / "xdpw.conf")],
                       {**base, "WAYLAND_DISPLAY": "wayland-shim"})
        _wait_for("the portal's wlroots backend", lambda: _has_owner(base["DBUS_SESSION_BUS_ADDRESS"], WLR_BACKEND),
                  START_TIMEOUT_S, services, "xdpw")
        services.start("portal", [str(LIBEXEC / "xdg-desktop-portal")], {**base, "WAYLAND_DISPLAY": display})
        env = {**base, "WAYLAND_DISPLAY": display, "QT_QPA_PLATFORM": "wayland"}
        _wait_for("the ScreenCast portal", lambda: _portal_ready(env["DBUS_SESSION_BUS_ADDRESS"]), START_TIMEOUT_S, services, "portal")
        yield Desktop(env, folder, services)
    finally:
        services.stop()
        for _ in range(50):  # the document portal's FUSE mount in run/doc goes a moment after its process
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                break
            time.sleep(0.1)


def main(argv: list[str]) -> int:
    problem = wayland_missing()
    if problem:
        print(f"cannot start: {problem}", file=sys.stderr)
        return 2
    with wayland_desktop() as desktop:
        print(f"headless Wayland desktop: WAYLAND_DISPLAY={desktop.env['WAYLAND_DISPLAY']} "
              f"XDG_RUNTIME_DIR={desktop.env['XDG_RUNTIME_DIR']}", file=sys.stderr)
        return subprocess.run(argv or [os.environ.get("SHELL", "/bin/sh")], env=desktop.env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
