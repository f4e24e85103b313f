"""Screenshots of watching a video call, under Xvfb with a window manager (openbox):

    .venv/bin/python -m bench.live.screen_shots [docs/screens]

A frameless window plays the face clip where a call app would show the person (tests/support/player.py);
Glimpse's live page sits beside it. Writes notice.png (the notice to the other person), picker.png
(the region picker over the tile) and watching.png (the frame around the watched region while the
live page tracks it). Each is the whole X screen, read back with mss: what a person would see.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common.paths import ROOT  # noqa: E402

CLIP = ROOT / "tests" / "data" / "injected_short.mp4"
PLAYER_AT = (40, 150)
PLAYER_SIZE = (640, 360)
PAGE_GEOMETRY = (720, 40, 840, 720)
SCREEN = (1600, 900)
WATCHED = (220, 0, 380, 360)  # the face's part of the tile: left, top (in the tile), width, height
SETTLE_MS = 1500


def shoot(path: Path) -> None:
    import cv2
    import mss
    import numpy as np

    with mss.MSS() as sct:
        shot = sct.grab(sct.monitors[1])
    image = np.frombuffer(shot.raw, np.uint8).reshape(shot.height, shot.width, 4)[:, :, :3]
    if not cv2.imwrite(str(path), image):
        raise OSError(f"could not write {path}")
    print(f"wrote {path}", file=sys.stderr)


def child(out: Path) -> int:
    """In the X session: the live page, then the three pictures."""
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from app.settings.store import SettingsStore
    from app.sources.screen import Region
    from app.ui.app import make_application
    from app.ui.consent_notice import ConsentNotice
    from app.ui.live import LivePage
    from app.ui.live_status import WATCHING_TEXT
    from app.ui.region_picker import RegionPicker
    from app.ui.screen_watch import WATCH_LABEL
    from app.ui.screenshots import wait, wait_for

    make_application()
    tmp = Path(tempfile.mkdtemp(prefix="glimpse-screen-shots-"))
    page = LivePage(SettingsStore(), lambda: tmp / "sessions", lambda: [], confirm_consent=lambda parent: True)
    page.setWindowTitle("Glimpse")
    page.watch.qsettings = QSettings(str(tmp / "ui.ini"), QSettings.Format.IniFormat)
    page.setGeometry(*PAGE_GEOMETRY)
    page.show()
    index = page.source_box.findText(WATCH_LABEL)
    page.source_box.setCurrentIndex(index)
    wait(SETTLE_MS)

    notice = ConsentNotice(page)
    notice.told.setChecked(True)
    notice.show()
    wait(SETTLE_MS)
    shoot(out / "notice.png")
    notice.close()
    wait(SETTLE_MS)  # the screen redraws under the dialog before the picker takes its picture

    tile = Region(*PLAYER_AT, *PLAYER_SIZE)
    watched = Region(tile.left + WATCHED[0], tile.top + WATCHED[1], *WATCHED[2:])
    picker = RegionPicker(watched)
    picker.open()
    wait(SETTLE_MS)
    shoot(out / "picker.png")
    picker.close()

    page.watch.confirm = lambda parent, kind: True  # told: the notice above
    page.watch._picked(watched, start_after=False)
    page.start()
    if not wait_for(lambda: page.status_label.text().startswith(WATCHING_TEXT), 60):
        print(f"no face tracked: {page.status_label.text()}", file=sys.stderr)
        return 1
    wait(3000)
    shoot(out / "watching.png")
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
    from tests.support.xserver import virtual_display, xvfb_missing

    missing = xvfb_missing() or (None if shutil.which("openbox") else "openbox is not installed (apt-get install "
                                                                      "openbox)")
    if missing:
        print(f"cannot run: {missing}", file=sys.stderr)
        return 2
    with virtual_display(*SCREEN) as server:
        env = dict(os.environ, DISPLAY=server.display, QT_QPA_PLATFORM="xcb")
        env.pop("WAYLAND_DISPLAY", None)
        wm = subprocess.Popen(["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        player = subprocess.Popen([sys.executable, "-m", "tests.support.player", str(CLIP), *map(str, PLAYER_AT)], cwd=ROOT,
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(5)
            return subprocess.run([sys.executable, "-m", "bench.live.screen_shots", str(a.out), "--child"], cwd=ROOT,
                                  env=env).returncode
        finally:
            player.terminate()
            player.wait(timeout=10)
            wm.terminate()
            wm.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
