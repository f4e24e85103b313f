"""Bad input: 200+ truncated, bit-flipped, random, mislabelled and oversized files, and damaged
session folders, through `glimpse analyze` and the replay loader.

Each input runs in a child process (bench/reliability/run.py `_fuzz-child`) with a time bound, so
a crash in OpenCV, FFmpeg or MediaPipe, or a hang, is caught and named instead of taking pytest
down. Every input must end within the bound with a valid result or one clear line from Glimpse."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fuzz import fuzz_summary, make_fuzz_inputs, make_session_inputs, run_fuzz

BOUND_S = 30.0  # per input, for both paths; typical is well under a second


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    work = tmp_path_factory.mktemp("fuzz")
    inputs = make_fuzz_inputs(work, seed=0) + make_session_inputs(work, seed=0)
    return run_fuzz(inputs, work / "run", bound_s=BOUND_S, workers=2)


SHORT_READ = "declared frames could be read"
WARNINGS = (SHORT_READ, "frames a second, which cannot be right")  # a cut file; a header's impossible rate


def short_read_warned(r) -> bool:
    """A damaged file analysed as far as it could be read, with glimpse analyze's warning lines saying
    so (a cut file, a header's impossible frame rate: one or both) and, when none of those frames held a
    face, the no-face line after them."""
    lines = r.message.split(" | ")
    warned = lines[0].startswith("glimpse: warning: ") and any(w in lines[0] for w in WARNINGS)
    return warned and r.replay in ("result", "error") and r.analyze in (
        "unclear (exit 0, 1 lines)", "unclear (exit 0, 2 lines)", "unclear (exit 3, 2 lines)",
        "unclear (exit 3, 3 lines)")


def test_every_bad_input_ends_in_time_with_a_result_or_one_clear_line(results):
    summary = fuzz_summary([r for r in results if not short_read_warned(r)])
    assert summary["failures"] == 0, "\n".join(summary["failed"])
    assert fuzz_summary(results)["max_s"] < BOUND_S
    assert any(short_read_warned(r) for r in results)  # truncated files whose index survives say so


def test_the_inputs_cover_every_kind_of_damage(results):
    files = [r for r in results if not r.input.kind.startswith("session")]
    assert len(files) >= 200
    kinds = {r.input.kind for r in files}
    assert {"zero-byte", "truncated", "bit-flipped", "random", "wrong extension", "huge declared size"} <= kinds
    sessions = [r for r in results if r.input.kind.startswith("session")]
    assert len(sessions) >= 60
    # damage that leaves a readable file is analysed; the rest is refused: both must occur
    outcomes = {(r.analyze, r.replay) for r in files}
    assert ("result", "result") in outcomes and ("error", "error") in outcomes
    assert any(r.replay == "error" for r in sessions) and any(r.replay == "result" for r in sessions)


def test_error_lines_name_the_file(results):
    for r in results:
        if r.analyze == "error" and not r.input.path.is_dir():
            assert Path(r.input.path).name in r.message, r.message
