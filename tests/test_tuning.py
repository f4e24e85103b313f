"""The tuning panel: built from the settings schema, a view over the settings store (edits go through it,
changes made elsewhere show), and honest about invalid values."""

from __future__ import annotations

from dataclasses import fields

import pytest
from PySide6.QtWidgets import QCheckBox

from app.settings.schema import PRESETS, REGIONS, Settings, preset
from app.settings.store import SettingsChanged, SettingsStore
from app.store.marks import KeptCounts
from app.ui.tuning import NumberField, QuestionsField, Throttle, TuningPanel


@pytest.fixture
def store():
    return SettingsStore()


@pytest.fixture
def panel(qtbot, store):
    p = TuningPanel(store)
    qtbot.addWidget(p)
    return p


@pytest.fixture
def changes(store) -> list[Settings]:
    """What the panel wrote through the store, one entry per change."""
    got: list[Settings] = []
    store.subscribe(lambda event: got.append(event.new) if isinstance(event, SettingsChanged) else None)
    return got


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


def test_an_edit_becomes_custom_settings_in_the_store_at_once(panel, store, changes):
    panel.editors["sensitivity"].spin.setValue(72)
    assert changes == [Settings().replace(sensitivity=72.0)] and store.settings == changes[-1]
    assert panel.preset_box.currentData() == "custom"
    panel.editors["regions"].checks["gaze"].setChecked(False)
    assert store.settings.regions == ("brows", "lids", "nose", "mouth")
    panel.editors["blink_filter"].setChecked(False)
    assert store.settings.blink_filter is False and store.settings.sensitivity == 72.0
    assert len(changes) == 3


@pytest.mark.parametrize("name", PRESETS)
def test_presets(panel, store, name):
    store.set(Settings().replace(cooldown_s=5.0))
    panel.preset_box.setCurrentIndex(panel.preset_box.findData(name))
    assert store.settings == preset(name, Settings().replace(cooldown_s=5.0))
    assert panel.editors["sensitivity"].value() == store.settings.sensitivity


def test_every_step_of_a_slider_drag_reaches_the_store_newest_last(panel, changes):
    slider = panel.editors["sensitivity"].slider
    for value in range(51, 71):
        slider.setValue(value)
    assert [s.sensitivity for s in changes] == [float(v) for v in range(51, 71)]  # the re-spot is throttled


def test_a_change_made_elsewhere_shows_in_the_panel(panel, store):
    store.update(sensitivity=64.0, regions=("mouth",))
    assert panel.editors["sensitivity"].value() == 64.0 and panel.editors["regions"].value() == ("mouth",)
    assert panel.preset_box.currentData() == "custom"


def test_an_impossible_combination_is_refused_with_a_message(panel, store):
    panel.editors["min_duration_s"].spin.setValue(0.3)
    panel.editors["max_duration_s"].spin.setValue(0.2)
    assert panel.message.isVisibleTo(panel) and "must be below" in panel.message.text()
    assert store.settings.min_duration_s == 0.3 and store.settings.max_duration_s == 0.5
    assert panel.editors["max_duration_s"].value() == 0.5  # the widget shows what is in force


def test_settings_files_are_imported_and_exported_through_the_store(panel, store, tmp_path):
    from app.settings.store import save

    save(Settings().replace(sensitivity=65.0, cooldown_s=5.0), tmp_path / "colleague.json")
    panel.import_settings(tmp_path / "colleague.json")
    assert store.settings.cooldown_s == 5.0 and panel.editors["cooldown_s"].value() == 5.0
    (tmp_path / "broken.json").write_text('{"settings": 5}')
    panel.import_settings(tmp_path / "broken.json")
    assert store.settings.cooldown_s == 5.0 and "not changed" in panel.message.text()
    panel.export_settings(tmp_path / "out.json")
    assert "saved" in panel.message.text() and (tmp_path / "out.json").exists()


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
