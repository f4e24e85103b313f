"""Strips of frames around every moment reported on the natural clips, for labelling by eye.

Each moment gets a row of `FRAMES` face crops from `PAD_S` before its start to `PAD_S` after its end,
with a second row showing the absolute difference to the first crop (x `DIFF_GAIN`), which makes a
blink, a brow movement or a head bob easy to tell apart. One PNG per moment under
out/personwise/strips/, and contact sheets of `PER_SHEET` moments. Labels live in
bench/personwise/labels/natural_moments.json and match moments by time overlap.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from app.sources.capture import FileSource
from bench.personwise.data import PEOPLE
from bench.personwise.evaluate import MOMENT_LABELS, load_moment_labels
from bench.personwise.score import label_of
from bench.personwise.track import tracked

STRIPS = Path("out/personwise/strips")
FRAMES = 7
PAD_S = 0.15
DIFF_GAIN = 3
CROP_H = 150
PER_SHEET = 4
MARGIN = 0.04  # of the face size, around the landmarks


def natural_moments(r, preset: str = "balanced") -> list[dict]:
    """Every moment on the natural clips under `preset`, with its clip path and label (or None)."""
    k = len(r.cands) + list(r.presets).index(preset)
    labels = load_moment_labels()
    out = []
    for p in PEOPLE:
        for clip in p.natural:
            name = Path(clip).name
            for m in r.ev.natural_moments[p.name][k][name]:
                lab = label_of(m, labels.get(name, []))
                out.append({"person": p.name, "clip": name, "path": clip, **m,
                            "label": lab["label"] if lab else None, "saw": lab.get("saw") if lab else None})
    return out


def _box(lms: np.ndarray, size: tuple[int, int]) -> tuple[int, int, int, int]:
    p = lms[:, :, :2].reshape(-1, 2) * np.array(size)
    lo, hi = p.min(0), p.max(0)
    pad = MARGIN * (hi - lo)
    x0, y0 = np.maximum(lo - pad, 0).astype(int)
    x1, y1 = np.minimum(hi + pad, size).astype(int)
    return int(x0), int(y0), int(x1), int(y1)


def _strip(images: list[np.ndarray], box, title: str) -> np.ndarray:
    x0, y0, x1, y1 = box
    crops = [im[y0:y1, x0:x1] for im in images]
    w = max(1, int(round(CROP_H * (x1 - x0) / max(y1 - y0, 1))))
    crops = [cv2.resize(c, (w, CROP_H)) for c in crops]
    diffs = [np.clip(cv2.absdiff(c, crops[0]).astype(np.int32) * DIFF_GAIN, 0, 255).astype(np.uint8) for c in crops]
    body = np.vstack([np.hstack(crops), np.hstack(diffs)])
    head = np.zeros((18, body.shape[1], 3), np.uint8)
    cv2.putText(head, title, (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 255, 255), 1, cv2.LINE_AA)
    return np.vstack([head, body])


def write_strips(moments: list[dict], out_dir: Path = STRIPS) -> list[Path]:
    """One PNG per moment and contact sheets; returns the sheets."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.png"):
        old.unlink()
    by_clip: dict[str, list[tuple[int, dict]]] = {}
    for i, m in enumerate(moments):
        by_clip.setdefault(m["path"], []).append((i, m))
    rendered: dict[int, np.ndarray] = {}
    for path, items in by_clip.items():
        track = tracked(path)
        wanted = {}
        for i, m in items:
            ts = np.linspace(m["start_s"] - PAD_S, m["end_s"] + PAD_S, FRAMES)
            wanted[i] = [int(np.argmin(np.abs(track.t_s - t))) for t in ts]
        need = {k for idx in wanted.values() for k in idx}
        frames = {}
        with FileSource(path) as src:
            for f in src:
                if f.index in need:
                    frames[f.index] = f.image
        for i, m in items:
            idx = wanted[i]
            faces = track.landmarks[[k for k in idx if track.face[k]]] if track.face[idx].any() else track.landmarks[idx]
            title = (f"#{i} {m['clip']} {m['start_s']:.2f}-{m['end_s']:.2f}s {'+'.join(m['regions'])} "
                     f"{m['kind']} str {m['strength']:.1f}" + (f" [{m['label']}]" if m["label"] else ""))
            rendered[i] = _strip([frames[k] for k in idx], _box(faces, track.size), title)
            cv2.imwrite(str(out_dir / f"moment_{i:03d}.png"), rendered[i])
    sheets = []
    order = sorted(rendered)
    for s in range(0, len(order), PER_SHEET):
        rows = [rendered[i] for i in order[s:s + PER_SHEET]]
        w = max(r.shape[1] for r in rows)
        sheet = np.vstack([np.pad(r, ((0, 4), (0, w - r.shape[1]), (0, 0))) for r in rows])
        path = out_dir / f"sheet_{s // PER_SHEET:02d}.png"
        cv2.imwrite(str(path), sheet, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        sheets.append(path)
    index = [{k: m[k] for k in ("clip", "start_s", "end_s", "regions", "kind", "strength", "label")} | {"id": i}
             for i, m in enumerate(moments)]
    (out_dir / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    return sheets


DOC_STRIPS = Path("docs/personwise_strips")
DOC_LABELS = ("genuine", "blink", "head", "speech")
DOC_PER_LABEL = 2
DOC_SCALE = 0.5
DOC_JPEG_QUALITY = 70  # photos: JPEG keeps the committed evidence small


def write_doc_sheets(moments: list[dict], strips_dir: Path = STRIPS, out_dir: Path = DOC_STRIPS) -> list[Path]:
    """Small evidence sheets for the docs: the first few strips of each label in DOC_LABELS."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for label in DOC_LABELS:
        ids = [i for i, m in enumerate(moments) if m["label"] == label][:DOC_PER_LABEL]
        rows = [cv2.imread(str(strips_dir / f"moment_{i:03d}.png")) for i in ids]
        rows = [cv2.resize(r, None, fx=DOC_SCALE, fy=DOC_SCALE, interpolation=cv2.INTER_AREA) for r in rows
                if r is not None]
        if not rows:
            continue
        w = max(r.shape[1] for r in rows)
        sheet = np.vstack([np.pad(r, ((0, 2), (0, w - r.shape[1]), (0, 0))) for r in rows])
        path = out_dir / f"{label}.jpg"
        cv2.imwrite(str(path), sheet, [cv2.IMWRITE_JPEG_QUALITY, DOC_JPEG_QUALITY])
        written.append(path)
    return written


def strips_section(moments: list[dict]) -> list[str]:
    """Markdown: labels by kind and the moments still without a label."""
    counts = Counter(m["label"] or "unlabelled" for m in moments)
    data = json.loads(MOMENT_LABELS.read_text()) if MOMENT_LABELS.exists() else {"moments": []}
    lines = ["## Natural moments at the balanced preset, labelled by eye", "",
             f"{len(moments)} moments on the natural clips; labels from `{MOMENT_LABELS}` "
             f"({len(data['moments'])} labelled moments, matched by time overlap). Strips: "
             "`out/personwise/strips/` (regenerated every full run); a few are kept in `docs/personwise_strips/`.", "",
             "| label | moments |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in counts.most_common()]
    lines += ["", "| clip | moment (s) | regions | label | what was seen |", "|---|---|---|---|---|"]
    lines += [f"| {m['clip']} | {m['start_s']:.2f}-{m['end_s']:.2f} | {'+'.join(m['regions'])} | "
              f"{m['label'] or 'unlabelled'} | {m['saw'] or ''} |" for m in moments]
    missing = [m for m in moments if m["label"] is None]
    if missing:
        lines += ["", "Not yet labelled (counted as false):", ""]
        lines += [f"- {m['clip']} {m['start_s']:.2f}-{m['end_s']:.2f} s ({'+'.join(m['regions'])})" for m in missing]
    return lines + [""]
