"""The replay page: open a video or a recorded session, review its moments, tune the settings.

A session opens on what was shown live (its own record); the tuning view is a what-if (what the
current settings find). Marks follow a moment's span: they attach to either. A video is what-if only.

A thin view over two models: the listener's settings (`SettingsStore`, shared with live mode; the
tuning drawer writes through it) and the recording under review (`ReviewModel`, app/run/review_model.py).
Analysis runs as a one-shot job off the GUI thread (features cached on disk, so a second opening does
not track again); every action (new settings, another view, a selection, a mark) goes to the review
model, and the page renders the one result it returns: the same moments `glimpse analyze` reports.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import assert_never

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QHBoxLayout, QScrollArea, QSplitter, QToolBar, QVBoxLayout, QWidget

from app.errors import GlimpseError
from app.run.pipeline import Analysis
from app.run.recordings import Recording, load_session, load_video
from app.run.review_model import WHAT_IF, MarkChange, ReviewModel, ReviewResult
from app.settings.schema import Settings
from app.settings.store import SaveFailed, SettingsChanged, SettingsEvent, SettingsStore
from app.sources.capture import FileSource
from app.spotting.spotter import Moment
from app.store.marks import HELPFUL, NOT_A_MOMENT, Review
from app.ui.drawer import Drawer
from app.ui.elide import ElidedLabel
from app.ui.jobs import Job, JobRunner
from app.ui.moments_list import MomentsList
from app.ui.player import Highlight, VideoPlayer
from app.ui.progress_view import AnalysisProgress
from app.ui.replay_files import ReplayFiles
from app.ui.review_mode import ReviewMode
from app.ui.settings_store import gui_store
from app.ui.shortcuts import REVIEW_KEYS, ControlKeys, keep_control_keys, with_keys
from app.ui.timeline import Timeline, lost_spans
from app.ui.tuning import THROTTLE_MS, Throttle, TuningPanel

HIGHLIGHT_MARGIN_S = 0.3  # the region stays outlined this long around a selected moment
TUNING_MIN_WIDTH = 280  # the drawer's narrowest (its help text wraps)
TOOLBAR_NAMES = ("Open video", "Open session", "Export CSV", "Export JSON", "Delete", "Tuning")  # as menu_actions
TIMELINE_MIN_WIDTH = 320  # below its legend's width: the page fits an 800 px window with the drawer open


class ReplayPage(ReplayFiles, QWidget):
    """Replay and tuning for one recording at a time. Works embedded in the app window or alone."""

    recording_opened = Signal(object)  # Recording, once analysed
    moments_changed = Signal()  # after every re-spot
    message_shown = Signal(str, bool)  # text, is_error: for the window's one message area
    error = Signal(str)  # the errors among them
    succeeded = Signal()  # a recording opened fine: an earlier error no longer applies
    frame_shown = Signal(int)

    def __init__(self, settings: SettingsStore | None = None, model_path: str | None = None,
                 synchronous: bool = False, throttle_ms: int = THROTTLE_MS, parent: QWidget | None = None):
        """`settings`: the listener's settings (the window's store; None: the listener's settings file).
        `throttle_ms`: re-spot at most this often while settings change (a slider drag)."""
        super().__init__(parent)
        self.settings_store = settings if settings is not None else gui_store(None, self)
        self.model_path = model_path
        self.model = ReviewModel(self.settings_store.settings)
        self.last_respot_ms = 0.0
        self.opened_at = 0.0  # perf_counter when the last open started (time to first frame)
        self.first_frame_s: float | None = None
        self.last_message = ""
        self._respot = Throttle(throttle_ms, self._apply, self)

        self.runner = JobRunner(self, synchronous)
        self.runner.progress.connect(self._job_progress)
        self.runner.finished.connect(self._job_finished)
        self.runner.failed.connect(self._job_failed)
        self.runner.cancelled.connect(self._job_cancelled)

        self.player = VideoPlayer()
        self.player.frame_shown.connect(self._frame_shown)
        self.player.decoder.failed.connect(lambda text: self.show_message(text, error=True))
        self.timeline = Timeline()
        self.timeline.setMinimumWidth(TIMELINE_MIN_WIDTH)
        self.player.position_changed.connect(lambda _index, t_s: self.timeline.set_playhead(t_s))
        self.timeline.seek_requested.connect(self.player.seek_time)
        self.timeline.moment_clicked.connect(self.select_moment)
        self.timeline.next_requested.connect(self.next_moment)
        self.timeline.previous_requested.connect(self.previous_moment)
        self.moments_list = MomentsList()
        self.moments_list.moment_selected.connect(self.select_moment)
        self.moments_list.verdict_changed.connect(self.set_verdict)
        self.moments_list.note_changed.connect(self.set_note)
        self.tuning = TuningPanel(self.settings_store)
        self.mode = ReviewMode()
        self.mode.mode_changed.connect(self._mode_changed)

        self._build_layout()
        self._build_shortcuts()
        self.setAcceptDrops(True)
        self._enable_actions()
        self._unsubscribe = self.settings_store.subscribe(self._settings_event)
        problem = self.settings_store.problem
        if problem:  # said in the drawer; in the window's message area by whoever opened the store
            self.tuning.set_message(problem, error=True)
            if settings is None:
                self.show_message(problem, error=True)

    # -- what the page shows, from its models ----------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.settings_store.settings

    @property
    def recording(self) -> Recording | None:
        return self.model.recording

    @property
    def analysis(self) -> Analysis | None:
        return self.model.analysis

    @property
    def review(self) -> Review | None:
        return self.model.review

    @property
    def moments(self) -> list[Moment]:
        """The moments on screen: the session's own record in the live view, else what the settings find."""
        return list(self.model.result.moments)

    @property
    def selected(self) -> int | None:
        return self.model.result.selected

    # -- layout --------------------------------------------------------------------------------------------
    def _build_layout(self) -> None:
        self.open_video_action = QAction("Open video…", self)
        self.open_video_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_video_action.triggered.connect(self._choose_video)
        self.open_session_action = QAction("Open session…", self)
        self.open_session_action.triggered.connect(self._choose_session)
        self.export_csv_action = QAction("Export moments as CSV…", self)
        self.export_csv_action.triggered.connect(lambda: self._choose_export("csv"))
        self.export_json_action = QAction("Export moments as JSON…", self)
        self.export_json_action.triggered.connect(lambda: self._choose_export("json"))
        self.delete_action = QAction("Delete…", self)
        self.delete_action.triggered.connect(self.delete_recording)
        self.tuning_action = QAction("Tuning", self, checkable=True, checked=True)
        self.tuning_action.setToolTip(with_keys("Open or fold away the tuning drawer: try settings on this "
                                                "recording (a what-if)", "tuning"))
        # the toolbar shows short names (the menu the long ones), so every button fits a 1280 px window at
        # 175% text instead of folding behind "››"
        for action, short in zip(self.menu_actions(), TOOLBAR_NAMES, strict=True):
            action.setIconText(short)
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in self.menu_actions():
            self.toolbar.addAction(action)
        self.title = ElidedLabel()  # the recording's name: cut before any button is
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.progress = AnalysisProgress()
        self.progress.cancel_button.setToolTip("Stop the analysis; nothing half-done is kept")
        self.progress.cancel_requested.connect(self.cancel_analysis)

        self.review_area = QSplitter(Qt.Orientation.Vertical)
        self.review_area.addWidget(self.player)
        self.review_area.addWidget(self.timeline)
        self.review_area.addWidget(self.moments_list)
        self.review_area.setStretchFactor(0, 4)
        self.review_area.setStretchFactor(1, 2)
        self.review_area.setStretchFactor(2, 3)
        self.review_area.setSizes([420, 210, 300])
        self.review_area.setChildrenCollapsible(False)
        scroll = QScrollArea()
        scroll.setWidget(self.tuning)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(TUNING_MIN_WIDTH)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)  # narrow: scroll, never clip
        self.tuning_scroll = scroll
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.review_area)
        split.addWidget(scroll)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 0)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        top = QHBoxLayout()
        top.addWidget(self.toolbar)
        top.addWidget(self.title, 1)
        top.addWidget(self.mode.buttons)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.mode)
        layout.addWidget(split, 1)
        self.drawer = Drawer(self, split, self.review_area, scroll, self.tuning_action)

    def menu_actions(self) -> list[QAction]:
        """For the app window's File menu."""
        return [self.open_video_action, self.open_session_action, self.export_csv_action, self.export_json_action,
                self.delete_action, self.tuning_action]

    def _build_shortcuts(self) -> None:
        """Keys of common video players (`shortcuts.REVIEW_KEYS`), wherever the focus is on this page: a
        focused tuning control does not swallow them. A text field keeps its letters, and a focused
        slider or number box its arrows, Home and End (see `shortcuts`)."""
        p = self.player
        slots: dict[str, Callable[[], None]] = {
            "play": p.toggle_play, "back": lambda: p.step(-1), "forward": lambda: p.step(1),
            "back_1s": lambda: p.seek_relative(-1.0), "forward_1s": lambda: p.seek_relative(1.0),
            "back_5s": lambda: p.seek_relative(-5.0), "forward_5s": lambda: p.seek_relative(5.0),
            "start": lambda: p.seek_frame(0), "end": lambda: p.seek_frame(len(p.times) - 1),
            "slower": lambda: p.change_speed(-1), "faster": lambda: p.change_speed(1),
            "next": self.next_moment, "previous": self.previous_moment,
            "helpful": lambda: self.moments_list.toggle_verdict(HELPFUL),
            "not_a_moment": lambda: self.moments_list.toggle_verdict(NOT_A_MOMENT),
            "tuning": self.tuning_action.toggle,
        }
        self.shortcuts = []
        for binding in REVIEW_KEYS:
            for key in binding.keys:
                sc = QShortcut(QKeySequence(key), self)
                sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                sc.activated.connect(slots[binding.name])
                sc.activated.connect(self._keys_to_player)
                self.shortcuts.append(sc)
        self._control_keys = ControlKeys(self)
        keep_control_keys(self.tuning, self._control_keys)
        self.player.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def _keys_to_player(self) -> None:
        """After a player key pressed in the tuning drawer, the keyboard is the player's again: the arrow
        pressed next steps the video instead of changing a setting the listener did not mean to change."""
        focus = QApplication.focusWidget()
        if focus is not None and self.tuning.isAncestorOf(focus):
            self.player.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def set_tuning_visible(self, on: bool) -> None:
        """The tuning drawer: open beside the review, or folded away (the page then fits a narrow window)."""
        self.drawer.set_open(on)  # its action follows

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return self.drawer.without_drawer(super().minimumSizeHint())  # a narrow window folds the drawer

    def _enable_actions(self) -> None:
        has = self.model.recording is not None
        self.export_csv_action.setEnabled(has)
        self.export_json_action.setEnabled(has)
        self.delete_action.setEnabled(self.recording is not None)
        session = self.recording is not None and self.recording.path.is_dir()
        self.delete_action.setText("Delete this session…" if session else "Delete this video's cache and marks…")
        self.delete_action.setToolTip("Remove the recording folder: its video, measurements, moments and marks"
                                      if session else "Remove what Glimpse keeps about this video (its measurements "
                                      "and your marks); the video file itself stays")

    # -- opening -------------------------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> None:
        """Open a video file or a session folder; analysis runs in the background."""
        path = Path(path).expanduser()
        self.close_recording()
        self.opened_at, self.first_frame_s = time.perf_counter(), None
        self.title.setText(path.name)
        if path.is_dir():
            job = functools.partial(load_session, path, self.settings, self.model_path)
        else:
            try:
                with FileSource(path) as source:
                    info = source.info
            except GlimpseError as exc:
                self.title.setText("")
                self.show_message(str(exc), error=True)
                return
            # the picture shows at once; exact frame times replace these estimates once analysed
            self.player.open_video(path, np.arange(max(info.frame_count, 1)) / info.fps)
            job = functools.partial(load_video, path, self.settings, self.model_path)
        self.player.view.setFocus()
        self.progress.start(f"Analysing {path.name}")
        self.moments_list.set_analysing(True)
        self.runner.submit(f"open {path.name}", job)

    def cancel_analysis(self) -> None:
        self.runner.cancel()

    def close_recording(self) -> None:
        self.runner.cancel()
        self.moments_list.commit_note()
        self.player.close_video()
        self.player.set_landmarks(None)
        self.timeline.set_recording(1.0)
        self.mode.set_session(None)
        self._render(self.model.close())
        self._analysis_over()
        self._enable_actions()

    def _job_progress(self, job: Job, done: int, total: int) -> None:
        self.progress.update_progress(done, total)

    def _analysis_over(self) -> None:
        """Finished, failed or cancelled: the progress goes, and an empty list means no moments again."""
        self.progress.finish()
        self.moments_list.set_analysing(False)

    def _job_finished(self, job: Job, rec: Recording) -> None:
        self._analysis_over()
        rec.timings["job_s"] = job.elapsed_s
        result, problem = self.model.open(rec, self.settings)
        table = rec.analysis.table
        self.timeline.set_recording(rec.analysis.duration_s, lost_spans(table.t_s, table.face), rec.asked_s)
        estimated = self.player.times
        if (len(rec.segments) != 1 or estimated.shape != rec.segments[0].times.shape
                or not np.allclose(estimated, rec.segments[0].times, atol=1e-4)):
            self.player.open(rec.segments, table.t_s, max(self.player.target_index, 0))
        self.player.set_landmarks(table.landmarks)
        self.mode.set_session(result.live_text)
        self._render(result)
        self._enable_actions()
        notes = list(rec.notes) + ([problem] if problem else [])
        if rec.analysis.face_frames == 0:
            notes.insert(0, f"No face was seen in any of the {len(table)} frames of {rec.name}: "
                            "there is nothing to review.")
        if problem is None:
            self.succeeded.emit()  # before the notes: a note about this recording stays
        if notes:
            self.show_message(" ".join(notes), error=problem is not None)
        self.recording_opened.emit(rec)

    def _job_failed(self, job: Job, exc: BaseException) -> None:
        self._analysis_over()
        text = str(exc) if isinstance(exc, GlimpseError) else f"Unexpected error while {job.name}: {exc!r}"
        self.show_message(text, error=True)

    def _job_cancelled(self, job: Job) -> None:
        self._analysis_over()
        self.show_message("Analysis cancelled; nothing was cached. Open the file again to analyse it.")

    # -- the listener's settings and view --------------------------------------------------------------------
    def _settings_event(self, event: SettingsEvent) -> None:
        """The settings store: new settings re-spot (throttled: at most one re-spot per interval, the newest)."""
        match event:
            case SettingsChanged():
                self._respot(event.new)
            case SaveFailed():
                self.show_message(event.message, error=True)
            case _:
                assert_never(event)

    def _apply(self, settings: Settings) -> None:
        """Tuning is a what-if: the page shows that view (what was shown live stays as it was)."""
        self.moments_list.commit_note()
        self._render(self.model.apply(settings))

    def _mode_changed(self, view: str) -> None:
        """The listener switched between what was shown live and the what-if: same recording, other moments."""
        if self.model.recording is None:
            return
        self.moments_list.commit_note()
        if view == WHAT_IF:
            self.set_tuning_visible(True)
        self._render(self.model.show(view))

    def _render(self, result: ReviewResult) -> None:
        """Show what the review model computed: the one place the page's views change with it."""
        t0 = time.perf_counter()
        self.mode.set_mode(result.view)
        self.timeline.show_result(result)
        self.moments_list.show_result(result)
        self.tuning.set_counts(result.counts)
        self._highlight(result.selected_moment)
        self.last_respot_ms = 1000 * (time.perf_counter() - t0)
        self.moments_changed.emit()

    # -- moments --------------------------------------------------------------------------------------------
    def select_moment(self, index: int | None, seek: bool = True) -> None:
        m = self.model.select(index)
        self.timeline.set_selected(self.selected)
        if self.moments_list.current() != self.selected:
            self.moments_list.select(self.selected)
        self._highlight(m)
        if m is not None and seek:
            self.player.pause()
            self.player.seek_time(m.peak_s)

    def _highlight(self, m: Moment | None) -> None:
        self.player.set_highlight(None if m is None else Highlight(m.regions, m.start_s - HIGHLIGHT_MARGIN_S,
                                                                   m.end_s + HIGHLIGHT_MARGIN_S))

    def next_moment(self) -> None:
        self._step_moment(+1)

    def previous_moment(self) -> None:
        self._step_moment(-1)

    def _step_moment(self, step: int) -> None:
        target = self.model.neighbour(step, self.player.target_index, self.player.frame_at)
        if target is not None:
            self.select_moment(target)

    def set_verdict(self, index: int, verdict: str | None) -> None:
        self._show_mark(self.model.set_verdict(index, verdict))

    def set_note(self, index: int, note: str) -> None:
        self._show_mark(self.model.set_note(index, note))

    def _show_mark(self, change: MarkChange | None) -> None:
        if change is None:
            return
        if change.problem:
            self.show_message(change.problem, error=True)
        self.moments_list.update_row(change.index, change.row)
        self.tuning.set_counts(change.counts)

    # -- feedback -----------------------------------------------------------------------------------------------
    def show_message(self, text: str, error: bool = False) -> None:
        """The one place errors and notices leave the page: the window shows them in its one message area."""
        self.last_message = text
        self.message_shown.emit(text, error)
        if error:
            self.error.emit(text)

    def _frame_shown(self, index: int) -> None:
        if self.first_frame_s is None:
            self.first_frame_s = time.perf_counter() - self.opened_at
        self.frame_shown.emit(index)

    # -- shutdown -------------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the job and the decoder; save what is pending. Safe to call twice."""
        self.moments_list.commit_note()
        self._unsubscribe()
        try:
            self.settings_store.flush()
        except GlimpseError as exc:
            self.show_message(str(exc), error=True)
        self.runner.shutdown()
        self.player.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self.shutdown()
        super().closeEvent(event)


def main(argv: list[str] | None = None) -> int:
    """`python -m app.ui.replay [PATH]`: the replay page on its own."""
    import sys

    argv = sys.argv[1:] if argv is None else argv
    app = QApplication.instance() or QApplication([sys.argv[0]])
    page = ReplayPage()
    page.setWindowTitle("Glimpse: replay")
    page.resize(1400, 900)
    page.show()
    if argv:
        page.open_path(argv[0])
    code = app.exec()
    page.shutdown()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
