"""`make bundle`: the one-folder desktop build of Glimpse (PyInstaller), checked and archived.

    python packaging/bundle_build.py [--skip-pyinstaller]

1. PyInstaller runs packaging/glimpse.spec into build/bundle/dist/Glimpse/.
2. On Linux, the Qt platform plugins' system libraries (libxcb-cursor, -icccm, -keysyms, ... found
   with `ldd` on the bundled libqxcb.so, libqwayland*.so, libqoffscreen.so) are copied into the
   bundle unless they belong to the system's graphics stack or C library (`SYSTEM_LIBRARIES`); then
   every dependency is checked to resolve inside the folder, and what still comes from the system
   is listed. The build fails when anything else is missing.
3. The .desktop file, the icon and the .tar.gz download: build/bundle/Glimpse-VERSION-linux-ARCH.tar.gz.

Why PyInstaller and not Briefcase: MusicBrainz Picard (PyQt, the closest precedent) ships PyInstaller
bundles on all three systems; PyInstaller makes one folder from the venv we already test (Briefcase
builds its own from a template and its Linux output is a system package or an AppImage/Flatpak);
and it has maintained hooks for PySide6 (platform plugins), OpenCV and pyqtgraph. MediaPipe has no
hook; glimpse.spec names its native library and data (mediapipe#3750).

AppImage: appimagetool is in no registry reachable here (not in Debian 12; the PyPI tools that make
AppImages download it at run time), so the download is the .tar.gz of the folder.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "bundle"
DIST = BUILD / "dist"
NAME = "Glimpse"
# Come from the system on purpose: the C library and loader, the GPU driver stack (libGL/EGL and
# libglvnd must match the system's driver), libxcb itself and libwayland (they must match the X
# server's and compositor's DRI and GLX libraries: PyInstaller leaves them out for the same reason).
SYSTEM_LIBRARIES = re.compile(
    r"^(linux-vdso|ld-linux[-\w]*|libc|libm|libdl|libpthread|librt|libresolv|libutil|"
    r"libE?(Open)?GLX?(ESv1_CM|ESv2)?(dispatch)?|libdrm|libxcb|libxcb-dri\d?|libxcb-glx|"
    r"libwayland-(client|cursor|egl|server))\.so(\.\d+)*$")
# The plugins whose system libraries the bundle carries (wayland only where the wheel has it).
PLUGIN_GLOBS = ("platforms/libqxcb.so", "platforms/libqoffscreen.so", "platforms/libqwayland*.so",
                "xcbglintegrations/*.so", "wayland-shell-integration/*.so", "wayland-decoration-client/*.so")
LDD_TIMEOUT_S = 30


def bundle_dir() -> Path:
    return DIST / NAME


def internal_dir(bundle: Path) -> Path:
    """Where PyInstaller 6 puts everything but the executable (it is on the bundle's library path)."""
    return bundle / "_internal"


def run_pyinstaller() -> None:
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
           "--distpath", str(DIST), "--workpath", str(BUILD / "work"), str(ROOT / "packaging" / "glimpse.spec")]
    print("bundle:", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def ldd(path: Path, library_path: str) -> dict[str, str | None]:
    """soname -> the file it resolves to (None: not found), with the bundle's library path."""
    env = {**os.environ, "LD_LIBRARY_PATH": library_path}
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env, timeout=LDD_TIMEOUT_S).stdout
    found: dict[str, str | None] = {}
    for line in out.splitlines():
        left, sep, right = line.strip().partition("=>")
        if sep:
            target = right.strip().split(" (")[0].strip()
            found[left.strip()] = None if target == "not found" else target
        elif left.startswith("/"):
            found[Path(left.split(" (")[0]).name] = left.split(" (")[0]
    return found


def plugin_files(bundle: Path) -> list[Path]:
    plugins = internal_dir(bundle) / "PySide6" / "Qt" / "plugins"
    return sorted(p for pattern in PLUGIN_GLOBS for p in plugins.glob(pattern))


def library_path(bundle: Path) -> str:
    """What the bundle's libraries are found through: PyInstaller's folder, then Qt's own lib folder."""
    internal = internal_dir(bundle)
    return os.pathsep.join(str(p) for p in (internal, internal / "PySide6" / "Qt" / "lib"))


def dependency_report(bundle: Path) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """For the Qt platform plugins, transitively: (inside the bundle, from the system, not found)."""
    inside: dict[str, str] = {}
    system: dict[str, str] = {}
    missing: list[str] = []
    todo, done = list(plugin_files(bundle)), set()
    root = str(bundle.resolve())
    while todo:
        path = todo.pop()
        if path in done:
            continue
        done.add(path)
        for soname, target in ldd(path, library_path(bundle)).items():
            if target is None:
                missing.append(soname) if soname not in missing else None
            elif str(Path(target).resolve()).startswith(root):
                inside.setdefault(soname, target)
                todo.append(Path(target))
            else:
                system.setdefault(soname, target)
    return inside, system, missing


def carry_system_libraries(bundle: Path) -> list[str]:
    """Copy into the bundle every library the Qt plugins load from the system that is not one the
    system must provide itself; repeated until nothing new is pulled in. The names copied."""
    copied: list[str] = []
    while True:
        _, system, _ = dependency_report(bundle)
        wanted = {so: path for so, path in system.items() if not SYSTEM_LIBRARIES.match(so)}
        if not wanted:
            return copied
        for soname, path in sorted(wanted.items()):
            shutil.copy2(Path(path).resolve(), internal_dir(bundle) / soname)
            copied.append(soname)


def check_libraries(bundle: Path) -> str:
    """The text report of where the plugins' libraries come from; raises SystemExit when one is missing."""
    inside, system, missing = dependency_report(bundle)
    lines = [f"Qt platform plugins checked: {', '.join(p.name for p in plugin_files(bundle))}",
             f"resolved inside the bundle: {len(inside)} libraries",
             f"from the system (expected: C library, GPU driver stack, libxcb, libwayland): "
             f"{', '.join(sorted(system)) or 'none'}"]
    unexpected = sorted(so for so in system if not SYSTEM_LIBRARIES.match(so))
    if missing or unexpected:
        raise SystemExit("bundle: " + "; ".join(lines) + f"; NOT FOUND: {missing}; unexpected from the system: "
                         f"{unexpected}")
    return "\n".join(lines)


def desktop_entry(bundle: Path) -> None:
    """The icon, the .desktop file and the script that registers it with the desktop."""
    shutil.copy2(ROOT / "assets" / "glimpse.png", bundle / "glimpse.png")
    shutil.copy2(ROOT / "assets" / "glimpse.svg", bundle / "glimpse.svg")
    shutil.copy2(ROOT / "packaging" / "linux" / "glimpse.desktop", bundle / "glimpse.desktop")
    target = bundle / "install-desktop-entry.sh"
    shutil.copy2(ROOT / "packaging" / "linux" / "install-desktop-entry.sh", target)
    target.chmod(0o755)


def archive(bundle: Path, version: str) -> Path:
    out = BUILD / f"{NAME}-{version}-linux-{platform.machine()}.tar.gz"
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=NAME)
    return out


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="packaging/bundle_build.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--skip-pyinstaller", action="store_true", help="only the Linux steps after PyInstaller")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from app import __version__

    if not a.skip_pyinstaller:
        run_pyinstaller()
    bundle = bundle_dir()
    if not sys.platform.startswith("linux"):
        print(f"bundle: {bundle} (the Linux-only steps are skipped on {sys.platform})")
        return 0
    copied = carry_system_libraries(bundle)
    print(f"bundle: copied {len(copied)} system libraries into the bundle: {', '.join(copied) or 'none'}")
    report = check_libraries(bundle)
    (BUILD / "libraries.txt").write_text(report + "\n")
    print(report)
    desktop_entry(bundle)
    tarball = archive(bundle, __version__)
    print(f"bundle: {bundle} ({folder_bytes(bundle) / 2**20:.0f} MiB), download {tarball} "
          f"({tarball.stat().st_size / 2**20:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
