"""`glimpse live --source screen:X,Y,W,H --no-window` end to end under Xvfb: a window plays the face clip
as a 200x150 gallery tile (face about 55 px tall); the command line's JSON says how many new pictures it
tracked, with the face found in >= 90% of them, its size, and the repeats it skipped. The full 20 s
figures for both sizes, and the agreement with `glimpse analyze`, are bench/live/screen_live.py's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.player import PLAYER_AT, TILE_ARGS
from tests.support.xserver import virtual_display
from tests.test_screen import CLIP, needs_xvfb

ROOT = Path(__file__).resolve().parent.parent
WATCH_S = 8.0
PLAYER_UP_S = 8.0
MIN_OBS_HZ = 15.0  # under a full test run's load; the benchmark measures >= 20 on its own


@needs_xvfb
@pytest.mark.slow
def test_the_command_line_watches_a_tile_on_the_screen(tmp_path):
    with virtual_display() as server:
        env = dict(os.environ, DISPLAY=server.display, QT_QPA_PLATFORM="xcb")
        env.pop("WAYLAND_DISPLAY", None)
        player = subprocess.Popen([sys.executable, "-m", "tests.support.player", str(CLIP), *map(str, PLAYER_AT), *TILE_ARGS],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            time.sleep(PLAYER_UP_S)
            assert player.poll() is None, player.stderr.read().decode()[-500:]
            out = tmp_path / "m.json"
            spec = f"screen:{PLAYER_AT[0]},{PLAYER_AT[1]},200,150"
            done = subprocess.run([sys.executable, "-m", "app", "live", "--source", spec, "--no-window", "--duration",
                                   f"{WATCH_S:g}", "--out", str(out)], cwd=ROOT, env=env, capture_output=True,
                                  text=True, timeout=180)
        finally:
            player.terminate()
            player.wait(timeout=10)
    assert done.returncode == 0, done.stderr[-800:]
    data = json.loads(out.read_text())
    assert data["source"] == spec
    assert data["frames"] / data["duration_s"] >= MIN_OBS_HZ
    assert data["face_frames"] >= 0.9 * data["frames"]
    assert 45 <= data["face_px_median"] <= 65
    assert data["live"]["call_video"]["repeats_skipped"] > 0  # a 24 fps clip grabbed at 30 Hz repeats pictures
