"""A recorded session played through the live spotter again, with the settings live used.

Live mode spots frame by frame with the settings in force at each frame (the listener's
own, raised for a while after "I just asked"); the session records those settings as they
change (`settings.jsonl`) and the marks that lifted the quiet time. Feeding the recorded
rows through the moment stage as live does (`MomentStage`: the quiet time lifted, then the
settings swapped, then the row; the run ended at a lost camera and at a paused call) gives the moments live gave,
with the same questions. It
holds for a recording that ran from the start of the session (one started later met a
spotter and a prompt policy that had already seen frames). No Qt here.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.face.features import FeatureTable
from app.prompts.stage import MomentStage
from app.settings.schema import Settings
from app.spotting.spotter import NO_BREAKS, Breaks, Moment
from app.store.session import TIME_SLACK_S, RecordedSession


def relive(table: FeatureTable, settings_log: Sequence[tuple[float, Settings]], marks: Sequence[float] = (),
           breaks: Breaks = NO_BREAKS, finish: bool = True) -> list[Moment]:
    """The moments live spotting gives on `table`'s frames: settings from `settings_log` (from each
    entry's time on), the quiet time lifted at each of `marks`, the face run ended before each row of
    `breaks` (a lost camera; a paused call, the person's estimates kept), and the moments under way at
    the end reported when `finish` (a session that ran to the end of its source, or a headless run that
    stopped)."""
    if not settings_log:
        raise ValueError("relive needs the settings in force from the first frame")
    log = sorted(settings_log, key=lambda e: e[0])
    stage = MomentStage(log[0][1])  # the questions live offered
    pending_marks = sorted(marks)
    lost, paused = set(breaks.lost), set(breaks.paused)
    next_entry = 1
    moments: list[Moment] = []
    for i in range(len(table)):
        t = float(table.t_s[i])
        if i in lost:  # as live: a lost camera ends the run when it is noticed, before anything else
            moments += stage.finish()
        while pending_marks and pending_marks[0] <= t + TIME_SLACK_S:  # as live: marks first, then settings
            pending_marks.pop(0)
            stage.lift_cooldown()
        wanted = stage.settings
        while next_entry < len(log) and log[next_entry][0] <= t + TIME_SLACK_S:
            wanted, next_entry = log[next_entry][1], next_entry + 1
        if wanted is not stage.settings:
            stage.set_settings(wanted)
        if i in paused:  # as live: the pause is seen on the frame after it, past the listener's commands
            moments += stage.finish(carry=True)
        moments += stage.update(table.row(i))
    if finish:
        moments += stage.finish()
    return moments


def relive_session(session: RecordedSession, finish: bool = True) -> list[Moment]:
    """`relive` on a recorded session; one recorded before settings were logged replays at its
    settings.json throughout."""
    log = session.settings_log or ((0.0, session.settings),)
    return relive(session.table, log, session.marks, session.breaks, finish)
