"""The system libraries Glimpse's wheels need but do not bundle, and the Debian/Ubuntu packages that hold them.

PySide6's Qt platform plugin (xcb on X11 desktops, offscreen for the tests), its widget and OpenGL modules,
OpenCV and MediaPipe link against system libraries that a bare Debian/Ubuntu image lacks (libxcb-cursor0,
libxcb-icccm4, libxcb-keysyms1, libgl1, ...). Qt then aborts with a message about plugins. This module asks
`ldd` which libraries cannot be loaded, without importing Qt, and names the packages:

    python -m app.system.sysdeps [--platform xcb|offscreen|wayland] [--install]

prints the `apt-get install` line; with `--install` on Debian/Ubuntu it says what it installs and runs
apt-get (`update` first, with sudo when not root). Elsewhere it names the libraries to install.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.errors import SystemLibrariesMissing

# The Qt modules the app and pyqtgraph load, and the other wheels' native parts (paths inside each package).
QT_MODULES = ("QtCore", "QtGui", "QtWidgets", "QtOpenGL", "QtOpenGLWidgets", "QtSvg", "QtTest")
CORE_LIBRARIES = (("cv2", "cv2*.so"), ("mediapipe", "tasks/c/libmediapipe*.so"))
# On a Wayland desktop the screen comes as a PipeWire stream (app/sources/portal.py): pipewire-capture's native part
# links the system's libpipewire-0.3.
PLATFORM_LIBRARIES = {"wayland": (("pipewire_capture", "_native*.so"),)}
LDD_TIMEOUT_S = 20.0
APT_LOCK_WAIT_S = 300  # another apt-get (an update, another install) may hold dpkg's lock: wait for it

# soname -> Debian 12 package (the same names on Ubuntu 22.04; 24.04 renamed a few with a "t64" suffix,
# resolved at install time). From `ldd` on PySide6 6.11's plugins and modules, cv2 and mediapipe, and
# `dpkg -S` on Debian 12.
DEBIAN_PACKAGES = {
    "libEGL.so.1": "libegl1", "libGL.so.1": "libgl1", "libGLESv2.so.2": "libgles2", "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0", "libOpenGL.so.0": "libopengl0",
    "libX11-xcb.so.1": "libx11-xcb1", "libX11.so.6": "libx11-6", "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6", "libxcb.so.1": "libxcb1", "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-glx.so.0": "libxcb-glx0", "libxcb-icccm.so.4": "libxcb-icccm4", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0", "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1", "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xinput.so.0": "libxcb-xinput0", "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxkbcommon.so.0": "libxkbcommon0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libwayland-client.so.0": "libwayland-client0", "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libfontconfig.so.1": "libfontconfig1", "libfreetype.so.6": "libfreetype6", "libpng16.so.16": "libpng16-16",
    "libexpat.so.1": "libexpat1", "libbrotlidec.so.1": "libbrotli1", "libbrotlicommon.so.1": "libbrotli1",
    "libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0", "libgobject-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3", "libsystemd.so.0": "libsystemd0", "libpcre2-8.so.0": "libpcre2-8-0",
    "libbsd.so.0": "libbsd0", "libmd.so.0": "libmd0", "libcap.so.2": "libcap2", "libgcrypt.so.20": "libgcrypt20",
    "libgpg-error.so.0": "libgpg-error0", "liblz4.so.1": "liblz4-1", "liblzma.so.5": "liblzma5",
    "libzstd.so.1": "libzstd1", "libz.so.1": "zlib1g", "libstdc++.so.6": "libstdc++6", "libgcc_s.so.1": "libgcc-s1",
    "libc.so.6": "libc6", "libm.so.6": "libc6", "libdl.so.2": "libc6", "libpthread.so.0": "libc6",
    "librt.so.1": "libc6", "libpipewire-0.3.so.0": "libpipewire-0.3-0", "libffi.so.8": "libffi8",
}


@dataclass(frozen=True)
class Missing:
    """What cannot be loaded: the libraries (sonames), the packages that hold them, and those we cannot name."""

    libraries: tuple[str, ...]
    packages: tuple[str, ...]
    unknown: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.libraries)


def default_platform(env: os._Environ | dict = os.environ) -> str:
    """The Qt platform plugin the app will load: QT_QPA_PLATFORM, else wayland in a Wayland session, else xcb."""
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0]
    if chosen:
        return chosen
    return "wayland" if env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY") else "xcb"


def _package_dir(name: str) -> Path | None:
    """A package's folder, found without importing it (importing PySide6 or cv2 is what may fail)."""
    spec = importlib.util.find_spec(name)
    return Path(spec.submodule_search_locations[0]) if spec and spec.submodule_search_locations else None


def native_files(platform: str, core: bool = True) -> list[Path]:
    """The shared objects to check: the platform plugin and Qt modules, and (with `core`) cv2 and mediapipe, and
    the platform's own (Wayland: the PipeWire stream's)."""
    files: list[Path] = []
    qt = _package_dir("PySide6")
    if qt:
        files += sorted((qt / "Qt" / "plugins" / "platforms").glob(f"libq{platform}.so"))
        if platform == "xcb":  # OpenGL on X11; Qt falls back without it, the app's GL views do not
            files += sorted((qt / "Qt" / "plugins" / "xcbglintegrations").glob("*.so"))
        files += [p for m in QT_MODULES for p in sorted(qt.glob(f"{m}.*.so"))]
    for package, pattern in (*CORE_LIBRARIES, *PLATFORM_LIBRARIES.get(platform, ())) if core else ():
        folder = _package_dir(package)
        files += sorted(folder.glob(pattern)) if folder else []
    return files


def not_found(ldd_output: str) -> list[str]:
    """The sonames `ldd` printed as `libfoo.so.1 => not found`, in order, once each."""
    names: list[str] = []
    for line in ldd_output.splitlines():
        left, sep, right = line.strip().partition("=>")
        if sep and right.strip() == "not found" and left.strip() not in names:
            names.append(left.strip())
    return names


def packages_for(libraries: Sequence[str], table: dict[str, str] = DEBIAN_PACKAGES) -> Missing:
    """The Debian/Ubuntu packages for `libraries`, in order and once each; the libraries not in `table`."""
    packages = list(dict.fromkeys(table[so] for so in libraries if so in table))
    return Missing(tuple(libraries), tuple(packages), tuple(so for so in libraries if so not in table))


def run_ldd(path: Path) -> str:
    return subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=LDD_TIMEOUT_S).stdout


def missing(platform: str | None = None, core: bool = True, ldd: Callable[[Path], str] | None = None) -> Missing:
    """What the platform plugin (and the rest) cannot load on this machine; empty where ldd is not there."""
    if not sys.platform.startswith("linux") or (ldd is None and shutil.which("ldd") is None):
        return packages_for([])
    ldd = ldd or run_ldd
    libraries: list[str] = []
    for path in native_files(platform or default_platform(), core):
        libraries += [so for so in not_found(ldd(path)) if so not in libraries]
    return packages_for(libraries)


def is_debian_like(os_release: str | None = None) -> bool:
    """Debian, Ubuntu and their derivatives (ID or ID_LIKE in /etc/os-release), with apt-get on the PATH."""
    if os_release is None:
        try:
            os_release = Path("/etc/os-release").read_text()
        except OSError:
            return False
        if shutil.which("apt-get") is None:
            return False
    fields = dict(line.split("=", 1) for line in os_release.splitlines() if "=" in line)
    ids = (fields.get("ID", "") + " " + fields.get("ID_LIKE", "")).replace('"', "").split()
    return bool({"debian", "ubuntu"} & set(ids))


def _sudo() -> list[str]:
    return [] if os.geteuid() == 0 else ["sudo"]


def apt_line(packages: Sequence[str], root: bool | None = None) -> str:
    """The command a person would type: `sudo apt-get install -y PKG...` (no sudo for root)."""
    sudo = "" if (os.geteuid() == 0 if root is None else root) else "sudo "
    return f"{sudo}apt-get install -y {' '.join(packages)}"


def message(found: Missing, debian: bool | None = None) -> str:
    """One paragraph for a person: what is missing and the exact line that installs it."""
    debian = is_debian_like() if debian is None else debian
    text = (f"system libraries are missing: {', '.join(found.libraries)} (Qt's window, OpenCV, MediaPipe or "
            "the Wayland screen stream cannot load without them).")
    if debian and found.packages:
        text += f" Install them with: {apt_line(found.packages)}"
    elif found.packages:
        text += f" On Debian/Ubuntu they are in: {' '.join(found.packages)}; install your system's packages for them."
    if found.unknown:
        text += f" No package is known here for {', '.join(found.unknown)}: install what provides them."
    return text


def require_gui_libraries(platform: str | None = None) -> None:
    """Raise SystemLibrariesMissing, with the install line, where Qt would abort on loading its plugin."""
    found = missing(platform, core=False)
    if found:
        raise SystemLibrariesMissing(message(found))


def _apt_name(package: str) -> str:
    """`package`, or its Ubuntu 24.04 `t64` rename when only that exists in the archive."""
    def known(name: str) -> bool:
        return subprocess.run(["apt-cache", "show", "--no-all-versions", name], capture_output=True).returncode == 0
    return package if known(package) or not known(package + "t64") else package + "t64"


def install(packages: Sequence[str]) -> int:
    """apt-get update, then install `packages`; the exit code of the first step that fails."""
    names = [_apt_name(p) for p in packages]
    print(f"glimpse: installing the system packages Qt needs: {' '.join(names)}", flush=True)
    apt = ["apt-get", "-o", f"DPkg::Lock::Timeout={APT_LOCK_WAIT_S}"]
    for step in ([*apt, "update"], [*apt, "install", "-y", "--no-install-recommends", *names]):
        code = subprocess.run([*_sudo(), *step], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}).returncode
        if code:
            return code
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m app.system.sysdeps", description=__doc__.split("\n\n")[0])
    ap.add_argument("--platform", help="Qt platform plugin to check (default: the one the app will use)")
    ap.add_argument("--install", action="store_true", help="on Debian/Ubuntu, install what is missing (apt-get)")
    a = ap.parse_args(argv)
    platform = a.platform or default_platform()
    found = missing(platform)
    if not found:
        print(f"glimpse: the system libraries for Qt ({platform}), OpenCV and MediaPipe are all here")
        return 0
    if a.install and is_debian_like() and found.packages and not found.unknown:
        if os.geteuid() != 0 and shutil.which("sudo") is None:
            print(f"glimpse: {message(found)} (sudo is not available: run it as root)", file=sys.stderr)
            return 1
        code = install(found.packages)
        found = missing(platform) if code == 0 else found
        if not found:
            print("glimpse: system libraries installed")
            return 0
    print(f"glimpse: {message(found)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
