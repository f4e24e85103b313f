"""`python -m app` and the `glimpse` command."""

import sys

from .cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    """Clears what a killed Glimpse left half-written (stale temporary files), then runs the command."""
    from .session import sessions_root
    from .settings import user_settings_path
    from .storage import cache_root, remove_stale_temps

    remove_stale_temps([user_settings_path().parent, cache_root(), sessions_root()])
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
