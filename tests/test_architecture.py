"""The layers of app/ hold (import-linter contracts in pyproject.toml), and the contracts have teeth: a core
module that imports Qt or the Qt shell, or a layer that imports one above it, breaks them. The core also
imports with Qt blocked, so it runs where no GUI toolkit is installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE_PACKAGES = ("system", "settings", "sources", "face", "spotting", "prompts", "store", "run", "cli", "research")
BLOCK_QT = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'PyQt5', 'PyQt6'):
            raise ImportError('Qt is blocked: ' + name)
sys.meta_path.insert(0, Block())
"""


def core_modules() -> list[str]:
    return sorted(".".join(p.relative_to(ROOT).with_suffix("").parts) for pkg in CORE_PACKAGES
                  for p in (ROOT / "app" / pkg).glob("*.py") if p.name != "__init__.py")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """import-linter over the app package in `root`, with the project's contracts."""
    return subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                           "sys.exit(lint_imports_command())", "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, capture_output=True,
                          text=True, timeout=300)


def test_every_core_module_imports_without_qt():
    modules = core_modules()
    assert len(modules) > 40
    code = BLOCK_QT + "".join(f"import {m}\n" for m in modules) + "print('ok')"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_the_layer_contracts_hold():
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "2 kept, 0 broken" in proc.stdout


@pytest.mark.parametrize("module, line, broken", [
    ("app/spotting/strength.py", "from PySide6.QtCore import QObject  # noqa", "app.spotting.strength -> PySide6"),
    ("app/store/marks.py", "import app.ui.theme  # noqa", "app.store.marks -> app.ui.theme"),
    ("app/face/features.py", "from app.run import pipeline  # noqa", "app.face is not allowed to import app.run"),
])
def test_a_wrong_import_breaks_a_contract(tmp_path, module, line, broken):
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__", "*.task", "*.mp4"))
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}\n")
    proc = lint_imports(tmp_path)
    assert proc.returncode != 0
    assert "1 kept, 1 broken" in proc.stdout and broken in proc.stdout, proc.stdout[-1500:]
