"""`glimpse analyze` for sweeps and researchers: presets, the shared feature cache, feature export,
one-line argument errors, damaged videos and batch progress."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

import app.run.tracked
from app.cli.main import main
from app.errors import GlimpseError
from app.face.features import LEVELS

DATA = Path(__file__).parent / "data"
CLIP = DATA / "single_face.mp4"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(cache))
    monkeypatch.delenv("GLIMPSE_CACHE", raising=False)
    return cache


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def tracking_fails(monkeypatch):
    def fail(*args, **kwargs):
        raise GlimpseError("tracking was asked for")

    monkeypatch.setattr(app.run.tracked, "track_video_parallel", fail)


def test_preset_then_sensitivity(tmp_path, capsys):
    out = tmp_path / "m.json"
    assert run(["analyze", CLIP, "--out", out, "--preset", "attentive", "--quiet"], capsys)[0] == 0
    s = json.loads(out.read_text())["settings"]
    assert (s["preset"], s["sensitivity"]) == ("attentive", 75.0)
    assert run(["analyze", CLIP, "--out", out, "--preset", "gentle", "--sensitivity", "12.5"], capsys)[0] == 0
    s = json.loads(out.read_text())["settings"]
    assert (s["preset"], s["sensitivity"]) == ("custom", 12.5)


def test_a_second_run_takes_the_features_from_the_cache(tmp_path, capsys, monkeypatch, own_cache):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert run(["analyze", CLIP, "--out", a], capsys)[0] == 0
    cached = list((own_cache / "features").glob("*.npz"))
    assert len(cached) == 1 and np.load(cached[0])["landmarks"].shape[1:] == (478, 3)  # replay's overlay needs them
    tracking_fails(monkeypatch)
    code, _, err = run(["analyze", CLIP, "--out", b, "--sensitivity", "80"], capsys)
    assert code == 0, err
    assert json.loads(a.read_text())["moments"] is not None
    assert json.loads(b.read_text())["frames_read"] == json.loads(a.read_text())["frames_read"]
    code, _, err = run(["analyze", CLIP, "--out", b, "--no-cache"], capsys)  # bypassed: tracking is needed
    assert code == 2 and "tracking was asked for" in err


def test_replay_and_analyze_share_one_cache_file(tmp_path, capsys, own_cache):
    from app.store.cache import cache_path

    assert run(["analyze", CLIP, "--out", tmp_path / "a.json"], capsys)[0] == 0
    assert cache_path(CLIP).is_file() and cache_path(CLIP).is_relative_to(own_cache)


def test_no_cache_writes_nothing(tmp_path, capsys, own_cache):
    assert run(["analyze", CLIP, "--out", tmp_path / "a.json", "--no-cache"], capsys)[0] == 0
    assert not own_cache.exists()


def test_features_export(tmp_path, capsys):
    out, feats = tmp_path / "m.json", tmp_path / "f.npz"
    assert run(["analyze", CLIP, "--out", out, "--features", feats], capsys)[0] == 0
    with np.load(feats, allow_pickle=False) as z:
        assert set(z.files) == {"t_s", "face", "levels", "level_names", "head", "blendshapes", "blendshape_names",
                                "faces_seen"}
        n = json.loads(out.read_text())["frames_read"]
        assert z["t_s"].shape == (n,) and z["levels"].shape == (n, len(LEVELS)) and z["head"].shape == (n, 3)
        assert z["blendshapes"].shape == (n, 52) and tuple(z["level_names"]) == LEVELS
        assert np.all(np.diff(z["t_s"]) > 0) and z["face"].sum() == json.loads(out.read_text())["face_frames"]
        assert np.isnan(z["levels"][~z["face"]]).all() and not np.isnan(z["levels"][z["face"]]).any()


@pytest.mark.parametrize("argv, words", [
    (["--sensitivity", "101"], "--sensitivity: expected a number from 0 to 100"),
    (["--sensitivity", "lots"], "--sensitivity"),
    (["--preset", "loud"], "--preset: invalid choice"),
    (["--jobs", "0"], "--jobs: expected a whole number of at least 1"),
    (["--workers", "-2"], "--workers"),
    (["--retries", "-1"], "--retries"),
    (["--scheduler", "localhost"], "tcp://HOST"),
    (["--out", "{tmp}"], "is a folder"),
    (["--csv", "{tmp}"], "is a folder"),
    (["--features", "{tmp}"], "is a folder"),
    (["--out", "{file}/x.json"], "is a file, not a folder"),
    (["--out-dir", "{file}"], "is a file; expected a folder"),
    (["--bogus"], "unrecognized arguments"),
])
def test_bad_arguments_are_one_line_and_exit_2(tmp_path, capsys, argv, words):
    afile = tmp_path / "a.txt"
    afile.write_text("x")
    argv = [a.format(tmp=tmp_path, file=afile) for a in argv]
    with pytest.raises(SystemExit) as exc:
        main(["analyze", str(CLIP), *argv])
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.count("\n") == 1 and words in err and err.startswith("glimpse"), err


@pytest.mark.parametrize("argv", [["evaluate", "t.json", "m.json", "--tolerance", "-1"],
                                  ["evaluate", "t.json", "m.json", "--fps", "0"],
                                  ["inject", "a.mp4"], ["devices", "extra"], ["nonsense"]])
def test_other_commands_bad_arguments_one_line(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "error:" in err, err


@pytest.mark.parametrize("command, options", [
    ("analyze", ["--out", "--csv", "--features", "--out-dir", "--summary", "--preset", "--sensitivity",
                 "--no-cache", "--workers", "--jobs", "--scheduler", "--retries", "level_names"]),
    ("inject", ["--truth", "--seed", "--events", "--macro", "--length", "--types", "--unilateral"]),
    ("evaluate", ["--fps", "--clip", "--first-frame", "--tolerance", "--json", "MEGC"]),
    ("devices", ["cameras"]),
])
def test_every_subcommand_has_real_help(capsys, command, options):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    assert all(o in out for o in options), out
    assert "args" not in out.split()


def test_inject_range_errors_are_one_line(tmp_path, capsys):
    code, _, err = run(["inject", CLIP, tmp_path / "o.mp4", "--truth", tmp_path / "t.json", "--unilateral", "2"],
                       capsys)
    assert code == 2 and err.count("\n") == 1 and "--unilateral" in err


def _cut_with_index(tmp_path: Path) -> Path:
    """A video whose index (moov first) survives while half of its frame data is cut off."""
    import av

    from app.sources.capture import FileSource

    whole, cut = tmp_path / "whole.mp4", tmp_path / "cut.mp4"
    with FileSource(CLIP) as src, av.open(str(whole), "w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = src.info.width, src.info.height, "yuv420p"
        for f in src:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(f.image, format="bgr24")))
        out.mux(stream.encode())
    data = whole.read_bytes()
    cut.write_bytes(data[:len(data) // 2])
    return cut


def test_a_truncated_video_says_how_much_was_read(tmp_path, capsys):
    out = tmp_path / "m.json"
    code, _, err = run(["analyze", _cut_with_index(tmp_path), "--out", out, "--quiet"], capsys)
    data = json.loads(out.read_text())
    assert code == 0 and data["frames_declared"] == 72 and 0 < data["frames_read"] < 72
    assert err.count("\n") == 1 and f"only {data['frames_read']} of its 72 declared frames" in err
    full = tmp_path / "full.json"
    code, _, err = run(["analyze", CLIP, "--out", full, "--quiet"], capsys)
    assert code == 0 and err == "" and json.loads(full.read_text())["frames_read"] == 72


def test_batch_shows_progress_and_writes_a_summary(tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(CLIP.read_bytes()[:3000])
    videos = [CLIP, broken, DATA / "face_noface.mov"]
    summary = tmp_path / "summary.csv"
    code, _, err = run(["analyze", *videos, "--out-dir", tmp_path / "out", "--jobs", "2", "--summary", summary],
                       capsys)
    assert code == 2  # one failed
    lines = err.splitlines()
    assert [ln[:5] for ln in lines[:3]] == ["[1/3]", "[2/3]", "[3/3]"] and "1 failed" in lines[-1]
    assert "left" in lines[0] and "in all" in lines[2]
    rows = list(csv.DictReader(io.StringIO(summary.read_text())))
    assert [r["video"] for r in rows] == [str(v) for v in videos]
    assert [r["status"] for r in rows] == ["done", "failed", "done"]
    assert "not a readable video" in rows[1]["error"] and rows[1]["output"] == ""
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["face_noface.json", "single_face.json"]
    assert int(rows[2]["frames_read"]) == 169


def test_an_altered_model_is_refused_even_with_the_features_cached(tmp_path, capsys):
    from app.face.tracking import DEFAULT_MODEL

    assert run(["analyze", CLIP, "--out", tmp_path / "a.json"], capsys)[0] == 0
    altered = tmp_path / "face_landmarker.task"
    data = bytearray(DEFAULT_MODEL.read_bytes())
    data[len(data) // 2] ^= 1
    altered.write_bytes(bytes(data))
    code, _, err = run(["analyze", CLIP, "--out", tmp_path / "b.json", "--model", altered], capsys)
    assert code == 2 and "altered" in err and not (tmp_path / "b.json").exists()
