"""Look at the real windows: the main pages, the guide, the question editor, at a font scale and theme.

    Xvfb :57 -screen 0 1600x1000x24 &
    DISPLAY=:57 GLIMPSE_THEME=dark python -m app.ui.ui_check docs/ui_check --font-scale 1.75 --video CLIP

Writes {theme}-{scale}-{size}-{page}.png for first_run, live, guide, questions, discreet and review, grabbed from
real windows (the xcb platform under Xvfb, not the offscreen one). The review page analyses CLIP.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.prompts.policy import load_bank
from app.ui.app import MainWindow, make_application
from app.ui.questions_dialog import QuestionsDialog
from app.ui.screenshots import save, wait, wait_for
from app.ui.theme import chosen_scheme


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m app.ui.ui_check")
    ap.add_argument("out", nargs="?", default="docs/ui_check")
    ap.add_argument("--font-scale", type=float, default=1.0)
    ap.add_argument("--size", default="1000x760", help="window size, WxH")
    ap.add_argument("--video", default=None, help="a clip to open in Review")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    app = make_application()
    font = app.font()
    font.setPointSizeF(font.pointSizeF() * a.font_scale)
    app.setFont(font)
    prefix = f"{chosen_scheme(app)}-{round(100 * a.font_scale)}-{a.size}"
    tmp = Path(tempfile.mkdtemp(prefix="glimpse-ui-check-"))
    qs = QSettings(str(tmp / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(argparse.Namespace(command="live", camera=None, demo=False, model=None), qs,
                        tmp / "settings.json", lambda: tmp / "sessions", lambda: [])
    w, h = (int(v) for v in a.size.split("x"))
    window.resize(w, h)
    window.show()
    window.begin()
    wait(600)
    save(window, out / f"{prefix}-first_run.png")
    window.welcome.begin_button.click()
    live = window.live
    wait_for(lambda: live.preview.frames_painted > 20, 30)
    wait_for(live.card.is_showing, 40)
    wait(800)
    window.show_error("camera 3 was not found; choose one from the list")
    save(window, out / f"{prefix}-live.png")
    guide = window.show_guide()
    wait(400)
    save(guide, out / f"{prefix}-guide.png")
    guide.close()
    dialog = QuestionsDialog((), load_bank(), window)
    dialog.new_edit.setText("Is there another side to it?")
    dialog.show()
    wait(400)
    save(dialog, out / f"{prefix}-questions.png")
    dialog.close()
    live.set_discreet(True)
    strip = live.strip
    assert strip is not None  # set_discreet(True) made it
    longest = max(load_bank(), key=len)  # the layout check: the longest question, shown at once
    strip.show_prompt(longest, 6.0)
    wait_for(lambda: strip.card.opacity() >= 0.99, 5)
    save(strip, out / f"{prefix}-discreet.png")
    live.set_discreet(False)
    if a.video:
        live.stop()
        window.open_in_review(a.video)
        page = window.review
        from app.ui.replay import ReplayPage  # as the window does: on first use

        assert isinstance(page, ReplayPage), "this build has no review page"
        wait_for(lambda: getattr(page, "analysis", None) is not None, 120)
        wait(800)
        if getattr(page, "moments", None):
            page.select_moment(0)
            wait(400)
        save(window, out / f"{prefix}-review.png")
        page.close_recording()
        wait(300)
        save(window, out / f"{prefix}-review_empty.png")
    window.close()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
