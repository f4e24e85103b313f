"""Where Glimpse's bundled files live: the Face Landmarker model, the question bank, the demo.

Every module asks here instead of building paths from `__file__`, so a source checkout, an
installed wheel and a frozen bundle differ in this one place only.
"""

from __future__ import annotations

from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent

MODEL = _ROOT / "models" / "face_landmarker.task"
PROMPT_BANK = _ROOT / "assets" / "prompts.txt"
DEMO_VIDEO = _ROOT / "assets" / "demo.mp4"
