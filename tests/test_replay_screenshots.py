"""Screenshots for docs/: the replay page with a moment selected, and the tuning panel.

Skipped unless GLIMPSE_SCREENSHOTS names a folder; run under a real X server:

    GLIMPSE_SCREENSHOTS=docs QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" \
        .venv/bin/python -m pytest tests/test_replay_screenshots.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.settings.store import SettingsStore
from app.store.marks import HELPFUL, NOT_A_MOMENT
from app.ui.replay import ReplayPage

OUT = os.environ.get("GLIMPSE_SCREENSHOTS")
CLIP = Path(__file__).parent / "data" / "injected_short.mp4"

pytestmark = pytest.mark.skipif(not OUT, reason="set GLIMPSE_SCREENSHOTS=FOLDER to write the screenshots")


def test_screenshots(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(tmp_path / "cache"))
    out = Path(OUT)
    out.mkdir(parents=True, exist_ok=True)
    page = ReplayPage(SettingsStore.open(tmp_path / "settings.json"))
    qtbot.addWidget(page)
    page.setWindowTitle("Glimpse: replay")
    page.resize(1500, 940)
    page.show()
    qtbot.waitExposed(page)
    with qtbot.waitSignal(page.recording_opened, timeout=120_000):
        page.open_path(CLIP)
    # the default settings find the clip's two added expressions: the brow raise, then the lip-corner pull
    brows = next(i for i, m in enumerate(page.moments) if "brows" in m.regions)
    mouth = next(i for i, m in enumerate(page.moments) if "mouth" in m.regions)
    page.set_verdict(brows, HELPFUL)
    page.set_note(brows, "she had more to say about her sister")
    page.set_verdict(mouth, NOT_A_MOMENT)
    page.select_moment(brows)  # its region is outlined on the frame at its peak
    qtbot.waitUntil(lambda: page.player.index == page.player.frame_at(page.moments[brows].peak_s), timeout=10_000)
    qtbot.wait(300)
    assert page.player.view.highlight_regions == ("brows",) and page.moments_list.current() == brows
    assert page.grab().save(str(out / "replay.png"))

    with qtbot.waitSignal(page.moments_changed, timeout=2000):
        page.tuning.editors["sensitivity"].spin.setValue(62)
    qtbot.wait(300)
    assert page.tuning_scroll.grab().save(str(out / "tuning.png"))
    page.shutdown()
