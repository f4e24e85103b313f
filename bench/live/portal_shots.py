"""A screenshot of the app watching a window on a Wayland desktop, taken inside the compositor:

    .venv/bin/python -m bench.live.portal_shots [docs/screens]

On a headless sway desktop (tests/support/wayland.py) a Wayland-native Qt window plays the face clip where a call
app would show the person (tests/support/player.py); Glimpse's live page (Qt on Wayland too) sits beside it, sway
tiling the two. The page starts "Watch a window…": the portal shares the screen without a dialog (the test
desktop's backend is configured so), Glimpse finds the face in it and tracks it. grim then writes
wayland_watching.png: the whole output, what a person would see.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREEN = (1600, 900)
SETTLE_MS = 3000
NAME = "wayland_watching.png"


def child(out: Path) -> int:
    """On the Wayland desktop: the live page watching the shared window, then grim."""
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from app.settings.schema import Settings
    from app.ui.app import make_application
    from app.ui.live import LivePage
    from app.ui.live_status import WATCHING_TEXT
    from app.ui.screen_watch import WINDOW_LABEL
    from app.ui.screenshots import wait, wait_for

    make_application()
    tmp = Path(tempfile.mkdtemp(prefix="glimpse-portal-shots-"))
    page = LivePage(Settings, lambda: tmp / "sessions", lambda: [], confirm_consent=lambda parent: True)
    page.setWindowTitle("Glimpse")
    page.watch.qsettings = QSettings(str(tmp / "ui.ini"), QSettings.Format.IniFormat)
    page.watch.confirm = lambda parent, kind: True  # the notice to the other person: bench/live/screen_shots.py shows it
    page.show()
    page.source_box.setCurrentIndex(page.source_box.findText(WINDOW_LABEL))
    wait(SETTLE_MS)
    page.start()
    if not wait_for(lambda: page.status_label.text().startswith(WATCHING_TEXT), 90):
        print(f"no face tracked: {page.status_label.text()}", file=sys.stderr)
        return 1
    wait(SETTLE_MS)
    subprocess.run(["grim", str(out / NAME)], check=True, timeout=30)
    print(f"wrote {out / NAME}", file=sys.stderr)
    page.shutdown()
    QTimer.singleShot(0, QApplication.quit)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", nargs="?", type=Path, default=ROOT / "docs" / "screens")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    if a.child:
        return child(a.out)
    from bench.live.portal_live import start_player
    from tests.support.wayland import wayland_desktop, wayland_missing

    missing = wayland_missing()
    if missing:
        print(f"cannot run: {missing}", file=sys.stderr)
        return 2
    with wayland_desktop(*SCREEN) as desktop, tempfile.TemporaryDirectory() as config:
        player = start_player(desktop)
        try:
            time.sleep(5)
            return subprocess.run([sys.executable, "-m", "bench.live.portal_shots", str(a.out), "--child"], cwd=ROOT,
                                  env={**desktop.env, "XDG_CONFIG_HOME": config}).returncode
        finally:
            player.terminate()
            player.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
