"""`glimpse summary` and `glimpse export`: a recorded session's page and moments from the command line, the
same code as Review's menus; a what-if export says so in the file and its name (issue 20)."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from app.cli.main import main
from app.store.marks import CSV_COLUMNS
from tests.support.paths import ROOT
from tests.test_session import record


@pytest.fixture
def session(tmp_path):
    return record(tmp_path / "sessions").folder  # one moment, shown live (prompted), and a mark


@pytest.fixture
def real_session(tmp_path):
    """A session live recorded of a real face (tests/data/recorded_session: two questions shown)."""
    folder = tmp_path / "sessions" / "session-real"
    shutil.copytree(ROOT / "tests" / "data" / "recorded_session", folder)
    return folder


def run(argv, capsys, cwd=None, monkeypatch=None):
    if cwd is not None:
        monkeypatch.chdir(cwd)
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def test_the_live_export_is_what_was_shown(session, tmp_path, capsys, monkeypatch):
    code, err = run(["export", session], capsys, tmp_path, monkeypatch)
    out = tmp_path / f"{session.name}-moments.csv"
    assert code == 0 and str(out.name) in err
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["prompted"] for r in rows] == ["True"] and rows[0]["prompt"] == "What else comes to mind about that?"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_what_if_export_says_so_and_claims_no_question(real_session, tmp_path, capsys, monkeypatch, fmt):
    settings = tmp_path / "s.json"
    settings.write_text(json.dumps({"version": 1, "settings": {"sensitivity": 80}}))
    code, err = run(["export", real_session, "--view", "what-if", "--format", fmt, "--settings", settings], capsys,
                    tmp_path, monkeypatch)
    out = tmp_path / f"{real_session.name}-what-if-moments.{fmt}"
    assert code == 0 and out.exists(), err
    text = out.read_text()
    assert "prompted" not in text and '"prompt"' not in text
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows and all(r["view"] == "what-if" for r in rows)
        assert any(r["would_prompt"] == "True" and r["would_offer"] for r in rows)
    else:
        data = json.loads(text)
        assert data["view"] == "what-if" and "None of it was shown live" in data["note"]
        assert data["settings"]["sensitivity"] == 80 and data["moments"]
        assert all("would_prompt" in m for m in data["moments"])


def test_settings_belong_to_the_what_if(session, capsys):
    code, err = run(["export", session, "--settings", "s.json"], capsys)
    assert code == 2 and "--settings is for --view what-if" in err


def test_summary_writes_the_menu_s_page_and_a_damaged_session_says_what_is_missing(session, tmp_path, capsys):
    (session / "segments" / "000001.mkv").unlink()
    out = tmp_path / "page.html"
    code, err = run(["summary", session, "--out", out], capsys)
    assert code == 0
    assert err.splitlines()[0] == ("glimpse: Part of this session is damaged and left out: the video of 0:01-0:02 "
                                   "(its video file is missing). The rest is shown.")
    page = out.read_text()
    assert "Session summary" in page and "the video of 0:01-0:02" in page


def test_a_pdf_needs_the_app_s_hook(session, tmp_path, capsys):
    code, err = run(["summary", session, "--out", tmp_path / "s.pdf"], capsys)
    assert code == 2 and "a PDF is printed by the desktop app's Qt" in err and not (tmp_path / "s.pdf").exists()


def test_a_video_file_is_for_analyze(tmp_path, capsys):
    from tests.support.paths import CLIP

    code, err = run(["export", CLIP], capsys)
    assert code == 2 and "for a video file: glimpse analyze" in err
