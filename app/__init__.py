"""Glimpse: notice brief facial changes and answer each with a gentle, open question.

The core (capture, tracking, features, spotting, prompts, storage, pipeline)
imports no Qt; the desktop app in `app.ui` is a thin shell over it.
"""

import os

# Before OpenCV loads: keep FFmpeg's and OpenCV's own log lines off the terminal;
# Glimpse reports unreadable input itself, in one line.
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

__version__ = "0.1.0"
