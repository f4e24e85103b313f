"""Keyboard shortcuts: the one table of keys (the Review page binds from it, the help page lists it),
the Help > Keyboard shortcuts window, and the filter that lets a focused tuning slider keep its arrows.

Review's player keys are bound on the whole page (a focused tuning control does not swallow them).
Two exceptions, by design: while typing in a text field (the note) letters are letters; and on a
focused slider, number box or list box the arrow keys, Home and End keep moving that control (what
a keyboard user expects of it); everywhere else in Review they step the video. A number box types
only what makes a number (digits, and the decimal point where it has decimals): `.` `,` J L and Space
reach the player from it. A player key pressed in the tuning drawer hands the keyboard back to the
player, so the arrow pressed next steps the video instead of changing a setting; and a mouse wheel
turned over a control that does not have the focus scrolls the drawer, never the setting.
"""

from __future__ import annotations

from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class Binding:
    name: str  # what the page binds it to
    keys: tuple[str, ...]  # QKeySequence strings
    what: str  # for the listener


REVIEW_KEYS: tuple[Binding, ...] = (
    Binding("play", ("Space", "K"), "Play or pause"),
    Binding("back", ("Left", ","), "One frame back"),
    Binding("forward", ("Right", "."), "One frame forward"),
    Binding("back_1s", ("Shift+Left",), "One second back"),
    Binding("forward_1s", ("Shift+Right",), "One second forward"),
    Binding("back_5s", ("J",), "Five seconds back"),
    Binding("forward_5s", ("L",), "Five seconds forward"),
    Binding("start", ("Home",), "To the start"),
    Binding("end", ("End",), "To the end"),
    Binding("slower", ("[",), "Slower (slow motion)"),
    Binding("faster", ("]",), "Faster"),
    Binding("next", ("N",), "Next moment"),
    Binding("previous", ("P",), "Previous moment"),
    Binding("helpful", ("H",), "Mark the selected moment helpful (again: take the mark back)"),
    Binding("not_a_moment", ("X",), "Mark the selected moment 'not a moment' (again: take it back)"),
    Binding("tuning", ("T",), "Open or fold away the tuning drawer"),
)
LIVE_KEYS: tuple[Binding, ...] = (
    Binding("asked", ("Space",), "I just asked: Glimpse pays closer attention for a few seconds"),
    Binding("start_stop", ("Ctrl+Return",), "Start or stop"),
    Binding("record", ("Ctrl+R",), "Record this session (asks you to confirm consent)"),
    Binding("discreet", ("Ctrl+D",), "Discreet mode: a small strip with only the prompts"),
    Binding("prompt_only", ("Ctrl+P",), "Prompt only: the question large, without the video"),
)
GENERAL_KEYS: tuple[Binding, ...] = (
    Binding("open", ("Ctrl+O",), "Open a video or a recorded session"),
    Binding("help", ("?",), "This list of keys"),
)
# keys a focused slider, number box or list box keeps for itself
CONTROL_KEYS = frozenset({Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Home,
                          Qt.Key.Key_End, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown})


def keys_text(name: str) -> str:
    """'Space or K' for a binding's tooltip."""
    binding = next(b for b in REVIEW_KEYS + LIVE_KEYS + GENERAL_KEYS if b.name == name)
    return " or ".join(binding.keys)


def with_keys(tip: str, name: str) -> str:
    return f"{tip} ({keys_text(name)})"


class ControlKeys(QObject):
    """Installed on a tuning control: it keeps the keys that move it (arrows, Home, End, Page Up/Down),
    lets a number box keep the keys that type a number and no others, and leaves the wheel to the
    drawer while the control does not have the focus."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if event.key() in CONTROL_KEYS:
                event.accept()  # an accepted override sends the key to the control, not to the shortcut
                return True
            if isinstance(obj, QAbstractSpinBox) and not types_a_number(obj, event):
                event.ignore()  # an ignored override lets a shortcut take the key
                return True
        if event.type() == QEvent.Type.Wheel and isinstance(obj, QWidget) and not obj.hasFocus():
            event.ignore()  # consumed here, and passed on to the parent: the drawer scrolls
            return True
        return False


def types_a_number(box: QAbstractSpinBox, event: QKeyEvent) -> bool:
    """True for a key the number box keeps: a digit, its decimal point (when it has decimals), a minus
    sign (when it goes below zero), and keys that type nothing (Backspace, Enter, Ctrl+A, ...)."""
    text = event.text()
    if not text or not text.isprintable() or text.isdigit():
        return True
    if text == box.locale().decimalPoint():
        return isinstance(box, QDoubleSpinBox) and box.decimals() > 0
    return text == "-" and isinstance(box, QSpinBox | QDoubleSpinBox) and box.minimum() < 0


def keep_control_keys(root: QWidget, keeper: ControlKeys) -> None:
    for w in root.findChildren(QWidget):
        if isinstance(w, (QAbstractSlider, QAbstractSpinBox, QComboBox)):
            w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # not WheelFocus: a wheel passing over takes nothing
            w.installEventFilter(keeper)


def _table(title: str, bindings: tuple[Binding, ...]) -> str:
    rows = "".join(f"<tr><td style='padding:2px 16px 2px 0'><b>{' or '.join(b.keys)}</b></td><td>{b.what}</td></tr>"
                   for b in bindings)
    return f"<h3>{title}</h3><table>{rows}</table>"


def help_html() -> str:
    return (_table("Live", LIVE_KEYS) + _table("Review", REVIEW_KEYS) + _table("Anywhere", GENERAL_KEYS)
            + "<p>In Review the keys work wherever the focus is, except while you type a note; on a focused "
              "slider or number box the arrow keys, Home and End move that control, and a number box takes "
              "only digits. After a player key the arrows step the video again.</p>")


class ShortcutsWindow(QDialog):
    """Help > Keyboard shortcuts: its own window, beside the app (not instead of it)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Glimpse: keyboard shortcuts")
        self.text = QLabel(help_html(), wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.resize(560, 620)


_window: ShortcutsWindow | None = None


def show_shortcuts(parent: QWidget | None = None) -> ShortcutsWindow:
    """Open (or raise) the one shortcuts window."""
    global _window
    # its C++ half goes with the window it belonged to (a closed main window): then a new one
    if _window is None or not shiboken6.isValid(_window) or _window.parent() is not parent:
        _window = ShortcutsWindow(parent)
    _window.show()
    _window.raise_()
    return _window

