"""Face tracking with MediaPipe Face Landmarker (Tasks API), one face per frame.

MediaPipe types stop here: the rest of Glimpse sees `FaceObservation`.

We run VIDEO mode with `num_faces=2`: with one face MediaPipe smooths landmarks
with a One-Euro filter that damps exactly the brief movements we look for
(a 100 ms movement keeps about 0.44 of its size, against 0.6-0.75 unsmoothed),
and two faces let us pick the largest, most central one ourselves.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.errors import ModelAltered, ModelMissing
from app.system import resources

MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
MODEL_URL = ("https://storage.googleapis.com/mediapipe-models/face_landmarker/"
             "face_landmarker/float16/1/face_landmarker.task")
DEFAULT_MODEL = resources.MODEL
N_LANDMARKS = 478
BLENDSHAPE_NAMES = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft",
    "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft",
    "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft",
    "jawOpen", "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper",
    "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft",
    "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight",
)
N_BLENDSHAPES = len(BLENDSHAPE_NAMES)


def load_model(path: str | Path | None = None) -> bytes:
    """The model file's bytes, once their SHA-256 matches the pinned official file."""
    path = Path(path) if path else DEFAULT_MODEL
    if not path.is_file():
        raise ModelMissing(f"face model not found at {path}; download the official file from {MODEL_URL} "
                           f"(SHA-256 {MODEL_SHA256}) to that path, or pass --model PATH")
    data = path.read_bytes()
    found = hashlib.sha256(data).hexdigest()
    if found != MODEL_SHA256:
        raise ModelAltered(f"face model {path} has SHA-256 {found}, expected {MODEL_SHA256}; it is altered or "
                           f"a different model: replace it with the official file from {MODEL_URL}")
    return data


@dataclass(frozen=True)
class FaceObservation:
    """One tracked face in one frame.

    landmarks: (478, 3) float32, x and y normalised to the image (0..1), z in the same scale as x.
    blendshapes: (52,) float32 scores 0..1 in MediaPipe's order (`BLENDSHAPE_NAMES`).
    pose: (4, 4) float32 facial transformation matrix (canonical face -> camera, cm).
    faces_seen: how many faces were in the frame (the largest, most central one is this one).
    face_px: the face's height in the frame, pixels (forehead to chin; 0 when unknown).
    """

    landmarks: np.ndarray
    blendshapes: np.ndarray
    pose: np.ndarray
    faces_seen: int = 1
    face_px: float = 0.0

    def __post_init__(self) -> None:
        if self.landmarks.shape != (N_LANDMARKS, 3):
            raise ValueError(f"landmarks must be ({N_LANDMARKS}, 3), got {self.landmarks.shape}")
        if self.blendshapes.shape != (N_BLENDSHAPES,):
            raise ValueError(f"blendshapes must be ({N_BLENDSHAPES},), got {self.blendshapes.shape}")
        if self.pose.shape != (4, 4):
            raise ValueError(f"pose must be (4, 4), got {self.pose.shape}")

    @classmethod
    def from_mediapipe(cls, result: Any, previous_center: np.ndarray | None = None) -> FaceObservation | None:
        """The face to follow in a FaceLandmarkerResult, or None when there is none."""
        if not result.face_landmarks:
            return None
        faces = [np.array([(p.x, p.y, p.z) for p in face], dtype=np.float32) for face in result.face_landmarks]
        pick = choose_face(faces, previous_center)
        blend = (np.array([c.score for c in result.face_blendshapes[pick]], dtype=np.float32)
                 if result.face_blendshapes else np.zeros(N_BLENDSHAPES, np.float32))
        pose = (np.asarray(result.facial_transformation_matrixes[pick], dtype=np.float32)
                if result.facial_transformation_matrixes else np.eye(4, dtype=np.float32))
        return cls(faces[pick], blend, pose, len(faces))


def choose_face(faces: list[np.ndarray], previous_center: np.ndarray | None = None) -> int:
    """Index of the face to follow: the one we followed before if it is still a large face,
    else the largest, ties going to the most central."""
    areas = np.array([np.ptp(f[:, 0]) * np.ptp(f[:, 1]) for f in faces])
    centers = np.array([f[:, :2].mean(axis=0) for f in faces])
    large = areas >= 0.5 * areas.max()
    if previous_center is not None:
        dist = np.linalg.norm(centers - previous_center, axis=1)
        return int(np.argmin(np.where(large, dist, np.inf)))
    off_center = np.linalg.norm(centers - 0.5, axis=1)
    return int(np.argmax(areas - 0.01 * off_center))


FACE_TOP, FACE_BOTTOM = 10, 152  # forehead and chin landmarks


def face_height_px(landmarks: np.ndarray, image_height: int) -> float:
    """Forehead-to-chin height in pixels of normalised (478, 3) landmarks in an image that tall."""
    return float(abs(landmarks[FACE_BOTTOM, 1] - landmarks[FACE_TOP, 1]) * image_height)


_quiet_lock = threading.Lock()
_quiet: dict[str, int] = {"depth": 0}  # threads inside quiet_native_stderr; "saved": the real fd 2 meanwhile


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence MediaPipe's C++ start-up log lines (they ignore Python logging and GLOG variables).

    fd 2 is the process's, shared by every thread: two trackers starting at once (a screen source finding
    the face while the live session loads its own) must not each save and restore it, or the one that
    leaves last puts /dev/null back and every later message is lost. The first to enter redirects, the
    last to leave restores."""
    with _quiet_lock:
        if _quiet["depth"] == 0:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError):  # no usable fd 2 (some embedded or test runners)
                saved = -1
            if saved >= 0:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 2)
                os.close(devnull)
            _quiet["saved"] = saved
        _quiet["depth"] += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet["depth"] -= 1
            if _quiet["depth"] == 0 and _quiet["saved"] >= 0:
                os.dup2(_quiet["saved"], 2)
                os.close(_quiet["saved"])


# MediaPipe's uploader sends through the libcurl linked into its native library, and libcurl takes
# its proxy from these variables. A proxy address whose scheme libcurl does not know makes it give
# up while parsing the address ("Unsupported proxy scheme"), before it opens any socket: no name
# lookup, no connect(), nothing sent, not even to this computer.
OFFLINE_PROXY = "glimpse-offline://no-network"
PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")
NO_PROXY_VARIABLES = ("no_proxy", "NO_PROXY")  # would let a host bypass the proxy


def keep_mediapipe_offline() -> None:
    """Stop MediaPipe's usage upload before it makes any connection attempt.

    MediaPipe's Python wheels since 0.10.3x (1.2.3 here) upload usage logs to play.googleapis.com
    from their native code (google-ai-edge/mediapipe#6291): every task creates a libcurl HTTP client
    unconditionally (`logging::CreateTasksLogger` builds it whatever the options; there is no option,
    flag or environment switch to turn it off). Glimpse never uses the network, so for its own
    process every proxy setting names a proxy libcurl refuses to use: each upload fails inside
    libcurl before a socket exists (strace: no connect() or sendto() on any AF_INET/AF_INET6 socket;
    tests/test_privacy.py checks it)."""
    for name in PROXY_VARIABLES:
        os.environ[name] = OFFLINE_PROXY
    for name in NO_PROXY_VARIABLES:
        os.environ.pop(name, None)


@contextlib.contextmanager
def _without_matplotlib() -> Iterator[None]:
    """MediaPipe's vision package imports matplotlib.pyplot for drawing helpers Glimpse never calls,
    and importing matplotlib writes a config folder and a font cache into the home folder. While
    MediaPipe is first imported, placeholders stand in for it (a matplotlib already loaded is used)."""
    if "matplotlib" in sys.modules or "mediapipe" in sys.modules:
        yield
        return
    import types

    package, pyplot = types.ModuleType("matplotlib"), types.ModuleType("matplotlib.pyplot")
    package.__path__ = []
    vars(package)["pyplot"] = pyplot
    sys.modules.update({"matplotlib": package, "matplotlib.pyplot": pyplot})
    try:
        yield
    finally:
        for name, placeholder in (("matplotlib", package), ("matplotlib.pyplot", pyplot)):
            if sys.modules.get(name) is placeholder:
                del sys.modules[name]


class FaceTracker:
    """Per-frame tracking; a new tracker per video (VIDEO mode needs increasing timestamps)."""

    def __init__(self, model_path: str | Path | None = None, max_faces: int = 2):
        model = load_model(model_path)  # an altered model is refused before MediaPipe is even loaded
        keep_mediapipe_offline()
        with _without_matplotlib():
            import mediapipe  # noqa: F401 - loaded here, without matplotlib
            from mediapipe.tasks.python import BaseOptions, vision

        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=model),
            running_mode=vision.RunningMode.VIDEO,
            num_faces=max_faces,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        with quiet_native_stderr():
            self._landmarker = vision.FaceLandmarker.create_from_options(options)
        self._last_ms = -1
        self._first = True
        self._center: np.ndarray | None = None

    def update(self, image_bgr: np.ndarray, t_s: float) -> FaceObservation | None:
        import cv2
        import mediapipe as mp

        ms = max(int(round(t_s * 1000)), self._last_ms + 1)
        self._last_ms = ms
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        if self._first:  # the first inference logs too
            with quiet_native_stderr():
                result = self._landmarker.detect_for_video(image, ms)
            self._first = False
        else:
            result = self._landmarker.detect_for_video(image, ms)
        face = FaceObservation.from_mediapipe(result, self._center)
        if face is not None:
            face = dataclasses.replace(face, face_px=face_height_px(face.landmarks, image_bgr.shape[0]))
        self._center = None if face is None else face.landmarks[:, :2].mean(axis=0)
        return face

    def close(self) -> None:
        self._landmarker.close()

    def __enter__(self) -> FaceTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
