"""Every person's clips through the current features and spotter, under many settings, as `Counts`.

Loading (`load_people`) tracks and injects what the caches lack; `evaluate_people` re-runs only
features + spotting, which is what `--quick` times.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from app.settings.schema import Settings
from bench.personwise.data import PEOPLE, Person
from bench.personwise.inject import INJECT_DIR, Injected, injected
from bench.personwise.score import (
    Counts,
    add_types,
    control_counts,
    core_by_type,
    in_spans,
    injected_counts,
    natural_counts,
    posed_counts,
)
from bench.personwise.seen import with_seen
from bench.personwise.spot import moments_under
from bench.personwise.talking import load_labels
from bench.personwise.track import RawTrack, features_of, tracked

MOMENT_LABELS = Path("bench/personwise/labels/natural_moments.json")


@dataclass
class PersonData:
    person: Person
    natural: list[tuple[str, RawTrack]]  # (clip path, raw track)
    injected: list[tuple[Injected, RawTrack]]  # (injected clip, raw track of its source)
    posed: list[tuple[str, RawTrack]]


def load_people(log=print) -> list[PersonData]:
    out = []
    for p in PEOPLE:
        natural = [(clip, tracked(clip, log=log)) for clip in p.natural]
        inj = [(one, tracked(s.clip, log=log)) for s in p.inject for one in injected(s, log=log)]
        out.append(PersonData(p, natural, inj, [(clip, tracked(clip, log=log)) for clip in p.posed]))
    return out


def controls(pd: PersonData) -> list[RawTrack]:
    """A person's controls (footage without events, as the injected clips made from it): one per source."""
    return list({id(inj.control): inj.control for inj, _ in pd.injected}.values())


def load_moment_labels(path: Path = MOMENT_LABELS) -> dict[str, list[dict]]:
    """clip file name -> labelled moments (start_s, end_s, label, saw)."""
    if not path.exists():
        return {}
    out: dict[str, list[dict]] = {}
    for m in json.loads(path.read_text())["moments"]:
        out.setdefault(m["clip"], []).append(m)
    return out


@dataclass
class Evaluated:
    """Per person: Counts per settings, and the natural moments per settings (for strips)."""

    counts: dict[str, list[Counts]]
    types: dict[str, list[dict[str, list[int]]]]  # person -> per settings: injected type -> [core, hit]
    natural_moments: dict[str, list[dict[str, list[dict]]]]  # person -> per settings: clip -> moments


def _talking_at(inj: Injected, src: RawTrack, spans) -> Callable[[float], bool]:
    def at(t: float) -> bool:
        k = min(max(int(round(t * src.fps)), 0), len(inj.order) - 1)
        return in_spans(float(src.t_s[inj.order[k]]), spans)
    return at


def quiet_events(people: list[PersonData], keep: Callable[[dict], bool], seen: bool = False
                 ) -> Iterator[tuple[PersonData, Injected, Callable[[float], bool], list[dict]]]:
    """Per injected clip that has any: (person, clip, whether output time t shows the person talking, the
    micro events `keep` accepts while they do not talk; with `seen`, each carries its `seen_iod`)."""
    talking = load_labels()
    for pd in people:
        for inj, src in pd.injected:
            at = _talking_at(inj, src, talking.get(Path(inj.source.clip).name, []))
            truth = with_seen(inj.truth, inj.track, inj.control) if seen else inj.truth
            events = [e for e in truth["events"] if e["kind"] == "micro" and keep(e)
                      and not at((e["onset_s"] + e["offset_s"]) / 2)]
            if events:
                yield pd, inj, at, events


def evaluate_people(people: list[PersonData], settings: list[Settings]) -> Evaluated:
    talking = load_labels()
    labels = load_moment_labels()
    counts: dict[str, list[Counts]] = {}
    natural_moments: dict[str, list[dict[str, list[dict]]]] = {}
    types: dict[str, list[dict[str, list[int]]]] = {}
    for pd in people:
        by_type: list[dict[str, list[int]]] = [{} for _ in settings]
        rows = [Counts() for _ in settings]
        per_settings: list[dict[str, list[dict]]] = [{} for _ in settings]
        controls: dict[int, list[list[dict]]] = {}
        for clip, track in pd.natural:
            name = Path(clip).name
            table = features_of(track, clip)
            for i, (s, ms) in enumerate(zip(settings, moments_under(table, settings))):
                per_settings[i][name] = ms
                rows[i] = rows[i] + natural_counts(ms, table.t_s, table.face, track.fps, s.warmup_s,
                                                   talking.get(name, []), labels.get(name, []), s.max_duration_s)
        for clip, track in pd.posed:
            table = features_of(track, clip)
            for i, (s, ms) in enumerate(zip(settings, moments_under(table, settings))):
                rows[i] = rows[i] + posed_counts(ms, table.t_s, table.face, track.fps, s.warmup_s)
        for inj, src in pd.injected:
            spans = talking.get(Path(inj.source.clip).name, [])
            at = _talking_at(inj, src, spans)
            got = moments_under(features_of(inj.track, INJECT_DIR / inj.track.source), settings)
            key = id(inj.control)  # one control serves every round of a source
            if key not in controls:
                ctl_table = features_of(inj.control, INJECT_DIR / inj.control.source)
                controls[key] = moments_under(ctl_table, settings)
                for i, s in enumerate(settings):
                    rows[i] = rows[i] + control_counts(controls[key][i], ctl_table.t_s, ctl_table.face,
                                                       inj.control.fps, s.warmup_s)
            ctl = controls[key]
            truth = with_seen(inj.truth, inj.track, inj.control)
            for i, s in enumerate(settings):
                rows[i] = rows[i] + injected_counts(truth, got[i], ctl[i], at, s.max_duration_s)
                by_type[i] = add_types(by_type[i], core_by_type(inj.truth, got[i]))
        counts[pd.person.name] = rows
        natural_moments[pd.person.name] = per_settings
        types[pd.person.name] = by_type
    return Evaluated(counts, types, natural_moments)
