"""The per-video feature cache: a video's measurements kept by its content, the model and how they were measured."""

from __future__ import annotations

import hashlib
from pathlib import Path

from app.face.channels import signature
from app.face.features import FeatureTable
from app.face.tracking import MODEL_SHA256
from app.system.files import cache_root, private_dir, video_digest, write_atomic

FEATURES_VERSION = 1


def cache_key(video: Path, max_faces: int = 2, digest: str | None = None) -> str:
    """Keyed by the video's content, the model and how features are measured (the channels' signature:
    a channel added, changed or dropped measures again). Pass the video's
    `digest` when it is known, so a large file is not read twice."""
    parts = [digest or video_digest(video), MODEL_SHA256, f"v{FEATURES_VERSION}", f"faces{max_faces}",
             signature()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def cache_path(video: Path, max_faces: int = 2, digest: str | None = None) -> Path:
    return cache_root() / "features" / f"{cache_key(video, max_faces, digest)}.npz"


def load_cached(path: Path) -> FeatureTable | None:
    """The cached table, or None when there is none; a corrupt cache file is moved aside."""
    if not path.exists():
        return None
    try:
        return FeatureTable.load(path)
    except Exception:  # noqa: BLE001 - any unreadable cache is rebuilt, the bad file kept for inspection
        path.replace(path.with_suffix(".corrupt"))
        return None


def save_cached(path: Path, table: FeatureTable) -> None:
    if path.parent.parent == cache_root():
        private_dir(cache_root())  # the root too: its listing names the videos' digests
    private_dir(path.parent)
    write_atomic(path, table.to_bytes())
