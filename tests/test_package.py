"""The wheel is the product: built from the checkout, installed into a fresh venv, run from elsewhere.

The bundled files (model, question bank, demo) must come from the installed package, never from
the checkout. pip reuses the wheels in its cache, so this needs no network once `make install` ran.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from app.face.tracking import OFFLINE_PROXY

ROOT = Path(__file__).resolve().parent.parent
# What the build reads: the package, its bundled folders and the metadata (bench/ and tests/ are not
# shipped). A copy, so a stale build/ in the checkout cannot leak old files into the wheel.
BUILD_INPUTS = ("app", "models", "assets", "pyproject.toml", "README.md")
INSTALL_TIMEOUT_S = 600.0
OFFLINE = ("No matching distribution found", "Failed to establish a new connection")  # pip, without a network
RUN_TIMEOUT_S = 300.0

# Each command runs in a fresh folder outside the checkout and must write m.json with the shape of
# `glimpse analyze`'s output. "{demo}" is the demo's path inside the installed package.
COMMANDS = {
    "analyze": ["analyze", "{demo}", "--out", "m.json"],
    "live": ["live", "--demo", "--no-window", "--duration", "15", "--out", "m.json"],
}


def _pip_env() -> dict[str, str]:
    """This user's pip configuration and cache (the indexes and wheels `make install` used), nothing of the checkout,
    and none of the refused proxies an earlier test's tracker set in this process (they would stop pip too)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PYTHON", "GLIMPSE_", "VIRTUAL_ENV")) and v != OFFLINE_PROXY}


def _app_env(home: Path) -> dict[str, str]:
    """The installed app with a home of its own: no settings, cache or sessions of this user."""
    return {**_pip_env(), "HOME": str(home), "GLIMPSE_CACHE_DIR": str(home / "cache"),
            "GLIMPSE_SESSIONS_DIR": str(home / "sessions"), "QT_QPA_PLATFORM": "offscreen"}


def _run(argv: list, cwd: Path, env: dict, timeout: float) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, argv))} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel from a copy of the sources, install it into a new venv; the venv's paths."""
    tmp = tmp_path_factory.mktemp("package")
    src, dist, venv, home = tmp / "src", tmp / "dist", tmp / "venv", tmp / "home"
    src.mkdir()
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, src / name)
    home.mkdir()
    pip_env, env = _pip_env(), _app_env(home)
    t0 = time.perf_counter()
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, src], tmp, pip_env,
         INSTALL_TIMEOUT_S)
    (wheel,) = dist.glob("glimpse-*.whl")
    # A venv of its own (no system or checkout packages); this pip installs into it, which skips
    # ensurepip, and --no-compile skips byte-compiling PySide6 and mediapipe (about half the time).
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp, pip_env, INSTALL_TIMEOUT_S)
    py = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", py, "install", "--quiet", "--no-compile",
           "--disable-pip-version-check"]
    try:
        _run([*pip, wheel], tmp, pip_env, INSTALL_TIMEOUT_S)
        how = "with its dependencies"
    except AssertionError as exc:
        if not any(s in str(exc) for s in OFFLINE):
            raise
        # Offline, and a dependency is in no local index: glimpse itself from the wheel, its dependencies
        # (mediapipe, numpy, PySide6) from this venv, after the new venv's own site-packages on sys.path.
        # A plain path in a .pth is not a site folder: the checkout's editable `app` finder stays off.
        _run([*pip, "--no-deps", wheel], tmp, pip_env, INSTALL_TIMEOUT_S)
        site = _run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp, pip_env, 60).stdout
        Path(site.strip(), "zz_offline_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        how = "offline: dependencies from the checkout's venv"
    print(f"wheel built and installed into a fresh venv ({how}) in {time.perf_counter() - t0:.1f} s")
    where = _run([py, "-c", "import json, sysconfig; from app.system import resources as r; print(json.dumps({"
                  "'site': sysconfig.get_paths()['purelib'], 'model': str(r.MODEL), 'bank': str(r.PROMPT_BANK), "
                  "'demo': str(r.DEMO_VIDEO)}))"], home, env, RUN_TIMEOUT_S)
    return {"py": py, "bin": venv / "bin", "env": env, "tmp": tmp, "wheel": wheel, **json.loads(where.stdout)}


pytestmark = pytest.mark.slow


def test_the_bundled_files_are_read_from_site_packages_not_the_checkout(installed):
    site = Path(installed["site"]).resolve()
    for key in ("model", "bank", "demo"):
        path = Path(installed[key]).resolve()
        assert path.is_file() and path.stat().st_size > 0, path
        assert path.is_relative_to(site / "app"), f"{key}: {path} is not inside {site}"
        assert not path.is_relative_to(ROOT), f"{key}: {path} is read from the checkout"


def test_the_wheel_ships_the_package_data_and_no_benchmarks(installed):
    import zipfile

    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for needed in ("app/py.typed", "app/models/face_landmarker.task", "app/assets/prompts.txt",
                   "app/assets/demo.mp4", "app/assets/DEMO.md", "app/research/inject.py"):
        assert needed in names, needed
    assert not [n for n in names if n.startswith(("bench/", "tests/")) or "/bench" in n]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_installed_command_runs_from_another_folder(installed, name):
    work = installed["tmp"] / f"run-{name}"
    work.mkdir()
    argv = [a.format(demo=installed["demo"]) for a in COMMANDS[name]]
    _run([installed["bin"] / "glimpse", *argv], work, installed["env"], RUN_TIMEOUT_S)
    data = json.loads((work / "m.json").read_text())
    assert {"source", "fps", "frames", "duration_s", "face_frames", "moments"} <= data.keys()
    assert data["frames"] > 0 and data["face_frames"] > 0.9 * data["frames"]
    # the installed model sees the demo's brief expressions: some moment overlaps one of them
    truth = json.loads(Path(installed["demo"]).with_suffix(".json").read_text())["events"]
    assert any(m["start_s"] <= e["offset_s"] and e["onset_s"] <= m["end_s"] for m in data["moments"] for e in truth)
