"""One root error class with specific children; every message names the thing,
what was expected and what was found, so it can be shown to a person as is."""

from __future__ import annotations


class GlimpseError(Exception):
    """Anything Glimpse reports to a person instead of a traceback."""


class VideoUnreadable(GlimpseError):
    """A file that is missing, not a video, corrupt or empty."""


class NoFaceFound(GlimpseError):
    """A video in which no face was seen in any frame."""


class CameraUnavailable(GlimpseError):
    """No camera at that index, or it could not be opened."""


class CameraLost(GlimpseError):
    """A camera that stopped delivering frames mid-session."""


class ModelMissing(GlimpseError):
    """The Face Landmarker model file is not where it should be."""


class ModelAltered(GlimpseError):
    """The model file exists but its SHA-256 is not the pinned one."""


class SettingsInvalid(GlimpseError):
    """A settings file that cannot be read or holds out-of-range values."""


class NewerSettings(SettingsInvalid):
    """A settings file written by a newer Glimpse: readable by it, not by this one (left as it is)."""


class SettingsUnsaved(GlimpseError):
    """The listener's settings could not be written to their file (a read-only folder, a full disk)."""


class SessionInvalid(GlimpseError):
    """A session folder or cache that is missing parts or is corrupt."""


class Cancelled(GlimpseError):
    """A job the person stopped."""


class AnnotationsInvalid(GlimpseError):
    """A truth or moments file that is missing, unreadable or lacks what evaluation needs."""


class InjectError(GlimpseError):
    """Events that cannot be placed in a video, or an output that cannot be written."""


class SourceInvalid(GlimpseError):
    """A live source named in a way Glimpse does not understand (`--source camera:N | demo | file:PATH`)."""


class OptionInvalid(GlimpseError):
    """A command-line value that cannot be used as given (e.g. a time that is not a number)."""


class SystemLibrariesMissing(GlimpseError):
    """System libraries that Qt's platform plugin (or OpenCV) needs are not installed (see app/system/sysdeps.py)."""


class StitchMismatch(GlimpseError):
    """A chunk's frames do not line up with the previous chunk's (an inexact seek); `app.run.chunked`
    catches it and tracks the video in one process instead."""


class ScreenUnreadable(GlimpseError):
    """The screen cannot be captured (no X display, a Wayland session, no Screen Recording permission)."""


class HotkeyUnavailable(GlimpseError):
    """The global "I just asked" key cannot be grabbed here (Wayland, no display, taken by another program)."""


class ShareEnded(ScreenUnreadable):
    """The desktop's screen sharing (Wayland portal) was refused by the listener, or stopped from the desktop."""


class OutputUnwritable(GlimpseError):
    """A file or folder the person asked for cannot be written (read-only, full, a name too long); the
    message says where the result was kept, when it was."""


class RecordingFailed(OutputUnwritable):
    """A recording that can no longer be written (a full disk, a folder taken away): it stops, what was
    written is kept and the session is marked ended."""
