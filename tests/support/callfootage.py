"""Test footage for watching a video call, made from real clips: small faces on a canvas (a gallery
tile), repeated frames (a 15 fps call grabbed at 30 Hz), a freeze then a jump, a low-bitrate re-encode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from app.sources.capture import FileSource, Frame

CANVAS_GREY = 40  # the call app's dark background around a tile


def small_face_frames(path: str | Path, scale: float, canvas: tuple[int, int] | None = None,
                      limit: int | None = None) -> Iterator[Frame]:
    """The clip's frames resized by `scale` and centred on a (width, height) dark canvas (or alone)."""
    with FileSource(path) as src:
        for frame in src:
            if limit is not None and frame.index >= limit:
                return
            yield Frame(frame.index, frame.t_s, place(frame.image, scale, canvas))


def place(image: np.ndarray, scale: float, canvas: tuple[int, int] | None) -> np.ndarray:
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if canvas is None:
        return small
    w, h = canvas
    out = np.full((h, w, 3), CANVAS_GREY, np.uint8)
    sh, sw = min(small.shape[0], h), min(small.shape[1], w)
    y0, x0 = (h - sh) // 2, (w - sw) // 2
    sy, sx = (small.shape[0] - sh) // 2, (small.shape[1] - sw) // 2
    out[y0:y0 + sh, x0:x0 + sw] = small[sy:sy + sh, sx:sx + sw]
    return out


def write_video(path: str | Path, frames: Iterator[np.ndarray], fps: float, crf: int = 12,
                bitrate: int | None = None) -> Path:
    """Frames (BGR) to an H.264 mp4 at a constant rate: near-lossless at the default `crf`, or
    squeezed to `bitrate` bits a second (heavy blocking at a few tens of kbit/s)."""
    from fractions import Fraction

    import av

    path = Path(path)
    with av.open(str(path), "w") as out:
        stream = None
        for image in frames:
            if stream is None:
                stream = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
                stream.width, stream.height = image.shape[1] // 2 * 2, image.shape[0] // 2 * 2
                stream.pix_fmt = "yuv420p"
                if bitrate:
                    stream.bit_rate = bitrate
                    stream.options = {"preset": "veryfast"}
                else:
                    stream.options = {"crf": str(crf), "preset": "veryfast"}
            image = image[:stream.height, :stream.width]
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def call_grabs(path: str | Path, call_fps: float = 15.0, grab_hz: float = 30.0,
               freeze: tuple[float, float] | None = None) -> Iterator[Frame]:
    """A clip as a call app shows it, grabbed at `grab_hz`: the picture changes `call_fps` times a
    second (each grab shows the newest picture, so pictures repeat); `freeze=(at_s, for_s)` holds
    the picture at `at_s` for `for_s` seconds, then jumps to the present (the frozen stretch is lost)."""
    grab_dt, pic_dt = 1.0 / grab_hz, 1.0 / call_fps
    with FileSource(path) as src:
        frames = iter(src)
        current = next(frames)
        upcoming = next(frames, None)
        k = 0
        while True:
            t = k * grab_dt
            shown_t = (t // pic_dt) * pic_dt + 1e-9  # the call picture on screen at t
            if freeze is not None and freeze[0] <= t < freeze[0] + freeze[1]:
                shown_t = (freeze[0] // pic_dt) * pic_dt + 1e-9
            while upcoming is not None and upcoming.t_s <= shown_t:
                current, upcoming = upcoming, next(frames, None)
            if upcoming is None and t > current.t_s + pic_dt:
                return
            yield Frame(k, t, current.image)
            k += 1
