"""`glimpse analyze`: moments in video files, one or many, here or on a Dask cluster."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TextIO

from app.cli.args import (
    BatchProgress,
    bounded_float,
    file_to_write,
    folder_to_write,
    non_negative_int,
    positive_int,
    scheduler_address,
)
from app.errors import GlimpseError, OutputUnwritable
from app.run.batch import (
    FEATURES_HELP,
    Job,
    JobResult,
    moments_json,
    run_job,
    short_read,
    summary_csv,
    summary_row,
    write_result,
)
from app.settings import store as settings_file
from app.settings.schema import PRESETS, Settings, preset
from app.system.files import caching_on, private_dir
from app.system.output import NAME_MAX, kept_words, os_words, write_or_keep

EXIT_ERROR, EXIT_NO_FACE = 2, 3
NUMBER_ROOM = 4  # "-NNN" after a shortened name, when two videos have the same one
DEFAULT_RETRIES = 2

DESCRIPTION = """Find brief facial changes (moments) in video files and write them as JSON.
One video: JSON on standard output or --out. Several: --out-dir, one JSON per video.
Exit status: 0 done, 2 bad input (a one-line message), 3 no face in the video (one video)."""

EPILOG = FEATURES_HELP + """

The features of each video are kept in the same cache as replay's (keyed by the video's content, the
model and the feature version), so a second analysis of a video, at any settings, skips tracking;
--no-cache neither reads nor writes it. --settings, then --preset, then --sensitivity: later ones win."""


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    sens = Settings.__dataclass_fields__["sensitivity"].metadata
    p = sub.add_parser("analyze", parents=[common], help="find moments in video files", description=DESCRIPTION,
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("videos", nargs="+", metavar="VIDEO", help="video files")
    p.add_argument("--out", type=file_to_write, help="write the moments JSON here (default: standard output)")
    p.add_argument("--csv", type=file_to_write, help="also write the moments as CSV (one video)")
    p.add_argument("--features", type=file_to_write, metavar="OUT.npz",
                   help="also write the per-frame features (one video; arrays listed below)")
    p.add_argument("--out-dir", type=folder_to_write, help="with several videos: one JSON per video in this folder")
    p.add_argument("--summary", type=file_to_write, metavar="FILE",
                   help="with several videos: a CSV with one row per video (status, moments, frames, error)")
    p.add_argument("--settings", help="settings file (JSON, as saved by the app)")
    p.add_argument("--preset", choices=PRESETS, help="start from a named preset")
    p.add_argument("--sensitivity", type=bounded_float(sens["min"], sens["max"]), metavar="S",
                   help=f"{sens['help']} ({sens['min']:g}-{sens['max']:g}; default: the preset's)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the feature cache")
    p.add_argument("--workers", type=positive_int, metavar="N", help="processes that track one video "
                   "(default: every core for a video of 20 s or more, else 1; 1 with several videos)")
    p.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                   help="videos analysed at once with several videos (default: the number of cores)")
    p.add_argument("--scheduler", type=scheduler_address, metavar="tcp://HOST:PORT",
                   help="run the videos on this Dask scheduler (pip install 'glimpse[cluster]'); workers "
                        "must reach the videos by the same paths")
    p.add_argument("--retries", type=non_negative_int, default=DEFAULT_RETRIES, metavar="N",
                   help=f"with --scheduler: times a failed video is tried again (default {DEFAULT_RETRIES})")
    p.add_argument("--quiet", action="store_true", help="no progress on standard error")
    p.set_defaults(func=cmd_analyze)
    return p


def chosen_settings(a: argparse.Namespace) -> Settings:
    s = settings_file.load(a.settings) if a.settings else Settings()
    if a.preset:
        s = preset(a.preset, s)
    if a.sensitivity is not None:
        s = s.replace(sensitivity=a.sensitivity)
    return s


def cmd_analyze(a: argparse.Namespace) -> int:
    settings = chosen_settings(a)
    caching = caching_on() and not a.no_cache
    several = len(a.videos) > 1 or a.out_dir is not None or a.scheduler is not None
    if not several:
        if a.summary:
            raise GlimpseError("--summary is for several videos (with --out-dir)")
        return _one(Job(a.videos[0], settings, a.model, a.workers or 0, caching, a.features is not None), a)
    if a.out_dir is None:
        raise GlimpseError("several videos need --out-dir DIR (one JSON per video)")
    if a.out or a.csv or a.features:
        raise GlimpseError("--out, --csv and --features are for one video; with several, use --out-dir")
    if a.scheduler and a.workers:
        raise GlimpseError("--workers is for this computer; on a cluster each video is one task")
    jobs = [Job(v, settings, a.model, a.workers or 1, caching) for v in a.videos]
    return _many(jobs, a)


def _one(job: Job, a: argparse.Namespace) -> int:
    from app.run.chunked import default_workers
    from app.sources.capture import FileSource

    with FileSource(job.video) as source:  # an unreadable video is refused here, before the model loads
        note = f"{source.path.name}: {source.info.note}" if source.info.note else None
        if not job.workers:
            job = Job(job.video, job.settings, job.model, default_workers(source.info), job.caching, job.features)
    bar = None if a.quiet else ProgressBar(Path(job.video).name)
    try:
        result = run_job(job, bar)
    finally:
        if bar:
            bar.close()
    if result.status == "failed":
        raise GlimpseError(result.error)
    assert result.data is not None  # only a failed job has none
    write_result(result, a.out, a.csv, a.features)
    if a.out is None:
        to_stdout(moments_json(result.data))
    for warning in (note, short_read(result.data)):
        if warning:
            print(f"glimpse: warning: {warning}", file=sys.stderr)
    if result.status == "no face":
        print(f"glimpse: {result.error}", file=sys.stderr)
        return EXIT_NO_FACE
    return 0


def to_stdout(data: bytes) -> None:
    """The result on standard output; when that is a file the disk refuses, the result is kept elsewhere."""
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except OSError as exc:
        raise OutputUnwritable(f"could not write the result to standard output: {os_words(exc)}; "
                               f"{kept_words('moments.json', data)}") from None


def _many(jobs: list[Job], a: argparse.Namespace) -> int:
    out_dir = private_dir(Path(a.out_dir))
    outputs = _output_names(jobs, out_dir)
    progress = BatchProgress(len(jobs))
    rows: list[dict] = []

    def finished(result: JobResult, attempts: int | None) -> None:
        out = outputs[result.video]
        try:
            write_result(result, out)
        except OutputUnwritable as exc:
            result = dataclasses.replace(result, status="failed", error=str(exc))
        rows.append(summary_row(result, out, attempts or ""))
        if result.status == "failed":
            text = f"failed: {result.error}"
        else:
            text = f"{result.video}: {result.moments} moments" + (" (no face seen)" if result.status == "no face"
                                                                   else "")
        warning = short_read(result.data) if result.data else None
        progress.finished(text + (f"; warning: {warning}" if warning else ""))

    if a.scheduler:
        from app.run.cluster import run_on_cluster

        run_on_cluster(jobs, a.scheduler, a.retries, finished)
    else:
        _run_local(jobs, a.jobs or _cores(), finished)
    failed = sum(r["status"] == "failed" for r in rows)
    print(f"glimpse: {len(rows) - failed} of {len(rows)} videos analysed, {failed} failed", file=sys.stderr)
    if a.summary:
        order = {job.video: i for i, job in enumerate(jobs)}
        write_or_keep(a.summary, summary_csv(sorted(rows, key=lambda r: order[r["video"]])).encode())
    return EXIT_ERROR if failed else 0


def _output_names(jobs: list[Job], out_dir: Path) -> dict[str, Path]:
    """One JSON per video, named after it (a name too long for the disk is shortened); two videos of the
    same name get numbered names."""
    names: dict[str, Path] = {}
    taken: set[str] = set()
    for job in jobs:
        stem, k = fitting_stem(Path(job.video).stem, NAME_MAX - len(".json") - NUMBER_ROOM), 1
        name = stem
        while name in taken:
            k += 1
            name = f"{stem}-{k}"
        taken.add(name)
        names[job.video] = out_dir / f"{name}.json"
    return names


def fitting_stem(stem: str, limit: int) -> str:
    """`stem` cut to at most `limit` bytes in the file system's encoding (never inside a character)."""
    data = os.fsencode(stem)
    if len(data) <= limit:
        return stem
    return data[:limit].decode(sys.getfilesystemencoding(), errors="ignore")


def _run_local(jobs: list[Job], n: int, finished: Callable[[JobResult, int], None]) -> None:
    if n == 1 or len(jobs) == 1:
        for job in jobs:
            finished(run_job(job), 1)
        return
    with ProcessPoolExecutor(max_workers=min(n, len(jobs))) as pool:
        for fut in as_completed([pool.submit(run_job, job) for job in jobs]):
            finished(fut.result(), 1)


def _cores() -> int:
    from app.run.chunked import usable_cores

    return usable_cores()


class ProgressBar:
    """A one-line progress bar on stderr (only on a terminal)."""

    def __init__(self, label: str, stream: TextIO = sys.stderr):
        self.label, self.stream = label, stream
        self.enabled = stream.isatty()
        self._start = time.perf_counter()
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self._last < 0.1 and done < total):
            return
        self._last = now
        frac = min(done / total, 1.0) if total else 0.0
        bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
        rate = done / max(now - self._start, 1e-9)
        self.stream.write(f"\r{self.label} [{bar}] {100 * frac:3.0f}% {done}/{total} frames {rate:.0f} fps")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
