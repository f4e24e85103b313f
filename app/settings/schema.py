"""The one settings schema, shared by the CLI, live mode and the tuning panel.

Every field carries its default, bounds, title and help text in its metadata,
so the tuning panel is built from this schema and a settings file is checked
against it (the file itself, versioned JSON, is `app.settings.store`'s).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any

from app.errors import SettingsInvalid

REGIONS = ("brows", "lids", "nose", "mouth", "gaze")
PRESETS = ("gentle", "balanced", "attentive")
NOT_TUNING = frozenset({"questions"})  # changing these keeps the preset: they do not change what is spotted


def _field(default: Any, title: str, help: str, lo: float | None = None, hi: float | None = None,
           step: float | None = None, choices: tuple[str, ...] | None = None) -> Any:
    meta = {"title": title, "help": help, "min": lo, "max": hi, "step": step, "choices": choices}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    """Spotting and prompting settings. Times in seconds."""

    preset: str = _field("balanced", "Preset", "A named starting point; changing any value below makes it 'custom'.",
                         choices=PRESETS + ("custom",))
    sensitivity: float = _field(50.0, "Sensitivity", "Higher finds fainter, briefer changes, and more false ones.",
                                0.0, 100.0, 1.0)
    min_duration_s: float = _field(0.04, "Shortest moment", "Changes briefer than this are treated as tracking jitter.",
                                   0.02, 0.3, 0.01)
    max_duration_s: float = _field(0.5, "Longest moment", "Changes held longer than this are ordinary expressions, "
                                   "not moments.",
                                   0.1, 1.0, 0.05)
    glance_max_s: float = _field(1.0, "Longest glance", "A look away that comes back within this time is a "
                                 "glance; longer, the person is simply looking elsewhere.", 0.3, 1.0, 0.05)
    cooldown_s: float = _field(20.0, "Quiet time after a prompt", "No new prompt for this long after one was shown; "
                               "moments in between are still kept for review.", 0.0, 120.0, 1.0)
    regions: tuple[str, ...] = _field(REGIONS, "Face regions", "Which parts of the face may raise a moment.",
                                      choices=REGIONS)
    blink_filter: bool = _field(True, "Ignore blinks", "Eyelid closures and the small movements around them "
                                      "are not moments.")
    talking_filter: bool = _field(True, "Ignore talking", "Mouth movement while the person speaks needs a much "
                                        "larger change to count.")
    head_motion_filter: bool = _field(True, "Ignore head movement",
                                            "Changes during a fast turn or nod are not moments.")
    smoothing: float = _field(0.0, "Smoothing", "Averages the signal over a few frames: steadier, but may miss "
                              "the briefest changes.",
                              0.0, 1.0, 0.05)
    warmup_s: float = _field(2.0, "Warm-up", "Time Glimpse watches a face before it may prompt; again after "
                             "the face was away for more than a second, or when another face appears.",
                              0.5, 10.0, 0.5)
    prompt_hold_s: float = _field(6.0, "Prompt shown for", "How long a prompt stays on screen.", 2.0, 20.0, 0.5)
    attentive_window_s: float = _field(10.0, "After 'I just asked'", "For this long after you mark a question, "
                                       "live spotting is more sensitive than your setting.", 2.0, 60.0, 1.0)
    questions: tuple[str, ...] = _field((), "Your questions", "The questions Glimpse may offer; "
                                        "empty: the built-in ones.")

    def __post_init__(self) -> None:
        problems = validate(self)
        if problems:
            raise SettingsInvalid("; ".join(problems))

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes`; tuning anything but the preset makes it 'custom'."""
        if changes and "preset" not in changes and set(changes) - NOT_TUNING:
            changes["preset"] = "custom"
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["regions"] = list(self.regions)
        d["questions"] = list(self.questions)
        return d


PRESET_VALUES: dict[str, dict[str, Any]] = {
    "gentle": {"sensitivity": 30.0},
    "balanced": {"sensitivity": 50.0},
    "attentive": {"sensitivity": 75.0},
}


def preset(name: str, base: Settings | None = None) -> Settings:
    """`base` (or the defaults) with the named preset's values."""
    if name not in PRESET_VALUES:
        raise SettingsInvalid(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}")
    return dataclasses.replace(base or Settings(), preset=name, **PRESET_VALUES[name])


def validate(s: Settings) -> list[str]:
    """Human-readable problems with `s`; empty when it is valid."""
    problems = []
    for f in fields(s):
        value, meta = getattr(s, f.name), f.metadata
        if f.name == "regions":
            bad = [r for r in value if r not in REGIONS]
            if bad:
                problems.append(f"regions: unknown {shown(bad)}; expected some of {list(REGIONS)}")
            continue
        if f.name == "questions":
            problems += _question_problems(value)
            continue
        if meta.get("choices") and value not in meta["choices"]:
            problems.append(f"{f.name}: {shown(value)} is not one of {list(meta['choices'])}")
        if isinstance(f.default, bool):
            if not isinstance(value, bool):
                problems.append(f"{f.name}: expected true or false, found {shown(value)}")
        elif isinstance(f.default, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"{f.name}: expected a number, found {shown(value)}")
            elif not meta["min"] <= value <= meta["max"]:
                problems.append(f"{f.name}: {value} is outside {meta['min']}..{meta['max']}")
    if not problems and s.min_duration_s >= s.max_duration_s:
        problems.append(f"min_duration_s ({s.min_duration_s}) must be below max_duration_s ({s.max_duration_s})")
    return problems


def _question_problems(value: Any) -> list[str]:
    """The listener's own questions: strings, at least two when set, never a forbidden word (the
    question editor checks the wording more closely)."""
    from app.settings.questions import MIN_QUESTIONS, named_words

    if not (isinstance(value, tuple) and all(isinstance(q, str) and q.strip() for q in value)):
        return [f"questions: expected a list of non-empty texts, found {shown(value)}"]
    if value and len(value) < MIN_QUESTIONS:
        return [f"questions: at least {MIN_QUESTIONS} are needed, found {len(value)}"]
    named = named_words(value)
    return [f"questions: {sorted(named)} may not be used in a question"] if named else []


def from_dict(values: Any) -> Settings:
    """Settings from their parsed values (a JSON object of field names; see `app.settings.store` for the
    file around it). Anything else, unknown keys (typos are not silently ignored) and values of the wrong
    kind raise SettingsInvalid naming the field."""
    if not isinstance(values, dict):
        raise SettingsInvalid(f"expected a JSON object of settings, found {kind_of(values)}")
    known = {f.name: f for f in fields(Settings)}
    unknown = sorted(str(k) for k in values if k not in known)
    if unknown:
        raise SettingsInvalid(f"unknown setting(s) {shown(unknown)}; known: {sorted(known)}")
    values = dict(values)
    for name in ("regions", "questions"):
        if name in values:
            if not isinstance(values[name], list):
                raise SettingsInvalid(f"{name}: expected a list, found {shown(values[name])}")
            values[name] = tuple(values[name])
    for name, value in values.items():
        if isinstance(known[name].default, float) and isinstance(value, int) and not isinstance(value, bool):
            try:
                values[name] = float(value)
            except OverflowError:  # an integer too large for a float is outside every range
                raise SettingsInvalid(f"{name}: a number this large is outside "
                                      f"{known[name].metadata['min']}..{known[name].metadata['max']}") from None
    return Settings(**values)


SHOWN_CHARS = 60  # a value quoted in a message: enough to recognise it, never a whole file


def shown(value: Any) -> str:
    """`value` as a message quotes it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "\u2026"


def kind_of(value: Any) -> str:
    """A JSON value's kind in words (a message names what was found, not Python's type names)."""
    for kind, name in ((bool, "true or false"), (int, "a number"), (float, "a number"), (str, "a text"),
                       (list, "a list")):
        if isinstance(value, kind):
            return f"{name} ({shown(value)})"
    return "nothing (null)" if value is None else type(value).__name__
