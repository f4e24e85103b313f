"""What Glimpse is made of and where it keeps things: the About box's facts and its "Copy diagnostics" text.

The parts and their licences are read from the installed distributions' metadata (a frozen bundle
carries that metadata too: packaging/glimpse.spec copies it), walking Glimpse's own runtime
requirements. `diagnostics_text` is pure: it formats a `Diagnostics` and shows a path inside the
home folder only as `~/...`, and only for the app's own folders; a person can paste it into an
e-mail without giving away who they are or what else is on their computer.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from app import __version__

ROOT_DISTRIBUTION = "glimpse"
# Required by MediaPipe for drawing helpers Glimpse never calls (app/face/tracking.py keeps it unloaded):
# the bundle leaves it out, so the About box does not list it.
NOT_BUNDLED = ("matplotlib",)
MODEL_NAME = "MediaPipe Face Landmarker (float16, version 1)"
MODEL_LICENCE = "Apache-2.0"  # models/README.md: the official model bundle and its model cards
LICENCE_TEXT_MAX = 80  # a longer `License` field is the whole licence text, not its name
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"\bextra\s*==")


@dataclass(frozen=True)
class Part:
    """One bundled distribution: its name, version and licence as its metadata states them."""

    name: str
    version: str
    licence: str


@dataclass(frozen=True)
class ModelFacts:
    """The face model actually loaded: its file name, SHA-256, and whether that is the pinned digest."""

    name: str
    file: str
    sha256: str
    pinned: str

    @property
    def verified(self) -> bool:
        return self.sha256 == self.pinned


@dataclass(frozen=True)
class Diagnostics:
    """Everything the "Copy diagnostics" text says; no personal data, no user paths."""

    version: str
    build: str  # "bundle" (frozen) or "source"
    python: str
    os: str
    machine: str
    qt_platform: str
    qt_version: str
    model: ModelFacts
    parts: tuple[Part, ...]
    cameras: tuple[tuple[int, str], ...]
    folders: tuple[tuple[str, Path], ...]


def _requirement_names(dist: str) -> list[str]:
    """The names `dist` requires at run time (requirements behind an extra are the optional ones)."""
    try:
        requirements = metadata.requires(dist) or []
    except metadata.PackageNotFoundError:
        return []
    names = []
    for req in requirements:
        if _EXTRA.search(req):
            continue
        match = _NAME.match(req)
        if match:
            names.append(match.group(1))
    return names


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_distributions(root: str = ROOT_DISTRIBUTION, skip: tuple[str, ...] = NOT_BUNDLED) -> list[str]:
    """Glimpse and every installed distribution it needs at run time, depth first, once each
    (as the metadata spells them); those in `skip`, and what only they need, are left out."""
    seen: dict[str, str] = {}
    skipped = {_canonical(s) for s in skip}

    def visit(name: str) -> None:
        key = _canonical(name)
        if key in seen or key in skipped:
            return
        try:
            seen[key] = metadata.metadata(name)["Name"]
        except metadata.PackageNotFoundError:
            return  # a requirement for another platform or Python version: not installed here
        for child in _requirement_names(name):
            visit(child)

    visit(root)
    return list(seen.values())


def licence_of(meta: metadata.PackageMetadata) -> str:
    """A distribution's licence: License-Expression, else a short License field, else its classifiers."""
    def first(key: str) -> str:
        return str((meta.get_all(key) or [""])[0]).strip()

    expression = first("License-Expression")
    if expression:
        return expression
    field = first("License")
    if field and "\n" not in field and len(field) <= LICENCE_TEXT_MAX:
        return field
    prefix = "License :: OSI Approved :: "
    classifiers = [c[len(prefix):] for c in meta.get_all("Classifier") or [] if c.startswith(prefix)]
    return ", ".join(classifiers) or "see its metadata"


def bundled_parts(names: list[str] | None = None) -> tuple[Part, ...]:
    """Name, version and licence of each runtime distribution, from its installed metadata."""
    parts = []
    for name in runtime_distributions() if names is None else names:
        try:
            meta = metadata.metadata(name)
        except metadata.PackageNotFoundError:
            continue
        parts.append(Part(meta["Name"], meta["Version"], licence_of(meta)))
    return tuple(parts)


def model_facts(path: str | Path | None = None) -> ModelFacts:
    """The model file Glimpse loads (the bundled one, or `--model PATH`) and its digest, read now."""
    from app.face.tracking import DEFAULT_MODEL, MODEL_SHA256

    path = Path(path) if path else DEFAULT_MODEL
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = "missing"
    return ModelFacts(MODEL_NAME, path.name, digest, MODEL_SHA256)


def app_folders() -> tuple[tuple[str, Path], ...]:
    """Where Glimpse keeps settings, recordings, the cache and the logs (each honours its override)."""
    from app.settings.store import user_settings_path
    from app.store.session import sessions_root
    from app.system.crashlog import log_dir
    from app.system.files import cache_root

    return (("settings", user_settings_path().parent), ("sessions", sessions_root()), ("cache", cache_root()),
            ("logs", log_dir()))


def collect(qt_platform: str = "none", qt_version: str = "none", cameras: list | None = None,
            model_path: str | Path | None = None) -> Diagnostics:
    """Today's facts; the Qt ones come from the caller (the core never imports Qt). `cameras`: objects
    with `.index` and `.name` (default: the ones the system lists now)."""
    if cameras is None:
        from app.sources.capture import list_cameras

        cameras = list_cameras()
    return Diagnostics(
        version=__version__, build="bundle" if getattr(sys, "frozen", False) else "source",
        python=platform.python_version(), os=platform.platform(terse=True), machine=platform.machine(),
        qt_platform=qt_platform, qt_version=qt_version, model=model_facts(model_path), parts=bundled_parts(),
        cameras=tuple((int(c.index), str(c.name)) for c in cameras), folders=app_folders())


def shown_path(path: Path, home: Path) -> str:
    """A path as the diagnostics show it: `~/...` inside the home folder."""
    try:
        return "~/" + Path(path).relative_to(home).as_posix()
    except ValueError:
        return Path(path).as_posix()


def without_home(text: str, home: Path) -> str:
    """`text` with the home folder (which names the person) written as `~`."""
    home_text = str(home).rstrip(os.sep)
    return text.replace(home_text, "~") if len(home_text) > 1 else text


def diagnostics_text(d: Diagnostics, home: Path) -> str:
    """The text "Copy diagnostics" puts on the clipboard: versions, system, model, cameras by
    index and name, the app's own folders; the home folder is never named."""
    lines = [f"Glimpse {d.version} ({d.build})",
             f"Python {d.python}; {d.os}; {d.machine}",
             f"Qt {d.qt_version}, platform {d.qt_platform}",
             f"Model: {d.model.name}, {d.model.file}, SHA-256 {d.model.sha256} "
             f"({'matches the pinned digest' if d.model.verified else 'DOES NOT match the pinned ' + d.model.pinned})",
             "Cameras: " + ("; ".join(f"{i}: {name}" for i, name in d.cameras) or "none"),
             "Folders:"]
    lines += [f"  {label}: {shown_path(path, home)}" for label, path in d.folders]
    lines.append("Parts:")
    lines += [f"  {p.name} {p.version} ({p.licence})" for p in d.parts]
    return without_home("\n".join(lines) + "\n", home)
