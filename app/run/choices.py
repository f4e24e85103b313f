"""What live mode can watch: a camera, a video file played as if live (the bundled demo), or a
region of the screen (a video call's tile; `app/sources/screen.py` reads and opens it).

No Qt here: the live page lists these choices, `glimpse live --source` names one, and the live
session opens the one picked in its own thread (opening a camera can take a second).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.errors import SourceInvalid
from app.face.locate import locate_face
from app.sources.capture import CameraInfo, CameraSource, FileSource, FrameSource, PacedSource
from app.sources.screen import GRAB_HZ, Region, ScreenSource, ScreenSpec, is_screen_spec, parse_source_spec
from app.system.resources import DEMO_VIDEO

DEMO_LABEL = "Demo recording"
RESOLUTIONS = ((640, 480), (1280, 720), (1920, 1080))
RESOLUTION_NAMES = ("Small picture", "HD picture", "Full HD picture")  # what the listener reads; figures in tooltips
FRAME_RATES = (15, 30, 60)
FRAME_RATE_HINT = ("Higher frame rates catch shorter moments: at 30 frames/s a 40 ms change is one or two "
                   "frames, at 60 it is two or three.")


@dataclass(frozen=True)
class SourceChoice:
    """One entry of the source list: a camera (by index), a file played in real time, or the screen."""

    label: str
    camera: int | None = None
    path: Path | None = None
    loop: bool = True
    speed: float = 1.0
    screen: ScreenSpec | None = None

    @property
    def is_camera(self) -> bool:
        return self.camera is not None

    @property
    def is_screen(self) -> bool:
        """Call video: repeated and frozen pictures are filtered before tracking (app/sources/callvideo.py)."""
        return self.screen is not None

    def opener(self, width: int, height: int, fps: float) -> Callable[[], FrameSource]:
        """A function that opens this source (called in the worker thread)."""
        camera, path, screen = self.camera, self.path, self.screen
        if screen is not None:
            return lambda: open_screen_source(screen)
        if camera is not None:
            return lambda: CameraSource(camera, width, height, fps)
        if path is None:
            raise ValueError(f"source choice {self.label!r} names neither a camera nor a file")
        return lambda: PacedSource(path, speed=self.speed, loop=self.loop)


def camera_choices(cameras: list[CameraInfo]) -> list[SourceChoice]:
    return [SourceChoice(f"{c.name} (camera {c.index})", camera=c.index) for c in cameras]


def demo_choice(path: Path = DEMO_VIDEO, loop: bool = True) -> SourceChoice:
    return SourceChoice(DEMO_LABEL, path=Path(path), loop=loop)


def file_choice(path: Path, loop: bool = False, speed: float = 1.0) -> SourceChoice:
    return SourceChoice(f"{Path(path).name} (played as if live)", path=Path(path), loop=loop, speed=speed)


def screen_choice(spec: ScreenSpec | Region) -> SourceChoice:
    spec = ScreenSpec(region=spec) if isinstance(spec, Region) else spec
    if spec.portal:
        label = "A shared window" + (" (part of it)" if spec.region is not None else " (the face found in it)")
    elif spec.region is not None:
        r = spec.region
        label = f"Part of the screen ({r.width} × {r.height} at {r.left}, {r.top})"
    else:
        label = f"Screen {spec.monitor} (the face found on it)"
    return SourceChoice(label, screen=spec)


SOURCE_SPECS = "camera:N, demo, file:PATH, screen:X,Y,W,H, screen:N or screen:portal"


def parse_source(spec: str) -> SourceChoice:
    """The source a command line names: `camera:N`, `demo` (the bundled demo, looped), `file:PATH`
    (played once in real time), or `screen:X,Y,W,H` / `screen:N` / `screen:portal` (a screen region, a
    monitor, a window the desktop shares).
    A file is checked here, so a missing one is reported at once."""
    if is_screen_spec(spec):
        return screen_choice(parse_source_spec(spec))
    kind, _, value = spec.strip().partition(":")
    kind = kind.lower()
    if kind == "camera" and value.strip().isdigit():
        index = int(value)
        return SourceChoice(f"camera {index}", camera=index)
    if kind == "demo" and not value:
        return demo_choice()
    if kind == "file" and value:
        FileSource(Path(value).expanduser()).close()  # VideoUnreadable names what is wrong with it
        return file_choice(Path(value).expanduser())
    raise SourceInvalid(f"--source {spec!r}: expected {SOURCE_SPECS}")


def open_screen_source(spec: ScreenSpec | str, hz: float = GRAB_HZ) -> ScreenSource:
    """The source a spec names: a region as given, a monitor with its face found automatically, or
    (`screen:portal`) the window the desktop shares, its face found or a region of it watched."""
    spec = parse_source_spec(spec) if isinstance(spec, str) else spec
    if spec.portal:
        from app.sources.portal import open_portal_source

        return open_portal_source(spec.region, hz, locate=locate_face)
    if spec.region is not None:
        return ScreenSource(spec.region, hz)
    return ScreenSource(None, hz, monitor=spec.monitor, locate=locate_face)
