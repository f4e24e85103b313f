"""The Live page: pick a source, start and stop, watch the preview, read the prompt card.

It drives one `LiveWorker` per session and only reacts to its signals; nothing
here waits on the camera or the model. Recording is opt-in, asks for consent the
first time, and is clearly shown while on.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import assert_never

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.prompts.asked import asked_settings
from app.run.choices import (
    DEMO_LABEL,
    DEMO_VIDEO,
    FRAME_RATE_HINT,
    FRAME_RATES,
    RESOLUTION_NAMES,
    RESOLUTIONS,
    SourceChoice,
    camera_choices,
    demo_choice,
)
from app.run.events import LivePacket
from app.run.live import ENDED, FAILED, PipelineFactory
from app.run.pipeline import LivePipeline
from app.settings.schema import Settings
from app.settings.store import SaveFailed, SettingsChanged, SettingsEvent, SettingsStore
from app.sources import capture
from app.spotting.spotter import Moment
from app.store.session import sessions_root as default_sessions_root
from app.ui.discreet import DiscreetStrip, FaceDot
from app.ui.elide import ElidedLabel
from app.ui.first_run import ask_consent
from app.ui.live_recording import LiveRecording
from app.ui.live_status import (
    LOST_TEXT,
    NO_FACE_TEXT,
    PROMPT_ONLY_KEY,
    SLOW_TEXT,
    WATCHING_TEXT,
    LiveViews,
    SlowWatch,
    diagnostics_text,
)
from app.ui.preview import LivePreview
from app.ui.prompt_card import PromptCard
from app.ui.screen_watch import ScreenWatch
from app.ui.shortcuts import with_keys
from app.ui.worker import LiveWorker

NO_FACE_AFTER_S = 0.3  # a face missing for less than this is tracking flicker, not "no face"
STATUS_EVERY_S = 0.5  # numbers in the status line change at most this often (calm, readable)
STALE_PAINT_S = 0.25  # a hidden or minimised preview does not paint; do not wait on it longer
NO_CAMERA_TEXT = ("No camera found. You can watch the bundled demo recording, played as if live: a real "
                  "clip into which a few brief expressions were added for the demo.")
CUES = ("off", "visual", "sound")
class LivePage(LiveRecording, LiveViews, QWidget):
    """Live mode. `settings`: the listener's settings (a running session takes a change between two
    frames: Review's tuning drawer and the questions dialog change them); `sessions_root` is where
    recordings go."""

    error = Signal(str)  # for the main window's one message area
    succeeded = Signal()  # live started (its source opened): an earlier error no longer applies
    recording_saved = Signal(object)  # Path of a finished recording
    running_changed = Signal(bool)
    discreet_changed = Signal(bool)

    def __init__(self, settings: SettingsStore | None = None,
                 sessions_root: Callable[[], Path] = default_sessions_root,
                 list_cameras: Callable[[], list] = capture.list_cameras, demo_path: Path = DEMO_VIDEO,
                 model_path: str | None = None, confirm_consent: Callable[[QWidget], bool] = ask_consent,
                 parent: QWidget | None = None, qsettings: QSettings | None = None):
        """`qsettings`: where UI choices (the prompt-only view) are remembered; None: not remembered."""
        super().__init__(parent)
        self._qsettings = qsettings
        self._slow = SlowWatch()
        self.settings_store = settings if settings is not None else SettingsStore()
        self._sessions_root = sessions_root
        self._list_cameras, self._demo_path, self._model_path = list_cameras, Path(demo_path), model_path
        self.confirm_consent = confirm_consent
        self.worker: LiveWorker | None = None
        self.pipeline_factory: PipelineFactory = LivePipeline  # what a session tracks with (tests: a stand-in)
        self.moments: list[Moment] = []  # this session's, prompted or not
        self.decided: list[tuple[float, float]] = []  # per moment: its deciding frame's time and capture clock
        self.cue = "off"
        self.camera_lost = False  # the camera stopped mid-session and is being reopened
        self._consent_given = False
        self._restart_pending = False
        self._stopping = False
        self._preview_px: tuple[int, int] | None = None
        self._last_face_at: float | None = None
        self._face_shown: bool | None = None
        self._status_at = 0.0
        self._recording_folder: Path | None = None
        self._recording_since = 0.0
        self.strip: DiscreetStrip | None = None
        self.watch = ScreenWatch(self)  # the screen source, the notice to the other person, the global key
        self._build()
        self.refresh_sources()
        self.destroyed.connect(self.settings_store.subscribe(self._settings_event))  # heard until the page goes

    @property
    def settings(self) -> Settings:
        """The listener's settings (the spotter's, outside the window after "I just asked")."""
        return self.settings_store.settings

    def _settings_event(self, event: SettingsEvent) -> None:
        """New settings reach a running session between two frames; the status line shows them with
        the next frame's status."""
        match event:
            case SettingsChanged():
                if self.worker is not None:
                    self.worker.set_settings(event.new)
            case SaveFailed():
                pass  # the page that changed them says so
            case _:
                assert_never(event)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.notice = QFrame(objectName="Notice")  # type: ignore[call-arg]  # stubs omit inherited Qt properties
        self.notice_text = QLabel(NO_CAMERA_TEXT, wordWrap=True)
        self.demo_button = QPushButton("Play the demo")
        self.demo_button.clicked.connect(lambda: self.play(demo_choice(self._demo_path)))
        row = QHBoxLayout(self.notice)
        row.setContentsMargins(12, 8, 12, 8)
        row.addWidget(self.notice_text, 1)
        row.addWidget(self.demo_button)
        self.notice.hide()

        self.source_box = QComboBox(minimumContentsLength=16)
        self.source_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source_box.currentIndexChanged.connect(self._source_changed)
        self.size_box = QComboBox()
        for (w, h), name in zip(RESOLUTIONS, RESOLUTION_NAMES, strict=True):
            self.size_box.addItem(name, (w, h))
            self.size_box.setItemData(self.size_box.count() - 1, f"{w} × {h}", Qt.ItemDataRole.ToolTipRole)
        self.size_box.setToolTip("The picture size asked of the camera: a smaller one tracks faster")
        self.size_box.setCurrentIndex(1)
        self.fps_box = QComboBox()
        for fps in FRAME_RATES:
            self.fps_box.addItem(f"{fps} frames/s", fps)
        self.fps_box.setCurrentIndex(1)
        self.fps_box.setToolTip(FRAME_RATE_HINT)
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("StartButton")
        self.start_button.clicked.connect(self.toggle_running)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Source"))
        controls.addWidget(self.source_box, 1)
        controls.addWidget(self.size_box)
        controls.addWidget(self.fps_box)
        controls.addWidget(self.start_button)
        # one line in words (it never wraps, so the video below keeps its height); the figures are its tooltip
        self.source_info = ElidedLabel("")
        self.source_info.setObjectName("Quiet")

        self.preview = LivePreview()
        self.preview.size_changed.connect(self._preview_resized)
        self.preview.painted.connect(self._pull, Qt.ConnectionType.QueuedConnection)
        self.card = PromptCard()

        self.ask_action = QAction("I just asked", self)
        self.ask_action.setShortcut(QKeySequence(Qt.Key.Key_Space))
        # the whole window, but only while this page is visible (a hidden widget's shortcuts sleep)
        self.ask_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.ask_action.setToolTip("Mark that you just asked a question (Space): for the next few seconds "
                                   "Glimpse pays closer attention")
        self.ask_action.triggered.connect(self.mark_asked)
        self.addAction(self.ask_action)
        self.ask_button = QPushButton("I just asked  (Space)")
        self.ask_button.setToolTip(self.ask_action.toolTip())
        self.ask_button.clicked.connect(self.mark_asked)
        self.attentive_label = QLabel("", objectName="Quiet")  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.landmarks_check = QCheckBox("Landmarks")
        self.landmarks_check.toggled.connect(self.preview.set_show_landmarks)
        self.mirror_check = QCheckBox("Mirror")
        self.mirror_check.toggled.connect(self.preview.set_mirror)
        self.record_button = QPushButton("Record", checkable=True, objectName="RecordButton")  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.record_button.setToolTip("Save this session (video, measurements, moments) in a private folder; "
                                      "asks you to confirm the person agreed")
        self.record_button.toggled.connect(self._record_toggled)
        self.discreet_button = QPushButton("Discreet", checkable=True)  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.discreet_button.setToolTip("A small always-on-top strip with only the prompts (Ctrl+D)")
        self.discreet_button.toggled.connect(self.set_discreet)
        self.prompt_only_action = QAction("Prompt only", self, checkable=True)
        self.prompt_only_action.setShortcut(QKeySequence("Ctrl+P"))
        self.prompt_only_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.prompt_only_action.setToolTip(with_keys("Hide the video of the person and show the question alone, "
                                                     "large: look at the person, not at the screen", "prompt_only"))
        self.prompt_only_action.toggled.connect(self.set_prompt_only)
        self.addAction(self.prompt_only_action)
        self.prompt_only_button = QPushButton("Prompt only", checkable=True)  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.prompt_only_button.setToolTip(self.prompt_only_action.toolTip())
        self.prompt_only_button.toggled.connect(self.prompt_only_action.setChecked)
        actions = QHBoxLayout()
        actions.addWidget(self.ask_button)
        actions.addWidget(self.attentive_label)
        actions.addStretch(1)
        actions.addWidget(self.watch.adjust_button)
        actions.addWidget(self.prompt_only_button)
        actions.addWidget(self.discreet_button)
        actions.addWidget(self.record_button)
        # Landmarks and Mirror live in the View menu: fewer controls beside the person's face, and the
        # page fits 800 px at large fonts
        self.landmarks_check.hide()
        self.mirror_check.hide()

        self.dot = FaceDot(10)
        self.status_label = QLabel("Stopped.", objectName="Status")  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.status_label.setToolTip("Figures appear here while live mode runs")
        self.settings_label = QLabel("", objectName="Quiet")  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.settings_label.setToolTip("The settings the spotter uses now: yours (Review's tuning drawer), "
                                       "more attentive for a while after 'I just asked'")
        self.recording_label = QLabel("", objectName="RecordingLabel")  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.warning_label = QLabel("", objectName="Warning", wordWrap=True)  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        self.warning_label.hide()
        status = QHBoxLayout()
        status.addWidget(self.dot)
        status.addWidget(self.status_label, 1)
        status.addWidget(self.settings_label)
        status.addWidget(self.recording_label)

        for button in (self.start_button, self.ask_button, self.record_button, self.discreet_button,
                       self.prompt_only_button):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # Space is "I just asked", not "press the button"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.addWidget(self.notice)
        layout.addLayout(controls)
        layout.addWidget(self.source_info)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.card)
        layout.addLayout(actions)
        layout.addWidget(self.warning_label)
        layout.addLayout(status)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._card_font = self.card.label.font()
        remembered = bool(self._qsettings.value(PROMPT_ONLY_KEY, False, type=bool)) if self._qsettings else False
        self.prompt_only_action.setChecked(remembered)

        self._poll = QTimer(self, interval=int(STALE_PAINT_S * 1000))
        self._poll.timeout.connect(self._pull_if_stale)
        self._clock = QTimer(self, interval=1000)
        self._clock.timeout.connect(self._show_recording_time)
        self._set_state("idle")

    # -- sources -------------------------------------------------------------------------------

    def refresh_sources(self) -> None:
        """List the cameras (by name) and the demo; says so when there is no camera."""
        cameras = self._list_cameras()
        self.source_box.blockSignals(True)
        self.source_box.clear()
        for choice in camera_choices(cameras) + [demo_choice(self._demo_path), self.watch.entry()]:
            self.source_box.addItem(choice.label, choice)
        self.source_box.blockSignals(False)
        self.notice.setVisible(not cameras)
        self._source_changed()

    @property
    def has_camera(self) -> bool:
        return any(self.source_box.itemData(i).is_camera for i in range(self.source_box.count()))

    def choice(self) -> SourceChoice:
        return self.source_box.currentData()

    def select_camera(self, index: int) -> bool:
        for i in range(self.source_box.count()):
            if self.source_box.itemData(i).camera == index:
                self.source_box.setCurrentIndex(i)
                return True
        return False

    def _source_changed(self) -> None:
        camera = self.choice() is not None and self.choice().is_camera
        idle = self.worker is None
        for box in (self.size_box, self.fps_box):  # a file plays at its own size and rate
            box.setVisible(camera)
            box.setEnabled(idle)
        if idle:
            self.source_info.setText("")
            self.source_info.set_tip(FRAME_RATE_HINT if camera else "")
        self.watch.selected(self.choice())

    def play(self, choice: SourceChoice) -> None:
        """Select `choice` (adding it to the list if needed) and (re)start live mode on it."""
        i = next((i for i in range(self.source_box.count()) if self.source_box.itemData(i) == choice), -1)
        if i < 0:
            self.source_box.addItem(choice.label, choice)
            i = self.source_box.count() - 1
        if self.worker is not None:
            self._restart_pending = True
            self.source_box.setCurrentIndex(i)
            self.stop()
            return
        self.source_box.setCurrentIndex(i)
        self.start()

    # -- start / stop --------------------------------------------------------------------------

    def is_running(self) -> bool:
        return self.worker is not None

    def toggle_running(self) -> None:
        self.stop() if self.worker is not None else self.start()

    def start(self) -> None:
        if self.worker is not None:
            return
        choice = self.choice()
        if not self.watch.before_start(choice):
            return  # the notice or the region picker first; they start the page again when done
        w, h = self.size_box.currentData()
        # a camera lost mid-session is reopened (with backoff) until it comes back or Stop is pressed
        worker = LiveWorker(choice.opener(w, h, self.fps_box.currentData()), self.settings, self._model_path,
                            retry_s=capture.RETRY_S if choice.is_camera else None, call_video=choice.is_screen,
                            pipeline_factory=self.pipeline_factory)
        worker.frame_ready.connect(self._pull)
        worker.source_opened.connect(self._source_opened)
        worker.moment.connect(self._on_moment)
        worker.marked.connect(self._on_marked)
        worker.recording.connect(self._on_recording)
        worker.error.connect(self.error)
        worker.source_lost.connect(self._source_lost)
        worker.source_back.connect(self._source_back)
        # said once, calmly, beside what the source gives: not an error
        worker.rate_notice.connect(self._rate_notice)
        worker.stopped.connect(functools.partial(self._on_stopped, worker))
        worker.preview_size = self._preview_px
        self.worker, self.moments, self.decided = worker, [], []
        self.camera_lost = False
        self._last_face_at, self._face_shown = None, None
        worker.start()
        self.watch.started(worker, choice)
        if self.record_button.isChecked():
            worker.start_recording(self._sessions_root())
        self.preview.clear("Starting…")
        self.status_label.setText("Starting…")
        self._slow = SlowWatch()
        self._show_settings(0.0)
        self._poll.start()
        self._set_state("running")
        self.running_changed.emit(True)

    def stop(self) -> None:
        """Returns at once; the page goes idle when the worker says it has stopped."""
        if self.worker is not None and not self._stopping:
            self._stopping = True
            self.worker.request_stop()
            self._set_state("stopping")

    def _on_stopped(self, worker: LiveWorker, reason: str) -> None:
        if worker is not self.worker:
            return
        worker.join(0.5)  # it signalled from its last lines: this is a formality
        worker.deleteLater()
        self.worker, self._stopping, self.camera_lost = None, False, False
        self._poll.stop()
        self.watch.stopped()
        self.card.clear()
        self._set_face(None)
        messages = {ENDED: "The video has ended.", FAILED: "Stopped after a problem (see above)."}
        self.status_label.setText(messages.get(reason, "Stopped."))
        self.attentive_label.setText("")
        self.settings_label.setText("")
        self.warning_label.hide()
        self.preview.clear("Choose a source and press Start.")
        self._set_state("idle")
        self.running_changed.emit(False)
        if self._restart_pending:
            self._restart_pending = False
            self.start()

    def shutdown(self, timeout_s: float = 3.0) -> None:
        """At exit: stop and wait for the worker (the one place the GUI thread may wait)."""
        worker = self.worker
        if worker is not None:
            worker.request_stop()
            worker.join(timeout_s)
        if self.strip is not None:
            self.strip.close()
        self.watch.stopped()

    def _set_state(self, state: str) -> None:
        running = state != "idle"
        self.start_button.setText({"idle": "Start", "running": "Stop", "stopping": "Stopping…"}[state])
        self.start_button.setEnabled(state != "stopping")
        self.source_box.setEnabled(not running)
        self.ask_button.setEnabled(state == "running")
        self._source_changed()

    # -- frames and status ---------------------------------------------------------------------

    def _preview_resized(self, w: int, h: int) -> None:
        self._preview_px = (w, h)
        if self.worker is not None:
            self.worker.preview_size = (w, h)

    def _pull(self) -> None:
        """Take the newest packet, unless the preview is still painting the previous one."""
        if self.worker is None:
            return
        waiting = self.preview.waiting_since
        if waiting is not None and time.monotonic() - waiting < STALE_PAINT_S:
            return  # `painted` calls back when it is done
        packet = self.worker.take()
        if packet is not None:
            self._show_status(packet)
            self.preview.show_packet(packet)

    def _pull_if_stale(self) -> None:
        self._pull()  # a preview that cannot paint (minimised, in discreet mode) still lets status through

    def _source_opened(self, info: capture.SourceInfo) -> None:
        self.notice.hide()  # it offered the demo (or told of no camera): something is playing now
        self.succeeded.emit()
        choice = self.choice()
        figures = f"{info.name}: {info.width} × {info.height} at {info.fps:.0f} frames/s"
        if choice.is_camera:
            w, h = self.size_box.currentData()
            same = (info.width, info.height) == (w, h)
            self.source_info.setText("The camera is on." if same else
                                     "The camera is on, at another picture size than the one chosen.")
            self.source_info.set_tip(f"{figures}{'' if same else f' (asked for {w} × {h})'}. {FRAME_RATE_HINT}")
        elif choice.is_screen:
            self.source_info.setText("Watching the part of the screen you chose; pictures the call repeats are "
                                     "skipped.")
            self.source_info.set_tip(f"{figures} (grabbed this often)")
        else:
            what = ("a real clip with a few brief expressions added for the demo"
                    if choice.label == DEMO_LABEL else "a video file played as if live")
            self.source_info.setText(f"{choice.label}: {what}.")
            self.source_info.set_tip(figures)

    def _rate_notice(self, text: str) -> None:
        """Tracking keeps fewer frames than the source gives: a figure for the tooltip, not the listener's line."""
        self.source_info.set_tip(f"{self.source_info.tip()}\n{text}; the others are skipped evenly.")

    def _source_lost(self, message: str) -> None:
        """The camera stopped: say so where the picture was; the worker keeps what was recorded and retries."""
        self.camera_lost = True
        self._set_face(None)
        self.status_label.setText(LOST_TEXT + ("; what was recorded is kept" if self.is_recording() else ""))
        self.status_label.setToolTip(f"The camera stopped delivering ({message}). Glimpse keeps trying to "
                                     "reopen it; press Stop to give up.")
        self.preview.clear("Camera lost. Trying to reconnect…")

    def _source_back(self) -> None:
        self.camera_lost = False
        self._status_at = 0.0  # the next frame's status replaces the message at once
        self.status_label.setText("Camera back.")

    def _show_status(self, packet: LivePacket) -> None:
        now = time.monotonic()
        if packet.face:
            self._last_face_at = now
        face = self._last_face_at is not None and now - self._last_face_at < NO_FACE_AFTER_S
        changed = face != self._face_shown
        if changed:
            self._set_face(face)
        if changed or now - self._status_at >= STATUS_EVERY_S:
            self._status_at = now
            s = packet.stats
            face_px = f"\nThe face is {packet.face_px:.0f} pixels tall" if face and packet.face_px else ""
            self.status_label.setText(WATCHING_TEXT if face else NO_FACE_TEXT)
            self.status_label.setToolTip(diagnostics_text(s) + face_px)
            self._show_settings(packet.attentive_s)
            slow = self._slow.update(s.fps, now)
            self.warning_label.setText(SLOW_TEXT if slow else "")
            self.warning_label.setToolTip(diagnostics_text(s) if slow else "")
            self.warning_label.setVisible(slow)
            if self.strip is not None:
                self.strip.set_attentive(packet.attentive_s)

    def _set_face(self, face: bool | None) -> None:
        self._face_shown = face
        self.dot.set_face(face)
        if self.strip is not None:
            self.strip.set_face(face)

    # -- moments, prompts, "I just asked" --------------------------------------------------------

    def _on_moment(self, moment: Moment, decided_t_s: float = 0.0, captured_at: float = 0.0) -> None:
        self.moments.append(moment)
        self.decided.append((decided_t_s, captured_at))
        if not moment.prompted or not moment.prompt:
            return
        self.card.show_prompt(moment.prompt, self.settings.prompt_hold_s)
        if self.strip is not None and self.strip.isVisible():
            self.strip.show_prompt(moment.prompt, self.settings.prompt_hold_s)
        if self.cue != "off":
            self.dot.pulse()
            if self.strip is not None:
                self.strip.dot.pulse()
            QApplication.alert(self.window(), 2000)
            if self.cue == "sound":
                QApplication.beep()

    def mark_asked(self) -> None:
        if self.worker is not None and not self._stopping:
            self.worker.mark()

    def _on_marked(self, t_s: float) -> None:
        self._show_settings(self.settings.attentive_window_s)
        if self.strip is not None:
            self.strip.set_attentive(self.settings.attentive_window_s)

    def _show_settings(self, asked_s: float) -> None:
        """Which settings are in force: the listener's own, or raised for the asked window."""
        if asked_s > 0:
            raised = asked_settings(self.settings).sensitivity
            self.attentive_label.setText(f"Just asked: more attentive for {asked_s:.0f} s")
            self.settings_label.setText(f"Just asked · sensitivity {raised:g}")
        else:
            self.attentive_label.setText("")
            self.settings_label.setText(f"Your settings · sensitivity {self.settings.sensitivity:g}")
