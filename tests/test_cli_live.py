"""`glimpse live --no-window`: a headless session from the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli.main import EXIT_ERROR, main

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
RUN_TIMEOUT_S = 90  # the model loads, then 8 s in real time, on a busy machine


def glimpse(*args: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "app", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def analyze_keys(tmp_path_factory) -> set[str]:
    out = tmp_path_factory.mktemp("analyze") / "a.json"
    assert main(["analyze", str(DATA / "single_face.mp4"), "--out", str(out), "--quiet"]) == 0
    return set(json.loads(out.read_text()))


def test_demo_without_a_window_prints_moments_and_writes_the_analyze_json(tmp_path, analyze_keys):
    out = tmp_path / "m.json"
    proc = glimpse("live", "--demo", "--no-window", "--duration", "12", "--out", str(out), "--asked-at", "2.5",
                   cwd=ROOT)
    stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
    assert proc.returncode == 0, stderr
    data = json.loads(out.read_text())
    assert analyze_keys <= set(data), f"missing {analyze_keys - set(data)}"
    assert data["source"].endswith("demo.mp4") and data["frames"] > 0 and data["face_frames"] > 0
    assert 11.5 <= data["duration_s"] <= 13.5  # a loaded machine ends the last frame late
    assert data["live"]["asked_s"] == [2.5] and data["live"]["ended"] == "duration"
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert lines == data["moments"], "every moment is printed as it comes, and the file holds the same"
    assert lines, "the demo has a brief expression 10.9 s in (its first one since change 18)"
    assert {"start_s", "peak_s", "end_s", "regions", "prompted", "prompt"} <= set(lines[0])


def test_ctrl_c_ends_cleanly_and_still_writes_the_file(tmp_path):
    out = tmp_path / "m.json"
    proc = glimpse("live", "--no-window", "--source", f"file:{DATA / 'injected_short.mp4'}", "--out", str(out),
                   cwd=tmp_path)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while "tracking" not in proc.stderr.readline():
        assert time.monotonic() < deadline and proc.poll() is None, "the run never started tracking"
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
    assert proc.returncode == 0, stderr
    data = json.loads(out.read_text())
    assert data["live"]["ended"] == "interrupted"
    assert 1.0 < data["duration_s"] < 8.0 and data["frames"] > 20  # stopped mid-clip (10.2 s long)
    assert "Traceback" not in stderr


@pytest.mark.parametrize("args, words", [
    (["--source", "webcam"], "--source 'webcam': expected camera:N, demo, file:PATH, screen:X,Y,W,H, screen:N or screen:portal"),
    (["--source", "file:no/such.mp4"], "no/such.mp4: no such file"),
    (["--source", "camera:57"], "camera 57 could not be opened"),
    (["--demo", "--source", "camera:0"], "one source at a time"),
    (["--demo", "--asked-at", "2,soon"], "--asked-at '2,soon'"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, words):
    out = tmp_path / "m.json"
    assert main(["live", "--no-window", "--out", str(out), *args]) == EXIT_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0], err
    assert not out.exists()


def test_headless_options_need_no_window(capsys):
    assert main(["live", "--duration", "3"]) == EXIT_ERROR
    assert "--duration needs --no-window" in capsys.readouterr().err


@pytest.mark.parametrize("argv, camera, demo", [(["live"], None, False), (["live", "--camera", "2"], 2, False),
                                                (["live", "--demo"], None, True), ([], None, False)])
def test_without_no_window_the_window_opens_as_before(monkeypatch, argv, camera, demo):
    opened = []
    monkeypatch.setattr("app.cli.main.cmd_gui", lambda a: opened.append((a.command, a.camera, a.demo)) or 0)
    assert main(argv) == 0
    assert opened == [("live", camera, demo)]


def test_record_writes_a_session_replay_can_open(tmp_path, capsys):
    from app.store.session import open_session

    out = tmp_path / "m.json"
    assert main(["live", "--no-window", "--source", f"file:{DATA / 'single_face.mp4'}", "--record",
                 str(tmp_path / "sessions"), "--asked-at", "0.5", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["live"]["ended"] == "end of source" and len(data["live"]["recordings"]) == 1
    session = open_session(data["live"]["recordings"][0])
    assert len(session.table) == data["frames"] and session.info["consent_confirmed"] is True
    assert len(session.marks) == 1 and [m.to_dict() for m in session.moments] == data["moments"]
