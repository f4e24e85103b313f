"""The Qt desktop app: a thin shell over the headless core.

Importing it settles Qt's start-up environment before any Qt module loads: OpenCV's wheel (cv2,
imported by the core) points Qt at its own plugin and font folders, built for its own Qt 5, so Qt
would look for `xcb` there and abort. And it checks the system libraries Qt's platform plugin
needs, so a machine without them gets the install line instead of Qt's abort.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.system.sysdeps import require_gui_libraries

# What cv2/config-3.py sets (the only Qt settings it makes): the platform plugin folder and the font folder.
OPENCV_QT_VARIABLES = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR", "QT_PLUGIN_PATH")


def forget_opencv_qt_paths() -> list[str]:
    """Unset the Qt variables that point into OpenCV's folder (a person's own values stay); their names."""
    import cv2  # its import sets them: do it now, before Qt starts, so it cannot set them later

    opencv = Path(cv2.__file__).resolve().parent
    dropped = []
    for name in OPENCV_QT_VARIABLES:
        value = os.environ.get(name)
        if value and any(Path(v).resolve().is_relative_to(opencv) for v in value.split(os.pathsep) if v):
            del os.environ[name]
            dropped.append(name)
    return dropped


forget_opencv_qt_paths()
require_gui_libraries()
