"""What makes a question fit to show: open, calm, and never about a feeling.

The built-in bank (assets/prompts.txt) and every question the listener writes are checked here,
by the question editor and by the settings schema alike. No Qt here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# Words a question must never hold: Glimpse never names a feeling, never points at the face,
# and never hints that the person is holding something back.
FORBIDDEN_WORDS = frozenset("""
happy happiness sad sadness angry anger mad fear afraid scared frightened disgust disgusted surprise
surprised contempt upset anxious anxiety nervous worried worry ashamed shame guilty guilt hurt joy
frustrated frustration annoyed irritated emotion emotions emotional feel feeling feelings stress stressed
lying lie lied liar deception hiding hide hidden honest honestly truth really expression face micro
uncomfortable
""".split())

# A question that opens with one of these can be answered "yes" or "no" and closes the door.
CLOSED_OPENINGS = frozenset("""
is are am was were do does did can could would will shall should have has had may might must
isn't aren't wasn't weren't don't doesn't didn't can't couldn't wouldn't won't shouldn't haven't hasn't
""".split())

MAX_LENGTH = 120  # characters: a prompt is read at a glance
MIN_QUESTIONS = 2  # the prompt policy never repeats the last one shown, so it needs two to choose from


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower().replace("\u2019", "'"))


def problems(question: str) -> list[str]:
    """Why `question` is not fit to show, in plain words; empty when it is fine."""
    q = question.strip()
    if not q:
        return ["the question is empty"]
    found = []
    if len(q) > MAX_LENGTH:
        found.append(f"it is {len(q)} characters long; keep it under {MAX_LENGTH} so it reads at a glance")
    if not q.endswith("?"):
        found.append("it should end with a question mark")
    ws = words(q)
    if ws and ws[0] in CLOSED_OPENINGS:
        found.append(f"it opens with \u201c{ws[0].capitalize()}\u201d, so it can be answered yes or no; "
                     "try \u201cWhat\u2026\u201d or \u201cHow\u2026\u201d")
    named = sorted(set(ws) & FORBIDDEN_WORDS)
    if named:
        found.append(f"it uses {', '.join(repr(w) for w in named)}: Glimpse never names a feeling, "
                     "the face, or a doubt about what was said")
    return found


def bank_problems(questions: Sequence[str]) -> list[str]:
    """Problems with a whole list of questions (each one's, then the list's own)."""
    found = [f"\u201c{q}\u201d: {p}" for q in questions for p in problems(q)]
    if len(questions) < MIN_QUESTIONS:
        found.append(f"at least {MIN_QUESTIONS} questions are needed, found {len(questions)}")
    seen: set[str] = set()
    for q in questions:
        key = q.strip().lower()
        if key in seen:
            found.append(f"\u201c{q}\u201d is in the list twice")
        seen.add(key)
    return found


def named_words(questions: Iterable[str]) -> set[str]:
    """The forbidden words any of `questions` holds (the settings schema refuses these)."""
    return {w for q in questions for w in words(q) if w in FORBIDDEN_WORDS}
