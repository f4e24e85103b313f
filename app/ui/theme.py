"""Light and dark: the same calm tones in two palettes, chosen from the system's colour scheme.

`GLIMPSE_THEME=light|dark` forces one (screenshots, tests); otherwise Qt 6.5+'s
`QStyleHints.colorScheme()` decides, and a change of the system scheme is followed while
the app runs. A desktop that changes the app's palette instead (a dark palette, no scheme)
is followed too: the style sheet's tones then match the palette. Widgets that paint their own
colours (the timeline) read `tones_for(widget)`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import cast

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

THEME_ENV = "GLIMPSE_THEME"
LIGHT, DARK = "light", "dark"
DARK_BELOW_LIGHTNESS = 128  # a window colour darker than this is a dark theme


@dataclass(frozen=True)
class Tones:
    """One palette's colours, as #rrggbb (alpha as #aarrggbb where it matters)."""

    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    button: str
    highlight: str
    highlight_text: str
    link: str
    card: str
    card_border: str
    card_text: str
    notice: str
    notice_border: str
    error: str
    error_border: str
    info: str
    info_border: str
    record: str
    plot: str
    axis_text: str
    axis_pen: str
    curve: str
    threshold: str
    prompted: str
    quiet: str
    quiet_fill: str
    asked: str
    no_face: str
    helpful: str
    not_a_moment: str


LIGHT_TONES = Tones(
    window="#f4f3f0", base="#ffffff", alt_base="#f7f6f3", text="#2e3336", muted="#6b7378", button="#ecebe7",
    highlight="#5b7fa6", highlight_text="#ffffff", link="#3d6a96",
    card="#f6f2ea", card_border="#e3dccf", card_text="#2e3336", notice="#edf2f5", notice_border="#d2dde4",
    error="#fbefed", error_border="#ebcdc8", info="#eef5ef", info_border="#cfe0d2", record="#b03a2e",
    plot="#fafafc", axis_text="#464650", axis_pen="#aaaab4", curve="#5678a8", threshold="#d67828",
    prompted="#20968c", quiet="#787e88", quiet_fill="#ffffff", asked="#965aaa", no_face="#3c787878",
    helpful="#14825a", not_a_moment="#aa4632")
DARK_TONES = Tones(
    window="#25282b", base="#2f3337", alt_base="#34383d", text="#e2e0db", muted="#9aa1a6", button="#32363a",
    highlight="#5b7fa6", highlight_text="#ffffff", link="#8fb4d8",
    card="#36332d", card_border="#4a453c", card_text="#ece6da", notice="#2b3338", notice_border="#3c4a53",
    error="#45302d", error_border="#6b4640", info="#2c3a30", info_border="#45604b", record="#e0766a",
    plot="#1f2225", axis_text="#c4c4cc", axis_pen="#6a6a74", curve="#8fb0dc", threshold="#e8a060",
    prompted="#4cc4b6", quiet="#a0a6ae", quiet_fill="#1f2225", asked="#c9a0d8", no_face="#40a0a0a0",
    helpful="#5cc496", not_a_moment="#e08a76")

STYLE = """
#PromptCard {{ background: {card}; border: 1px solid {card_border}; border-radius: 14px; }}
#PromptCard QLabel, #PromptCardCompact QLabel {{ color: {card_text}; }}
#DiscreetStrip {{ background: {card}; border: 1px solid {card_border}; }}
#Notice {{ background: {notice}; border: 1px solid {notice_border}; border-radius: 8px; }}
#Notice QLabel {{ color: {text}; }}
#MessageArea[kind="error"] {{ background: {error}; border: 1px solid {error_border}; border-radius: 8px; }}
#MessageArea[kind="info"] {{ background: {info}; border: 1px solid {info_border}; border-radius: 8px; }}
#Quiet {{ color: {muted}; }}
#Status {{ color: {muted}; }}
#Help {{ color: {muted}; }}
#RecordingLabel {{ color: {record}; font-weight: 600; }}
QPushButton#RecordButton:checked {{ background: {record}; color: white; border: 1px solid {record};
                                   border-radius: 4px; padding: 4px 10px; }}
"""


def chosen_scheme(app: QApplication | None = None) -> str:
    """'light' or 'dark': the forced one (GLIMPSE_THEME), else the system's (light when unknown)."""
    forced = os.environ.get(THEME_ENV, "").strip().lower()
    if forced in (LIGHT, DARK):
        return forced
    app = app or cast(QApplication | None, QApplication.instance())  # stubs: the base class; here a QApplication
    hints = app.styleHints() if app is not None else None
    scheme = hints.colorScheme() if hints is not None and hasattr(hints, "colorScheme") else None
    return DARK if scheme == Qt.ColorScheme.Dark else LIGHT


def tones(scheme: str) -> Tones:
    return DARK_TONES if scheme == DARK else LIGHT_TONES


def scheme_of(p: QPalette) -> str:
    """'dark' or 'light', as the palette looks."""
    return DARK if p.color(QPalette.ColorRole.Window).lightness() < DARK_BELOW_LIGHTNESS else LIGHT


def tones_for(widget: QWidget) -> Tones:
    """The tones matching the palette `widget` is painted with."""
    return tones(scheme_of(widget.palette()))


def palette(t: Tones) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, c in ((role.Window, t.window), (role.WindowText, t.text), (role.Base, t.base),
                 (role.AlternateBase, t.alt_base), (role.Text, t.text), (role.Button, t.button),
                 (role.ButtonText, t.text), (role.ToolTipBase, t.base), (role.ToolTipText, t.text),
                 (role.Highlight, t.highlight), (role.HighlightedText, t.highlight_text), (role.Link, t.link),
                 (role.PlaceholderText, t.muted), (role.BrightText, t.record)):
        p.setColor(r, QColor(c))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor(t.muted))
    return p


def apply(app: QApplication, scheme: str | None = None) -> str:
    """Paint the whole app in `scheme` (default: `chosen_scheme`); returns the scheme applied."""
    scheme = scheme or chosen_scheme(app)
    app.setPalette(palette(tones(scheme)))
    restyle(app, scheme)
    return scheme


def restyle(app: QApplication, scheme: str) -> None:
    """The style sheet (cards, notices, messages, quiet text) in `scheme`'s tones; the palette is left as it is."""
    if app.property("glimpse_scheme") == scheme and app.styleSheet():
        return  # already so: setting it again would re-polish every widget
    app.setProperty("glimpse_scheme", scheme)
    app.setStyleSheet(STYLE.format(**tones(scheme).__dict__))


def follow_system(app: QApplication) -> None:
    """Re-apply when the system switches between light and dark (unless one is forced)."""
    hints = app.styleHints()
    signal = getattr(hints, "colorSchemeChanged", None)
    if signal is not None:
        signal.connect(lambda _scheme: apply(app))
    # a palette turned dark (or light) by whoever: the style sheet follows (a signal, not an app-wide event
    # filter, which would run Python for every event of every widget)
    palette_changed = getattr(app, "paletteChanged", None)
    if palette_changed is not None and app.property("glimpse_follows_palette") is None:
        palette_changed.connect(lambda p: restyle(app, scheme_of(p)))
        app.setProperty("glimpse_follows_palette", True)
