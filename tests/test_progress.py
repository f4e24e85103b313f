"""Time left on an analysis, and strength in words: small pure functions."""

from __future__ import annotations

import pytest

from app.spotting.strength import relative, strength_word
from app.system.progress import ProgressClock, estimate, format_duration


def test_no_estimate_before_there_is_a_rate():
    assert estimate([]).left_s is None
    assert estimate([(0.0, 0.0), (0.5, 0.1)]).left_s is None  # under a second of samples: noise
    assert estimate([(0.0, 0.0), (5.0, 0.0)]).left_s is None  # no progress: no promise
    assert "estimating" in estimate([(0.0, 0.0), (0.5, 0.1)]).text()


def test_time_left_follows_the_recent_rate():
    clock = ProgressClock(window_s=10.0)
    for t in range(0, 21):  # slow at first (1% a second), then 4% a second
        e = clock.update(t if t <= 10 else 10 + 4 * (t - 10), 100, float(t))
    assert e.done == pytest.approx(0.5)
    # the window holds the last ~10 s (4%/s): 50% left takes about 12.5 s, not the 33 s the start suggests
    assert e.left_s == pytest.approx(12.5, rel=0.15)
    assert e.elapsed_s == 20.0
    assert e.text().startswith("50% · about 1")


@pytest.mark.parametrize("s, text", [(0.2, "1 s"), (7.4, "7 s"), (42, "40 s"), (70, "1 min 10 s"),
                                     (120, "2 min"), (800, "13 min")])
def test_durations_read_like_a_person_says_them(s, text):
    assert format_duration(s) == text


@pytest.mark.parametrize("ratio, word", [(0.5, "below the threshold"), (1.0, "slight"), (1.49, "slight"),
                                         (1.5, "clear"), (2.49, "clear"), (2.5, "strong"), (9.0, "strong")])
def test_strength_words_are_relative_to_the_threshold(ratio, word):
    assert strength_word(ratio) == word
    assert relative(ratio * 6.0, 6.0).word == word


def test_strength_bar_is_bounded():
    assert relative(3.0, 6.0).bar == 1 / 6 and relative(60.0, 6.0).bar == 1.0 and relative(1.0, 0.0).ratio == 0.0
