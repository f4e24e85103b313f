"""The session summary page: what happened, from the session's own record, and nothing about feelings."""

from __future__ import annotations

import base64
import re
import threading
from pathlib import Path

import cv2
import numpy as np

from app.face.features import N_LEVELS, FrameFeatures, empty_features
from app.run.recordings import load_session
from app.run.review_model import ReviewModel
from app.settings.questions import FORBIDDEN_WORDS, words
from app.settings.schema import preset
from app.sources.capture import Frame, SourceInfo
from app.spotting.spotter import Moment, threshold_for
from app.spotting.strength import relative
from app.store.marks import HELPFUL, Mark, Review, review_path_for_session
from app.store.session import SessionWriter, open_session
from app.store.summary import BGR, MARGIN, collect, timeline_png, to_html, write_summary

FPS = 10.0
QUESTION = "What else comes to mind about that?"
# the words a summary must never hold: every feeling and concealment word the questions may not use
# ("face", "expression" and "micro" name what Glimpse measures, which a summary may say)
EMOTION = FORBIDDEN_WORDS - {"face", "expression", "micro", "really"}


def record(root):
    theta = threshold_for(preset("gentle").sensitivity)
    w = SessionWriter(root, SourceInfo("test camera", FPS, 64, 48), preset("gentle"), consent_confirmed=True,
                      segment_s=1.0)
    for i in range(40):
        t = i / FPS
        rng = np.random.default_rng(i)
        feats = (FrameFeatures(t, True, rng.normal(0, 0.01, N_LEVELS).astype(np.float32), np.zeros(3, np.float32),
                               np.zeros(52, np.float32), 1, None) if not 20 <= i < 25 else empty_features(t))
        w.add_frame(Frame(i, t, np.full((48, 64, 3), i, np.uint8)), feats)
        if i == 8:
            w.add_mark(t)
        if i == 15:
            w.add_moment(Moment(1.0, 1.1, 1.2, ("brows",), 3.0 * theta, prompted=True, prompt=QUESTION))
            w.add_moment(Moment(1.4, 1.45, 1.5, ("mouth",), 1.1 * theta))
    w.close()
    return w.folder


def test_summary_tells_what_happened(tmp_path):
    folder = record(tmp_path)
    moments = open_session(folder).moments
    Review(review_path_for_session(folder), [Mark.on(moments[0], HELPFUL, "they paused, then went on")]).save()
    s = collect(open_session(folder))
    assert [m.prompt for m in s.prompts] == [QUESTION] and s.asked_s == (0.8,)
    assert s.no_face == ((2.0, 2.5),)
    page = to_html(s)
    assert QUESTION in page and "0:01.0" in page and "0:00.8" in page  # the question, its time, "I just asked"
    assert "they paused, then went on" in page and "Helpful" in page  # the listener's mark and note
    assert "strong" in page and "Sensitivity" in page and "Quiet time after a prompt" in page
    assert "1 question shown" in page and "1 other moment" in page


def test_summary_names_no_feeling(tmp_path):
    page = to_html(collect(open_session(record(tmp_path))))
    text = re.sub(r"<[^>]+>|data:image/png;base64,[A-Za-z0-9+/=]+", " ", page)
    assert not set(words(text)) & EMOTION, sorted(set(words(text)) & EMOTION)


def test_the_picture_is_an_embedded_png_of_the_timeline(tmp_path):
    s = collect(open_session(record(tmp_path)))
    png = timeline_png(s, (400, 120))
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert img.shape == (120, 400, 3)
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 4  # not a blank page: spans, stems, axis, labels
    uri = re.search(r'src="data:image/png;base64,([^"]+)"', to_html(s)).group(1)
    assert base64.b64decode(uri)[:8] == b"\x89PNG\r\n\x1a\n"


def test_write_summary_to_a_file_or_into_a_folder(tmp_path):
    folder = record(tmp_path / "sessions")
    out = write_summary(folder, tmp_path / "page.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    (tmp_path / "pages").mkdir()
    assert write_summary(folder, tmp_path / "pages") == tmp_path / "pages" / f"{folder.name}.html"


RECORDED = Path(__file__).parent / "data" / "recorded_session"  # its second question was shown at 75 ("I just asked")


def test_the_summary_reads_each_moment_as_review_does(tmp_path):
    """Same strength word as Review's list, and the sensitivity each question was shown at (75 after
    "I just asked", not the listener's 50)."""
    session = open_session(RECORDED)
    s = collect(session)
    rec = load_session(RECORDED, session.settings, None, lambda done, total: None, threading.Event())
    result, _ = ReviewModel(session.settings).open(rec, session.settings)
    review_words = [relative(m.strength, t).word for m, t in zip(result.moments, result.row_thresholds, strict=True)]
    assert [x.word for x in s.strengths()] == review_words
    assert [w.sensitivity for w in s.spotted_with()] == [50.0, 75.0] and s.settings.sensitivity == 50.0
    rows = re.findall(r"<tr><td>(\d:\d\d\.\d)</td><td>[^<]*</td><td>[^<]*</td><td>(\w+)</td><td>([\d.]+)</td>",
                      to_html(s))
    assert [(word, float(sens)) for _, word, sens in rows] == list(zip(review_words, (50.0, 75.0), strict=True))


def test_the_stems_rise_from_the_threshold_line(tmp_path):
    s = collect(open_session(record(tmp_path)))
    img = cv2.imdecode(np.frombuffer(timeline_png(s), np.uint8), cv2.IMREAD_COLOR).astype(int)
    near = lambda colour: (np.abs(img - np.array(colour)).sum(axis=2) < 40)  # noqa: E731
    threshold_rows = np.flatnonzero(near(BGR["threshold"])[:, MARGIN[0]:].sum(axis=1) > 20)
    plot = slice(0, img.shape[0] - MARGIN[3])  # above the time axis (its labels are grey too)
    stems = np.flatnonzero((near(BGR["prompted"]) | near(BGR["quiet"]))[plot, MARGIN[0]:].any(axis=1))
    assert len(threshold_rows) and len(stems)
    assert stems.max() <= threshold_rows.max() + 1, "a stem reaches below the threshold line it rises from"


def test_the_summary_shows_no_timestamps_or_frame_counts(tmp_path):
    text = re.sub(r"<[^>]+>|data:image/png;base64,[A-Za-z0-9+/=]+", " ", to_html(collect(open_session(RECORDED))))
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\bframes?\b|\d:\d\d\.\d{3}", text), text
    assert "6 December 2026 at 23:27" in text  # session.json "created", in words
