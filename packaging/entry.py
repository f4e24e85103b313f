"""The script PyInstaller freezes: the `glimpse` command (app/__main__.py), crash log included."""

import multiprocessing
import sys

from app.__main__ import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # `glimpse analyze` on several videos starts worker processes
    sys.exit(main())
