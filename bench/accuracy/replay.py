"""Replay benchmark: `python -m bench replay [--quick]`.

Prints and writes `docs/BENCH_REPLAY.md`:

* re-spot plus redraw (moments, strength curve, timeline and list painted) for a 10-minute
  recording, after each settings change;
* time to the first frame, and to the moments, after opening a cached recording;
* analysis frames per second in the replay page against `glimpse analyze`.

The 10-minute recording is the test clip (tests/data/WolfgangLanger_Pexels.mp4, 19.7 s) tiled
with continuous timestamps: its features as a FeatureTable, and the same frames written out as
a video whose features are put in the cache, so the page opens it as a cached recording.
Everything is written under a temporary folder (cache and settings included) and removed.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common.paths import ROOT

CLIP = ROOT / "tests" / "data" / "WolfgangLanger_Pexels.mp4"
REPORT = ROOT / "docs" / "BENCH_REPLAY.md"
TEN_MINUTES_S = 600.0


def tile_table(table, seconds: float):
    """`table` repeated end to end until it lasts `seconds`, timestamps running on."""
    from app.face.features import FeatureTable

    step = float(np.median(np.diff(table.t_s)))
    period = float(table.t_s[-1]) + step
    reps = int(np.ceil(seconds / period))
    lm = None if table.landmarks is None else np.tile(table.landmarks, (reps, 1, 1))
    return FeatureTable(np.concatenate([table.t_s + k * period for k in range(reps)]), np.tile(table.face, reps),
                        np.tile(table.levels, (reps, 1)), np.tile(table.head, (reps, 1)),
                        np.tile(table.blendshapes, (reps, 1)), np.tile(table.faces_seen, reps), lm,
                        dict(table.meta, source="tiled " + str(table.meta.get("source", ""))))


def write_tiled_video(src: Path, dst: Path, reps: int) -> int:
    """The clip's frames `reps` times over, as one mp4 (mp4v): the 10-minute video to open."""
    import cv2

    from bench.accuracy.speed import decode_all

    frames, fps = decode_all(src)
    h, w = frames[0].shape[:2]
    out = cv2.VideoWriter(str(dst), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
    for _ in range(reps):
        for image in frames:
            out.write(image)
    out.release()
    return reps * len(frames)


def write_session(src: Path, root: Path, table) -> Path:
    """A recorded session folder (as live mode writes it) holding the clip and its features."""
    from app.settings.schema import Settings
    from app.sources.capture import FileSource
    from app.store.session import SessionWriter

    with FileSource(src) as source:
        writer = SessionWriter(root, source.info, Settings(), consent_confirmed=True)
        for frame in source:
            writer.add_frame(frame, table.row(frame.index))
        writer.close()
    return writer.folder


def machine() -> str:
    import pyqtgraph
    import PySide6

    from bench.common.machine import cpu_name

    return (f"{cpu_name()}, {os.cpu_count()} logical cores; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, PySide6 {PySide6.__version__}, pyqtgraph {pyqtgraph.__version__}; "
            f"Qt platform {os.environ.get('QT_QPA_PLATFORM', 'default')}")


class Bench:
    """One QApplication and a throwaway cache and settings folder for every measurement."""

    def __init__(self, work: Path):
        from PySide6.QtWidgets import QApplication

        self.work = work
        os.environ["GLIMPSE_CACHE_DIR"] = str(work / "cache")
        self.app = QApplication.instance() or QApplication([sys.argv[0]])

    def page(self):
        from app.settings.store import SettingsStore
        from app.ui.replay import ReplayPage

        # no throttle: each settings change below re-spots at once, as the first of a slider drag does
        page = ReplayPage(SettingsStore.open(self.work / "settings.json"), throttle_ms=0)
        page.resize(1400, 900)
        page.show()
        self.app.processEvents()
        return page

    def wait(self, done, timeout_s: float = 600.0) -> None:
        end = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > end:
                raise TimeoutError("the page did not answer in time")
            self.app.processEvents()
            time.sleep(0.001)

    def open(self, page, path: Path):
        got = []
        page.recording_opened.connect(got.append)
        page.message_shown.connect(lambda text, error: error and got.append(RuntimeError(text)))
        t0 = time.perf_counter()
        page.open_path(path)
        self.wait(lambda: got)
        if isinstance(got[0], Exception):
            raise got[0]
        return got[0], time.perf_counter() - t0

    def gui_analysis_fps(self, path: Path) -> tuple[float, int]:
        """Frames per second from open to moments shown, features not cached (the cache is emptied)."""
        shutil.rmtree(self.work / "cache", ignore_errors=True)
        page = self.page()
        try:
            rec, elapsed = self.open(page, path)
            assert rec.tracked
            return len(rec.analysis.table) / elapsed, len(rec.analysis.table)
        finally:
            self.dispose(page)

    def dispose(self, page) -> None:
        """Close and delete a page at once, so each measurement starts with no other page alive."""
        page.shutdown()
        page.close()
        page.deleteLater()
        self.app.processEvents()

    @staticmethod
    def cli_analysis_fps(path: Path, out: Path) -> float:
        """`glimpse analyze` in this process (no interpreter start-up counted)."""
        from app.cli import main as cli
        t0 = time.perf_counter()
        if cli.main(["analyze", str(path), "--out", str(out), "--quiet", "--no-cache", "--workers", "1"]) != 0:
            raise RuntimeError("glimpse analyze failed")
        elapsed = time.perf_counter() - t0
        import json

        return json.loads(out.read_text())["frames"] / elapsed

    def first_frame(self, path: Path) -> tuple[float, float]:
        """(seconds to the first frame on screen, seconds to the moments shown) for a cached recording."""
        page = self.page()
        try:
            rec, to_moments = self.open(page, path)
            assert not rec.tracked, "expected the features to be cached"
            self.wait(lambda: page.first_frame_s is not None)
            return page.first_frame_s, to_moments
        finally:
            self.dispose(page)

    def respot_redraw(self, path: Path, changes: int) -> tuple[list[float], list[float], int, int]:
        """Per settings change: ms for re-spot + redraw (painted), and ms for the core part alone."""
        from app.run.review_model import ReviewModel
        from app.settings.schema import Settings

        page = self.page()
        try:
            rec, _ = self.open(page, path)
            rows = len(rec.analysis.table)
            model = ReviewModel()
            model.open(rec, Settings())
            total, core = [], []
            for k in range(changes):
                s = Settings().replace(sensitivity=float(30 + (k * 37) % 60), cooldown_s=float(5 + k % 20))
                # the core alone first (a review model of its own), then the page under other settings:
                # neither has spotted under its settings before (spotting is kept per settings)
                t0 = time.perf_counter()
                model.apply(s)
                core.append(1000 * (time.perf_counter() - t0))
                t0 = time.perf_counter()
                page.settings_store.set(s.replace(cooldown_s=s.cooldown_s + 1))
                page.timeline.plot.viewport().repaint()
                page.moments_list.table.viewport().repaint()
                total.append(1000 * (time.perf_counter() - t0))
                self.app.processEvents()
            return total, core, rows, len(page.moments)
        finally:
            self.dispose(page)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench replay", description=__doc__.split("\n\n")[0])
    p.add_argument("--changes", type=int, default=30, help="settings changes timed on the 10-minute recording")
    p.add_argument("--runs", type=int, default=2, help="analysis runs each for the GUI and the CLI")
    p.add_argument("--no-write", action="store_true", help="print only; leave docs/BENCH_REPLAY.md as it is")
    a = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from app.store.cache import cache_path, load_cached, save_cached

    work = Path(tempfile.mkdtemp(prefix="glimpse-bench-replay-"))
    try:
        bench = Bench(work)
        print("analysis, GUI vs CLI ...", flush=True)
        gui, cli_fps = [], []
        for _ in range(a.runs):  # alternate, so both see the same load on a shared machine
            fps, frames = bench.gui_analysis_fps(CLIP)
            gui.append(fps)
            cli_fps.append(bench.cli_analysis_fps(CLIP, work / "cli.json"))
        table = load_cached(cache_path(CLIP))  # the page cached it above

        print("time to first frame, cached ...", flush=True)
        short = [bench.first_frame(CLIP) for _ in range(3)]
        session = write_session(CLIP, work / "sessions", table)
        sess = [bench.first_frame(session) for _ in range(3)]
        n_segments = len(list((session / "segments").glob("*.mp4")))
        reps = int(np.ceil(TEN_MINUTES_S / (float(table.t_s[-1]) + float(np.median(np.diff(table.t_s))))))
        long_video = work / "ten-minutes.mp4"
        print(f"writing a {reps}x tiled video ...", flush=True)
        n = write_tiled_video(CLIP, long_video, reps)
        big = tile_table(table, TEN_MINUTES_S)
        assert len(big) == n, (len(big), n)
        save_cached(cache_path(long_video), big)
        long = [bench.first_frame(long_video) for _ in range(3)]

        print("re-spot + redraw, 10 minutes ...", flush=True)
        total, core, rows, n_moments = bench.respot_redraw(long_video, a.changes)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def ms(values) -> str:
        return f"median {statistics.median(values):.0f} ms, max {max(values):.0f} ms"

    def s_ms(values) -> str:
        return f"median {1000 * statistics.median(values):.0f} ms"

    duration_min = float(big.t_s[-1]) / 60
    lines = [
        "# Replay benchmark",
        "",
        f"Command: `python -m bench replay{' --changes ' + str(a.changes) if a.changes != 30 else ''}` "
        f"({time.strftime('%Y-%m-%d')})",
        f"Machine: {machine()}",
        "",
        "| measure | result |",
        "|---|---|",
        f"| re-spot + redraw after a settings change, {duration_min:.1f}-minute recording ({rows} frames, "
        f"~{n_moments} moments), {a.changes} changes | {ms(total)} |",
        f"| of which the core (`ReviewModel.apply`) | {ms(core)} |",
        f"| time to first frame, cached 19.7 s clip | {s_ms([f for f, _ in short])} |",
        f"| time to moments shown, cached 19.7 s clip | {s_ms([m for _, m in short])} |",
        f"| time to first frame, recorded session of the same clip ({n_segments} segments) "
        f"| {s_ms([f for f, _ in sess])} |",
        f"| time to moments shown, recorded session of the same clip | {s_ms([m for _, m in sess])} |",
        f"| time to first frame, cached {duration_min:.1f}-minute video | {s_ms([f for f, _ in long])} |",
        f"| time to moments shown, cached {duration_min:.1f}-minute video (load features + evidence) | "
        f"{s_ms([m for _, m in long])} |",
        f"| analysis, replay page (open to moments shown, not cached), {frames} frames | "
        f"{statistics.median(gui):.0f} frames/s (runs: {', '.join(f'{x:.0f}' for x in gui)}) |",
        f"| analysis, `glimpse analyze` in-process, same clip | "
        f"{statistics.median(cli_fps):.0f} frames/s (runs: {', '.join(f'{x:.0f}' for x in cli_fps)}) |",
        "",
        "Re-spot + redraw is timed from the settings reaching the page to the timeline and the moments list "
        "painted (offscreen). The page shows the first frame while the features load, so time to first frame "
        "does not grow with the recording; the moments follow once the cached features and their evidence are "
        "in. The GUI figure includes hashing the file, writing the cache (with landmarks, for the overlay) and "
        "spotting; the CLI keeps no cache. On a shared machine the figures move with the load.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not a.no_write:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
