"""Screenshots of live mode for the README, taken from the real app playing the demo.

    xvfb-run -s "-screen 0 1280x900x24" python -m app.ui.screenshots docs

Writes first_run.png, live_main.png (preview with landmarks), live_prompt.png (a prompt card)
and discreet.png (the discreet strip showing a prompt). Default settings; no camera, so the
demo plays, as on a machine without one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from app.ui.app import MainWindow, make_application


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(condition: Callable[[], object], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        wait(50)
    return True


def save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    print(f"wrote {path}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m app.ui.screenshots")
    ap.add_argument("out", nargs="?", default="docs")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    make_application()
    tmp = Path(tempfile.mkdtemp(prefix="glimpse-shots-"))
    qs = QSettings(str(tmp / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(argparse.Namespace(command="live", camera=None, demo=False, model=None), qs,
                        tmp / "settings.json", lambda: tmp / "sessions", lambda: [])
    window.resize(1000, 760)
    window.show()
    window.begin()
    wait(500)
    save(window, out / "first_run.png")
    window.welcome.begin_button.click()
    live = window.live
    if not wait_for(lambda: live.dot.state is True and live.preview.frames_painted > 20, 20):
        raise SystemExit("no face was tracked in the demo")
    live.landmarks_check.setChecked(True)
    wait(1200)
    save(window, out / "live_main.png")
    live.landmarks_check.setChecked(False)
    if not wait_for(live.card.is_showing, 60):
        raise SystemExit("no prompt within a minute of the demo")
    wait_for(lambda: live.card.opacity() >= 0.99, 3)
    save(window, out / "live_prompt.png")
    live.set_discreet(True)
    strip = live.strip
    assert strip is not None  # set_discreet(True) made it
    if not wait_for(lambda: strip.card.is_showing() and strip.card.opacity() >= 0.99, 90):
        raise SystemExit("no prompt in discreet mode")
    save(strip, out / "discreet.png")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
