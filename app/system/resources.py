"""Where Glimpse's bundled files live: the Face Landmarker model, the question bank, the demo.

Every module asks here instead of building paths from `__file__`, so a source checkout, an
installed wheel and a frozen bundle differ in this one place only. The checkout keeps them in
models/ and assets/ at the top; the build installs those folders as the packages `app.models` and
`app.assets` (pyproject.toml), and the editable install maps the same names onto the checkout.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path


def _bundled(package: str, name: str) -> Path:
    """A real file path (the app hands these to MediaPipe and OpenCV, which need one): a wheel
    installs a folder, so `as_file` returns the file where it is, without a copy."""
    with as_file(files(package) / name) as path:
        return Path(path)


MODEL = _bundled("app.models", "face_landmarker.task")
PROMPT_BANK = _bundled("app.assets", "prompts.txt")
DEMO_VIDEO = _bundled("app.assets", "demo.mp4")
