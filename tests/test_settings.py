import json

import pytest

from app.errors import SettingsInvalid
from app.settings import schema as S


def test_round_trip(tmp_path):
    s = S.preset("attentive").replace(cooldown_s=5.0, regions=("brows", "mouth"))
    path = tmp_path / "s.json"
    S.save(s, path)
    assert S.load(path) == s
    data = json.loads(path.read_text())
    assert data["version"] == S.SETTINGS_VERSION and data["settings"]["preset"] == "custom"


@pytest.mark.parametrize("name", S.PRESETS)
def test_presets_order_sensitivity(name):
    base = S.Settings(cooldown_s=7.0, regions=("brows",))
    s = S.preset(name, base)
    assert s.preset == name and s.cooldown_s == 7.0 and s.regions == ("brows",)  # the rest is kept
    assert all(getattr(s, k) == v for k, v in S.PRESET_VALUES[name].items())
    levels = [S.preset(n).sensitivity for n in S.PRESETS]
    assert all(a < b for a, b in zip(levels, levels[1:]))  # gentle < balanced < attentive, strictly
    assert S.preset(name).sensitivity == S.PRESET_VALUES[name]["sensitivity"]


@pytest.mark.parametrize("bad, words", [
    ({"sensitivity": 500}, "is outside 0.0..100.0"),
    ({"sensitivity": "high"}, "expected a number"),
    ({"regions": ["brows", "toes"]}, "unknown ['toes']"),
    ({"blink_filter": "yes"}, "expected true or false"),
    ({"min_duration_s": 0.3, "max_duration_s": 0.2}, "must be below"),
    ({"colour": "red"}, "unknown setting(s) ['colour']"),
    ({"version": 99}, "settings version 99"),
])
def test_invalid_values_are_named(tmp_path, bad, words):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(SettingsInvalid) as err:
        S.load(path)
    assert words in str(err.value) and str(path) in str(err.value)


def test_broken_file_gives_defaults_and_is_kept_aside(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    settings, message = S.load_or_default(path)
    assert settings == S.Settings()
    assert "not valid JSON" in message and "kept as" in message
    kept = list(tmp_path.glob("settings.json.broken-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{not json"
    assert not path.exists()


def test_missing_file_is_not_an_error(tmp_path):
    assert S.load_or_default(tmp_path / "none.json") == (S.Settings(), None)


def test_every_field_documents_itself():
    import dataclasses

    for f in dataclasses.fields(S.Settings):
        assert f.metadata["title"] and f.metadata["help"], f.name
