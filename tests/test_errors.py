"""Every error Glimpse reports is a GlimpseError child defined in app/errors.py, and nowhere else."""

from __future__ import annotations

import ast
from pathlib import Path

import app.errors as errors

APP = Path(errors.__file__).parent
ERROR_NAMES = {name for name, value in vars(errors).items() if isinstance(value, type)
               and issubclass(value, BaseException)} | {"Exception", "BaseException"}


def error_classes_outside_errors_py() -> list[str]:
    found = []
    for path in sorted(APP.rglob("*.py")):
        if path == Path(errors.__file__):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                if bases & ERROR_NAMES or any(b.endswith(("Error", "Exception")) for b in bases):
                    found.append(f"{path.relative_to(APP.parent)}:{node.lineno} {node.name}")
    return found


def test_error_classes_live_in_errors_py():
    assert error_classes_outside_errors_py() == []


def test_every_error_is_a_glimpse_error():
    for name in ERROR_NAMES - {"Exception", "BaseException", "GlimpseError"}:
        assert issubclass(getattr(errors, name), errors.GlimpseError), name
