"""Telling the other person: the short notice the listener reads out or pastes into the call chat
before Glimpse first watches a screen or a camera in a session.

EU AI Act Article 50(3) asks deployers of such systems to inform the people exposed to them, and
professional bodies ask for consent. The text names what the tool does in plain words (it never
names a feeling), and what it does not do: nothing is recorded or sent anywhere unless both agree
(recording keeps its own consent question). No Qt here; `app/ui/consent_notice.py` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NOTICE_TEXT = ("I use a tool on my own computer that notices brief changes in expression to remind me to ask "
               "open questions. Nothing is recorded or sent anywhere unless we agree.")
NOTICE_TITLE = "Tell the other person first"
NOTICE_INTRO = ("Before Glimpse watches them, let the person know. You can read this out or paste it into the "
                "call's chat:")
NOTICE_STORAGE = ("Nothing from the screen or the camera is stored unless you switch recording on, which asks "
                  "for their agreement separately.")
TOLD_LABEL = "I have told them"
START_LABEL = "Start watching"
COPY_LABEL = "Copy"
COPIED_LABEL = "Copied"


@dataclass
class NoticeLog:
    """Which kinds of source the listener has said the person was told about, this session (the
    app's run): the notice is shown before the first screen and before the first camera."""

    told: set[str] = field(default_factory=set)

    def needed(self, kind: str) -> bool:
        """Whether watching a source of `kind` ("screen" or "camera") needs the notice first."""
        return kind in NOTICE_KINDS and kind not in self.told

    def confirm(self, kind: str) -> None:
        self.told.add(kind)


NOTICE_KINDS = ("screen", "camera")  # a file (the demo) watches nobody


def source_kind(is_screen: bool, is_camera: bool) -> str:
    return "screen" if is_screen else "camera" if is_camera else "file"
