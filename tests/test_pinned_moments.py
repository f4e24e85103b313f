"""The moments on the demo and on tests/data, pinned: a change that is meant to move nothing (a
reshape, a speed-up) moves none of them. A change to what is spotted updates the pin on purpose:

    .venv/bin/python -m tests.test_pinned_moments --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from app.run.pipeline import analyze
from app.settings.schema import Settings

ROOT = Path(__file__).resolve().parent.parent
PIN = ROOT / "tests" / "data" / "pinned_moments.json"
CLIPS = ("assets/demo.mp4", "tests/data/injected_short.mp4", "tests/data/WolfgangLanger_Pexels.mp4",
         "tests/data/single_face.mp4", "tests/data/face_noface.mov", "tests/data/noface_face.mov")
KEYS = ("start_s", "peak_s", "end_s", "regions", "strength")


def observe(clip: str) -> dict:
    a = analyze(ROOT / clip, Settings())
    return {"face_frames": a.face_frames, "frames": len(a.table),
            "moments": [{k: m.to_dict()[k] for k in KEYS} for m in a.moments]}


@pytest.mark.slow
@pytest.mark.parametrize("clip", CLIPS)
def test_the_moments_are_the_pinned_ones(clip):
    assert observe(clip) == json.loads(PIN.read_text())[clip]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    PIN.write_text(json.dumps({clip: observe(clip) for clip in CLIPS}, indent=1) + "\n")
    print(f"wrote {PIN}")
