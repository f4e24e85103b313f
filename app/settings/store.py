"""The listener's settings: their file, and the one store that owns them while Glimpse runs.

The file is versioned JSON. Version 1 (`SETTINGS_VERSION`) is

    {"version": 1, "settings": {"preset": "balanced", "sensitivity": 50.0, ...}}

with every field of `app.settings.schema.Settings` optional (a missing one takes its default). A file
without "version" (the settings as a plain object, or wrapped in "settings": what the first Glimpse
wrote) is version 0; `MIGRATIONS` bring an older file up to date when it is read, and the store keeps
a copy of the old file before it first writes over it. A file from a newer Glimpse is left alone.

`SettingsStore` is the one owner of the settings while the app runs: the tuning panel writes through
it, Review and live mode observe it (a running live session takes a change between two frames), and it
saves the file atomically. Any value in any field of the file gives the defaults and a plain message,
never a traceback: a broken file is set aside (renamed, never deleted) so the listener can still read it.
The command line's `--settings FILE` reads through the same `load`. No Qt here; one thread (the GUI's)
uses a store.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from app.errors import NewerSettings, SettingsInvalid, SettingsUnsaved
from app.settings.schema import Settings, from_dict, kind_of, shown
from app.system.files import write_atomic

SETTINGS_VERSION = 1
MAX_FILE_BYTES = 1 << 20  # a settings file is a few kB, even with a hundred questions of the listener's own
BROKEN_SUFFIX = ".broken-"  # a file that cannot be used is renamed NAME.broken-TIME (never deleted)
KEPT_SUFFIX = ".version-"  # NAME.version-0: a migrated file's original, kept before the store first writes over it

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _from_version_0(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0, no "version": the settings as a plain object, or wrapped in "settings"."""
    if "settings" not in data:
        return {"version": 1, "settings": data}
    extra = sorted(set(data) - {"settings"})
    if extra:
        raise SettingsInvalid(f"unknown key(s) {shown(extra)} beside \"settings\"")
    return {"version": 1, "settings": data["settings"]}


MIGRATIONS: dict[int, Migration] = {0: _from_version_0}  # version -> the step to the next version


def version_of(data: Any) -> int:
    """The format version of a parsed settings file (0: written before versions)."""
    if not isinstance(data, dict):
        raise SettingsInvalid(f"expected a JSON object, found {kind_of(data)}")
    if "version" not in data:
        return 0
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SettingsInvalid(f"version: expected a whole number from 1 up, found {shown(version)}")
    if version > SETTINGS_VERSION:
        raise NewerSettings(f"was written by a newer Glimpse (settings version {version}); this one reads "
                            f"version {SETTINGS_VERSION}")
    return version


def migrate(data: dict[str, Any], version: int) -> dict[str, Any]:
    """A parsed settings file of `version` in the current version's shape, through each migration in turn."""
    while version < SETTINGS_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    extra = sorted(set(data) - {"version", "settings"})
    if extra:
        raise SettingsInvalid(f"unknown key(s) {shown(extra)}; a settings file holds \"version\" and \"settings\"")
    if "settings" not in data:
        raise SettingsInvalid("no \"settings\" in the file")
    return data


def parse(text: str) -> tuple[Settings, int]:
    """Settings from a settings file's text, of any version this Glimpse reads, and that version."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsInvalid(f"is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except ValueError:  # Python's limit on the digits of an integer (4300)
        raise SettingsInvalid("holds a number too long to read") from None
    except RecursionError:
        raise SettingsInvalid("is nested too deeply to read") from None
    version = version_of(data)
    return from_dict(migrate(data, version)["settings"]), version


def _read(path: Path) -> bytes:
    """The file's bytes; SettingsInvalid (without the path) when it is missing or cannot be read."""
    if not path.exists():
        raise SettingsInvalid("does not exist")
    if not path.is_file():  # a folder, or a pipe that would never end
        raise SettingsInvalid("is not a file")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SettingsInvalid(f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_FILE_BYTES:
        raise SettingsInvalid(f"is larger than a settings file can be ({MAX_FILE_BYTES // 1024} kB)")
    return data


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # a byte-order mark (an editor's) is not a reason to refuse a file
    except UnicodeDecodeError:
        raise SettingsInvalid("is not text (UTF-8)") from None


def load(path: str | Path) -> Settings:
    """Read a settings file (the command line's `--settings`, Import in the tuning drawer, a recorded
    session's); any problem raises SettingsInvalid naming the file."""
    path = Path(path)
    try:
        return parse(_decoded(_read(path)))[0]
    except SettingsInvalid as exc:
        raise type(exc)(f"settings file {path} {_phrase(exc)}") from None


def to_json(s: Settings) -> str:
    return json.dumps({"version": SETTINGS_VERSION, "settings": s.to_dict()}, indent=2) + "\n"


def save(s: Settings, path: str | Path) -> None:
    """Write `s` to `path` atomically (the old file or the new one, never half of one)."""
    write_atomic(Path(path), to_json(s).encode("utf-8"))


def user_settings_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("glimpse", appauthor=False)) / "settings.json"


def set_aside(path: Path) -> Path:
    """Rename a file that cannot be used to NAME.broken-TIME (a new name each time); returns the new path."""
    stem = path.with_name(f"{path.name}{BROKEN_SUFFIX}{time.strftime('%Y%m%d-%H%M%S')}")
    aside, n = stem, 1
    while aside.exists():
        n += 1
        aside = stem.with_name(f"{stem.name}-{n}")
    path.replace(aside)
    return aside


@dataclass(frozen=True)
class SettingsChanged:
    """The settings changed (one event per `SettingsStore.set` that changes anything)."""

    old: Settings
    new: Settings
    fields: frozenset[str]  # the names of the settings whose value changed

    @classmethod
    def between(cls, old: Settings, new: Settings) -> SettingsChanged:
        changed = frozenset(f.name for f in fields(Settings) if getattr(old, f.name) != getattr(new, f.name))
        return cls(old, new, changed)


@dataclass(frozen=True)
class SaveFailed:
    """The settings could not be written to their file; they stay in force until Glimpse closes."""

    message: str


SettingsEvent = SettingsChanged | SaveFailed
Observer = Callable[[SettingsEvent], None]
Defer = Callable[[Callable[[], None]], None]  # runs a save later (the GUI: once the listener pauses)


class SettingsStore:
    """The listener's settings while Glimpse runs: read, changed, observed and saved in one place.

    `path` None keeps them in memory only. `defer`, when given, is handed the save after each change
    (the GUI waits for a pause in the listener's edits); without it each change is saved at once."""

    def __init__(self, settings: Settings | None = None, path: str | Path | None = None,
                 defer: Defer | None = None):
        self._settings = settings or Settings()
        self.path = Path(path) if path is not None else None
        self.problem: str | None = None  # what went wrong reading the file, in plain words (None: nothing)
        self._defer = defer
        self._observers: list[Observer] = []
        self._unsaved = False
        self._kept: tuple[Path, bytes] | None = None  # an older file's copy, written before the first save
        self._read_only = False  # the file must not be written over: from a newer Glimpse, or not set aside

    @classmethod
    def open(cls, path: str | Path, defer: Defer | None = None) -> SettingsStore:
        """The store of the settings file at `path` (no file yet: the defaults). A file that cannot be used
        gives the defaults and `problem`: it is set aside, or, from a newer Glimpse, left as it is."""
        store = cls(None, path, defer)
        path = Path(path)
        if not path.exists() and not path.is_symlink():
            return store
        try:
            data = _read(path)
            store._settings, version = parse(_decoded(data))
        except NewerSettings as exc:
            store._read_only = True
            store.problem = (f"Your settings file {path} {exc}. Using the default settings; the file is left "
                             "as it is, and changes are kept only until Glimpse closes.")
            return store
        except SettingsInvalid as exc:
            store.problem = f"Your settings file {path} {_phrase(exc)}. {store._set_aside(path)}"
            return store
        if version < SETTINGS_VERSION:
            store._kept = (path.with_name(f"{path.name}{KEPT_SUFFIX}{version}"), data)
        return store

    def _set_aside(self, path: Path) -> str:
        try:
            aside = set_aside(path)
        except OSError as exc:
            self._read_only = True
            return (f"Using the default settings; the file could not be set aside ({exc.strerror or exc}), so it "
                    "is left as it is, and changes are kept only until Glimpse closes.")
        return f"Using the default settings; the file was kept as {aside}."

    # -- reading and changing ----------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self._settings

    def set(self, settings: Settings) -> None:
        """Make `settings` the listener's: observers hear of it at once, the file is saved (or deferred)."""
        if settings == self._settings:
            return
        event = SettingsChanged.between(self._settings, settings)
        self._settings, self._unsaved = settings, True
        self._notify(event)
        if self._defer is not None:
            self._defer(self._save_or_report)
        else:
            self._save_or_report()

    def update(self, **changes: Any) -> Settings:
        """`set` the current settings with `changes` (SettingsInvalid, and nothing changes, when they do not fit)."""
        new = self._settings.replace(**changes)
        self.set(new)
        return new

    # -- observers ---------------------------------------------------------------------------------------
    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call `observer` with every event from now on; returns what unsubscribes it."""
        self._observers.append(observer)
        return lambda: self.unsubscribe(observer)

    def unsubscribe(self, observer: Observer) -> None:
        if observer in self._observers:
            self._observers.remove(observer)

    def _notify(self, event: SettingsEvent) -> None:
        for observer in list(self._observers):  # one may unsubscribe while hearing it
            observer(event)

    # -- the file ----------------------------------------------------------------------------------------
    @property
    def unsaved(self) -> bool:
        return self._unsaved

    def save(self) -> None:
        """Write the settings to the file now; SettingsUnsaved says why not."""
        if self.path is None:
            self._unsaved = False
            return
        if self._read_only:
            raise SettingsUnsaved(f"Your settings are not saved: {self.path} is left as it is (see the message "
                                  "at start); they are kept until Glimpse closes.")
        try:
            if self._kept is not None:
                kept, data = self._kept
                if not kept.exists():
                    write_atomic(kept, data)
                self._kept = None
            save(self._settings, self.path)
        except OSError as exc:
            raise SettingsUnsaved(f"Your settings could not be saved to {self.path} ({exc.strerror or exc}); "
                                  "they are kept until Glimpse closes.") from None
        self._unsaved = False

    def flush(self) -> None:
        """Save a change still waiting for its deferred save (before Glimpse closes)."""
        if self._unsaved:
            self.save()

    def _save_or_report(self) -> None:
        try:
            self.flush()
        except SettingsUnsaved as exc:
            self._notify(SaveFailed(str(exc)))


def _phrase(problem: SettingsInvalid) -> str:
    """A problem as it follows "settings file PATH": "is not valid JSON (…)", "cannot be used: sensitivity: …"."""
    text = str(problem)
    return text if text.startswith(("is ", "does ", "cannot ", "was ", "holds ")) else f"cannot be used: {text}"
