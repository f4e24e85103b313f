"""The walk of one action through the product: every call into a function of `app/` made while it runs,
and the ones that cross from one module into another (what a reader follows from file to file).

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.support.walk [VIDEO]

prints the walk of a sensitivity change in Review (the tuning drawer's box, 50 -> 80) with VIDEO open
(default: tests/data/injected_short.mp4).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app") + os.sep
INNER = ("<genexpr>", "<listcomp>", "<dictcomp>", "<setcomp>")  # parts of their function, not calls of their own


@dataclass(frozen=True)
class Walk:
    calls: list[str]  # "module:function" of every call into app/, in order
    crossing: list[tuple[str, bool]]  # those whose caller in app/ is in another module (or outside app/),
    # each with whether the caller is in another package too (app/ui, app/settings, app/run, ...)

    @property
    def hops(self) -> list[str]:
        return [name for name, other_package in self.crossing if other_package]

    @property
    def files(self) -> set[str]:
        return {name.rsplit(":", 1)[0] for name in self.calls}


def _name(code) -> str:
    return f"{os.path.relpath(code.co_filename, ROOT)}:{code.co_qualname}"


def walk(action: Callable[[], object]) -> Walk:
    """Run `action` and note every call into app/ (Qt's own C++ between two Python calls is skipped)."""
    calls: list[str] = []
    crossing: list[tuple[str, bool]] = []

    def profile(frame, event, _arg) -> None:
        code = frame.f_code
        if event != "call" or not code.co_filename.startswith(APP) or code.co_name in INNER:
            return
        caller = frame.f_back
        while caller is not None and not caller.f_code.co_filename.startswith(APP):
            caller = caller.f_back
        name = _name(code)
        calls.append(name)
        if caller is None or caller.f_code.co_filename != code.co_filename:
            crossing.append((name, caller is None or Path(caller.f_code.co_filename).parent != Path(code.co_filename).parent))

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return Walk(calls, crossing)


def main(argv: list[str] | None = None) -> int:
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("GLIMPSE_CACHE_DIR", tempfile.mkdtemp(prefix="glimpse-walk-"))
    from PySide6.QtWidgets import QApplication

    from app.settings.store import SettingsStore
    from app.ui.replay import ReplayPage

    argv = sys.argv[1:] if argv is None else argv
    video = Path(argv[0]) if argv else ROOT / "tests" / "data" / "injected_short.mp4"
    app = QApplication.instance() or QApplication([])
    page = ReplayPage(SettingsStore(), synchronous=True)
    page.resize(1200, 800)
    page.show()
    page.open_path(video)
    app.processEvents()
    w = walk(lambda: page.tuning.editors["sensitivity"].spin.setValue(80))
    distinct = list(dict.fromkeys(w.calls))
    print(f"calls into app/: {len(w.calls)} ({len(distinct)} functions, {len(w.files)} files)")
    print(f"calls from one module into another: {len(w.crossing)} ({len(set(w.crossing))} distinct)")
    print(f"  of which from one package into another (*): {len(w.hops)}")
    for step, (name, other_package) in enumerate(w.crossing, 1):
        print(f"{step:3d} {'*' if other_package else ' '} {name}")
    page.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
