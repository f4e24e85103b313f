"""A real micro-expression in a context that is not trivially still, as a call would deliver it.

The 128x128 clip is pasted into a 640x480 head-and-shoulders frame: the onset frame, scaled so the
face is `face_px` tall (forehead to chin), its edges stretched and blurred into a background, with the
sharp face feathered in. Around the clip the onset frame (before) and the offset frame (after) are
held, and the face layer moves all along with real head micro-motion: the rigid motion (2-D
similarity on the landmarks that expressions barely move) of a person at rest in a quiet stretch of
the natural footage, lightly smoothed so tracker jitter is not taken for motion. Fresh sensor noise
(its level measured on that same stretch) goes on every frame, and the video is H.264 at a call's
bitrate.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from app.face.landmarks import LEFT_EYE_CORNERS, RIGHT_EYE_CORNERS, STABLE_POINTS
from app.face.tracking import FACE_BOTTOM, FACE_TOP
from bench.common.paths import shared_data
from bench.personwise.track import RawTrack, tracked
from bench.realme.clips import Clip, resample

FRAME_W, FRAME_H = 640, 480
FACE_CENTRE_Y = 0.45  # of the frame height: a head-and-shoulders framing
LEAD_IN_S = 5.0  # the still onset frame before the clip (the spotter's warm-up is 2 s)
LEAD_OUT_S = 3.0  # the still offset frame after it
BITRATE = {30: 600_000, 60: 900_000}  # bits a second: a 640x480 video call
FEATHER = 0.12  # of the pasted side: the soft edge between the face layer and the background
BACKGROUND_BLUR = 0.08  # of the frame width: Gaussian sigma of the stretched-edge background
MOTION_SMOOTH_S = 0.12  # centred mean over this long on the source's rigid motion (tracker jitter)
NOISE_RANGE = (1.0, 4.0)  # grey levels: the measured sensor noise is clipped to this


@dataclass(frozen=True)
class QuietStretch:
    """A person at rest (listening, nearly still) in a natural clip: seconds `start_s`..`end_s`."""

    clip: str
    start_s: float
    end_s: float


# The stillest 9 s windows of rigid motion among the natural clips with the mouth at rest (scanned:
# franck 62.4-71.4 s moves 1.8% in scale, 1.3 deg, 7% IOD; msu 0.9-9.9 s: 2.4%, 1.5 deg, 9% IOD). Not
# wider: franck tilts his head by 10 deg at 71.5 s (a first run that reached it had spotter moments
# there). The clm clips' "neutral" parts lean in and out (scale 0.7-1.26, shifts of half an IOD).
QUIET = (QuietStretch("franck_part1.mp4", 62.2, 71.4), QuietStretch("msu_neutral.mp4", 0.1, 10.0))


@dataclass(frozen=True)
class Motion:
    """Rigid head motion over time: per sample, scale ratio, angle (rad) and translation in IOD units,
    relative to the stretch's first frame; `noise` the stretch's sensor noise (grey levels, std)."""

    t_s: np.ndarray
    scale: np.ndarray
    angle: np.ndarray
    shift: np.ndarray  # (n, 2) IOD units, image axes
    noise: float
    source: str

    def at(self, t: float) -> tuple[float, float, np.ndarray]:
        s = float(np.interp(t, self.t_s, self.scale))
        a = float(np.interp(t, self.t_s, self.angle))
        d = np.array([np.interp(t, self.t_s, self.shift[:, 0]), np.interp(t, self.t_s, self.shift[:, 1])])
        return s, a, d


def _similarity_2d(src: np.ndarray, dst: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Scale, angle, translation mapping src onto dst (least squares, 2-D Umeyama)."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(b.T @ a)
    d = np.array([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    rot = u @ np.diag(d) @ vt
    scale = float((sig * d).sum() / (a * a).sum())
    return scale, float(np.arctan2(rot[1, 0], rot[0, 0])), mu_d - scale * rot @ mu_s


def _iod_px(p: np.ndarray) -> float:
    return float(np.linalg.norm(p[list(RIGHT_EYE_CORNERS)].mean(0) - p[list(LEFT_EYE_CORNERS)].mean(0)))


def _sensor_noise(clip: Path, start_s: float, end_s: float, face_box: tuple[int, int, int, int]) -> float:
    """Temporal noise std (grey levels) outside the face box: robust, from frame-to-frame changes."""
    from app.sources.capture import FileSource

    diffs, prev = [], None
    x0, y0, x1, y1 = face_box
    with FileSource(clip) as src:
        for frame in src:
            if frame.t_s < start_s:
                continue
            if frame.t_s > min(end_s, start_s + 3.0):
                break
            g = cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY).astype(np.float32)
            if prev is not None:
                d = np.abs(g - prev)
                d[y0:y1, x0:x1] = np.nan
                diffs.append(np.nanmedian(d))
            prev = g
    sigma = 1.4826 * float(np.median(diffs)) / np.sqrt(2) if diffs else NOISE_RANGE[0]
    return float(np.clip(sigma, *NOISE_RANGE))


def head_motion(stretch: QuietStretch, offset_s: float, length_s: float, log=print) -> Motion:
    """The rigid motion of `stretch` from `offset_s` into it, for `length_s` seconds."""
    path = shared_data() / "natural" / stretch.clip
    track: RawTrack = tracked(path, log=log)
    w, h = track.size
    t0 = stretch.start_s + offset_s
    rows = np.flatnonzero((track.t_s >= t0 - MOTION_SMOOTH_S) & (track.t_s <= t0 + length_s + MOTION_SMOOTH_S)
                          & track.face)
    pts = track.landmarks[rows][:, :, :2] * np.array([w, h], np.float32)
    ref = pts[0]
    iod = _iod_px(ref)
    params = []
    for p in pts:
        s, a, tr = _similarity_2d(ref[STABLE_POINTS], p[STABLE_POINTS])
        centre = ref[STABLE_POINTS].mean(0)
        moved = s * _rot(a) @ centre + tr  # where the reference face centre went
        params.append((s, a, *((moved - centre) / iod)))
    arr = np.array(params)
    k = max(1, int(round(MOTION_SMOOTH_S * track.fps)))
    kernel = np.ones(k) / k
    arr = np.stack([np.convolve(np.pad(c, (k // 2, k - 1 - k // 2), mode="edge"), kernel, "valid")
                    for c in arr.T], axis=1)
    lo, hi = ref.min(0), ref.max(0)
    box = (int(lo[0]), int(lo[1]), int(hi[0]) + 1, int(hi[1]) + 1)
    noise = _sensor_noise(path, t0, t0 + length_s, box)
    return Motion(track.t_s[rows] - t0, arr[:, 0] / arr[0, 0], arr[:, 1] - arr[0, 1], arr[:, 2:] - arr[0, 2:],
                  noise, f"{stretch.clip} {t0:.1f}-{t0 + length_s:.1f} s")


def _rot(a: float) -> np.ndarray:
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


@dataclass(frozen=True)
class Geometry:
    """Where the face is in a clip's 128x128 crop: forehead-to-chin height, IOD and centre (crop px)."""

    face_px: float
    iod_px: float
    centre: tuple[float, float]


def face_geometry(image: np.ndarray) -> Geometry:
    """Track one still crop (padded and upscaled so the detector sees a whole head)."""
    from app.face.tracking import FaceTracker

    pad, up = 64, 3.0
    big = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    big = cv2.resize(big, None, fx=up, fy=up, interpolation=cv2.INTER_CUBIC)
    with FaceTracker(None, 1) as tracker:
        obs = tracker.update(big, 0.0)
    if obs is None:
        raise RuntimeError("no face found in the clip's onset frame")
    p = obs.landmarks[:, :2] * np.array([big.shape[1], big.shape[0]]) / up - pad
    centre = p[STABLE_POINTS].mean(0)
    return Geometry(float(abs(p[FACE_BOTTOM, 1] - p[FACE_TOP, 1])), _iod_px(p), (float(centre[0]), float(centre[1])))


@dataclass(frozen=True)
class Variant:
    fps: int
    face_px: int
    stretch: QuietStretch
    offset_s: float  # into the stretch

    @property
    def tag(self) -> str:
        return f"{self.fps}fps-{self.face_px}px"


def variants(clip: Clip, fps_list=(30, 60), sizes=(120, 200, 300)) -> list[Variant]:
    """Every rate and size, each with its own quiet stretch and offset (deterministic per clip)."""
    out = []
    length = LEAD_IN_S + clip.duration_s + LEAD_OUT_S
    for i, (fps, size) in enumerate((f, s) for f in fps_list for s in sizes):
        seed = zlib.crc32(f"{clip.name}:{fps}:{size}".encode())
        stretch = QUIET[(seed + i) % len(QUIET)]
        room = max(0.0, stretch.end_s - stretch.start_s - length)
        out.append(Variant(fps, size, stretch, round((seed % 1000) / 1000 * room, 2)))
    return out


def _layer_matrix(geom: Geometry, scale: float, motion: tuple[float, float, np.ndarray]) -> np.ndarray:
    """2x3 affine: crop pixels -> frame pixels (scaled, face centred, then moved as the head moves)."""
    s, a, shift = motion
    cx, cy = geom.centre
    target = np.array([FRAME_W / 2, FRAME_H * FACE_CENTRE_Y])
    lin = s * scale * _rot(a)
    trans = target + shift * geom.iod_px * scale - lin @ np.array([cx, cy])
    return np.hstack([lin, trans[:, None]]).astype(np.float32)


def _background(onset: np.ndarray, geom: Geometry, scale: float) -> np.ndarray:
    m = _layer_matrix(geom, scale, (1.0, 0.0, np.zeros(2)))
    bg = cv2.warpAffine(onset, m, (FRAME_W, FRAME_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return cv2.GaussianBlur(bg, (0, 0), BACKGROUND_BLUR * FRAME_W).astype(np.float32)


def _feather_mask(side: int) -> np.ndarray:
    ramp = np.clip(np.minimum(np.arange(side), np.arange(side)[::-1]) / (FEATHER * side), 0, 1)
    return np.outer(ramp, ramp).astype(np.float32)


def compose(clip: Clip, geom: Geometry, variant: Variant, motion: Motion, seed: int) -> tuple[list[np.ndarray], float]:
    """The context video's frames (BGR) and the clip's onset time in it (on a frame)."""
    fps = variant.fps
    frames = clip.frames()
    moving = resample(frames, clip.fps, fps)
    n_in, n_out = int(round(LEAD_IN_S * fps)), int(round(LEAD_OUT_S * fps))
    layers = [frames[0]] * n_in + list(moving) + [frames[-1]] * n_out
    scale = variant.face_px / geom.face_px
    bg = _background(frames[0], geom, scale)
    mask = _feather_mask(frames.shape[1])
    rng = np.random.default_rng(seed)
    out = []
    for k, layer in enumerate(layers):
        m = _layer_matrix(geom, scale, motion.at(k / fps))
        face = cv2.warpAffine(layer, m, (FRAME_W, FRAME_H), flags=cv2.INTER_LINEAR).astype(np.float32)
        alpha = cv2.warpAffine(mask, m, (FRAME_W, FRAME_H), flags=cv2.INTER_LINEAR)[..., None]
        image = alpha * face + (1 - alpha) * bg + rng.normal(0.0, motion.noise, bg.shape).astype(np.float32)
        out.append(np.clip(np.rint(image), 0, 255).astype(np.uint8))
    return out, n_in / fps


def write_h264(path: Path, frames: list[np.ndarray], fps: int, bitrate: int) -> Path:
    """Frames (BGR) to an H.264 mp4 at `bitrate` bits a second (a call's rate control, one pass)."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height = FRAME_W, FRAME_H
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = bitrate
        stream.options = {"preset": "veryfast", "tune": "zerolatency"}
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    tmp.replace(path)
    return path
