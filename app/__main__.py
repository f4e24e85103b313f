"""`python -m app` and the `glimpse` command: the crash log first (app/system/crashlog.py), then the CLI."""

import argparse
import sys


def open_window(args: argparse.Namespace) -> int:
    """The desktop app: the one place the command line reaches the Qt shell (the core never imports it)."""
    from app.ui.app import run_app

    return run_app(args)


def print_pdf(page_html: str) -> bytes:
    """A summary page as PDF (`glimpse summary --out FILE.pdf`), printed by Qt's text engine like the
    window's File menu does; no window opens (Qt's offscreen platform unless one was chosen)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    from app.ui.summary_pdf import pdf_bytes

    _app = QGuiApplication.instance() or QGuiApplication([])  # fonts and layout need one; kept while printing
    return pdf_bytes(page_html)


def cli_main(argv: list[str] | None) -> int:
    """The command line, imported only once the crash log is in place (an import error is logged too)."""
    from app.cli.main import main as run

    return run(argv, open_window, print_pdf)


def main(argv: list[str] | None = None) -> int:
    """Installs the local crash log (and says where the last crash was written), clears what a killed
    Glimpse left half-written (stale temporary files), then runs the command."""
    from app.system import crashlog
    notice = crashlog.install()
    if notice is not None and sys.stderr is not None:
        print(notice.line, file=sys.stderr)
    from app.settings.store import user_settings_path
    from app.store.session import sessions_root
    from app.system.files import cache_root, remove_stale_temps

    remove_stale_temps([user_settings_path().parent, cache_root(), sessions_root()])
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
