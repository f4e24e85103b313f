"""The About box's facts and the "Copy diagnostics" text: versions, licences, model digest, no personal paths."""

from __future__ import annotations

from email.message import Message
from pathlib import Path

from app.face.tracking import MODEL_SHA256
from app.run import diagnostics
from app.run.diagnostics import Diagnostics, ModelFacts, Part

HOME = Path("/home/alice")


def facts(**changes) -> Diagnostics:
    base = dict(version="0.1.0", build="bundle", python="3.11.7", os="Linux-6.1", machine="x86_64",
                qt_platform="xcb", qt_version="6.11.3",
                model=ModelFacts(diagnostics.MODEL_NAME, "face_landmarker.task", MODEL_SHA256, MODEL_SHA256),
                parts=(Part("mediapipe", "1.2.3", "Apache 2.0"), Part("PySide6_Essentials", "6.11.3", "LGPL-3.0-only")),
                cameras=((0, "Integrated Camera"), (2, "USB Camera")),
                folders=(("settings", HOME / ".config/glimpse"), ("logs", HOME / ".local/state/glimpse/log"),
                         ("sessions", Path("/srv/recordings"))))
    return Diagnostics(**{**base, **changes})


def test_text_names_versions_model_cameras_and_the_apps_folders():
    text = diagnostics.diagnostics_text(facts(), HOME)
    assert "Glimpse 0.1.0 (bundle)" in text and "Qt 6.11.3, platform xcb" in text
    assert f"SHA-256 {MODEL_SHA256} (matches the pinned digest)" in text
    assert "Cameras: 0: Integrated Camera; 2: USB Camera" in text
    assert "settings: ~/.config/glimpse" in text and "logs: ~/.local/state/glimpse/log" in text
    assert "sessions: /srv/recordings" in text  # outside the home folder: shown as it is
    assert "mediapipe 1.2.3 (Apache 2.0)" in text and "PySide6_Essentials 6.11.3 (LGPL-3.0-only)" in text


def test_text_never_names_the_home_folder():
    leaky = facts(cameras=((0, "/home/alice/weird-name"),), os="Linux /home/alice")
    text = diagnostics.diagnostics_text(leaky, HOME)
    assert "/home/alice" not in text and "alice" not in text
    assert "0: ~/weird-name" in text


def test_an_altered_model_is_said_plainly():
    text = diagnostics.diagnostics_text(facts(model=ModelFacts("m", "x.task", "ab" * 32, MODEL_SHA256)), HOME)
    assert f"DOES NOT match the pinned {MODEL_SHA256}" in text


def test_runtime_parts_follow_the_requirements_without_extras_or_matplotlib():
    names = {n.lower().replace("_", "-") for n in diagnostics.runtime_distributions()}
    assert {"glimpse", "mediapipe", "numpy", "pyside6-essentials", "shiboken6", "opencv-contrib-python",
            "pyqtgraph", "platformdirs"} <= names
    assert "pytest" not in names  # behind the test extra
    assert "matplotlib" not in names  # MediaPipe requires it; Glimpse never loads it, the bundle leaves it out
    assert "matplotlib" in {n.lower() for n in diagnostics.runtime_distributions(skip=())}


def test_licences_come_from_the_metadata():
    parts = {p.name.lower(): p for p in diagnostics.bundled_parts()}
    assert "LGPL-3.0" in parts["pyside6_essentials"].licence
    assert "Apache" in parts["mediapipe"].licence
    assert "BSD" in parts["numpy"].licence
    assert parts["pyqtgraph"].licence == "MIT" and parts["platformdirs"].licence == "MIT"


def test_licence_prefers_the_expression_then_a_short_field_then_classifiers():
    meta = Message()
    meta["License"] = "Copyright (c) someone\n\nPermission is hereby granted..."
    meta["Classifier"] = "License :: OSI Approved :: MIT License"
    assert diagnostics.licence_of(meta) == "MIT License"
    meta["License-Expression"] = "MIT"
    assert diagnostics.licence_of(meta) == "MIT"
    assert diagnostics.licence_of(Message()) == "see its metadata"


def test_model_facts_hash_the_file_actually_loaded(tmp_path):
    assert diagnostics.model_facts().verified
    other = tmp_path / "other.task"
    other.write_bytes(b"not the model")
    found = diagnostics.model_facts(other)
    assert not found.verified and found.file == "other.task" and found.sha256 != MODEL_SHA256


def test_collected_facts_hold_no_home_path(monkeypatch, tmp_path):
    monkeypatch.setenv("GLIMPSE_LOG_DIR", str(Path.home() / "glimpse-logs"))
    d = diagnostics.collect("offscreen", "6.x", cameras=[])
    assert d.model.verified and ("logs", Path.home() / "glimpse-logs") in d.folders
    assert str(Path.home()) not in diagnostics.diagnostics_text(d, Path.home())


def test_about_shows_the_digest_and_copies_the_diagnostics(qtbot):
    from PySide6.QtGui import QGuiApplication

    from app.ui.about import AboutDialog

    dialog = AboutDialog(facts())
    qtbot.addWidget(dialog)
    dialog.show()
    # it leads with what Glimpse is and where the files are; the digest and licences are one click deeper
    assert "nothing is sent" in dialog.body.text() and "Where your files are" in dialog.body.text()
    assert MODEL_SHA256 not in dialog.body.text() and not dialog.details.isVisible()
    dialog.details_button.click()
    assert dialog.details.isVisible()
    assert MODEL_SHA256 in dialog.details.text() and "LGPL-3.0-only" in dialog.details.text()
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == diagnostics.diagnostics_text(facts(), Path.home())
    assert dialog.copy_button.text() == "Copied"
