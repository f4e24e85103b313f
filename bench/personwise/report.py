"""docs/BENCH_PERSONWISE.md and docs/personwise_curve.png from a person-wise run."""

from __future__ import annotations

import hashlib
import math
import subprocess
import time
from pathlib import Path

from bench.personwise.data import PEOPLE
from bench.personwise.lopo import choose, pooled_held_out
from bench.personwise.score import Counts, total, wilson
from bench.personwise.spot import SENSITIVITIES

REPORT = Path("docs/BENCH_PERSONWISE.md")
CURVE = Path("docs/personwise_curve.png")
TARGET_RECALL = 0.50
TARGET_RECALL_TIGHT = 0.30
TARGET_HELD = 0.10
TARGET_REAL = 0.50  # issue 19: real-size events while the person is not talking
PERSON_CURVE_MIN = 0.2  # natural minutes a person needs for a curve of their own in the figure


def _f(x: float, digits: int = 2) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.0%}"


def spotter_version() -> str:
    """The commit, plus a digest of uncommitted changes to app/ (so two runs of the same tree compare)."""
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        diff = subprocess.run(["git", "diff", "HEAD", "--", "app"], capture_output=True, text=True).stdout
        tag = f" + uncommitted app/ changes {hashlib.sha256(diff.encode()).hexdigest()[:8]}" if diff else ""
        return rev.stdout.strip() + tag
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _ci(c: Counts) -> str:
    lo, hi = wilson(c.core_hits, c.core_n)
    return f"[{_f(lo)}-{_f(hi)}]"


def _row(name: str, c: Counts, extra: str = "") -> str:
    return (f"| {name} | {extra}{_f(c.fa_per_min)} | {_f(c.fa_talk_per_min)} | {_f(c.fa_quiet_per_min)} | "
            f"{_f(c.fa_with_genuine_per_min)} | {_f(c.ctl_fa_per_min)} | {_f(c.core_recall)} {_ci(c)} ({c.core_hits}/{c.core_n}) | "
            f"{_f(c.core_recall_clean)} | "
            f"{_f(c.core_talk_recall)} | {_f(c.core_quiet_recall)} | {_f(c.real_recall)} ({c.real_hits}/{c.real_n}) | "
            f"{_f(c.real_quiet_recall)} {_ci_of(c.real_quiet_hits, c.real_quiet_n)} ({c.real_quiet_hits}/{c.real_quiet_n}) | "
            f"{_pct(c.held_share)} ({c.held_reported}/{c.held_n}) | {_f(c.longest_s)} ({c.at_cap}) | {_f(c.posed_per_min)} |")


def _ci_of(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return f"[{_f(lo)}-{_f(hi)}]"


HEAD = ("| | natural FA/min | talking | not talking | incl. genuine | on controls | core recall | not in control | "
        "talking | not talking | real-size recall | real-size, not talking | held reported | longest s (at cap) | "
        "posed moments/min |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def _target(name: str, ok: bool, how: str) -> str:
    return f"| {name} | {'PASS' if ok else 'MISS'} | {how} |"


def target_checks(r) -> list[tuple[str, bool, str]]:
    """(target, met, measured and by how much) for the issues' targets, pooled over the people."""
    bal = total(list(r.preset_counts("balanced").values()))
    cap = r.presets["balanced"].max_duration_s
    curve = r.curve()
    i, met = choose(curve, 1.0)
    tight = pooled_held_out(r.folds_tight)
    held = pooled_held_out(r.folds)
    return [
        ("balanced: natural FA <= 2/min with core recall >= 0.50",
         bal.fa_per_min <= 2.0 and bal.core_recall >= TARGET_RECALL,
         f"FA {_f(bal.fa_per_min)}/min ({bal.fa_per_min - 2.0:+.2f} vs 2), core recall {_f(bal.core_recall)} "
         f"{_ci(bal)} ({bal.core_recall - TARGET_RECALL:+.2f} vs 0.50)"),
        ("somewhere on the curve: recall >= 0.30 at <= 1 FA/min (held-out: the point chosen on the others)",
         tight.fa_per_min <= 1.0 and tight.core_recall >= TARGET_RECALL_TIGHT,
         f"LOPO-tuned for <= 1/min, pooled held-out: recall {_f(tight.core_recall)} at {_f(tight.fa_per_min)}/min; "
         + (f"the pooled curve itself (point chosen on everyone) reaches recall {_f(curve[i].core_recall)} at "
            f"{_f(curve[i].fa_per_min)}/min ({r.label(r.cands[i])})" if met else
            f"no point of the pooled curve reaches 1 FA/min (fewest {_f(curve[i].fa_per_min)}/min at "
            f"{r.label(r.cands[i])})")),
        ("balanced: held expressions reported <= 10%", bal.held_share <= TARGET_HELD,
         f"{_pct(bal.held_share)} ({bal.held_reported}/{bal.held_n}; {100 * (bal.held_share - TARGET_HELD):+.0f} "
         "points vs 10%)"),
        (f"balanced: no moment longer than the longest-moment setting ({cap:g} s)", bal.longest_s <= cap + 1e-3,
         f"longest {_f(bal.longest_s, 3)} s; {bal.at_cap} of {bal.moments} moments exactly at the cap"),
        ("(issue 19) real-size events (1-3% IOD, 100-450 ms) while not talking: recall >= 0.50 (held-out, FA <= 2/min)",
         held.real_quiet_recall >= TARGET_REAL,
         f"{_f(held.real_quiet_recall)} {_ci_of(held.real_quiet_hits, held.real_quiet_n)} ({held.real_quiet_hits}/"
         f"{held.real_quiet_n}; {held.real_quiet_recall - TARGET_REAL:+.2f} vs 0.50); as large as real ones as the "
         f"tracker sees both (1-3% IOD seen, bench/personwise/seen.py): {_f(held.seen_quiet_recall)} "
         f"{_ci_of(held.seen_quiet_hits, held.seen_quiet_n)} ({held.seen_quiet_hits}/{held.seen_quiet_n})"),
        ("(issue 19) natural talking footage, held-out: <= 2 moments/min", held.fa_per_min <= 2.0,
         f"{_f(held.fa_per_min)}/min (talking {_f(held.fa_talk_per_min)}, not talking {_f(held.fa_quiet_per_min)}); "
         f"with the genuine ones (labelled by eye at the balanced preset; an unlabelled moment counts as false) "
         f"{_f(held.fa_with_genuine_per_min)}/min"),
    ]


def targets(r) -> list[str]:
    return ["| target (pooled over the people) | | measured |", "|---|---|---|",
            *(_target(name, ok, how) for name, ok, how in target_checks(r))]


def _curve_png(r, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = r.curve()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    block = len(SENSITIVITIES)  # one line per combination of the tuning grid
    for b in range(0, len(curve), block):
        part, settings = curve[b:b + block], r.cands[b:b + block]
        extra = r.label(settings[0]).partition(", ")[2]
        ax.plot([c.fa_per_min for c in part], [c.core_recall for c in part], "o-", ms=3,
                label="pooled, sensitivity 0..100" + (f" ({extra})" if extra else ""))
        for c, st in zip(part, settings):
            if st.sensitivity % 25 == 0:
                ax.annotate(f"{st.sensitivity:g}", (c.fa_per_min, c.core_recall), fontsize=7, xytext=(3, -9),
                            textcoords="offset points")
    shown = [rows[:block] for rows in r.candidate_counts().values()
             if rows[0].min_total >= PERSON_CURVE_MIN]  # a few seconds of footage make no per-person rate
    for k, rows in enumerate(shown):
        ax.plot([c.fa_per_min for c in rows], [c.core_recall for c in rows], "-", lw=0.7, alpha=0.45,
                color="grey", label=f"single people (>= {PERSON_CURVE_MIN:g} natural min)" if k == 0 else None)
    for name, marker in zip(r.presets, ("s", "D", "^")):
        c = total(list(r.preset_counts(name).values()))
        ax.plot([c.fa_per_min], [c.core_recall], marker, ms=8, label=f"{name} preset", mfc="none", mew=1.5)
    held = pooled_held_out(r.folds)
    ax.plot([held.fa_per_min], [held.core_recall], "*", ms=13, color="tab:red", label="LOPO-tuned, held-out pooled")
    ax.axvline(2.0, color="grey", lw=0.6, ls="--")
    ax.axvline(1.0, color="grey", lw=0.6, ls=":")
    ax.axhline(TARGET_RECALL, color="grey", lw=0.6, ls="--")
    ax.axhline(TARGET_RECALL_TIGHT, color="grey", lw=0.6, ls=":")
    ax.set_xlabel("natural false alarms per minute (played once)")
    ax.set_ylabel("core recall (injected, 100-450 ms, >= 0.045 IOD)")
    ax.set_title("Person-wise operating curve (7 people pooled)")
    ax.set_ylim(0, 1)
    ax.set_xlim(left=0)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _people_table(r) -> list[str]:
    out = ["| person | what | natural clips | eligible min (talking) | injected: core / brief / held |",
           "|---|---|---|---|---|"]
    for p in PEOPLE:
        c = r.ev.counts[p.name][0]
        out.append(f"| {p.name} | {p.what} | {', '.join(Path(x).name for x in p.natural + p.posed)} | "
                   f"{_f(c.min_total)} ({_f(c.min_talk)}) | {c.core_n} / {c.micro_n} / {c.held_n} |")
    return out


def _fold_rows(r, folds) -> list[str]:
    out = ["| held-out person | chosen on the others | tuning: FA/min, core recall | " + HEAD.split("\n")[0][4:],
           "|---|---|---|" + "---|" * (HEAD.split("\n")[0].count("|") - 2)]
    for f in folds:
        s = r.cands[f.choice]
        out.append(_row(f.held_out, f.held, f"{r.label(s)}{'' if f.met_cap else ' (cap not met)'} | "
                        f"{_f(f.tune.fa_per_min)}, {_f(f.tune.core_recall)} | "))
    out.append(_row("**pooled held-out**", pooled_held_out(folds), " | | "))
    return out


def _curve_table(r) -> list[str]:
    out = ["| candidate | pooled FA/min | talking | not talking | core recall | brief recall (all 67-500 ms) | held reported |",
           "|---|---|---|---|---|---|---|"]
    for s, c in zip(r.cands, r.curve()):
        out.append(f"| {r.label(s)} | {_f(c.fa_per_min)} | {_f(c.fa_talk_per_min)} | {_f(c.fa_quiet_per_min)} | "
                   f"{_f(c.core_recall)} | {_f(c.micro_recall)} | {_pct(c.held_share)} |")
    return out


def _types_table(r) -> list[str]:
    """Core recall per injected type: balanced preset (everyone) and LOPO held-out (each at its choice)."""
    from app.research.inject import ACTION_TYPES
    from bench.personwise.score import add_types

    k = len(r.cands) + list(r.presets).index("balanced")
    bal: dict[str, list[int]] = {}
    held: dict[str, list[int]] = {}
    for p in r.ev.types:
        bal = add_types(bal, r.ev.types[p][k])
    for f in r.folds:
        held = add_types(held, r.ev.types[f.held_out][f.choice])
    out = ["| injected type | core events | balanced recall | LOPO held-out recall |", "|---|---|---|---|"]
    for t in ACTION_TYPES:
        n, h = bal.get(t, [0, 0])
        hn, hh = held.get(t, [0, 0])
        out.append(f"| {t} | {n} | {_f(h / n if n else math.nan)} | {_f(hh / hn if hn else math.nan)} |")
    return out


def write_report(r, strips_section: list[str] | None = None) -> list[Path]:
    _curve_png(r, CURVE)
    held = pooled_held_out(r.folds)
    lines = [
        "# Person-wise benchmark (real talking footage, leave one person out)", "",
        f"Generated by `python -m bench.personwise.run` on {time.strftime('%Y-%m-%d %H:%M')} (spotter at {spotter_version()}); "
        f"features + spotting of every clip under {len(r.cands) + len(r.presets)} settings took {r.seconds:.1f} s. "
        "`python -m bench.personwise.run --quick` prints the summary from the caches.", "",
        "Every person is a fold. **Headline: pooled over held-out people**, each scored at the operating point "
        f"chosen on the other {len(r.folds) - 1} (best core recall with natural false alarms <= 2/min on them). Figures "
        "of a person the point was tuned on are never pooled into the headline. The presets are fixed settings, pooled "
        "over everyone (set before this benchmark existed; if the spotter is later tuned on this benchmark, only the "
        "LOPO rows stay honest). Core recall carries its 95% Wilson interval: with about a hundred core events, "
        "differences under about 0.1 are noise. *Real-size* events are the real-size rounds' (1-3% IOD, 100-450 ms, "
        "many returning only part way, as the real clips of docs/BENCH_REAL_ME.md do); *posed* footage (quick "
        "deliberate faces, mostly genuine moments) is a rate apart, never a false alarm.", "",
        "## Headline", "", HEAD,
        _row("**LOPO-tuned (FA <= 2/min), pooled held-out**", held),
        _row("LOPO-tuned (FA <= 1/min), pooled held-out", pooled_held_out(r.folds_tight))]
    for name in r.presets:
        lines.append(_row(f"{name} preset (pooled)", total(list(r.preset_counts(name).values()))))
    lines += ["", "## Targets", "", *targets(r), "", "![operating curve](personwise_curve.png)", "",
              "## People", "", *_people_table(r), "",
              "## Core recall by injected type", "", *_types_table(r), "",
              "## Per person, leave-one-person-out (FA <= 2/min)", "", *_fold_rows(r, r.folds), "",
              "## Per person, balanced preset", "", HEAD]
    for p, c in r.preset_counts("balanced").items():
        lines.append(_row(p, c))
    lines += ["", "## Pooled operating curve (everyone, no tuning)", "", *_curve_table(r), ""]
    if strips_section:
        lines += strips_section
    history = Path("bench/personwise/history.md")
    if history.exists():  # what each spotter change did (rows added with --log)
        rows = [ln for ln in history.read_text().splitlines() if ln.startswith("|")]
        lines += ["## History of the pooled figures (`bench/personwise/history.md`)", "", *rows, ""]
    lines += ["## How it is measured", "",
              "- **Natural false alarms**: every moment the spotter reports on the natural clips, each played once "
              "(no ping-pong), minus moments labelled genuine in `bench/personwise/labels/natural_moments.json` (matched by "
              "time overlap; unlabelled moments count as false). Per minute of eligible time: frames with a face "
              "after the warm-up of each face run. Talking / not talking by the moment's peak and by frame, from "
              "`bench/personwise/labels/talking.json` (lip-gap trace + frames, see its `about`).",
              "- **Injected events**: the app's injector (`app.research.inject.inject`, explicit events) warps brief "
              "events (67-500 ms log-uniform, the seven types in turn, 0.02-0.08 IOD, a fifth one-sided) and held "
              "expressions (1-3 s, 0.04-0.08 IOD) into every person's footage at random times, talking included; "
              "clips under 45 s are lengthened by the injector's ping-pong. Seeds come from the clip name. Hits use "
              "`app.evaluate.evaluate` (overlap with 0.1 s tolerance). Core = 100-450 ms and >= 0.045 IOD (after "
              "the injector's own amplitude limits).",
              "- **On controls**: moments per eligible minute on the controls (each person's footage lengthened "
              "by ping-pong and re-encoded by the injector, no events): more minutes for the people whose natural "
              "clips are seconds long, but not natural playback, so never the headline. **Not in control**: core "
              "recall counting only hits by a moment the control does not also have (hits by coincidence removed).",
              "- **Held reported**: a held expression overlapped (0.1 s tolerance) by a moment that the control "
              "clip (the same footage through the injector without events: same frames, same re-encode) does not "
              "also have.",
              "- **Longest moment**: the longest expression moment over natural and injected clips; *at cap* counts "
              "moments exactly as long as the longest-moment setting (the issue's suspect case).",
              "- Caches: raw tracker output per clip under `out/personwise/tracks/` (keyed by the clip's SHA-256, "
              "the model's SHA-256, `num_faces=2`), injected clips under `out/personwise/injected/`, features under "
              "`out/personwise/features/` (recomputed when the track or the source of app/face/features.py, "
              "app/face/channels.py, app/face/landmarks.py or app/face/tracking.py changes)."]
    lines += ["", "## Limits", "",
              "- Natural footage is short: 3.65 eligible minutes, of which franck (1.6) and clm (1.3) are most; "
              "four people have under 0.3 minutes, so their own false-alarm rates are noise and the pooled rate "
              "is mostly those two. The controls add minutes per person but are ping-pong, not natural playback.",
              "- Injected events are dense (one every ~3-4 s, three rounds per clip, one control shared): fine for "
              "a spotter whose noise estimate is robust, but a spotter that learns a person's normal movement "
              "online would learn the injected events too. Sparser injection is a change to `bench/personwise/data.py` "
              "(more rounds, fewer events each) at the cost of more tracking.",
              "- Talking is labelled from the lip gap and frames (no audio); WolfgangLanger is edited stock footage "
              "(cuts at about 16.5 and 18.4 s).",
              "- Moment labels come from one person looking at 7-frame strips; `saw` says what was seen."]
    REPORT.write_text("\n".join(lines) + "\n")
    return [REPORT, CURVE]
