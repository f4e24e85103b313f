"""`python -m app` and the `glimpse` command: the crash log first (app/crashlog.py), then the CLI."""

import sys


def main(argv: list[str] | None = None) -> int:
    from . import crashlog

    notice = crashlog.install()
    if notice is not None and sys.stderr is not None:
        print(notice.line, file=sys.stderr)
    from .cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
