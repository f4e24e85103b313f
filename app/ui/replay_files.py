"""The replay page's files: moments exported as CSV or JSON, the open dialogs, and deleting what
Glimpse keeps about a recording (settings files are the tuning drawer's: app/ui/tuning.py).

A mixin of `ReplayPage` (it uses the page's widgets, recording and messages), kept apart so the
page itself stays about reviewing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.errors import GlimpseError
from app.run.recordings import openable
from app.sources.capture import VIDEO_EXTENSIONS
from app.store.export import WHAT_IF, export_name
from app.store.marks import export as write_export
from app.store.session import forget, sessions_root
from app.ui.mixin import PageMixin

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QLabel

    from app.run.recordings import Recording
    from app.run.review_model import ReviewModel
    from app.spotting.spotter import Moment
    from app.ui.moments_list import MomentsList


class ReplayFiles(PageMixin):
    """Files and dialogs of the replay page (mixed into `ReplayPage`)."""

    if TYPE_CHECKING:  # the page's own, used here
        model: ReviewModel
        moments_list: MomentsList
        title: QLabel
        delete_action: QAction

        @property
        def recording(self) -> Recording | None: ...
        @property
        def moments(self) -> list[Moment]: ...
        def open_path(self, path: str | Path) -> None: ...
        def close_recording(self) -> None: ...
        def show_message(self, text: str, error: bool = False) -> None: ...

    def delete_recording(self) -> None:
        """One action: the open session folder with everything in it, or the open video's cache and marks."""
        rec = self.recording
        if rec is None:
            return
        if not self.confirm_delete(self, f"{self.delete_action.text().rstrip('…')}?\n\n{rec.path}\n\n"
                                   f"{self.delete_action.toolTip()}. This cannot be undone."):
            return
        session = rec.path.is_dir()
        self.close_recording()  # saves a note being typed; what it saves goes too
        self.title.setText("")
        try:
            removed = forget(rec.path)
        except (GlimpseError, OSError) as exc:
            self.show_message(f"Could not delete {rec.path}: {exc}", error=True)
            return
        self.show_message(f"Deleted the session {rec.name}." if session else
                          f"Deleted what Glimpse kept about {rec.name} ({len(removed)} file(s)); the video stays.")

    @staticmethod
    def confirm_delete(parent: QWidget, question: str) -> bool:
        answer = QMessageBox.question(parent, "Delete", question,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def export_csv(self, path: str | Path) -> None:
        self._export(path, "csv")

    def export_json(self, path: str | Path) -> None:
        self._export(path, "json")

    def _export(self, path: str | Path, fmt: str) -> None:
        """The view on screen (the review model's), with the listener's marks."""
        if self.model.recording is None:
            return
        self.moments_list.commit_note()
        try:
            write_export(Path(path), self.model.export(fmt))
        except OSError as exc:
            self.show_message(f"Could not write {path}: {exc}", error=True)
        else:
            what_if = " (what if: none of them was shown live)" if self.model.view == WHAT_IF else ""
            self.show_message(f"Saved {len(self.moments)} moments{what_if} to {path}.")

    def _choose_video(self) -> None:
        exts = " ".join(f"*{e}" for e in VIDEO_EXTENSIONS)
        path, _ = QFileDialog.getOpenFileName(self, "Open a video", "", f"Videos ({exts});;All files (*)")
        if path:
            self.open_path(path)

    def _choose_session(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a recorded session", str(sessions_root()))
        if path:
            self.open_path(path)

    def _choose_export(self, kind: str) -> None:
        if self.recording is None:
            return
        view = self.model.view
        default = export_name(Path(self.recording.name).stem, view, kind)  # a what-if's says so
        title = f"Export the {'what-if ' if view == WHAT_IF else ''}moments as {kind.upper()}"
        path, _ = QFileDialog.getSaveFileName(self, title, default, f"{kind.upper()} (*.{kind})")
        if path:
            (self.export_csv if kind == "csv" else self.export_json)(path)

    # -- drag and drop -------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile() and openable(Path(urls[0].toLocalFile())):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.open_path(urls[0].toLocalFile())
