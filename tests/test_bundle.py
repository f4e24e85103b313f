"""The built bundle, run with a clean environment (packaging/bundle_check.py's checks).

Runs only where `make bundle` has built build/bundle/dist/Glimpse (that takes minutes, so CI does
not build it and these tests skip there); `make bundle-check` runs them after its own checks.
The window checks need Xvfb, xdotool, xwd and netpbm.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))
import bundle_check  # noqa: E402
from bundle_build import bundle_dir  # noqa: E402

EXE = bundle_dir() / "Glimpse"
pytestmark = [pytest.mark.bundle, pytest.mark.skipif(not EXE.is_file(), reason="no bundle: make bundle builds it")]


def test_the_qt_plugins_libraries_resolve_inside_the_bundle():
    report = bundle_check.check_libraries(bundle_dir())  # raises SystemExit on anything missing or unexpected
    assert "libqxcb.so" in report and "libxcb-cursor" not in report.split("from the system")[1]


def test_headless_demo_writes_the_json(tmp_path):
    check = bundle_check.check_headless(EXE, tmp_path)
    assert check.ok, check.detail


def test_a_forced_crash_leaves_a_log_and_the_next_start_points_at_it(tmp_path):
    checks = bundle_check.check_crash(EXE, tmp_path, None)
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]


@pytest.mark.skipif(any(shutil.which(t) is None for t in bundle_check.TOOLS), reason="needs Xvfb, xdotool, netpbm")
def test_the_window_starts_and_about_opens(tmp_path):
    checks = bundle_check.check_window(EXE, tmp_path, tmp_path)
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    assert (tmp_path / "bundle_first_run.png").stat().st_size > 0 and (tmp_path / "bundle_about.png").is_file()
