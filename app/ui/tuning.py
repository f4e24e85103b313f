"""The tuning panel, built from the settings schema: every field's title, help, bounds and step come
from `app.settings.schema.Settings`, so a new setting appears here without touching this file.

A thin view over the settings store: it writes the listener's edits through the store, and shows the
store's settings whoever changed them (the questions dialog, an import). What the edits cost
downstream (a re-spot) is throttled where it is paid: `Throttle`, used by the Review page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import Field, fields
from pathlib import Path
from typing import Any, assert_never

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.errors import GlimpseError, SettingsInvalid
from app.prompts.policy import load_bank
from app.settings.schema import PRESETS, Settings, preset
from app.settings.store import SaveFailed, SettingsChanged, SettingsEvent, SettingsStore, load, save
from app.store.marks import KeptCounts
from app.ui.questions_dialog import QuestionsDialog

THROTTLE_MS = 100
# Read only by live mode; shown apart so the listener knows they do not change the timeline.
LIVE_ONLY = ("prompt_hold_s", "attentive_window_s")
QUESTIONS = ("questions",)  # what is offered, not what is spotted: a group of its own
CHOICES_PER_ROW = 3
SLIDER_MIN_CHARS = 8
HELP_SCALE = 0.9  # help lines under each setting, against the panel's font (so they grow with it)


class Throttle(QObject):
    """Calls `fn(value)` at once when idle, then at most once per interval with the newest value."""

    def __init__(self, interval_ms: int, fn: Callable[[Any], None], parent: QObject | None = None):
        super().__init__(parent)
        self.fn = fn
        self._pending: tuple[Any] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._fire)

    def __call__(self, value: Any) -> None:
        self._pending = (value,)
        if not self._timer.isActive():
            self._fire()
            self._timer.start()

    def _fire(self) -> None:
        if self._pending is None:
            self._timer.stop()
            return
        (value,), self._pending = self._pending, None
        self.fn(value)

    def flush(self) -> None:
        """Deliver a waiting value now (tests, and before the panel goes away)."""
        self._fire()


class NumberField(QWidget):
    """A slider and a spin box over one bounded number."""

    value_changed = Signal(float)

    def __init__(self, lo: float, hi: float, step: float, suffix: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.lo, self.step = lo, step
        decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
        self.spin = QDoubleSpinBox()
        self.spin.setRange(lo, hi)
        self.spin.setSingleStep(step)
        self.spin.setDecimals(decimals)
        self.spin.setSuffix(suffix)
        self.spin.setKeyboardTracking(False)
        self.spin.setMinimumWidth(84)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimumWidth(self.fontMetrics().averageCharWidth() * SLIDER_MIN_CHARS)  # never a dot
        self.slider.setRange(0, round((hi - lo) / step))
        self.slider.valueChanged.connect(lambda i: self._set(self.lo + i * self.step, from_slider=True))
        self.spin.valueChanged.connect(lambda v: self._set(v, from_slider=False))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)

    def value(self) -> float:
        return round(self.spin.value(), self.spin.decimals())

    def set_value(self, value: float) -> None:
        """Show `value` without announcing it."""
        for w in (self.slider, self.spin):
            w.blockSignals(True)
        self.spin.setValue(value)
        self.slider.setValue(round((value - self.lo) / self.step))
        for w in (self.slider, self.spin):
            w.blockSignals(False)

    def _set(self, value: float, from_slider: bool) -> None:
        value = round(value, self.spin.decimals())
        self.set_value(value)
        self.value_changed.emit(value)


class ChoicesField(QWidget):
    """A check box per choice (the face regions)."""

    value_changed = Signal(tuple)

    def __init__(self, choices: tuple[str, ...], parent: QWidget | None = None):
        super().__init__(parent)
        self.checks = {c: QCheckBox(c) for c in choices}
        grid = QGridLayout(self)  # rows of a few: one long row would set the panel's width at large fonts
        grid.setContentsMargins(0, 0, 0, 0)
        for i, check in enumerate(self.checks.values()):
            check.toggled.connect(lambda _on: self.value_changed.emit(self.value()))
            grid.addWidget(check, i // CHOICES_PER_ROW, i % CHOICES_PER_ROW)
        grid.setColumnStretch(CHOICES_PER_ROW, 1)

    def value(self) -> tuple[str, ...]:
        return tuple(c for c, check in self.checks.items() if check.isChecked())

    def set_value(self, value: tuple[str, ...]) -> None:
        for c, check in self.checks.items():
            check.blockSignals(True)
            check.setChecked(c in value)
            check.blockSignals(False)


class QuestionsField(QWidget):
    """How many questions are offered, and a button that opens the question editor."""

    value_changed = Signal(tuple)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._value: tuple[str, ...] = ()
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.button = QPushButton("Change…")
        self.button.clicked.connect(self.edit)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.summary, 1)
        row.addWidget(self.button)

    def value(self) -> tuple[str, ...]:
        return self._value

    def set_value(self, value: tuple[str, ...]) -> None:
        self._value = tuple(value)
        self.summary.setText(f"{len(value)} of your own" if value else "the built-in questions")

    def edit(self) -> None:
        try:
            built_in = load_bank()
        except GlimpseError as exc:
            self.summary.setText(str(exc))
            return
        dialog = QuestionsDialog(self._value, built_in, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.questions() != self._value:
            self.set_value(dialog.questions())
            self.value_changed.emit(self._value)


SettingEditor = NumberField | ChoicesField | QuestionsField | QCheckBox  # one per setting, by its type


class TuningPanel(QWidget):
    """Preset, every setting, import/export, and how many of the listener's marked moments are kept."""

    def __init__(self, store: SettingsStore, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.editors: dict[str, SettingEditor] = {}

        self.preset_box = QComboBox()
        for name in PRESETS + ("custom",):
            self.preset_box.addItem(name.capitalize(), name)
        self.preset_box.currentIndexChanged.connect(self._preset_chosen)
        meta = {f.name: f for f in fields(Settings)}
        self.preset_box.setToolTip(meta["preset"].metadata["help"])

        main = QFormLayout()
        live = QFormLayout()
        asked = QFormLayout()
        for form in (main, live, asked):
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        main.addRow(self._title(meta["preset"]), self.preset_box)
        for f in fields(Settings):
            if f.name == "preset":
                continue
            editor = self._editor(f)
            self.editors[f.name] = editor
            form = live if f.name in LIVE_ONLY else asked if f.name in QUESTIONS else main
            if isinstance(editor, QCheckBox):
                form.addRow(editor)
            else:
                form.addRow(self._title(f), editor)
            form.addRow(self._help(f))

        spotting = QGroupBox("What counts as a moment")
        spotting.setLayout(main)
        live_box = QGroupBox("Live mode only")
        live_box.setLayout(live)
        questions_box = QGroupBox("Questions offered")
        questions_box.setLayout(asked)

        self.counts_label = QLabel(KeptCounts(0, 0, 0, 0).summary())
        self.counts_label.setWordWrap(True)
        marks_box = QGroupBox("Your marks")
        QVBoxLayout(marks_box).addWidget(self.counts_label)

        self.message = QLabel(objectName="MessageArea")  # type: ignore[call-overload]  # stubs omit inherited Qt properties; styled by the theme, as the window's message area
        self.message.setWordWrap(True)
        self.message.setMargin(6)
        self.message.hide()
        import_button = QPushButton("Import…")
        import_button.setToolTip("Use the settings in a file (for example one a colleague exported)")
        import_button.clicked.connect(self._import_clicked)
        export_button = QPushButton("Export…")
        export_button.setToolTip("Save these settings to a file")
        export_button.clicked.connect(self._export_clicked)
        files = QHBoxLayout()
        files.addWidget(import_button)
        files.addWidget(export_button)
        files.addStretch(1)

        intro = QLabel("Changes apply to the recording at once and are kept for live mode too.")
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.message)
        layout.addWidget(spotting)
        layout.addWidget(marks_box)
        layout.addWidget(questions_box)
        layout.addWidget(live_box)
        layout.addLayout(files)
        layout.addStretch(1)
        self.set_settings(store.settings)
        self.destroyed.connect(store.subscribe(self._store_event))  # heard until the panel goes

    # -- built from the schema ----------------------------------------------------------------------------
    @staticmethod
    def _title(f: Field) -> QLabel:
        label = QLabel(f.metadata["title"])
        label.setWordWrap(True)  # long titles wrap at large fonts instead of pushing the editors out
        label.setToolTip(f.metadata["help"])
        return label

    @staticmethod
    def _help(f: Field) -> QLabel:
        label = QLabel(f.metadata["help"], objectName="Help")  # type: ignore[call-overload]  # stubs omit inherited Qt properties
        label.setWordWrap(True)
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * HELP_SCALE)
        label.setFont(font)
        return label

    def _editor(self, f: Field) -> SettingEditor:
        meta = f.metadata
        if f.name == "questions":
            questions = QuestionsField()
            questions.setToolTip(meta["help"])
            questions.value_changed.connect(lambda v: self._edited("questions", tuple(v)))
            return questions
        if isinstance(f.default, tuple):
            box = ChoicesField(meta["choices"])
            box.setToolTip(meta["help"])
            box.value_changed.connect(lambda v, name=f.name: self._edited(name, tuple(v)))
            return box
        if isinstance(f.default, bool):
            check = QCheckBox(meta["title"])
            check.setToolTip(meta["help"])
            check.toggled.connect(lambda on, name=f.name: self._edited(name, bool(on)))
            return check
        if isinstance(f.default, float):
            field = NumberField(meta["min"], meta["max"], meta["step"], " s" if f.name.endswith("_s") else "")
            field.setToolTip(meta["help"])
            field.value_changed.connect(lambda v, name=f.name: self._edited(name, float(v)))
            return field
        raise TypeError(f"no editor for setting {f.name} ({type(f.default).__name__})")

    # -- the model ------------------------------------------------------------------------------------------
    def _store_event(self, event: SettingsEvent) -> None:
        match event:
            case SettingsChanged():
                self.set_settings(event.new, event.fields)
            case SaveFailed():
                pass  # the page says so in the window's one message area
            case _:
                assert_never(event)

    def set_settings(self, settings: Settings, names: Iterable[str] | None = None) -> None:
        """Show `settings` (only the fields `names`, when given) without announcing them."""
        for name in self.editors if names is None else set(names) & set(self.editors):
            editor = self.editors[name]
            value = getattr(settings, name)
            if isinstance(editor, QCheckBox):
                editor.blockSignals(True)
                editor.setChecked(value)
                editor.blockSignals(False)
            else:
                editor.set_value(value)
        self.preset_box.blockSignals(True)
        self.preset_box.setCurrentIndex(self.preset_box.findData(settings.preset))
        self.preset_box.blockSignals(False)

    def set_counts(self, counts: KeptCounts) -> None:
        self.counts_label.setText(counts.summary())

    def set_message(self, text: str | None, error: bool = False) -> None:
        self.message.setText(text or "")
        self.message.setProperty("kind", "error" if error else "info")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setVisible(bool(text))

    # -- the listener's intent ------------------------------------------------------------------------------
    def _edited(self, name: str, value: Any) -> None:
        try:
            new = self.store.settings.replace(**{name: value})
        except SettingsInvalid as exc:
            self.set_message(f"{exc}; kept the previous value.", error=True)
            self.set_settings(self.store.settings, (name,))
            return
        self.set_message(None)
        self.store.set(new)

    def _preset_chosen(self, index: int) -> None:
        name = self.preset_box.itemData(index)
        if name in PRESETS:
            self.store.set(preset(name, self.store.settings))

    def import_settings(self, path: str | Path) -> None:
        """Use the settings in a file (for example one a colleague exported)."""
        try:
            settings = load(path)
        except GlimpseError as exc:
            self.set_message(f"{exc}. Your settings were not changed.", error=True)
            return
        self.store.set(settings)
        self.set_message(f"Now using the settings from {Path(path).name}.")

    def export_settings(self, path: str | Path) -> None:
        try:
            save(self.store.settings, path)
        except OSError as exc:
            self.set_message(f"Could not write {path}: {exc}", error=True)
        else:
            self.set_message(f"Settings saved to {path}.")

    def _import_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import settings", "", "Glimpse settings (*.json);;All files (*)")
        if path:
            self.import_settings(path)

    def _export_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export settings", "glimpse-settings.json",
                                              "Glimpse settings (*.json)")
        if path:
            self.export_settings(path)
