"""The core never imports Qt: it must run where no GUI toolkit is installed."""

import subprocess
import sys

CORE = ["app.capture", "app.tracking", "app.features", "app.spotting", "app.prompts", "app.settings",
        "app.storage", "app.pipeline", "app.cli", "app.errors", "app.session", "app.review", "app.inject",
        "app.evaluate", "app.questions", "app.strength", "app.progress", "app.summary"]

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
