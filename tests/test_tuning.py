"""The tuning panel: built from the settings schema, throttled, and honest about invalid values."""

from __future__ import annotations

from dataclasses import fields

import pytest
from PySide6.QtWidgets import QCheckBox

from app.settings.schema import PRESETS, REGIONS, Settings, preset
from app.store.marks import KeptCounts
from app.ui.tuning import NumberField, QuestionsField, Throttle, TuningPanel


@pytest.fixture
def panel(qtbot):
    p = TuningPanel(Settings(), throttle_ms=100)
    qtbot.addWidget(p)
    return p


def test_every_setting_has_an_editor_built_from_its_schema(panel):
    for f in fields(Settings):
        if f.name == "preset":
            box = panel.preset_box
            assert [box.itemData(i) for i in range(box.count())] == list(f.metadata["choices"])
            continue
        editor = panel.editors[f.name]
        assert editor.toolTip() == f.metadata["help"]
        if isinstance(f.default, bool):
            assert isinstance(editor, QCheckBox) and editor.text() == f.metadata["title"]
        elif isinstance(f.default, float):
            assert isinstance(editor, NumberField)
            assert (editor.spin.minimum(), editor.spin.maximum()) == (f.metadata["min"], f.metadata["max"])
            assert editor.spin.singleStep() == f.metadata["step"]
            assert editor.value() == f.default
        elif f.name == "questions":
            assert isinstance(editor, QuestionsField) and editor.value() == ()
        else:
            assert tuple(editor.checks) == REGIONS and editor.value() == REGIONS


def test_an_edit_becomes_custom_settings_at_once(panel, qtbot):
    with qtbot.waitSignal(panel.settings_changed, timeout=1000) as sig:
        panel.editors["sensitivity"].spin.setValue(72)
    assert sig.args[0] == Settings().replace(sensitivity=72.0)
    assert panel.preset_box.currentData() == "custom"
    with qtbot.waitSignal(panel.settings_changed, timeout=1000) as sig:
        panel.editors["regions"].checks["gaze"].setChecked(False)
    assert sig.args[0].regions == ("brows", "lids", "nose", "mouth")
    with qtbot.waitSignal(panel.settings_changed, timeout=1000) as sig:
        panel.editors["blink_filter"].setChecked(False)
    assert sig.args[0].blink_filter is False and sig.args[0].sensitivity == 72.0


@pytest.mark.parametrize("name", PRESETS)
def test_presets(panel, qtbot, name):
    panel.set_settings(Settings().replace(cooldown_s=5.0))
    with qtbot.waitSignal(panel.settings_changed, timeout=1000) as sig:
        panel.preset_box.setCurrentIndex(panel.preset_box.findData(name))
    assert sig.args[0] == preset(name, Settings().replace(cooldown_s=5.0))
    assert panel.editors["sensitivity"].value() == sig.args[0].sensitivity


def test_slider_drags_are_throttled_newest_wins(panel, qtbot):
    got = []
    panel.settings_changed.connect(got.append)
    slider = panel.editors["sensitivity"].slider
    for value in range(51, 71):
        slider.setValue(value)
    assert [s.sensitivity for s in got] == [51.0]  # the first at once
    qtbot.waitUntil(lambda: len(got) == 2, timeout=1000)
    assert got[-1].sensitivity == 70.0  # then only the newest
    qtbot.wait(250)
    assert len(got) == 2


def test_an_impossible_combination_is_refused_with_a_message(panel, qtbot):
    got = []
    panel.settings_changed.connect(got.append)
    panel.editors["min_duration_s"].spin.setValue(0.3)
    panel.editors["max_duration_s"].spin.setValue(0.2)
    qtbot.wait(150)
    assert panel.message.isVisibleTo(panel) and "must be below" in panel.message.text()
    assert got[-1].min_duration_s == 0.3 and got[-1].max_duration_s == 0.5
    assert panel.editors["max_duration_s"].value() == 0.5  # the widget shows what is in force


def test_counts_and_messages_are_shown(panel):
    panel.set_counts(KeptCounts(3, 4, 1, 2))
    assert "helpful: 3 of 4" in panel.counts_label.text() and "not a moment: 1 of 2" in panel.counts_label.text()
    panel.set_message("settings file x is broken", error=True)
    assert panel.message.isVisibleTo(panel)
    panel.set_message(None)
    assert not panel.message.isVisibleTo(panel)


def test_throttle_flush(qtbot):
    got = []
    t = Throttle(10_000, got.append)
    t(1)
    t(2)
    t(3)
    assert got == [1]
    t.flush()
    assert got == [1, 3]
