"""docs/BENCH_LIVE.md is written in sections, one per live benchmark, so each can be rerun alone."""

from __future__ import annotations

from pathlib import Path

from bench.common.paths import ROOT

DOC = ROOT / "docs" / "BENCH_LIVE.md"
TITLE = "# Live mode: CPU, 60 frames/s, prompt latency"
ORDER = ("live_cpu", "live_60", "live", "live_against")  # the sections' order in the file


def _marks(name: str) -> tuple[str, str]:
    return f"<!-- python -m bench {name}: begin -->", f"<!-- python -m bench {name}: end -->"


def write_section(path: Path, name: str, text: str) -> None:
    """Put `text` as section `name` of the file at `path`, keeping the other sections as they are."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    sections = {}
    for other in ORDER:
        begin, end = _marks(other)
        if begin in old and end in old:
            sections[other] = old.split(begin, 1)[1].split(end, 1)[0].strip("\n")
    sections[name] = text.strip("\n")
    parts = [TITLE, ""]
    for other in ORDER:
        if other in sections:
            begin, end = _marks(other)
            parts += [begin, sections[other], end, ""]
    path.write_text("\n".join(parts), encoding="utf-8")
