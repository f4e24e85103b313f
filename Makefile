# Two entry points for a fresh Linux machine with Python 3.11: `make run`, `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench install clean strace xvfb wayland bundle bundle-check

# tests/test_privacy.py traces native code with strace (MediaPipe's uploader is C++): installed here
# when missing (needs root or sudo); without it that one check is skipped and says so.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)
strace:
	@command -v strace >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq strace; } \
		|| echo "strace could not be installed: the strace privacy check will be skipped"

# tests/test_screen.py starts a private X server (Xvfb) and shows a Qt window on it (so Qt's xcb
# plugin libraries too; xdotool presses the global key in tests/test_screen_watch.py): installed here
# when missing (needs root or sudo); without them those tests are skipped and say so.
xvfb: $(STAMP)
	@{ command -v Xvfb && command -v xdotool; } >/dev/null 2>&1 \
		|| { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq xvfb xdotool; } \
		|| echo "Xvfb or xdotool could not be installed: the screen tests will be skipped"
	@if command -v Xvfb >/dev/null 2>&1; then $(PY) -m app.system.sysdeps --install --platform xcb; fi

# tests/test_portal_live.py starts a private headless Wayland desktop (tests/support/wayland.py: sway, PipeWire and
# WirePlumber, xdg-desktop-portal with its wlroots backend, grim for screenshots) and a Qt window on it (so Qt's
# wayland plugin libraries and the PipeWire library too): installed here when missing (needs root or sudo);
# without them those tests are skipped and say so.
WAYLAND_TOOLS := sway pipewire wireplumber xdg-desktop-portal xdg-desktop-portal-wlr grim dbus
wayland: $(STAMP)
	@$(PY) -c "import sys; from tests.support.wayland import wayland_missing; sys.exit(wayland_missing() is not None)" \
		|| { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $(WAYLAND_TOOLS); } \
		|| echo "the Wayland desktop could not be installed: the Wayland screen tests will be skipped"
	@if command -v sway >/dev/null 2>&1; then $(PY) -m app.system.sysdeps --install --platform wayland; fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV) || { echo "make: no venv module: on Debian/Ubuntu, sudo apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench]"
	touch $(STAMP)

install: $(STAMP)

# Qt's platform plugin needs system libraries the wheels do not carry: installed (apt-get) when missing.
run: $(STAMP)
	$(PY) -m app.system.sysdeps --install
	$(PY) -m app $(ARGS)

# Lint (ruff, the whole repository), the layers of app/ (import-linter) and types (mypy), all configured in
# pyproject.toml, first: any of them failing fails `make test`.
test: $(STAMP) strace xvfb wayland
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy
	$(PY) -m app.system.sysdeps --install --platform offscreen
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

# Every report (BENCHMARKS.md, docs/BENCH_REPLAY.md, docs/BENCH_LIVE.md, the RELIABILITY.md figures);
# one of them: make bench ARGS=accuracy (or replay, live, reliability; then that part's own options).
bench: $(STAMP)
	$(PY) -m bench $(ARGS)

# The one-folder desktop build (PyInstaller, packaging/) and its .tar.gz in build/bundle/; PyInstaller goes
# into the .venv only (no runtime dependency). Takes minutes. bundle-check runs it with a clean environment.
BUNDLE_TOOLS := xvfb xdotool x11-apps netpbm
bundle: $(STAMP)
	$(PY) -m pip install --quiet "pyinstaller>=6.10"
	$(PY) packaging/bundle_build.py

bundle-check: $(STAMP)
	@command -v Xvfb >/dev/null && command -v xdotool >/dev/null && command -v xwd >/dev/null \
		&& command -v pnmtopng >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(BUNDLE_TOOLS); }
	$(PY) packaging/bundle_check.py
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m bundle tests/test_bundle.py -q

clean:
	rm -rf $(VENV) build *.egg-info
