"""The core never imports Qt: it must run where no GUI toolkit is installed."""

import ast
import subprocess
import sys
from pathlib import Path

import app

CORE = ["app.capture", "app.tracking", "app.features", "app.spotting", "app.prompts", "app.settings",
        "app.storage", "app.pipeline", "app.cli", "app.errors", "app.session", "app.review", "app.research.inject",
        "app.research.evaluate", "app.research.events", "app.research.warp", "app.sysdeps", "app.resources",
        "app.live", "app.live_events", "app.live_run", "app.cli_live", "app.asked", "app.sources",
        "app.recordings", "app.video",
        "app.chunked", "app.batch", "app.cluster", "app.cli_analyze", "app.cli_args",
        "app.questions", "app.strength", "app.progress", "app.summary"]

BLOCK_QT = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'PyQt5', 'PyQt6'):
            raise ImportError('Qt is blocked: ' + name)
sys.meta_path.insert(0, Block())
"""


def test_core_imports_without_qt():
    code = BLOCK_QT + "".join(f"import {m}\n" for m in CORE) + "print('ok')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


QT = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6")


def qt_imports(path: Path) -> list[str]:
    """Every import of a Qt package in a file, at any depth (inside functions too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
        found += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[0] in QT]
    return found


def test_no_core_module_imports_qt_even_inside_a_function():
    root = Path(app.__file__).parent
    core = [p for p in root.glob("*.py") if not p.name.startswith("bench")]  # the benchmarks leave app/
    assert len(core) > 20
    assert [hit for p in core for hit in qt_imports(p)] == []
