import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.main import main

DATA = Path(__file__).parent / "data"
MOMENT_KEYS = {"start_s", "peak_s", "end_s", "regions", "strength", "prompted", "prompt"}


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_shape_and_csv(tmp_path, capsys):
    out, csv = tmp_path / "m.json", tmp_path / "m.csv"
    code, _, err = run(["analyze", str(DATA / "single_face.mp4"), "--out", str(out), "--csv", str(csv)], capsys)
    assert code == 0, err
    data = json.loads(out.read_text())
    assert {"source", "fps", "frames", "duration_s", "face_frames", "settings", "moments"} <= set(data)
    assert data["frames"] == 72 and data["face_frames"] >= 69
    assert data["fps"] == pytest.approx(30.0) and data["duration_s"] == pytest.approx(2.4, abs=0.05)
    assert data["settings"]["preset"] == "balanced"
    for m in data["moments"]:
        assert MOMENT_KEYS <= set(m)
    assert csv.read_text().splitlines()[0].startswith("start_s,peak_s,end_s")


def test_no_face_says_so(tmp_path, capsys):
    out = tmp_path / "m.json"
    code, _, err = run(["analyze", str(DATA / "no_face.mp4"), "--out", str(out)], capsys)
    assert code == 3
    assert err.strip().count("\n") == 0 and "no face was seen" in err
    data = json.loads(out.read_text())
    assert data["face_frames"] == 0 and data["moments"] == []


def test_face_leaving_is_survived(tmp_path, capsys):
    out = tmp_path / "m.json"
    code, _, err = run(["analyze", str(DATA / "face_noface.mov"), "--out", str(out)], capsys)
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["frames"] == 169 and 60 <= data["face_frames"] <= 90


def _truncated(tmp_path):
    path = tmp_path / "cut.mp4"
    path.write_bytes((DATA / "single_face.mp4").read_bytes()[:3000])
    return path


@pytest.mark.parametrize("make, words", [
    (lambda p: p / "missing.mp4", "no such file"),
    (lambda p: Path(__file__), "not a readable video"),
    (_truncated, "not a readable video"),
])
def test_bad_input_one_line_nonzero_and_nothing_written(tmp_path, capsys, make, words):
    out = tmp_path / "m.json"
    code, stdout, err = run(["analyze", str(make(tmp_path)), "--out", str(out)], capsys)
    assert code == 2
    assert err.startswith("glimpse: ") and err.count("\n") == 1 and words in err
    assert not out.exists() and list(tmp_path.glob(".m.json*")) == []


def test_broken_settings_file(tmp_path, capsys):
    bad = tmp_path / "s.json"
    bad.write_text('{"sensitivity": 900}')
    code, _, err = run(["analyze", str(DATA / "single_face.mp4"), "--settings", str(bad)], capsys)
    assert code == 2 and "sensitivity" in err and str(bad) in err


def test_several_videos_in_parallel(tmp_path, capsys):
    videos = [str(DATA / "single_face.mp4"), str(DATA / "face_noface.mov")]
    code, _, err = run(["analyze", *videos, "--out-dir", str(tmp_path), "--jobs", "2"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.glob("*.json")) == ["face_noface.json", "single_face.json"]
    assert json.loads((tmp_path / "face_noface.json").read_text())["frames"] == 169


def test_two_runs_give_identical_moments(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    video = str(DATA / "WolfgangLanger_Pexels.mp4")
    assert run(["analyze", video, "--out", str(a)], capsys)[0] == 0
    assert run(["analyze", video, "--out", str(b)], capsys)[0] == 0
    assert json.loads(a.read_text()) == json.loads(b.read_text())


def test_module_entry_point_and_devices():
    proc = subprocess.run([sys.executable, "-m", "app", "devices"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip()


@pytest.mark.parametrize("argv", [["--model", "m.task", "replay"], ["replay", "--model", "m.task", "v.mp4"],
                                  ["--model", "m.task", "live"], ["--model", "m.task"],
                                  ["--model", "m.task", "analyze", "v.mp4"]])
def test_model_is_kept_before_or_after_the_command(argv):
    from app.cli.main import build_parser

    assert build_parser().parse_args(argv).model == "m.task"
    assert build_parser().parse_args([a for a in argv if a not in ("--model", "m.task")]).model is None
