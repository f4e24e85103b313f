"""End to end on a real face: brief changes added by the injector are found when they happened;
the same change held for 2 s is not a moment."""

import json
from pathlib import Path

import pytest

from app.research.events import make_event
from app.research.inject import inject
from app.run.pipeline import analyze
from app.settings.schema import Settings

DATA = Path(__file__).parent / "data"
CLIP = DATA / "injected_short.mp4"


def overlapping(moments, event, tolerance=0.1):
    return [m for m in moments
            if m.start_s <= event["offset_s"] + tolerance and m.end_s >= event["onset_s"] - tolerance]


def test_brief_changes_are_found_at_the_right_time():
    truth = json.loads((DATA / "injected_short.json").read_text())
    result = analyze(CLIP, Settings())
    for event in truth["events"]:
        found = overlapping(result.moments, event)
        assert len(found) == 1, event
        assert event["regions"][0] in found[0].regions
        assert abs(found[0].peak_s - event["apex_s"]) < 0.2
    assert len(result.moments) == len(truth["events"])  # nothing else in this calm stretch
    assert [m.prompted for m in result.moments] == [True, False]  # the second is within the cooldown


@pytest.fixture(scope="module")
def held_clip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("held")
    base = folder / "base.mp4"
    import cv2

    from app.sources.capture import FileSource

    with FileSource(DATA / "WolfgangLanger_Pexels.mp4") as src:
        out = cv2.VideoWriter(str(base), cv2.VideoWriter_fourcc(*"mp4v"), src.info.fps, (640, 360))
        for frame in src:
            if frame.t_s >= 9.5:
                out.write(frame.image)
        out.release()
    clip = folder / "held.mp4"
    truth = inject(base, clip, [make_event("brow_raise", 5.0, 2.0, 0.07, kind="macro")])
    return clip, truth["events"][0]


def test_the_same_change_held_for_two_seconds_is_not_a_moment(held_clip):
    clip, event = held_clip
    assert event["offset_s"] - event["onset_s"] >= 2.0
    assert overlapping(analyze(clip, Settings()).moments, event) == []
    # at the highest sensitivity the footage's own mouth movements may be reported; the held brows not
    assert [m for m in overlapping(analyze(clip, Settings(sensitivity=100)).moments, event) if "brows" in m.regions] == []
