"""Every output path of the command line against a disk that refuses (issue 20, items 10 and 12).

Each output option (analyze --out/--csv/--features/--out-dir/--summary, live --out/--record, summary --out,
export --out, inject OUT/--truth) is tried into a read-only folder, onto a full disk, with a name over 255
bytes and with a legal 255-byte name (tests/support/disk.py: real tmpfs mounts where this machine allows,
else the same errno patched in). Whatever happens: exit 2 with one plain line and no traceback; a folder
that cannot be written or a name that cannot be made is refused before any work starts; a result the disk
refuses at the end is kept elsewhere and the line says where; a legal name works.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.cli.main import main
from tests.support import disk
from tests.support.paths import CLIP, ROOT

PDF_STUB = b"%PDF-1.4 stand-in\n"  # the PDF's bytes are Qt's business; the output path is what is tested here


def run_cli(argv: list, capsys) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv], print_pdf=lambda page: PDF_STUB)
    except SystemExit as exc:  # argparse's one-line errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def own_data_folder(tmp_path, monkeypatch):
    """Results kept aside land in this test's own data folder, never the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> Path:
    """A short recorded session (synthetic frames, two moments, a mark)."""
    from app.face.features import N_LEVELS, FrameFeatures
    from app.settings.schema import Settings
    from app.sources.capture import Frame, SourceInfo
    from app.spotting.spotter import Moment
    from app.store.session import SessionWriter

    w = SessionWriter(tmp_path_factory.mktemp("sessions"), SourceInfo("stand-in", 10.0, 64, 48), Settings(), True,
                      segment_s=1.0)
    for i in range(25):
        w.add_frame(Frame(i, i / 10, np.full((48, 64, 3), i, np.uint8)),
                    FrameFeatures(i / 10, True, np.zeros(N_LEVELS, np.float32), np.zeros(3, np.float32),
                                  np.zeros(52, np.float32), 1))
    w.add_mark(0.5)
    w.add_moment(Moment(1.0, 1.1, 1.2, ("brows",), 9.0, prompted=True, prompt="What else comes to mind?"))
    w.close()
    return w.folder


# option -> (file suffix, or "/" for a folder; the command line given the target and a scratch folder)
OUTPUTS = {
    "analyze --out": (".json", lambda t, s, x: ["analyze", CLIP, "--quiet", "--out", t]),
    "analyze --csv": (".csv", lambda t, s, x: ["analyze", CLIP, "--quiet", "--out", x / "m.json", "--csv", t]),
    "analyze --features": (".npz", lambda t, s, x: ["analyze", CLIP, "--quiet", "--out", x / "m.json",
                                                    "--features", t]),
    "analyze --out-dir": ("/", lambda t, s, x: ["analyze", CLIP, "--out-dir", t]),
    "analyze --summary": (".csv", lambda t, s, x: ["analyze", CLIP, "--out-dir", x, "--summary", t]),
    "live --out": (".json", lambda t, s, x: ["live", "--no-window", "--source", f"file:{CLIP}", "--out", t]),
    "live --record": ("/", lambda t, s, x: ["live", "--no-window", "--source", f"file:{CLIP}", "--record", t]),
    "summary --out .html": (".html", lambda t, s, x: ["summary", s, "--out", t]),
    "summary --out .pdf": (".pdf", lambda t, s, x: ["summary", s, "--out", t]),
    "export --out": (".csv", lambda t, s, x: ["export", s, "--view", "what-if", "--out", t]),
    "inject --truth": (".json", lambda t, s, x: ["inject", CLIP, x / "out.mp4", "--truth", t, "--events", "1", "--length", "6"]),
    "inject OUT": (".mp4", lambda t, s, x: ["inject", CLIP, t, "--truth", x / "truth.json", "--events", "1", "--length", "6"]),
}


def _target(folder: Path, suffix: str, name_bytes: int | None = None) -> Path:
    if suffix == "/":
        return folder if name_bytes is None else folder / ("d" * name_bytes)
    return folder / ("x" * ((name_bytes or 20) - len(suffix)) + suffix)


def _one_plain_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("glimpse"), lines
    return lines[0]


@pytest.mark.parametrize("option", OUTPUTS)
def test_into_a_read_only_folder_is_refused_before_any_work(tmp_path, capsys, monkeypatch, session, option):
    suffix, argv = OUTPUTS[option]
    with disk.read_only_folder(tmp_path / "ro", monkeypatch) as ro:
        code, _, err = run_cli(argv(_target(ro, suffix), session, tmp_path), capsys)
        assert code == 2
        line = _one_plain_line(err)
        assert "error: argument" in line, "refused while the options were read, before any work"
        assert re.search("read-only|permission denied", line), line
        assert not [p for p in ro.iterdir() if p.name != "filler"], "nothing was written there"


@pytest.mark.parametrize("option", OUTPUTS)
def test_a_name_over_255_bytes_is_refused_before_any_work(tmp_path, capsys, session, option):
    suffix, argv = OUTPUTS[option]
    code, _, err = run_cli(argv(_target(tmp_path / "out", suffix, 300), session, tmp_path), capsys)
    assert code == 2
    line = _one_plain_line(err)
    assert "error: argument" in line and "300 bytes long" in line and "at most 255 bytes" in line, line


@pytest.mark.parametrize("option", OUTPUTS)
def test_a_legal_255_byte_name_is_written(tmp_path, capsys, session, option):
    """The atomic write's temporary name is short: any name the folder takes can be written (before, the
    temporary name added a prefix and a suffix to it and a 255-byte --out always failed)."""
    suffix, argv = OUTPUTS[option]
    target = _target(tmp_path / "out", suffix, 255)
    code, _, err = run_cli(argv(target, session, tmp_path), capsys)
    assert code == 0, err
    assert "Traceback" not in err
    assert target.is_dir() if suffix == "/" else target.stat().st_size > 0
    assert not list((tmp_path / "out").glob(".*.tmp")), "no temporary file is left"


FULL_DISK = [o for o in OUTPUTS if o != "live --record"]  # a recording filling the disk: tested below
MULTI_LINE = ("analyze --out-dir", "analyze --summary")  # a line per video, and the count, come first


@pytest.mark.parametrize("option", FULL_DISK)
def test_onto_a_full_disk_the_result_is_kept_and_the_line_says_where(tmp_path, capsys, monkeypatch, session,
                                                                     option):
    suffix, argv = OUTPUTS[option]
    if option == "inject OUT" and not disk.can_mount():
        pytest.skip("OpenCV's video writer is refused only by a real full disk (a tmpfs, as root)")
    with disk.full_disk(tmp_path / "full", monkeypatch) as full:
        code, _, err = run_cli(argv(_target(full, suffix), session, tmp_path), capsys)
    assert code == 2 and "Traceback" not in err, err
    if not option.startswith("live") and option not in MULTI_LINE:  # live says "tracking" first
        _one_plain_line(err)
    if option == "inject OUT":  # OpenCV's writer: refused at its first write (the tracking was done)
        assert "cannot write an mp4v video there" in err or "could not be written whole" in err, err
        return
    assert err.count("the disk is full") == 1 and err.count("kept as") == 1, err
    kept = Path(re.search(r"kept as (\S+)", err).group(1).rstrip(";,"))
    assert kept.is_relative_to(tmp_path / "data" / "glimpse" / "kept"), kept
    data = kept.read_bytes()
    if suffix == ".json" or option == "analyze --out-dir":
        assert json.loads(data)
    elif suffix == ".npz":
        assert len(np.load(kept)["t_s"]) == 72
    elif suffix == ".pdf":
        assert data == PDF_STUB
    else:
        assert data.strip()


@pytest.mark.parametrize("command", ["analyze", "live"])
def test_standard_output_onto_a_full_disk(capsys, monkeypatch, tmp_path, command):
    """`glimpse analyze v.mp4 > /full/file`: one line, exit 2, the result kept; the headless run's moment
    lines: said once, the run goes on."""
    monkeypatch.setattr(sys, "stdout", open("/dev/full", "w"))  # every write: ENOSPC
    argv = (["analyze", CLIP, "--quiet"] if command == "analyze"
            else ["live", "--no-window", "--source", f"file:{tmp_path / 'clip.mp4'}", "--out", tmp_path / "m.json"])
    (tmp_path / "clip.mp4").write_bytes((ROOT / "tests" / "data" / "injected_short.mp4").read_bytes())
    code, _, err = run_cli(argv, capsys)
    assert "Traceback" not in err
    if command == "analyze":
        assert code == 2 and "standard output: the disk is full" in _one_plain_line(err)
        assert json.loads(Path(re.search(r"kept as (\S+)", err).group(1)).read_text())["frames"] == 72
    else:
        assert code == 0 and err.count("standard output refused the moments (the disk is full)") == 1, err
        assert json.loads((tmp_path / "m.json").read_text())["moments"], "the moments still reach --out"


def test_a_recording_that_fills_the_disk_stops_cleanly_and_the_session_is_marked_ended(tmp_path, capsys,
                                                                                        monkeypatch):
    """Issue 20 item 12: one sentence, exit 2, what was recorded is kept, `ended` is written with why it
    stopped, and the session opens without blaming a kill."""
    from app.store.session import open_session

    clip = ROOT / "tests" / "data" / "injected_short.mp4"  # 640x360: fills 300 KB within a second or two
    with disk.full_disk(tmp_path / "full", monkeypatch, kb=300, fill=False) as full:
        code, _, err = run_cli(["live", "--no-window", "--source", f"file:{clip}", "--record", full,
                                "--out", tmp_path / "m.json"], capsys)
        assert code == 2 and "Traceback" not in err, err
        stops = [line for line in err.splitlines() if "recording" in line and "the disk is full" in line]
        assert len(stops) == 1, err
        assert json.loads((tmp_path / "m.json").read_text())["frames"] > 0, "the moments JSON is still written"
        folders = [p for p in full.iterdir() if p.name.startswith("session-")]
        if folders:  # the disk took the session's first files (a patched disk refuses them at once)
            info = json.loads((folders[0] / "session.json").read_text())
            assert info["ended"] and info["stopped"] == "the disk is full"
            opened = open_session(folders[0])
            assert not any("stopped unexpectedly" in n for n in opened.notes), opened.notes
            assert any("stopped early (the disk is full)" in n for n in opened.notes), opened.notes


@pytest.mark.parametrize("where", ["a file", "a read-only folder", "someone else's folder"])
def test_record_into_what_cannot_take_it_is_one_line_and_exit_2_before_the_session(tmp_path, capsys, monkeypatch,
                                                                                    where):
    target = tmp_path / "x"
    if where == "a file":
        target.write_text("not a folder")
        context = disk.contextlib.nullcontext(target)
    elif where == "a read-only folder":
        context = disk.read_only_folder(target, monkeypatch)
    else:
        context = disk.someone_elses_folder(target, monkeypatch)
    with context as folder:
        code, _, err = run_cli(["live", "--no-window", "--demo", "--duration", "3", "--record", folder], capsys)
    assert code == 2
    line = _one_plain_line(err)
    assert "error: argument --record" in line and re.search("is a file|read-only|permission denied", line), line


def test_the_window_s_recording_into_someone_else_s_folder_says_so_in_one_sentence(tmp_path, monkeypatch):
    """The recorder itself (what the window's Record button reaches): a plain RecordingFailed, no traceback,
    and the folder keeps its owner's mode."""
    from app.errors import RecordingFailed
    from app.settings.schema import Settings
    from app.sources.capture import SourceInfo
    from app.store.session import SessionWriter

    with disk.someone_elses_folder(tmp_path / "theirs", monkeypatch) as theirs:
        with pytest.raises(RecordingFailed, match="cannot record into .*theirs: permission denied"):
            SessionWriter(theirs, SourceInfo("stand-in", 10.0, 64, 48), Settings(), True)
    assert theirs.stat().st_mode & 0o777 == 0o755


def test_glimpse_never_changes_the_mode_of_a_folder_it_did_not_create(tmp_path, capsys):
    """`--record DIR` made an existing folder 0700 (`--record ~` would have locked the home folder);
    folders --out and --record create are private."""
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)
    out = tmp_path / "new" / "deeper" / "m.json"
    code, _, err = run_cli(["live", "--no-window", "--source", f"file:{CLIP}", "--record", home, "--out", out],
                           capsys)
    assert code == 0, err
    assert home.stat().st_mode & 0o777 == 0o755, "the existing folder is left as it was"
    assert [p.stat().st_mode & 0o777 for p in home.iterdir()] == [0o700], "the session folder is private"
    assert {(tmp_path / "new").stat().st_mode & 0o777, out.parent.stat().st_mode & 0o777} == {0o700}
    code, _, err = run_cli(["analyze", CLIP, "--out-dir", tmp_path / "made" / "here"], capsys)
    assert code == 0 and (tmp_path / "made").stat().st_mode & 0o777 == 0o700, err


def test_an_input_name_over_255_bytes_is_one_line(tmp_path, capsys):
    long_name = tmp_path / ("v" * 300 + ".mp4")
    for argv in (["analyze", long_name], ["live", "--no-window", "--source", f"file:{long_name}"]):
        code, _, err = run_cli(argv, capsys)
        assert code == 2 and "too long (at most 255 bytes)" in _one_plain_line(err), err


def test_a_real_pdf_under_a_255_byte_name(tmp_path, session):
    """The PDF path end to end, through the hook `python -m app` gives (Qt prints it; a child process, so
    no QGuiApplication is left in this one)."""
    out = tmp_path / ("s" * 251 + ".pdf")
    done = subprocess.run([sys.executable, "-m", "app", "summary", str(session), "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF")
