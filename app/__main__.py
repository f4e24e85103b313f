"""`python -m app` and the `glimpse` command: the crash log first (app/crashlog.py), then the CLI."""

import sys


def cli_main(argv: list[str] | None) -> int:
    """The command line, imported only once the crash log is in place (an import error is logged too)."""
    from .cli import main as run

    return run(argv)


def main(argv: list[str] | None = None) -> int:
    """Installs the local crash log (and says where the last crash was written), clears what a killed
    Glimpse left half-written (stale temporary files), then runs the command."""
    from . import crashlog

    notice = crashlog.install()
    if notice is not None and sys.stderr is not None:
        print(notice.line, file=sys.stderr)
    from .session import sessions_root
    from .settings import user_settings_path
    from .storage import cache_root, remove_stale_temps

    remove_stale_temps([user_settings_path().parent, cache_root(), sessions_root()])
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
