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


# -- issue 20 item 11: settings files of any shape, in the command line and the session reader -------------

HUGE = "9" * 5000  # past Python's 4300-digit limit for reading an integer
ODD_FILES = {
    "settings a number": '{"version": 1, "settings": 5}',
    "settings null": '{"version": 1, "settings": null}',
    "settings a string": '{"version": 1, "settings": "balanced"}',
    "a 5000-digit integer": f'{{"version": 1, "settings": {{"sensitivity": {HUGE}}}}}',
    "a 400-digit integer": f'{{"version": 1, "settings": {{"cooldown_s": {HUGE[:400]}}}}}',
    "the file a list": "[1, 2]",
}
ODD_WORDS = {
    "settings a number": '"settings" must be an object of named values, found a number (5)',
    "settings null": '"settings" must be an object of named values, found null',
    "settings a string": '"settings" must be an object of named values, found a text',
    "a 5000-digit integer": "holds a number too long to read",
    "a 400-digit integer": "cooldown_s: a 400-digit number is outside 0.0..120.0",
    "the file a list": "expected a JSON object, found a list",
}


@pytest.mark.parametrize("how", ODD_FILES)
@pytest.mark.parametrize("command", ["analyze", "live"])
def test_a_settings_file_of_any_shape_is_one_line_and_exit_2(tmp_path, capsys, command, how):
    from app.cli.main import main
    from tests.support.paths import CLIP

    path = tmp_path / "s.json"
    path.write_text(ODD_FILES[how])
    argv = ["analyze", str(CLIP)] if command == "analyze" else ["live", "--no-window", "--demo", "--duration", "3"]
    assert main([*argv, "--settings", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ODD_WORDS[how] in err[0] and str(path) in err[0], err


@pytest.mark.parametrize("how", ODD_FILES)
def test_a_session_with_such_settings_opens_with_the_defaults_and_says_so(tmp_path, how):
    from tests.test_session import record

    folder = record(tmp_path).folder
    (folder / "settings.json").write_text(ODD_FILES[how])
    moments = (folder / "moments.jsonl").read_text().splitlines()
    (folder / "moments.jsonl").write_text("\n".join([*moments, json.dumps({**json.loads(moments[0]),
                                                                           "settings": 5})]) + "\n")
    from app.store.session import open_session

    s = open_session(folder)
    assert s.settings == S.Settings() and "settings.json is damaged" in s.missing[0]
    assert len(s.moments) == 2 and s.moment_settings[-1] is None  # a moment's bad settings: the moment is kept


def test_any_json_value_anywhere_gives_settings_or_a_clear_error():
    """from_dict, under what the command line and the session reader hand it: a SettingsInvalid, never
    another exception (the review branch's store tests the file handling around it)."""
    from dataclasses import fields

    from hypothesis import given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as st

    json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
                               lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
                               max_leaves=8)
    names = [f.name for f in fields(S.Settings)] + ["version", "settings", "typo"]

    @hsettings(max_examples=400, deadline=None)
    @given(st.dictionaries(st.sampled_from(names), json_values, max_size=5), st.booleans(), json_values)
    def check(values, nested, anything):
        for data in ({"version": 1, "settings": values} if nested else values, anything):
            try:
                assert isinstance(S.from_dict(data), S.Settings)
            except SettingsInvalid:
                pass

    check()
