"""Screenshots of every page at two window sizes, two font scales and in light and dark, from the real app.

    xvfb-run -a -s "-screen 0 1920x1200x24" sh -c 'openbox & python -m app.ui.screen_matrix docs/screens'

Run it under a real X server with a window manager (Xvfb and openbox), not the offscreen platform:
window sizes, minimum sizes and fonts then behave as on a desktop. Pages: the first-run page, Live
(the demo playing, no camera), Review of the committed recorded session (tests/data/recorded_session)
in its "shown live" view and in the what-if view with the tuning drawer, the keyboard shortcuts
window, and (at 800x600 only) Live in its prompt-only view with a prompt showing. Each file is named
page-WxH-font-theme.png; a window that cannot shrink to the size asked for
is shown at the size it took, and the run says so. PNGs are reduced to a 64-colour palette with
pngquant when it is installed (small enough to commit). The dark theme is Qt's dark colour scheme, as a
desktop in dark mode sets it.

    xvfb-run -a -s "-screen 0 1400x900x24" python -m app.ui.screen_matrix docs/screens --fit SESSION

takes the issue-20 set instead: at 175% text, light, in a window filling a 1400x900 screen less its title bar
and panel: the first-run page, Live, Review of the recorded session, and Review of SESSION (a recorded
session of two segments or more) with its second segment's video deleted (a half-damaged session).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from app.ui.app import MainWindow, make_application
from app.ui.screenshots import wait, wait_for
from app.ui.shortcuts import show_shortcuts

if TYPE_CHECKING:
    from app.run.recordings import Recording
    from app.ui.replay import ReplayPage

SIZES = ((800, 600), (1600, 1000))
FONT_SCALES = (1.0, 1.75)
THEMES = ("light", "dark")
PALETTE_COLOURS = 64
FIT_SCREEN = (1400, 900)
DECORATION_PX = 64  # a title bar and a desktop panel: the window gets the rest of the screen
PROMPT_WAIT_S = 60  # the demo shows a prompt within this
SETTLE_MS = 400  # a resize, a font or a theme change is laid out and painted within this


def set_theme(app: QApplication, theme: str) -> None:
    """What a desktop's light or dark mode does to a Qt app: the colour scheme, and Fusion's palette."""
    scheme = Qt.ColorScheme.Dark if theme == "dark" else Qt.ColorScheme.Light
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "setColorScheme"):  # Qt 6.8 and later
        hints.setColorScheme(scheme)
    app.setPalette(app.style().standardPalette() if theme == "light" else dark_palette())


def dark_palette() -> QPalette:
    p = QPalette()
    roles = QPalette.ColorRole
    for role, colour in ((roles.Window, "#202326"), (roles.WindowText, "#e6e8ea"), (roles.Base, "#17191b"),
                         (roles.AlternateBase, "#24282b"), (roles.Text, "#e6e8ea"), (roles.Button, "#2b2f33"),
                         (roles.ButtonText, "#e6e8ea"), (roles.Highlight, "#3d6e99"),
                         (roles.HighlightedText, "#ffffff"), (roles.ToolTipBase, "#2b2f33"),
                         (roles.ToolTipText, "#e6e8ea"), (roles.PlaceholderText, "#8b9297")):
        p.setColor(role, colour)
    return p


def shoot(widget: QWidget, path: Path) -> tuple[int, int]:
    """The window as the X server shows it; its size."""
    wait(SETTLE_MS)
    QApplication.processEvents()
    image = widget.screen().grabWindow(widget.winId())
    if image.isNull() or image.width() < 10:
        image = widget.grab()
    if not image.save(str(path)):
        raise OSError(f"could not write {path}")
    return image.width(), image.height()


def quantize(paths: list[Path]) -> None:
    tool = shutil.which("pngquant")
    if tool is None:
        print("pngquant is not installed: the PNGs stay full colour", file=sys.stderr)
        return
    for path in paths:
        subprocess.run([tool, "--force", "--skip-if-larger", "--strip", "--output", str(path), str(PALETTE_COLOURS),
                        str(path)], check=False)


def main(argv: list[str] | None = None) -> int:
    """One app process per font scale and theme (as a person starts it with those desktop settings)."""
    ap = argparse.ArgumentParser(prog="python -m app.ui.screen_matrix")
    ap.add_argument("out", nargs="?", default="docs/screens")
    ap.add_argument("--session", default="tests/data/recorded_session", help="a recorded session for Review")
    ap.add_argument("--one", nargs=2, metavar=("THEME", "SCALE"), help=argparse.SUPPRESS)
    ap.add_argument("--fit", metavar="SESSION", help="the 175%% set at 1400x900; SESSION is damaged in a copy")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if a.fit:
        written = shoot_fit(out, Path(a.session), Path(a.fit))
        quantize(written)
        return 0
    if a.one:
        return shoot_all(out, Path(a.session), a.one[0], float(a.one[1]))
    for theme in THEMES:
        for scale in FONT_SCALES:
            code = subprocess.run([sys.executable, "-m", "app.ui.screen_matrix", str(out), "--session", a.session,
                                   "--one", theme, str(scale)], check=False).returncode
            if code:
                print(f"the {theme} {scale:g}x run failed (exit {code})", file=sys.stderr)
            written = sorted(out.glob("*.png"))
    quantize(written)
    total = sum(p.stat().st_size for p in written)
    print(f"{len(written)} screenshots in {out} ({total / 1e6:.2f} MB)", file=sys.stderr)
    return 0


def matrix_window(tmp: Path, theme: str, scale: float, size: tuple[int, int]) -> MainWindow:
    """The main window in `theme` at `scale` times the font, `size`, its files in `tmp`, on the first-run page."""
    app = make_application()
    set_theme(app, theme)
    font = app.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    app.setFont(font)
    qs = QSettings(str(tmp / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(argparse.Namespace(command="live", camera=None, demo=False, model=None), qs,
                        tmp / "settings.json", lambda: tmp / "sessions", lambda: [])
    window.resize(*size)
    window.show()
    window.begin()
    return window


def open_in_review(window: MainWindow, folder: Path) -> ReplayPage:
    """Review with `folder` open (exits when it does not open)."""
    review = window.review_page()
    from app.ui.replay import ReplayPage  # as the window does: on first use

    assert isinstance(review, ReplayPage), "this build has no review page"
    opened: list[Recording] = []
    review.recording_opened.connect(opened.append)
    window.open_in_review(folder)
    if not wait_for(lambda: bool(opened), 60):
        raise SystemExit(f"{folder} did not open")
    review.recording_opened.disconnect(opened.append)
    return review


def shoot_fit(out: Path, session_src: Path, damaged_src: Path) -> list[Path]:
    """Issue 20's set: each page at 175% text in a window filling a 1400x900 screen."""
    tmp = Path(tempfile.mkdtemp(prefix="glimpse-fit-"))
    session, damaged = tmp / "session", tmp / "damaged"
    shutil.copytree(session_src, session)
    shutil.copytree(damaged_src, damaged)
    videos = sorted((damaged / "segments").glob("*.mkv"))
    if len(videos) < 2:
        raise SystemExit(f"{damaged_src} has one segment: record a longer session to damage half of it")
    videos[1].unlink()
    window = matrix_window(tmp, "light", FONT_SCALES[1], (FIT_SCREEN[0], FIT_SCREEN[1] - DECORATION_PX))
    tag = f"{FIT_SCREEN[0]}x{FIT_SCREEN[1]}-175pct"
    written = [out / f"first-run-{tag}.png"]
    shoot(window, written[-1])
    window.welcome.begin_button.click()  # no camera: the demo plays
    live = window.live
    wait_for(lambda: live.dot.state is True and live.preview.frames_painted > 20, 60)
    wait_for(lambda: live.card.is_showing() and live.card.opacity() >= 0.99, PROMPT_WAIT_S)
    written.append(out / f"live-{tag}.png")
    shoot(window, written[-1])
    live.stop()
    for name, folder in (("review", session), ("review-damaged", damaged)):
        open_in_review(window, folder).select_moment(0)
        written.append(out / f"{name}-{tag}.png")
        shoot(window, written[-1])
    live.shutdown()
    window.close()
    return written


def shoot_all(out: Path, session_src: Path, theme: str, scale: float) -> int:
    """Every page at both sizes, in one theme at one font scale."""
    tag = f"{round(scale * 100)}pct-{theme}"
    tmp = Path(tempfile.mkdtemp(prefix="glimpse-matrix-"))
    session = tmp / "session"
    shutil.copytree(session_src, session)
    window = matrix_window(tmp, theme, scale, SIZES[1])
    wait(500)
    window.welcome.begin_button.click()  # no camera: the demo plays
    live = window.live
    if not wait_for(lambda: live.dot.state is True and live.preview.frames_painted > 20, 60):
        print("no face was tracked in the demo: Live is shown as it is", file=sys.stderr)
    review = open_in_review(window, session)

    def page_live() -> None:
        window.stack.setCurrentWidget(window.tabs)
        window.tabs.setCurrentWidget(live)

    def page_review(mode: str) -> None:
        window.stack.setCurrentWidget(window.tabs)
        window.tabs.setCurrentWidget(review)
        (review.mode.live_button if mode == "live" else review.mode.what_if_button).click()
        review.set_tuning_visible(mode != "live")

    pages = {"first-run": lambda: window.stack.setCurrentWidget(window.welcome), "live": page_live,
             "review-live": lambda: page_review("live"), "review-whatif": lambda: page_review("whatif")}
    misfits = []
    for name, show in pages.items():
        show()
        for w, h in SIZES:
            window.resize(w, h)
            path = out / f"{name}-{w}x{h}-{tag}.png"
            got = shoot(window, path)
            if got != (w, h):
                misfits.append(f"{path.name}: the window took {got[0]}x{got[1]}")
    keys = show_shortcuts(window)
    shoot(keys, out / f"shortcuts-{tag}.png")
    keys.close()
    # the live page beside a call: the prompt alone, large, no video of the person (at the narrow size)
    page_live()
    live.prompt_only_action.setChecked(True)
    window.resize(*SIZES[0])
    if not wait_for(lambda: live.card.is_showing() and live.card.opacity() >= 0.99, PROMPT_WAIT_S):
        print(f"no prompt within {PROMPT_WAIT_S} s: the prompt-only view is shown empty", file=sys.stderr)
    shoot(window, out / f"live-prompt-only-{SIZES[0][0]}x{SIZES[0][1]}-{tag}.png")
    live.prompt_only_action.setChecked(False)
    live.shutdown()
    window.close()
    for line in misfits:
        print(f"does not fit: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
