"""Score spotted moments against ground truth: injected truth JSON or annotated long videos.

Times are seconds on the analysed video's clock. A micro event is *hit* when a
moment's [start_s, end_s] overlaps [onset - tolerance, offset + tolerance];
a moment is *true* when it hits a micro event, else it is a false alarm (also
when it lies on a macro event: held expressions are not moments). MEGC
spotting counts a moment as a true positive when its interval's IoU with a
micro event is at least 0.5, events and moments matched one to one.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app.errors import AnnotationsInvalid

DURATION_BUCKETS = (("<100 ms", 0.0, 0.1), ("100-250 ms", 0.1, 0.25), ("250-500 ms", 0.25, 0.5 + 1e-9),
                    (">500 ms", 0.5 + 1e-9, math.inf))
AMPLITUDE_BUCKETS = (("<0.04 IOD", 0.0, 0.04), ("0.04-0.06 IOD", 0.04, 0.06), (">=0.06 IOD", 0.06, math.inf))
MEGC_IOU = 0.5

# Action units (FACS numbers) to Glimpse regions, for annotated datasets.
AU_REGIONS = {1: "brows", 2: "brows", 4: "brows", 5: "lids", 6: "lids", 7: "lids", 43: "lids", 45: "lids",
              46: "lids", 9: "nose", 38: "nose", 39: "nose",
              **{au: "mouth" for au in (10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 22, 23, 24, 25, 26, 27, 28)}}


def overlaps(a0: float, a1: float, b0: float, b1: float) -> bool:
    """Closed intervals [a0, a1] and [b0, b1] share at least a point."""
    return a0 <= b1 and b0 <= a1


def iou(a0: float, a1: float, b0: float, b1: float) -> float:
    """Intersection over union of two intervals; 0 when the union is empty."""
    inter = max(0.0, min(a1, b1) - max(a0, b0))
    union = max(a1, b1) - min(a0, b0)
    return inter / union if union > 0 else 0.0


def megc2020_iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    """IoU of two 1-based inclusive frame intervals exactly as the MEGC2020 baseline scores them.

    Its quirks are kept: an interval whose last frame is not after its first scores 0, and the
    intersection counts one frame even for intervals that are apart (never enough for IoU >= 0.5)."""
    shared = max(0, min(a[1], b[1]) - max(a[0], b[0])) + 1
    union = (a[1] - a[0] + 1) + (b[1] - b[0] + 1) - shared
    if a[1] <= a[0] or b[1] <= b[0] or union <= 0:
        return 0.0
    return shared / union


def megc2020_score(clips: Sequence[tuple[Sequence[tuple[int, int]], Sequence[tuple[int, int]]]],
                   threshold: float = MEGC_IOU) -> dict:
    """The MEGC2020 baseline's spotting scores over clips of (predicted intervals, labelled intervals).

    A label is found when any prediction has IoU >= threshold with it; counts are summed over clips:
    recall = labels found / labels, precision = labels found / predictions, F1 their harmonic mean
    (0 when undefined, as the baseline reports it). tp = labels found, fp = predictions - tp,
    fn = labels - tp, so pooling tp, fp and fn over clips gives the same F1. `pairs` counts every
    (prediction, label) pair over the threshold (the baseline's "large" precision)."""
    predictions = labels = found = pairs = 0
    for preds, truth in clips:
        predictions, labels = predictions + len(preds), labels + len(truth)
        hit = set()
        for p in preds:
            for k, lab in enumerate(truth):
                if megc2020_iou(p, lab) >= threshold:
                    pairs += 1
                    hit.add(k)
        found += len(hit)
    recall = found / labels if labels else 0.0
    precision = found / predictions if predictions else 0.0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    return {"convention": "MEGC2020 baseline scorer: 1-based inclusive frame intervals, IoU >= 0.5, "
                          "labels found over clips", "iou_threshold": threshold, "tp": found,
            "fp": predictions - found, "fn": labels - found, "predictions": predictions, "labels": labels,
            "pairs": pairs, "precision": precision, "recall": recall, "f1": f1}


def frame_interval(start_s: float, end_s: float, fps: float) -> tuple[int, int]:
    """1-based inclusive frames of [start_s, end_s]: frame k is at (k - 1) / fps s, times rounded to a frame."""
    return int(round(start_s * fps)) + 1, int(round(end_s * fps)) + 1


def megc_matches(events: Sequence[dict], moments: Sequence[dict],
                 threshold: float = MEGC_IOU) -> list[tuple[int, int, float]]:
    """One-to-one (event index, moment index, IoU) pairs with IoU >= threshold, as many as possible
    (maximum bipartite matching, each event trying its best-IoU moments first), sorted by event."""
    cand = []
    for e in events:
        scores = [(iou(e["onset_s"], e["offset_s"], m["start_s"], m["end_s"]), j) for j, m in enumerate(moments)]
        cand.append([(j, v) for v, j in sorted(scores, key=lambda x: (-x[0], x[1])) if v >= threshold])
    owner: dict[int, int] = {}  # moment -> event

    def augment(i: int, seen: set[int]) -> bool:
        for j, _ in cand[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(events)):
        augment(i, set())
    best = {(i, j): v for i, c in enumerate(cand) for j, v in c}
    return sorted((i, j, best[i, j]) for j, i in owner.items())


def _ratio(k: int, n: int) -> float | None:
    return k / n if n else None


def _bucket(value: float | None, buckets: Sequence[tuple[str, float, float]]) -> str:
    if value is None:
        return "unknown"
    return next((name for name, lo, hi in buckets if lo <= value < hi), "unknown")


def _breakdown(events: Sequence[dict], hit: Sequence[bool], key: Callable[[dict], str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for e, h in zip(events, hit, strict=True):
        row = out.setdefault(key(e), {"events": 0, "hits": 0})
        row["events"] += 1
        row["hits"] += int(h)
    for row in out.values():
        row["recall"] = _ratio(row["hits"], row["events"])
    return out


def _ordered(d: dict, names: Sequence[str]) -> dict:
    return {k: d[k] for k in list(names) + sorted(set(d) - set(names)) if k in d}


def evaluate(truth: dict, moments: list[dict], duration_s: float, tolerance_s: float = 0.1,
             fps: float | None = None) -> dict:
    """Scores of `moments` (dicts with start_s, end_s) against `truth` (dict with "events": onset_s,
    offset_s, kind, and optionally type, amplitude_iod) over a video of `duration_s` seconds at `fps`
    (default: the truth's "fps"; without one the MEGC2020 figures are None).
    Ratios are None when their denominator is zero."""
    events = [_check_event(e, i) for i, e in enumerate(truth.get("events", []))]
    moments = [_check_moment(m, j) for j, m in enumerate(moments)]
    micro = [e for e in events if e["kind"] == "micro"]
    macro = [e for e in events if e["kind"] == "macro"]
    tol = tolerance_s

    def near(m: dict, e: dict) -> bool:
        return overlaps(m["start_s"], m["end_s"], e["onset_s"] - tol, e["offset_s"] + tol)

    event_hit = [any(near(m, e) for m in moments) for e in micro]
    moment_true = [any(near(m, e) for e in micro) for m in moments]
    on_macro = [any(near(m, e) for e in macro) for m in moments]
    macro_hit = [any(near(m, e) for m in moments) for e in macro]
    hits, true_moments = sum(event_hit), sum(moment_true)
    false_alarms = len(moments) - true_moments
    matches = megc_matches(micro, moments)
    tp = len(matches)
    fps = fps or truth.get("fps")
    megc2020 = (megc2020_score([([frame_interval(m["start_s"], m["end_s"], fps) for m in moments],
                                 [frame_interval(e["onset_s"], e["offset_s"], fps) for e in micro])])
                if fps else {"convention": "MEGC2020 baseline scorer: needs the frame rate", "tp": None, "fp": None,
                             "fn": None, "precision": None, "recall": None, "f1": None})
    best_iou = [max((iou(e["onset_s"], e["offset_s"], m["start_s"], m["end_s"]) for m in moments), default=0.0)
                for e in micro]
    return {
        "tolerance_s": tol,
        "duration_s": duration_s,
        "micro_events": len(micro),
        "macro_events": len(macro),
        "moments": len(moments),
        "hits": hits,
        "recall": _ratio(hits, len(micro)),
        "recall_by_duration": _ordered(
            _breakdown(micro, event_hit, lambda e: _bucket(e["offset_s"] - e["onset_s"], DURATION_BUCKETS)),
            [b[0] for b in DURATION_BUCKETS]),
        "recall_by_type": _ordered(_breakdown(micro, event_hit, lambda e: e.get("type") or "unknown"), []),
        "recall_by_amplitude": _ordered(
            _breakdown(micro, event_hit, lambda e: _bucket(e.get("amplitude_iod"), AMPLITUDE_BUCKETS)),
            [b[0] for b in AMPLITUDE_BUCKETS]),
        "true_moments": true_moments,
        "precision": _ratio(true_moments, len(moments)),
        "false_alarms": false_alarms,
        "false_alarms_per_min": false_alarms / (duration_s / 60.0) if duration_s and duration_s > 0 else None,
        "moments_on_macro": sum(on_macro),
        "macro_overlapped": _ratio(sum(macro_hit), len(macro)),
        "macro_overlapped_count": sum(macro_hit),
        "fps": fps,
        "megc": megc2020,
        "megc_one_to_one": {
            "convention": "one-to-one matching on seconds (Glimpse's older figure), IoU >= 0.5",
            "iou_threshold": MEGC_IOU, "tp": tp, "fp": len(moments) - tp, "fn": len(micro) - tp,
            "precision": _ratio(tp, len(moments)), "recall": _ratio(tp, len(micro)),
            "f1": _ratio(2 * tp, len(moments) + len(micro)),
        },
        "events": [{"onset_s": e["onset_s"], "offset_s": e["offset_s"], "type": e.get("type"),
                    "amplitude_iod": e.get("amplitude_iod"), "hit": h, "best_iou": round(b, 4)}
                   for e, h, b in zip(micro, event_hit, best_iou, strict=True)],
        "false_alarm_moments": [{"start_s": m["start_s"], "end_s": m["end_s"], "on_macro": mac}
                                for m, t, mac in zip(moments, moment_true, on_macro, strict=True) if not t],
    }


def _number(d: dict, key: str, what: str) -> float:
    v = d.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise AnnotationsInvalid(f"{what}: {key} must be a number, found {v!r}")
    return float(v)


def _check_event(e: Any, i: int) -> dict:
    if not isinstance(e, dict):
        raise AnnotationsInvalid(f"truth event {i}: expected an object, found {e!r}")
    onset, offset = _number(e, "onset_s", f"truth event {i}"), _number(e, "offset_s", f"truth event {i}")
    if offset < onset:
        raise AnnotationsInvalid(f"truth event {i}: offset_s {offset} is before onset_s {onset}")
    kind = e.get("kind", "micro")
    if kind not in ("micro", "macro"):
        raise AnnotationsInvalid(f"truth event {i}: kind must be 'micro' or 'macro', found {kind!r}")
    return {**e, "onset_s": onset, "offset_s": offset, "kind": kind}


def _check_moment(m: Any, j: int) -> dict:
    if not isinstance(m, dict):
        raise AnnotationsInvalid(f"moment {j}: expected an object, found {m!r}")
    start, end = _number(m, "start_s", f"moment {j}"), _number(m, "end_s", f"moment {j}")
    if end < start:
        raise AnnotationsInvalid(f"moment {j}: end_s {end} is before start_s {start}")
    return {**m, "start_s": start, "end_s": end}


# ----------------------------------------------------------------------------------------------
# Annotated long videos (CAS(ME)^2, SAMM-LV style).

def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _find(columns: Sequence[str], *, prefixes: Sequence[str] = (), exact: Sequence[str] = ()) -> str | None:
    for c in columns:
        n = _norm(c)
        if n in exact or any(n.startswith(p) for p in prefixes):
            return c
    return None


def _frame(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        v = float(value)
    except ValueError:
        return None
    return v if math.isfinite(v) and v > 0 else None


def au_regions(text: str) -> list[str]:
    """Glimpse regions of an action-unit string such as 'AU4+AU7', '4+7', 'R12', 'L2+L4'."""
    regions = {AU_REGIONS[int(n)] for n in re.findall(r"\d+", text or "") if int(n) in AU_REGIONS}
    return [r for r in ("brows", "lids", "nose", "mouth") if r in regions]


def read_annotations_csv(path: str | Path, fps: float, clip: str | None = None, first_frame: int = 1) -> dict:
    """Truth dict from a CSV of annotated expressions, one row per expression, frame numbers per clip.

    Columns (header names are matched ignoring case, spaces and punctuation):
      onset  - required: Onset, onset_frame, OnsetFrame, Onset Frame, start_frame ...
      apex   - optional: Apex, apex_frame, ApexFrame ... (missing, 0 or outside onset..offset: midpoint)
      offset - required: Offset, offset_frame, OffsetFrame, end_frame ... (missing or 0: the apex frame)
      type   - optional: Type, Kind, Expression Type, Class; values containing 'micro' or 'macro'
               (empty or missing: micro)
      clip   - optional: Filename, Video, Video Name, Clip, File; with `clip` given only rows whose value is
               `clip` or starts with `clip` + '_' are read (SAMM-LV names expressions 006_1_1 in video 006_1)
      action units - optional: Action Units, AU, AUs; mapped to regions and used as the event's type
    Frame `first_frame` is at 0 s; times are (frame - first_frame) / fps. Rows that cannot be read are
    listed under "skipped" with the reason, never dropped silently.
    """
    path = Path(path)
    if not fps or fps <= 0:
        raise AnnotationsInvalid(f"{path}: a CSV truth needs the clip's frame rate (--fps), found {fps!r}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AnnotationsInvalid(f"{path}: cannot be read: {exc}") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = reader.fieldnames or []
    onset_c = _find(columns, prefixes=("onset",), exact=("start", "startframe"))
    apex_c = _find(columns, prefixes=("apex",))
    offset_c = _find(columns, prefixes=("offset",), exact=("end", "endframe"))
    type_c = _find(columns, exact=("type", "kind", "expressiontype", "class", "typemacromicro"))
    clip_c = _find(columns, exact=("filename", "video", "videoname", "clip", "file", "clipname"))
    au_c = _find(columns, prefixes=("actionunit",), exact=("au", "aus"))
    if onset_c is None or offset_c is None:
        raise AnnotationsInvalid(f"{path}: expected onset and offset frame columns (e.g. 'Onset', 'Offset'), "
                                 f"found columns {columns}")
    if clip is not None and clip_c is None:
        raise AnnotationsInvalid(f"{path}: --clip {clip!r} given but no clip column (e.g. 'Filename'), "
                                 f"found columns {columns}")
    events: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for line, row in enumerate(reader, start=2):
        if clip is not None:
            name = (row.get(clip_c) or "").strip().lower()
            if not (name == clip.lower() or name.startswith(clip.lower() + "_")):
                continue
        onset, apex, offset = (_frame(row.get(c)) if c else None for c in (onset_c, apex_c, offset_c))
        if offset is None:
            offset = apex
        if onset is None or offset is None or offset < onset:
            skipped.append({"line": line, "reason": f"onset {row.get(onset_c)!r}, offset {row.get(offset_c)!r}: "
                                                    f"need frame numbers with offset >= onset"})
            continue
        if apex is None or not onset <= apex <= offset:
            apex = (onset + offset) / 2
        raw_type = (row.get(type_c) or "").strip().lower() if type_c else ""
        if "micro" in raw_type or not raw_type:
            kind = "micro"
        elif "macro" in raw_type:
            kind = "macro"
        else:
            skipped.append({"line": line, "reason": f"type {row.get(type_c)!r} is neither micro nor macro"})
            continue
        aus = (row.get(au_c) or "").strip() if au_c else ""
        events.append({
            "onset_s": (onset - first_frame) / fps, "apex_s": (apex - first_frame) / fps,
            "offset_s": (offset - first_frame) / fps, "type": f"AU {aus}" if aus else "unknown",
            "kind": kind, "amplitude_iod": None, "regions": au_regions(aus),
            "frames": [int(onset), int(apex), int(offset)],
        })
    events.sort(key=lambda e: e["onset_s"])
    return {"source": path.name if clip is None else f"{path.name}:{clip}", "fps": fps, "frames": None,
            "duration_s": None, "seed": None, "events": events, "skipped": skipped}


def load_truth(path: str | Path, fps: float | None = None, clip: str | None = None, first_frame: int = 1) -> dict:
    """A truth dict from a truth JSON (as `glimpse inject` writes) or an annotation CSV."""
    path = Path(path)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return read_annotations_csv(path, fps or 0.0, clip, first_frame)
    data = _read_json(path, "truth")
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise AnnotationsInvalid(f"{path}: expected a truth JSON object with an 'events' list")
    for i, e in enumerate(data["events"]):
        _check_event(e, i)
    return data


def load_moments(path: str | Path) -> dict:
    """The moments JSON `glimpse analyze` writes (or a bare list of moments), checked."""
    path = Path(path)
    data = _read_json(path, "moments")
    if isinstance(data, list):
        data = {"moments": data}
    if not isinstance(data, dict) or not isinstance(data.get("moments"), list):
        raise AnnotationsInvalid(f"{path}: expected a moments JSON object with a 'moments' list")
    for j, m in enumerate(data["moments"]):
        _check_moment(m, j)
    return data


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnnotationsInvalid(f"{what} file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AnnotationsInvalid(f"{what} file {path} is not readable JSON: {exc}") from None


# ----------------------------------------------------------------------------------------------
# Report.

def _pct(v: float | None) -> str:
    return "   -" if v is None else f"{v:4.2f}"


def format_report(r: dict) -> str:
    """A plain-text table of `evaluate`'s result."""
    lines = [f"Video {r['duration_s']:.1f} s, {r['micro_events']} micro and {r['macro_events']} macro events, "
             f"{r['moments']} moments, tolerance {r['tolerance_s']:g} s", ""]
    lines.append(f"{'Recall (micro events hit)':36s} {_pct(r['recall'])}  {r['hits']}/{r['micro_events']}")
    for title, key in (("by duration", "recall_by_duration"), ("by type", "recall_by_type"),
                       ("by amplitude", "recall_by_amplitude")):
        for i, (name, row) in enumerate(r[key].items()):
            label = f"  {title if i == 0 else '':13s}{name}"
            lines.append(f"{label:36s} {_pct(row['recall'])}  {row['hits']}/{row['events']}")
    lines += [
        f"{'Precision (moments on micro events)':36s} {_pct(r['precision'])}  {r['true_moments']}/{r['moments']}",
        f"{'False alarms':36s} {r['false_alarms']:4d}  "
        + ("" if r["false_alarms_per_min"] is None else f"{r['false_alarms_per_min']:.2f} per minute"),
        f"{'  of them on macro events':36s} {r['moments_on_macro']:4d}",
        f"{'Macro events overlapped':36s} {_pct(r['macro_overlapped'])}  "
        f"{r['macro_overlapped_count']}/{r['macro_events']}",
    ]
    for title, key in (("MEGC2020 spotting F1", "megc"), ("One-to-one IoU F1 (seconds)", "megc_one_to_one")):
        m = r[key]
        lines.append(f"{title:36s} {_pct(m['f1'])}  precision {_pct(m['precision'])}  recall {_pct(m['recall'])}  "
                     f"(TP {m['tp']}, FP {m['fp']}, FN {m['fn']})")
    lines += ["", "MEGC2020: as the MEGC2020 baseline's scorer: 1-based inclusive frame intervals, IoU >= 0.5,",
              "  an event is found by any moment, precision = events found / moments, pooled over clips.",
              "One-to-one: events and moments paired at most once, IoU >= 0.5 on [start_s, end_s] in seconds.",
              "Recall, precision and false alarms above: overlap within the tolerance, in seconds."]
    missed = [e for e in r["events"] if not e["hit"]]
    if missed:
        lines += ["", "Missed micro events:"]
        lines += [f"  {e['onset_s']:8.2f}-{e['offset_s']:.2f} s  {e['type'] or 'unknown'}"
                  + ("" if e["amplitude_iod"] is None else f"  {e['amplitude_iod']:.3f} IOD") for e in missed]
    return "\n".join(lines)
