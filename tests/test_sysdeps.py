"""System libraries for Qt: ldd's output read right, mapped to Debian packages, installed on request,
and Qt never pointed at OpenCV's plugin folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.errors import SystemLibrariesMissing
from app.system import sysdeps

ROOT = Path(__file__).resolve().parent.parent

# `ldd libqxcb.so` on a bare Debian 12 with only the wheels installed (shortened).
LDD_BARE = """\
\tlinux-vdso.so.1 (0x00007ffd6b1f2000)
\tlibQt6XcbQpa.so.6 => /venv/site-packages/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x7f1)
\tlibGL.so.1 => not found
\tlibxkbcommon.so.0 => /lib/x86_64-linux-gnu/libxkbcommon.so.0 (0x00007f80dafde000)
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f80daf39000)
\tlibxcb-icccm.so.4 => not found
\tlibfancy-gpu.so.3 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f80db186000)
"""
LDD_ALL_HERE = "\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x1)\n\tlibc.so.6 => /lib/libc.so.6 (0x2)\n"
UBUNTU = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n'
MINT = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n'
FEDORA = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=41\n'


def test_not_found_lists_each_missing_soname_once_in_order():
    assert sysdeps.not_found(LDD_BARE) == ["libGL.so.1", "libxkbcommon-x11.so.0", "libxcb-cursor.so.0",
                                           "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libfancy-gpu.so.3"]
    assert sysdeps.not_found(LDD_ALL_HERE) == []
    assert sysdeps.not_found("\tstatically linked\n") == []


def test_missing_sonames_map_to_debian_packages_and_the_unknown_are_named():
    found = sysdeps.packages_for(sysdeps.not_found(LDD_BARE))
    assert found.packages == ("libgl1", "libxkbcommon-x11-0", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1")
    assert found.unknown == ("libfancy-gpu.so.3",)
    assert sysdeps.packages_for(["libglib-2.0.so.0", "libgthread-2.0.so.0"]).packages == ("libglib2.0-0",)
    assert not sysdeps.packages_for([])


def test_the_table_covers_every_system_library_the_wheels_link_here():
    """Every soname that ldd resolves outside the wheels on this machine has a package (so a bare
    machine, where they are `not found`, gets a full install line)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("ldd is Linux only")
    sonames = set()
    for platform in ("xcb", "offscreen", "wayland"):
        for path in sysdeps.native_files(platform):
            for line in sysdeps.run_ldd(path).splitlines():
                left, sep, right = line.strip().partition("=>")
                if sep and "site-packages" not in right and ".libs/" not in right:
                    sonames.add(left.strip())
    assert sonames, "ldd found nothing to check"
    assert sorted(sonames - set(sysdeps.DEBIAN_PACKAGES)) == []


def test_native_files_are_the_platform_plugin_qt_modules_and_the_core_wheels():
    names = [p.name for p in sysdeps.native_files("xcb")]
    assert "libqxcb.so" in names and "libqoffscreen.so" not in names
    assert any(n.startswith("QtWidgets.") for n in names) and any(n.startswith("cv2") for n in names)
    assert "libqoffscreen.so" in [p.name for p in sysdeps.native_files("offscreen", core=False)]
    assert not any(n.startswith("cv2") for n in (p.name for p in sysdeps.native_files("xcb", core=False)))


def test_missing_asks_ldd_about_each_file_and_pools_the_answers():
    asked = []

    def fake_ldd(path: Path) -> str:
        asked.append(path.name)
        return LDD_BARE if path.name == "libqxcb.so" else LDD_ALL_HERE

    found = sysdeps.missing("xcb", ldd=fake_ldd)
    assert "libqxcb.so" in asked and len(asked) == len(sysdeps.native_files("xcb"))
    assert "libxcb-icccm4" in found.packages
    assert not sysdeps.missing("xcb", ldd=lambda p: LDD_ALL_HERE)


def test_the_platform_is_the_one_qt_will_load():
    assert sysdeps.default_platform({}) == "xcb"
    assert sysdeps.default_platform({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert sysdeps.default_platform({"QT_QPA_PLATFORM": "wayland;xcb"}) == "wayland"
    assert sysdeps.default_platform({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}) == "wayland"
    assert sysdeps.default_platform({"XDG_SESSION_TYPE": "wayland"}) == "xcb"


def test_debian_and_ubuntu_are_recognised_from_os_release():
    assert sysdeps.is_debian_like(UBUNTU) and sysdeps.is_debian_like(MINT)
    assert sysdeps.is_debian_like('ID=debian\nVERSION_ID="12"\n')
    assert not sysdeps.is_debian_like(FEDORA)


def test_the_message_gives_the_exact_apt_line_or_the_names():
    found = sysdeps.packages_for(["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert sysdeps.apt_line(found.packages, root=True) == "apt-get install -y libxcb-icccm4 libxcb-keysyms1"
    assert sysdeps.apt_line(found.packages, root=False) == "sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1"
    text = sysdeps.message(found, debian=True)
    assert "libxcb-icccm.so.4" in text and "apt-get install -y libxcb-icccm4 libxcb-keysyms1" in text
    other = sysdeps.message(found, debian=False)
    assert "apt-get" not in other and "libxcb-icccm4 libxcb-keysyms1" in other


def test_install_updates_then_installs_with_sudo_when_not_root(monkeypatch, capsys):
    calls = []
    answers = iter([sysdeps.packages_for(["libxcb-icccm.so.4", "libglib-2.0.so.0"]), sysdeps.packages_for([])])
    monkeypatch.setattr(sysdeps, "missing", lambda platform=None, core=True: next(answers))
    monkeypatch.setattr(sysdeps, "is_debian_like", lambda: True)
    monkeypatch.setattr(sysdeps.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(sysdeps.shutil, "which", lambda name: f"/usr/bin/{name}")

    def fake_run(argv, **kw):
        calls.append(argv)
        known = argv[:2] == ["apt-cache", "show"] and argv[-1] in ("libxcb-icccm4", "libglib2.0-0t64")
        return subprocess.CompletedProcess(argv, 0 if known or argv[0] == "sudo" else 100)

    monkeypatch.setattr(sysdeps.subprocess, "run", fake_run)
    assert sysdeps.main(["--platform", "xcb", "--install"]) == 0
    apt = [c for c in calls if c[0] == "sudo"]
    # libglib2.0-0 is libglib2.0-0t64 on Ubuntu 24.04: the name the archive has is used
    lock = ["-o", f"DPkg::Lock::Timeout={sysdeps.APT_LOCK_WAIT_S}"]
    assert apt == [["sudo", "apt-get", *lock, "update"],
                   ["sudo", "apt-get", *lock, "install", "-y", "--no-install-recommends", "libxcb-icccm4",
                    "libglib2.0-0t64"]]
    assert "installing the system packages Qt needs: libxcb-icccm4 libglib2.0-0t64" in capsys.readouterr().out


def test_without_install_or_off_debian_it_only_prints(monkeypatch, capsys):
    monkeypatch.setattr(sysdeps, "missing", lambda platform=None, core=True: sysdeps.packages_for(["libGL.so.1"]))
    monkeypatch.setattr(sysdeps.subprocess, "run", lambda *a, **k: pytest.fail("ran a command"))
    monkeypatch.setattr(sysdeps, "is_debian_like", lambda: False)
    assert sysdeps.main(["--install"]) == 1
    assert "libgl1" in capsys.readouterr().err
    monkeypatch.setattr(sysdeps, "is_debian_like", lambda: True)
    assert sysdeps.main([]) == 1
    assert "apt-get install -y libgl1" in capsys.readouterr().err


def _python(code: str, env_extra: dict) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)


def test_after_the_gui_start_up_no_qt_path_points_into_opencv():
    code = """
import os, sys
from pathlib import Path
import cv2
cv2_dir = Path(cv2.__file__).resolve().parent
os.environ.setdefault("QT_QPA_PLATFORM_PLUGIN_PATH", str(cv2_dir / "qt" / "plugins"))  # as the CI wheel does
assert Path(os.environ["QT_QPA_PLATFORM_PLUGIN_PATH"]).resolve().is_relative_to(cv2_dir)
from app.ui.app import make_application
from PySide6.QtCore import QCoreApplication, QLibraryInfo
app = make_application()
paths = [v for k, v in os.environ.items() if k.startswith("QT_") and k != "QT_QPA_PLATFORM"]
paths += QCoreApplication.libraryPaths() + [QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)]
bad = [p for p in paths for q in p.split(os.pathsep) if q and Path(q).resolve().is_relative_to(cv2_dir)]
print("bad:", bad)
sys.exit(1 if bad else 0)
"""
    proc = _python(code, {"QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_person_s_own_qt_plugin_path_is_kept(tmp_path):
    code = "import os, app.ui; print(os.environ.get('QT_PLUGIN_PATH'))"
    proc = _python(code, {"QT_QPA_PLATFORM": "offscreen", "QT_PLUGIN_PATH": str(tmp_path)})
    assert proc.stdout.strip() == str(tmp_path), proc.stderr


def test_the_gui_without_the_libraries_prints_the_install_line_instead_of_aborting():
    code = f"""
import sys
from app.system import sysdeps
sysdeps.run_ldd = lambda path: {LDD_BARE!r} if path.name == "libqxcb.so" else ""
from app.__main__ import cli_main
sys.exit(cli_main(["live"]))
"""
    proc = _python(code, {"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":99"})
    assert proc.returncode not in (0, -6), proc.stderr  # -6: SIGABRT, Qt's qFatal
    assert "libxcb-icccm4 libxcb-keysyms1" in proc.stderr and "apt-get install -y" in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1  # one message, no traceback


def test_require_gui_libraries_raises_the_glimpse_error(monkeypatch):
    monkeypatch.setattr(sysdeps, "run_ldd", lambda path: LDD_BARE)
    monkeypatch.setattr(sysdeps.shutil, "which", lambda name: "/usr/bin/ldd")
    with pytest.raises(SystemLibrariesMissing, match="libxcb-cursor0"):
        sysdeps.require_gui_libraries("xcb")
