"""The replay page's files: moments exported as CSV or JSON, settings imported, exported and saved,
the open dialogs, and deleting what Glimpse keeps about a recording.

A mixin of `ReplayPage` (it uses the page's widgets, recording and messages), kept apart so the
page itself stays about reviewing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.errors import GlimpseError
from app.run.recordings import openable
from app.settings import schema as settings_mod
from app.sources.capture import VIDEO_EXTENSIONS
from app.store.marks import export as export_text
from app.store.marks import rows as review_rows
from app.store.marks import to_csv, to_json
from app.store.session import forget, sessions_root


class ReplayFiles:
    """Files and dialogs of the replay page (mixed into `ReplayPage`)."""

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

    def export_rows(self) -> list[dict]:
        return review_rows(self.moments, self.review.marks_for(self.moments)) if self.review else []

    def export_csv(self, path: str | Path) -> None:
        self._export(path, lambda: to_csv(self.export_rows()))

    def export_json(self, path: str | Path) -> None:
        self._export(path, lambda: to_json(self.export_analysis(), self.export_rows(), self.review))

    def export_analysis(self) -> dict:
        """The analysis JSON of the view on screen: in the live view, the session's settings and record."""
        data = self.analysis.to_dict()
        data["view"] = "shown live" if self.shown_live is not None else "what if"
        if self.shown_live is not None:
            data["settings"] = self.shown_live.base.to_dict()
        return data

    def _export(self, path: str | Path, text: Callable[[], str]) -> None:
        if self.analysis is None:
            return
        self.moments_list.commit_note()
        try:
            export_text(Path(path), text())
        except OSError as exc:
            self.show_message(f"Could not write {path}: {exc}", error=True)
        else:
            self.show_message(f"Saved {len(self.moments)} moments to {path}.")

    def import_settings(self, path: str | Path) -> None:
        try:
            settings = settings_mod.load(path)
        except GlimpseError as exc:
            self.tuning.set_message(f"{exc}. Your settings were not changed.", error=True)
            return
        self.apply_settings(settings)
        self.tuning.set_message(f"Now using the settings from {Path(path).name}.")

    def export_settings(self, path: str | Path) -> None:
        try:
            settings_mod.save(self.settings, path)
        except OSError as exc:
            self.tuning.set_message(f"Could not write {path}: {exc}", error=True)
        else:
            self.tuning.set_message(f"Settings saved to {path}.")

    def save_settings(self) -> None:
        """Write the settings file live mode reads too."""
        self._save_timer.stop()
        try:
            settings_mod.save(self.settings, self.settings_path)
        except OSError as exc:
            self.tuning.set_message(f"Could not save your settings to {self.settings_path}: {exc}", error=True)

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
        default = f"{Path(self.recording.name).stem}-moments.{kind}"
        path, _ = QFileDialog.getSaveFileName(self, f"Export moments as {kind.upper()}", default,
                                              f"{kind.upper()} (*.{kind})")
        if path:
            (self.export_csv if kind == "csv" else self.export_json)(path)

    # -- drag and drop -------------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile() and openable(Path(urls[0].toLocalFile())):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.open_path(urls[0].toLocalFile())
