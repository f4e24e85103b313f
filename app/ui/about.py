"""Help > About: what Glimpse is and where it keeps the listener's files first; the face model's checksum
and the bundled parts' licences one click deeper ("Technical details"); "Copy diagnostics" (the text
comes from app/run/diagnostics.py; nothing is sent)."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from app.run import diagnostics
from app.sources.capture import CameraInfo, list_cameras

MIN_WIDTH, MIN_HEIGHT = 640, 420
DETAILS_LABEL = "Technical details"


def _section(title: str, rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><td style='padding-right:12px'>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>"
                    for k, v in rows)
    return f"<h4>{html.escape(title)}</h4><table>{cells}</table>"


def about_html(d: diagnostics.Diagnostics) -> str:
    """What the listener reads first: what Glimpse is, that nothing leaves the computer, where their files are."""
    text = (f"<h3>Glimpse {html.escape(d.version)}</h3><p>Glimpse notices brief changes in the face of the "
            "person you are talking with and offers you a gentle, open question. It says where a face moved, "
            "never what that means.</p><p>Everything runs on this computer: nothing is sent anywhere, and "
            "nothing is recorded unless you switch recording on.</p>")
    home = Path.home()
    return text + _section("Where your files are",
                           [(label, diagnostics.shown_path(path, home)) for label, path in d.folders])


def details_html(d: diagnostics.Diagnostics) -> str:
    """One click deeper: the face model and its checksum, and the bundled parts' licences."""
    model = d.model
    check = "matches the pinned digest" if model.verified else f"does NOT match the pinned {model.pinned}"
    text = _section("Face model", [("model", model.name), ("file", model.file), ("SHA-256", model.sha256),
                                   ("check", check), ("licence", diagnostics.MODEL_LICENCE)])
    return text + _section("Bundled parts and their licences", [(f"{p.name} {p.version}", p.licence)
                                                                for p in d.parts])


class AboutDialog(QDialog):
    """The About box; `diagnostics_text` is what the copy button puts on the clipboard."""

    def __init__(self, facts: diagnostics.Diagnostics, parent: QWidget | None = None):
        super().__init__(parent, windowTitle="About Glimpse", minimumWidth=MIN_WIDTH, minimumHeight=MIN_HEIGHT)  # type: ignore[call-arg]  # stubs omit inherited Qt properties
        self.facts = facts
        self.diagnostics_text = diagnostics.diagnostics_text(facts, Path.home())
        self.body = QLabel(about_html(facts), wordWrap=True, objectName="AboutText",  # type: ignore[call-overload]  # stubs omit inherited Qt properties
                           textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QLabel(details_html(facts), wordWrap=True, objectName="AboutDetails",  # type: ignore[call-overload]  # stubs omit inherited Qt properties
                              textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.hide()
        self.details_button = QPushButton(DETAILS_LABEL, checkable=True)  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.details_button.setToolTip("The face model's checksum and the licences of the parts Glimpse is built on")
        self.details_button.toggled.connect(self._show_details)
        self.content = QWidget()
        column = QVBoxLayout(self.content)
        column.addWidget(self.body)
        column.addWidget(self.details)
        column.addStretch(1)
        self.scroll_area = QScrollArea(widgetResizable=True)
        self.scroll_area.setWidget(self.content)
        self.copy_button = QPushButton("Copy diagnostics")
        self.copy_button.setToolTip("Versions, system, model digest, camera names and the app's folders; "
                                    "no personal data. Paste it into a message if you ask for help.")
        self.copy_button.clicked.connect(self.copy_diagnostics)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.details_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(buttons)

    def _show_details(self, on: bool) -> None:
        """The checksum and file names do not wrap: the box widens for them, as far as the screen allows
        (else the text would run on under a sideways scroll bar)."""
        self.details.setVisible(on)
        if not on:
            return
        needed = (self.width() - self.scroll_area.viewport().width() + self.content.minimumSizeHint().width()
                  + self.scroll_area.verticalScrollBar().sizeHint().width())
        screen = self.screen().availableGeometry().width()
        self.resize(max(self.width(), min(needed, screen)), self.height())

    def copy_diagnostics(self) -> None:
        QGuiApplication.clipboard().setText(self.diagnostics_text)
        self.copy_button.setText("Copied")


def show_about(parent: QWidget | None, model_path: str | None = None,
               cameras: list[CameraInfo] | None = None) -> AboutDialog:
    """Open the About box (non-modal: the live view keeps running behind it)."""
    from PySide6.QtCore import qVersion

    facts = diagnostics.collect(QGuiApplication.platformName(), qVersion(),
                                list_cameras() if cameras is None else cameras, model_path)
    dialog = AboutDialog(facts, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
