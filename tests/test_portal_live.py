"""`glimpse live --source screen:portal --no-window --duration 20` end to end on a headless Wayland desktop
(tests/support/wayland.py: sway, PipeWire, xdg-desktop-portal with its wlroots backend, a private D-Bus session):
a Wayland-native Qt window plays a face clip; the command line shares the screen through the portal, finds
the face in it and watches it. Its JSON must show >= 20 observations a second, the face in >= 90% of
them, and moments that agree with `glimpse analyze` of the same clip (bench/live/screen_live.py's matching).
The desktop's packages are installed by `make test` (its `wayland` step); without them this is skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.live.portal_live import SPEC, file_moments, watch_shared_window
from tests.support.wayland import wayland_desktop, wayland_missing

WATCH_S = 20.0
MIN_OBS_HZ = 20.0
MIN_FACE_SHARE = 0.9

needs_wayland = pytest.mark.skipif(wayland_missing() is not None, reason=f"no headless Wayland desktop here: "
                                   f"{wayland_missing()}")


@pytest.fixture(scope="module")
def desktop():
    with wayland_desktop() as d:
        yield d


@needs_wayland
@pytest.mark.slow
def test_the_command_line_watches_a_window_shared_through_the_portal(desktop, tmp_path):
    file_peaks, loop_s = file_moments(tmp_path)
    case, done = watch_shared_window(desktop, WATCH_S, file_peaks, loop_s, tmp_path)
    print(f"portal: {case.obs_per_s:.1f} observations/s, face in {100 * case.face_share:.1f}%, moments "
          f"{case.moments}, {case.agree} within 0.2 s of analyze's {file_peaks} (expected {case.expected})")
    assert json.loads((tmp_path / "portal.json").read_text())["source"] == "the shared window"
    assert case.obs_per_s >= MIN_OBS_HZ
    assert case.face_share >= MIN_FACE_SHARE
    assert case.repeats > 0  # a 24 fps clip grabbed at 30 Hz repeats pictures: the call-video filter saw them
    assert case.moments, "no moment on the screen"
    assert case.agree >= 0.5 * len(case.moments) and case.agree >= 0.5 * case.expected, done.stderr[-1500:]
    token = json.loads((tmp_path / "config" / "glimpse" / "screen_share.json").read_text())["restore_token"]
    assert token  # the next share restores this choice instead of asking again


@needs_wayland
@pytest.mark.slow
def test_a_share_whose_stream_ends_ends_with_one_sentence(tmp_path):
    """PipeWire goes away mid-share (the stream ends): the command line ends with one plain sentence, not a
    traceback. (xdg-desktop-portal-wlr 0.7 has no way to stop a share from the desktop: the Session::Closed
    path is tested against a stand-in bus in tests/test_portal.py.) A desktop of its own: this one breaks."""
    with wayland_desktop() as desktop:
        env = {**desktop.env, "XDG_CONFIG_HOME": str(tmp_path)}
        live = subprocess.Popen([sys.executable, "-m", "app", "live", "--source", SPEC, "--no-window", "--duration",
                                 "60"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            desktop.wait_for_stream()
            desktop.stop_service("pipewire")
            _, err = live.communicate(timeout=60)
        finally:
            if live.poll() is None:
                live.kill()
                live.wait()
    said = [line for line in err.splitlines() if line.startswith("glimpse: ")]
    assert live.returncode == 2 and "Traceback" not in err
    # the stream's end, or the portal closing the session first: either way one sentence
    assert len(said) == 1 and "so Glimpse stopped watching; start again" in said[0], err[-1500:]


@needs_wayland
def test_the_real_portal_takes_back_the_token_it_gave(desktop):
    """The token a share returns is accepted by the next share (a desktop with a dialog then skips it)."""
    from app.sources.portal import PortalBus, share

    def share_once(token):
        bus = PortalBus(desktop.env["DBUS_SESSION_BUS_ADDRESS"])
        try:
            stream = share(bus, token)
        finally:
            bus.close()
        os.close(stream.fd)
        return stream

    first = share_once(None)
    again = share_once(first.restore_token)
    assert first.restore_token and again.restore_token
    assert again.node_id > 0 and (again.width, again.height) == (1280, 800)
