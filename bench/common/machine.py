"""The machine a benchmark runs on: CPU name, cores, load and library versions."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import numpy as np


def cpu_name() -> str:
    """The CPU's model name (Linux), else what `platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()




def machine() -> dict:
    import cv2
    import mediapipe

    return {"cpu": cpu_name(), "cores": os.cpu_count(), "load": os.getloadavg()[0], "python": platform.python_version(),
            "mediapipe": mediapipe.__version__, "numpy": np.__version__, "opencv": cv2.__version__,
            "os": f"{platform.system()} {platform.release()}"}
