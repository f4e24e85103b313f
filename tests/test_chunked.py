"""One video tracked in several processes gives the single-process moments (outside the lead-ins)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.run.chunked import (
    Chunk,
    Observations,
    StitchMismatch,
    default_workers,
    plan_chunks,
    stitched_faces,
    track_video_parallel,
    with_pixels,
)
from app.run.pipeline import analyze, track_video
from app.settings.schema import Settings, preset
from app.sources.capture import SourceInfo

DATA = Path(__file__).parent / "data"


def test_chunks_cover_every_frame_once_with_a_lead_in():
    chunks = plan_chunks(3600, 30.0, 2)
    assert [(c.first, c.stop, c.lead) for c in chunks] == [(0, 1800, 0), (1800, None, 30)]
    long = plan_chunks(30 * 600, 30.0, 2)  # 10 min: chunks of at most 2 min
    assert len(long) == 5 and all(b.first == a.stop for a, b in zip(long, long[1:]))
    assert plan_chunks(40, 30.0, 4) == [Chunk(0, 0, None, 0)]  # too short to split


def test_short_or_uncounted_videos_use_one_process():
    assert default_workers(SourceInfo("x", 30.0, 640, 480, 30 * 10)) == 1
    assert default_workers(SourceInfo("x", 30.0, 640, 480, 0)) == 1
    assert default_workers(SourceInfo("x", 30.0, 640, 480, 30 * 60)) >= 1


def _obs(times) -> Observations:
    n = len(times)
    return Observations(np.asarray(times, float), np.zeros(n, bool), np.zeros((n, 478, 3), np.float32),
                        np.zeros((n, 52), np.float32), np.tile(np.eye(4, dtype=np.float32), (n, 1, 1)),
                        np.zeros(n, np.int16))


def test_stitching_drops_lead_ins_and_refuses_a_misplaced_chunk():
    a, b = Chunk(0, 0, 3, 0), Chunk(1, 3, None, 2)
    times = [t for t, _ in stitched_faces(iter([(a, _obs([0.0, 0.1, 0.2])), (b, _obs([0.1, 0.2, 0.3, 0.4]))]))]
    assert times == [0.0, 0.1, 0.2, 0.3, 0.4]
    with pytest.raises(StitchMismatch):  # the seek landed after the previous chunk's last frame
        list(stitched_faces(iter([(a, _obs([0.0, 0.1, 0.2])), (b, _obs([0.3, 0.4]))])))


def _key(m):
    return (m.start_s, m.peak_s, m.end_s, m.regions, m.strength, m.kind)


@pytest.mark.parametrize("clip", ["injected_short.mp4", "WolfgangLanger_Pexels.mp4"])
def test_two_workers_give_the_single_process_moments(clip):
    video = DATA / clip
    info, single = track_video(video)
    _, parallel = track_video_parallel(video, 2)
    assert parallel.meta["workers"] == 2
    assert np.array_equal(single.t_s, parallel.t_s) and np.array_equal(single.face, parallel.face)
    chunks = plan_chunks(info.frame_count, info.fps, 2)
    lead_in = [(single.t_s[c.first - c.lead], single.t_s[c.first + c.lead]) for c in chunks[1:]]
    for settings in (preset("gentle"), preset("balanced"), Settings(sensitivity=100.0, cooldown_s=0.0)):
        a = [_key(m) for m in analyze(video, settings, table=single).moments]
        b = [_key(m) for m in analyze(video, settings, table=parallel).moments]
        differ = set(a) ^ set(b)
        print(f"{clip} sensitivity {settings.sensitivity:g}: {len(a)} moments in one process, {len(b)} in two, "
              f"{len(differ)} differ")
        assert [k for k in a if outside_key(k, lead_in)] == [k for k in b if outside_key(k, lead_in)]
    # features outside the lead-ins are those of the single process, frame for frame
    mask = np.ones(len(single), bool)
    for c in chunks[1:]:
        mask[c.first:c.first + c.lead] = False
    np.testing.assert_array_equal(single.levels[mask], parallel.levels[mask])


def outside_key(k, lead_in) -> bool:
    start_s, _, end_s = k[0], k[1], k[2]
    return all(end_s < lo or start_s > hi for lo, hi in lead_in)


def test_a_truncated_video_in_two_workers_gives_what_one_reads(tmp_path):
    """Its container declares more frames than can be read: chunks past the end are empty."""
    import av

    from app.sources.capture import FileSource

    whole, cut = tmp_path / "whole.mp4", tmp_path / "cut.mp4"
    with FileSource(DATA / "injected_short.mp4") as src, av.open(str(whole), "w",
                                                                  options={"movflags": "faststart"}) as out:
        stream = out.add_stream("mpeg4", rate=24)
        stream.width, stream.height, stream.pix_fmt = src.info.width, src.info.height, "yuv420p"
        for f in src:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(f.image, format="bgr24")))
        out.mux(stream.encode())
    data = whole.read_bytes()
    cut.write_bytes(data[:len(data) // 3])
    info, single = track_video(cut)
    assert info.frame_count == 244 and 0 < len(single) < 244 / 2  # the second chunk starts past the end
    _, parallel = track_video_parallel(cut, 2)
    assert np.array_equal(single.t_s, parallel.t_s)
    np.testing.assert_array_equal(single.levels, parallel.levels)


def test_stitched_faces_get_the_frames_read_again_when_a_channel_reads_pixels(monkeypatch):
    from app.sources.capture import FileSource

    video = DATA / "injected_short.mp4"
    with FileSource(video) as source:
        info, frames = source.info, [f for f, _ in zip(source, range(40))]
    faces = [(f.t_s, None) for f in frames]
    for module in ("app.run.chunked", "app.face.channels"):  # as when no channel reads pixels
        monkeypatch.setattr(f"{module}.READS_PIXELS", False)
    blank = [image for _, _, image in with_pixels(iter(faces), video, info)]
    assert all(image.shape == frames[0].image.shape and not image.any() for image in blank)
    monkeypatch.setattr("app.run.chunked.READS_PIXELS", True)
    again = list(with_pixels(iter(faces), video, info))
    assert [t for t, _, _ in again] == [f.t_s for f in frames]
    assert all(np.array_equal(image, f.image) for (_, _, image), f in zip(again, frames))
    with pytest.raises(StitchMismatch):  # a frame read again that is not the one tracked
        list(with_pixels(iter([(frames[1].t_s, None)]), video, info))
