"""The ground-truth injector: envelopes, warps, planning, and that the injected motion is real."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.cli.research import main_inject
from app.errors import GlimpseError
from app.research.events import ACTION_TYPES, Event, InjectError, make_event
from app.research.inject import _frames_in_order, _full, inject, pingpong_order, plan_events, smooth_points, track_video
from app.research.warp import DRIVERS, LIMITS, FaceFrame, Pull, _placed, displacement, warp_frame
from app.sources.capture import FileSource

DATA = Path(__file__).parent / "data"
CLIP = DATA / "single_face.mp4"  # 72 frames, 30 fps, 640x360
REGION_POINTS = {"brows": [70, 63, 105, 66, 107, 300, 293, 334, 296, 336], "lids": [159, 145, 386, 374],
                 "nose": [98, 327], "mouth": [61, 291, 0, 13, 14, 17]}
STABLE = [168, 6, 197, 195, 5, 4, 1, 127, 356, 234, 454]


@pytest.fixture(scope="module")
def face() -> tuple[np.ndarray, FaceFrame]:
    """Frame 30 of the clip and its face geometry (smoothed landmarks)."""
    track = track_video(CLIP)
    points = smooth_points(track.points, track.face)
    with FileSource(CLIP) as src:
        image = next(f.image for f in src if f.index == 30)
    return image, FaceFrame.from_points(_full(points[30]))


# ---------------------------------------------------------------------------------------------- events

def test_envelope_rises_holds_and_falls():
    e = make_event("brow_raise", apex_s=1.0, duration_s=0.2, amplitude_iod=0.05)
    assert (e.onset_s, e.offset_s, e.hold_s) == (pytest.approx(0.91), pytest.approx(1.11), pytest.approx(0.04))
    assert e.envelope(e.onset_s) == 0.0 and e.envelope(e.offset_s) == 0.0 and e.envelope(0.5) == 0.0
    assert e.envelope(e.apex_s) == 1.0 and e.envelope(e.apex_s + 0.019) == 1.0
    rise = [e.envelope(t) for t in np.linspace(e.onset_s, e.apex_s - 0.02, 20)]
    fall = [e.envelope(t) for t in np.linspace(e.apex_s + 0.02, e.offset_s, 20)]
    assert np.all(np.diff(rise) > 0) and np.all(np.diff(fall) < 0)
    assert e.regions == ["brows"] and Event.from_dict(e.to_dict()) == e


def test_a_partial_return_falls_to_its_residual_then_fades():
    from app.research.events import RESIDUAL_FADE_S

    e = make_event("brow_lower", apex_s=1.0, duration_s=0.3, amplitude_iod=0.02, residual=0.6)
    assert e.envelope(e.offset_s) == pytest.approx(0.6)  # the coded offset keeps 0.6 of the change
    assert e.end_s == pytest.approx(e.offset_s + RESIDUAL_FADE_S)
    tail = [e.envelope(t) for t in np.linspace(e.offset_s, e.end_s - 1e-6, 20)]
    assert np.all(np.diff(tail) < 0) and tail[-1] < 0.01 and e.envelope(e.end_s) == 0.0
    fall = [e.envelope(t) for t in np.linspace(e.apex_s + e.hold_s / 2 + 1e-3, e.offset_s, 20)]
    assert np.all(np.diff(fall) < 0) and min(fall) >= 0.6 - 1e-9
    assert Event.from_dict(e.to_dict()) == e
    full = make_event("brow_lower", apex_s=1.0, duration_s=0.3, amplitude_iod=0.02)
    assert "residual" not in full.to_dict() and full.end_s == full.offset_s  # old truth files unchanged


def test_macro_events_are_held():
    e = make_event("lip_corner_pull", apex_s=10.0, duration_s=3.0, amplitude_iod=0.04, kind="macro")
    assert e.duration_s == pytest.approx(3.0) and e.hold_s == pytest.approx(2.3)
    assert e.envelope(e.onset_s + 0.3) == 1.0 and e.envelope(e.offset_s - 0.4) == 1.0


@pytest.mark.parametrize("kwargs, message", [
    (dict(type="smirk"), "unknown action type"),
    (dict(kind="meso"), "kind"),
    (dict(type="lip_press", side="left"), "side"),
    (dict(amplitude_iod=0.0), "amplitude"),
    (dict(onset_s=1.2), "times"),
    (dict(residual=1.0), "residual"),
])
def test_event_rejects_impossible_values(kwargs, message):
    base = dict(onset_s=1.0, apex_s=1.1, offset_s=1.2, type="brow_raise", kind="micro", amplitude_iod=0.05,
                side="both", hold_s=0.02)
    with pytest.raises(ValueError, match=message):
        Event(**{**base, **kwargs})


# ---------------------------------------------------------------------------------------------- timeline

def test_pingpong_plays_forward_then_backward_without_repeats():
    assert pingpong_order(4, 10).tolist() == [0, 1, 2, 3, 2, 1, 0, 1, 2, 3]
    assert pingpong_order(5, 3).tolist() == [0, 1, 2]  # shorter: the start of the clip
    assert pingpong_order(1, 3).tolist() == [0, 0, 0]
    steps = np.abs(np.diff(pingpong_order(7, 100)))
    assert np.all(steps == 1)  # no cut anywhere


def test_smoothing_averages_five_frames_and_keeps_gaps():
    rng = np.random.default_rng(0)
    points = (10 + rng.normal(0, 1, (50, 3, 2))).astype(np.float32)
    face = np.ones(50, bool)
    face[20:23] = False
    points[~face] = np.nan
    smooth = smooth_points(points, face)
    assert np.isnan(smooth[20:23]).all() and not np.isnan(smooth[face]).any()
    assert smooth[10, 0, 0] == pytest.approx(points[8:13, 0, 0].mean())
    assert smooth[19, 0, 0] == pytest.approx(points[17:20, 0, 0].mean())  # frames without a face do not count
    assert np.nanstd(smooth[30:] - 10) < 0.6 * np.nanstd(points[30:] - 10)


def _ok(n: int, missing: slice | None = None) -> dict[str, np.ndarray]:
    mask = np.ones(n, bool)
    if missing is not None:
        mask[missing] = False
    return {t: mask for t in ACTION_TYPES}


def test_planned_events_keep_their_distance_and_avoid_faceless_frames():
    fps = 30.0
    ok = _ok(1800, slice(600, 750))  # 60 s, no face 20-25 s
    events = plan_events(ok, fps, 8, 2, np.random.default_rng(7))
    assert [e.kind for e in events].count("macro") == 2 and len(events) == 10
    assert events[0].onset_s >= 2.5
    for a, b in zip(events, events[1:]):
        assert b.onset_s - a.offset_s >= 3.0
    for e in events:
        assert e.offset_s <= 60.0 - 0.5
        assert e.offset_s + 0.5 <= 20.0 or e.onset_s - 0.5 >= 25.0
        k = round(e.apex_s * fps)
        assert e.apex_s == pytest.approx(k / fps, abs=1e-4) and e.envelope(k / fps) == 1.0
        low, high = (0.06, 0.5) if e.kind == "micro" else (1.5, 4.0)
        assert low <= e.duration_s <= high + 1e-3 and 0.02 <= e.amplitude_iod <= 0.08
    again = plan_events(ok, fps, 8, 2, np.random.default_rng(7))
    other = plan_events(ok, fps, 8, 2, np.random.default_rng(8))
    assert again == events and other != events


def test_planning_too_many_events_is_an_error():
    with pytest.raises(InjectError, match="could place only"):
        plan_events(_ok(600), 30.0, 10, 0, np.random.default_rng(0))
    assert issubclass(InjectError, GlimpseError)


# ---------------------------------------------------------------------------------------------- warps

@pytest.mark.parametrize("type", ACTION_TYPES)
def test_displacement_at_the_driving_landmarks_is_the_amplitude(face, type):
    _, f = face
    amount = 0.05 * f.iod
    d = displacement(f.points[DRIVERS[type]], f, [Pull(type, "both", amount)])
    assert np.linalg.norm(d, axis=1) == pytest.approx(amount, rel=0.05)  # brow ends sit a little past the handle
    up = d @ f.up / amount
    expected_up = {"brow_raise": 1, "brow_lower": -1, "lip_corner_pull": 1, "lip_corner_depress": -1,
                   "nose_wrinkle": 1, "upper_lid_raise": 1}
    if type == "lip_press":  # the lips close in on the lip line: upper edge down, lower edge up
        assert up.tolist() == pytest.approx([-1, 1], abs=0.05)
    else:
        assert np.all(np.sign(up) == expected_up[type]) and np.all(np.abs(up) > 0.5)


@pytest.mark.parametrize("type", [t for t in ACTION_TYPES if t != "lip_press"])
def test_one_sided_pulls_leave_the_other_side_still(face, type):
    _, f = face
    amount = 0.05 * f.iod
    d = displacement(f.points[DRIVERS[type]], f, [Pull(type, "right", amount)])
    moving = np.linalg.norm(d, axis=1) > 0.5 * amount
    right_side = (f.points[DRIVERS[type]] - f.points[[33, 263]].mean(0)) @ f.right_to_left < 0
    assert moving.tolist() == right_side.tolist()


@pytest.mark.parametrize("type", ACTION_TYPES)
def test_warps_never_fold(face, type):
    """x -> x + D(x) keeps its orientation everywhere (no tearing) at the largest amplitude allowed."""
    _, f = face
    amount = min(0.08, f.limit_iod(type)) * f.iod
    x0, y0, x1, y1 = np.array([h.box for h in _placed(f, [Pull(type, "both", amount)])]).T
    gx, gy = np.meshgrid(np.arange(x0.min(), x1.max(), 0.5), np.arange(y0.min(), y1.max(), 0.5))
    d = displacement(np.stack([gx.ravel(), gy.ravel()], 1), f, [Pull(type, "both", amount)]).reshape(*gx.shape, 2)
    dxx, dxy = np.gradient(d[..., 0], 0.5, axis=(1, 0))
    dyx, dyy = np.gradient(d[..., 1], 0.5, axis=(1, 0))
    jacobian = (1 + dxx) * (1 + dyy) - dxy * dyx
    assert jacobian.min() > 0.25


def test_warp_changes_only_the_region_it_pulls(face):
    image, f = face
    assert np.array_equal(warp_frame(image, f, [Pull("brow_raise", "both", 0.0)]), image)
    warped = warp_frame(image, f, [Pull("lip_corner_pull", "both", 0.06 * f.iod)])
    changed = np.argwhere(np.abs(warped.astype(int) - image.astype(int)).max(axis=2) > 2)
    assert len(changed) > 100
    rows, cols = changed[:, 0], changed[:, 1]
    mouth = f.points[[61, 291, 0, 17]]
    assert rows.min() > f.points[[159, 386], 1].max()  # nothing at or above the eyes
    assert cols.min() > mouth[:, 0].min() - 0.5 * f.iod and cols.max() < mouth[:, 0].max() + 0.5 * f.iod


def test_limits_shrink_lip_press_to_what_the_lips_allow(face):
    _, f = face
    lips = min(np.linalg.norm(f.points[0] - f.points[13]), np.linalg.norm(f.points[14] - f.points[17])) / f.iod
    assert f.limit_iod("lip_press") == pytest.approx(LIMITS["lip_press"][1] * lips)
    assert f.limit_iod("brow_raise") == np.inf


# ---------------------------------------------------------------------------------------------- injection

def test_injection_is_deterministic_and_lengthens_by_pingpong(tmp_path):
    truths = [inject(CLIP, tmp_path / f"out{i}.mp4", 2, seed, lengthen_to_s=12.0) for i, seed in enumerate((3, 3, 4))]
    assert json.dumps(truths[0]) == json.dumps(truths[1])
    assert truths[2]["events"] != truths[0]["events"]
    t = truths[0]
    assert (t["frames"], t["fps"], t["source_frames"], t["pingpong"]) == (360, 30.0, 72, True)
    assert len(t["events"]) == 2 and all(e["kind"] == "micro" for e in t["events"])
    with FileSource(tmp_path / "out0.mp4") as out, FileSource(CLIP) as src:
        assert (out.info.width, out.info.height) == (640, 360) and out.info.fps == pytest.approx(30.0)
        source = [f.image for f in src]
        written = [f for f in out]
    assert len(written) == 360
    assert [f.t_s for f in written[:3]] == pytest.approx([0.0, 1 / 30, 2 / 30])
    order = pingpong_order(72, 360)
    busy = {k for e in t["events"] for k in range(int(e["onset_s"] * 30) - 1, int(e["offset_s"] * 30) + 2)}
    for k in (0, 100, 200, 300):  # frames without an event are the source frames (up to encoding)
        if k not in busy:
            assert cv2.PSNR(written[k].image, source[order[k]]) > 30


def test_frames_come_in_pingpong_order_from_a_cache_made_on_demand(tmp_path):
    with FileSource(CLIP) as src:
        source = [f.image for f in src]
    order = pingpong_order(72, 80)
    frames = list(_frames_in_order(CLIP, order, tmp_path / "frames.raw", (360, 640)))
    assert len(frames) == 80 and (tmp_path / "frames.raw").exists()
    assert all(np.array_equal(frames[k], source[order[k]]) for k in (0, 71, 72, 79))
    cut = list(_frames_in_order(CLIP, np.arange(10), tmp_path / "unused.raw", (360, 640)))
    assert len(cut) == 10 and not (tmp_path / "unused.raw").exists()  # the plain start is streamed


def test_command_writes_video_and_truth(tmp_path, capsys):
    out, truth = tmp_path / "out.mp4", tmp_path / "sub" / "truth.json"
    assert main_inject([str(CLIP), str(out), "--truth", str(truth), "--events", "1", "--length", "8",
                        "--types", "brow_raise,lip_press"]) == 0
    data = json.loads(truth.read_text())
    assert data["frames"] == 240 and len(data["events"]) == 1 and out.stat().st_size > 0
    assert data["events"][0]["type"] in ("brow_raise", "lip_press")
    assert "1 events" in capsys.readouterr().out


def test_explicit_events_outside_the_video_are_refused(tmp_path):
    with pytest.raises(InjectError, match="outside the video"):
        inject(CLIP, tmp_path / "out.mp4", [make_event("brow_raise", 2.3, 0.3, 0.05)], 0)
    with pytest.raises(InjectError, match="overwrite"):
        inject(CLIP, CLIP, 1, 0)


# ---------------------------------------------------------------------------------------------- the motion is real

def _track_all(path: Path) -> np.ndarray:
    from app.face.tracking import FaceTracker

    out = []
    with FileSource(path) as src, FaceTracker() as tracker:
        for f in src:
            obs = tracker.update(f.image, f.t_s)
            assert obs is not None
            out.append(obs.landmarks[:, :2] * [f.image.shape[1], f.image.shape[0]])
    return np.array(out)


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    """Every action type once, 250 ms at 0.06 IOD (lip press and lid raise as far as the face allows),
    in the 2.4 s clip, with a copy written the same way but without events as the reference."""
    tmp = tmp_path_factory.mktemp("inject")
    events = [make_event(t, round((0.2 + 0.3 * i) * 30) / 30, 0.25, 0.06) for i, t in enumerate(ACTION_TYPES)]
    truth = inject(CLIP, tmp / "inj.mp4", events, 0)
    inject(CLIP, tmp / "copy.mp4", [], 0)
    frames = {}
    for name in ("inj", "copy"):
        with FileSource(tmp / f"{name}.mp4") as src:
            frames[name] = [f.image for f in src]
    return truth, _track_all(tmp / "inj.mp4"), _track_all(tmp / "copy.mp4"), frames


def _apex(truth: dict, type: str) -> tuple[dict, int]:
    e = next(e for e in truth["events"] if e["type"] == type)
    return e, round(e["apex_s"] * truth["fps"])


@pytest.mark.parametrize("type", ACTION_TYPES)
def test_injected_pixels_move_by_the_amplitude(injected, type):
    """Dense optical flow between the reference and the injected apex frame, at the driving landmarks."""
    truth, _, ref, frames = injected
    e, k = _apex(truth, type)
    f = FaceFrame.from_points(ref[k])
    amount = e["amplitude_iod"] * f.iod
    expected = displacement(f.points[DRIVERS[type]], f, [Pull(type, "both", amount)])
    gray = [cv2.cvtColor(frames[n][k], cv2.COLOR_BGR2GRAY) for n in ("copy", "inj")]
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(gray[0], gray[1], None)
    xy = np.round(f.points[DRIVERS[type]]).astype(int)
    along = (flow[xy[:, 1], xy[:, 0]] * expected).sum(1) / np.linalg.norm(expected, axis=1)
    assert 0.3 * amount < along.mean() < 1.3 * amount  # flow smooths small structures: 0.45-0.95 measured


@pytest.mark.parametrize("type", [t for t in ACTION_TYPES if t != "nose_wrinkle"])
def test_mediapipe_sees_the_injected_motion_in_its_region_only(injected, type):
    """Landmarks tracked in the injected video move by roughly the amplitude (MediaPipe reports
    0.5-0.95 of it) in the chosen region and by little elsewhere. Nose wrinkles are left out: MediaPipe's
    nose landmarks barely follow the nose wings (about 0.05 of the amplitude, see the report)."""
    truth, inj, ref, _ = injected
    e, k = _apex(truth, type)
    f = FaceFrame.from_points(ref[k])
    amount = e["amplitude_iod"] * f.iod
    expected = displacement(f.points[DRIVERS[type]], f, [Pull(type, "both", amount)])
    shift = np.median(inj[k, STABLE] - ref[k, STABLE], axis=0)  # whole-face tracker offset, not expression
    moved = inj[k] - ref[k] - shift
    along = (moved[DRIVERS[type]] * expected).sum(1) / np.linalg.norm(expected, axis=1)
    assert 0.4 * amount < along.mean() < 1.3 * amount
    for region, idx in REGION_POINTS.items():
        if region not in e["regions"]:
            assert np.linalg.norm(moved[idx], axis=1).mean() < 0.3 * amount + 0.005 * f.iod, region  # + noise
