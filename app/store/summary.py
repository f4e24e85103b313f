"""A session summary the listener can keep with their notes: one HTML page per recorded session.

It holds what happened, from the session's own record: when and how long, a picture of the
timeline, the questions shown live with their times, the listener's "I just asked" marks, their
review marks and notes, and the settings in force. Nothing about the person's feelings: it says
where a moment was and which question was offered, never what it meant.

    write_summary(folder, out)  ->  out  (the HTML, with the picture embedded as a data URI)

No Qt here: the picture is drawn with OpenCV (PNG).
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path

import numpy as np

from app.settings.schema import Settings
from app.spotting.spotter import Moment
from app.spotting.strength import Strength, relative, spotted_settings, spotted_thresholds
from app.store.export import read_review
from app.store.marks import VERDICT_TITLES, Mark
from app.store.session import RecordedSession, open_session
from app.system.files import write_atomic
from app.system.progress import format_time

PICTURE_SIZE = (960, 180)  # width, height in pixels
MARGIN = (48, 14, 14, 30)  # left, top, right, bottom
BGR = {  # the light theme's calm tones, as OpenCV's BGR
    "paper": (252, 250, 250), "axis": (180, 170, 170), "text": (80, 70, 70), "no_face": (225, 225, 225),
    "prompted": (140, 150, 32), "quiet": (136, 126, 120), "asked": (170, 90, 150), "threshold": (40, 120, 214)}
TICK_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
MAX_TICKS = 10
Y_TOP_RATIO = 3.0  # the picture's height holds moments up to three times the threshold (taller ones are capped)
THRESHOLD_GAP_PX = 8  # the threshold line, which the stems rise from, sits this far above the time axis


@dataclass(frozen=True)
class Summary:
    """What the page says about one session."""

    name: str
    created: str
    source: str
    duration_s: float
    settings: Settings
    moments: tuple[Moment, ...]  # as recorded live
    in_force: tuple[Settings | None, ...]  # per moment: the settings live spotted it with (None: not kept)
    asked_s: tuple[float, ...]
    marks: tuple[Mark, ...]  # the listener's review marks and notes
    no_face: tuple[tuple[float, float], ...]
    notes: tuple[str, ...]

    def spotted_with(self) -> tuple[Settings, ...]:
        """Per moment, the settings it was spotted (and its question shown) with: Review's, too."""
        return spotted_settings(self.in_force, self.settings, len(self.moments))

    def strengths(self) -> tuple[Strength, ...]:
        """Per moment, how far past its own threshold it went (the word Review shows)."""
        thresholds = spotted_thresholds(self.in_force, self.settings, len(self.moments))
        return tuple(relative(m.strength, t) for m, t in zip(self.moments, thresholds, strict=True))

    @property
    def prompts(self) -> tuple[Moment, ...]:
        return tuple(m for m in self.moments if m.prompted)


def no_face_spans(t_s: np.ndarray, face: np.ndarray) -> tuple[tuple[float, float], ...]:
    """(start, end) seconds of each stretch of frames without a face."""
    if not len(t_s):
        return ()
    step = float(np.median(np.diff(t_s))) if len(t_s) > 1 else 0.0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], (~face.astype(bool)).astype(np.int8), [0]])))
    return tuple((float(t_s[a]), float(t_s[b - 1]) + step) for a, b in zip(edges[::2], edges[1::2], strict=True))


def collect(session: RecordedSession) -> Summary:
    """Everything the page shows; reads only (a broken marks file is noted, never moved)."""
    review, problem = read_review(session.folder)
    notes = ((session.missing_message,) if session.missing_message else ()) + tuple(session.notes)
    if problem:
        notes += (f"{problem}; the page shows no marks.",)
    marks = tuple(review.marks)
    return Summary(session.folder.name, str(session.info.get("created", "")), str(session.info.get("source", "")),
                   session.duration_s, session.settings, tuple(session.moments),
                   tuple(session.moment_settings), tuple(session.marks), marks,
                   no_face_spans(session.table.t_s, session.table.face), notes)


def format_created(created: str) -> str:
    """A session's ISO start time as people write it ("6 December 2026 at 15:12"); unreadable: as given."""
    try:
        when = datetime.strptime(created, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return created
    return f"{when.day} {when:%B %Y} at {when:%H:%M}"


def _tick_step(duration_s: float) -> int:
    return next((s for s in TICK_STEPS_S if duration_s / s <= MAX_TICKS), TICK_STEPS_S[-1])


def timeline_png(summary: Summary, size: tuple[int, int] = PICTURE_SIZE) -> bytes:
    """The session at a glance: no-face stretches, "I just asked" marks, and each moment as a stem rising
    from the threshold line as far as the change went past its threshold (filled: a question was shown;
    hollow: quiet time)."""
    import cv2

    w, h = size
    left, top, right, bottom = MARGIN
    img = np.full((h, w, 3), BGR["paper"], np.uint8)
    span = max(summary.duration_s, 1.0)
    y1 = h - bottom - THRESHOLD_GAP_PX  # the threshold: ratio 1
    x_of = lambda t: int(round(left + (w - left - right) * min(max(t / span, 0.0), 1.0)))  # noqa: E731
    y_of = lambda r: int(round(y1 - (y1 - top) * (min(max(r, 1.0), Y_TOP_RATIO) - 1.0) / (Y_TOP_RATIO - 1.0)))  # noqa: E731
    for a, b in summary.no_face:
        cv2.rectangle(img, (x_of(a), top), (max(x_of(b), x_of(a) + 1), h - bottom), BGR["no_face"], -1)
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, 0.45
    step = _tick_step(span)
    for t in range(0, int(span) + 1, step):
        x = x_of(t)
        cv2.line(img, (x, h - bottom), (x, h - bottom + 4), BGR["axis"], 1)
        label = f"{t // 60}:{t % 60:02d}"
        (tw, _), _ = cv2.getTextSize(label, font, scale, 1)
        cv2.putText(img, label, (min(max(x - tw // 2, 0), w - tw), h - 8), font, scale, BGR["text"], 1, cv2.LINE_AA)
    cv2.line(img, (left, h - bottom), (w - right, h - bottom), BGR["axis"], 1)
    for x in range(left, w - right, 8):  # the threshold, dashed
        cv2.line(img, (x, y1), (min(x + 4, w - right), y1), BGR["threshold"], 1)
    cv2.putText(img, "threshold", (4, y1 + 4), font, scale, BGR["threshold"], 1, cv2.LINE_AA)
    for asked in summary.asked_s:
        x = x_of(asked)
        for y in range(top, h - bottom, 6):
            cv2.line(img, (x, y), (x, min(y + 3, h - bottom)), BGR["asked"], 1)
    drawn = sorted(zip(summary.moments, summary.strengths(), strict=True), key=lambda p: p[0].prompted)
    for m, strength in drawn:  # questions drawn last, on top
        x, y = x_of(m.peak_s), y_of(strength.ratio)
        color = BGR["prompted"] if m.prompted else BGR["quiet"]
        cv2.line(img, (x, y1), (x, y), color, 1, cv2.LINE_AA)
        cv2.circle(img, (x, y), 5, color, -1 if m.prompted else 1, cv2.LINE_AA)
    ok, png = cv2.imencode(".png", img)
    if not ok:  # pragma: no cover - OpenCV always encodes a uint8 image
        raise RuntimeError("OpenCV could not encode the timeline picture")
    return png.tobytes()


def _e(text: object) -> str:
    return html.escape(str(text))


def _mark_for(moment: Moment, marks: tuple[Mark, ...]) -> Mark | None:
    return next((k for k in marks if k.covers(moment)), None)


def _settings_rows(s: Settings) -> str:
    rows = []
    for f in fields(Settings):
        value = getattr(s, f.name)
        if f.name == "questions":
            value = f"{len(value)} of the listener's own" if value else "the built-in questions"
        elif isinstance(value, tuple):
            value = ", ".join(value)
        elif isinstance(value, bool):
            value = "on" if value else "off"
        elif isinstance(value, float):
            value = f"{value:g} s" if f.name.endswith("_s") else f"{value:g}"
        rows.append(f"<tr><th>{_e(f.metadata['title'])}</th><td>{_e(value)}</td></tr>")
    return "\n".join(rows)


STYLE = """
body { font-family: sans-serif; color: #2e3336; background: #ffffff; max-width: 60em; margin: 2em auto;
       padding: 0 1em; line-height: 1.45; }
h1 { font-weight: normal; } h2 { font-weight: normal; margin-top: 1.6em; border-bottom: 1px solid #e3dccf; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top;
       padding: 0.3em 0.6em; border-bottom: 1px solid #eeeae2; } th { font-weight: 600; }
img { max-width: 100%; border: 1px solid #e3dccf; } .quiet { color: #6b7378; }
"""


def to_html(summary: Summary, picture: bytes | None = None) -> str:
    """The page. `picture` is the PNG to embed (default: `timeline_png(summary)`)."""
    s = summary
    png = timeline_png(s) if picture is None else picture
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    quiet = len(s.moments) - len(s.prompts)
    prompt_rows = []
    for m, strength, shown_with in zip(s.moments, s.strengths(), s.spotted_with(), strict=True):
        if not m.prompted:
            continue
        k = _mark_for(m, s.marks)
        prompt_rows.append(f"<tr><td>{format_time(m.start_s)}</td><td>{_e(m.prompt)}</td>"
                           f"<td>{_e(', '.join(m.regions))}</td><td>{_e(strength.word)}</td>"
                           f"<td>{shown_with.sensitivity:g}</td>"
                           f"<td>{_e(VERDICT_TITLES[k.verdict]) if k else ''}</td>"
                           f"<td>{_e(k.note) if k else ''}</td></tr>")
    mark_rows = [f"<tr><td>{format_time(k.start_s)}</td><td>{_e(', '.join(k.regions))}</td>"
                 f"<td>{_e(VERDICT_TITLES[k.verdict])}</td><td>{_e(k.note)}</td></tr>" for k in s.marks]
    asked = ", ".join(format_time(t) for t in s.asked_s) or "none"
    notes = "".join(f"<li>{_e(n)}</li>" for n in s.notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Glimpse session {_e(s.name)}</title>
<style>{STYLE}</style></head><body>
<h1>Session summary</h1>
<p class="quiet">{_e(s.name)}</p>
<p>Recorded {_e(format_created(s.created) if s.created else 'at an unknown time')} from {_e(s.source)};
{format_time(s.duration_s)} long. {len(s.prompts)} question{'s' if len(s.prompts) != 1 else ''} shown;
{quiet} other moment{'s' if quiet != 1 else ''} in the quiet time after a question.</p>
{f'<ul class="quiet">{notes}</ul>' if notes else ''}
<h2>Timeline</h2>
<p><img src="{uri}" alt="Timeline of the session: moments over time"></p>
<p class="quiet">Each stem is a brief change Glimpse noticed: it rises from the threshold (the dashed line)
as far as the change went past it. Filled: a question was shown; hollow: quiet time, no question. Dotted
lines: you marked &ldquo;I just asked&rdquo;. Grey: the camera saw no one. A change can mean many things,
or nothing.</p>
<h2>Questions shown</h2>
{('<table><tr><th>Time</th><th>Question</th><th>Where</th><th>Strength</th><th>Sensitivity</th>'
  '<th>Your mark</th><th>Note</th></tr>'
  + ''.join(prompt_rows) + '</table>') if prompt_rows else '<p class="quiet">No question was shown.</p>'}
<p>You marked &ldquo;I just asked&rdquo; at: {asked}.</p>
<h2>Your marks and notes</h2>
{('<table><tr><th>Time</th><th>Where</th><th>Mark</th><th>Note</th></tr>' + ''.join(mark_rows) + '</table>')
 if mark_rows else '<p class="quiet">No marks or notes yet (add them in Review).</p>'}
<h2>Settings in force</h2>
<p class="quiet">Your settings when recording started. After &ldquo;I just asked&rdquo; Glimpse is more
attentive for a while: each question above lists the sensitivity it was shown at.</p>
<table>{_settings_rows(s.settings)}</table>
<p class="quiet">Made by Glimpse on this computer. It records where and when a brief change happened and
which question was offered; it does not say what anyone thought.</p>
</body></html>
"""


def write_summary(folder: str | Path, out: str | Path) -> Path:
    """Read the session at `folder` and write its summary page to `out` (atomically); when `out` is a
    folder, the page goes inside it as SESSION-NAME.html."""
    summary = collect(open_session(folder))
    out = Path(out)
    return write_page(to_html(summary), out / f"{summary.name}.html" if out.is_dir() else out)


def write_page(page: str, out: str | Path) -> Path:
    out = Path(out)
    write_atomic(out, page.encode("utf-8"))
    return out
