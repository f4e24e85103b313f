"""Argument parsing shared by the `glimpse` subcommands: one-line errors, checked values."""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TextIO

from app.system.output import output_problem

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit 2), naming the command and --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, found {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, found {value}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, found {text!r}")
    return value


def positive_float(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, found {text!r}")
    return value


def non_negative_float(text: str) -> float:
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, found {text!r}")
    return value


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a number, found {text!r}")
    return value


def bounded_float(lo: float, hi: float) -> Callable[[str], float]:
    """A type for numbers in lo..hi."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number from {lo:g} to {hi:g}, found {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"expected a number from {lo:g} to {hi:g}, found {value:g}")
        return value

    return parse


def file_to_write(text: str) -> Path:
    """A path to write a file to, checked before any work starts: a name the disk takes, in a folder
    (or under one to be created) that may be written."""
    problem = output_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return Path(text)


def folder_to_write(text: str) -> Path:
    """A folder to write files in (created when missing), checked like `file_to_write`."""
    problem = output_problem(text, folder=True)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return Path(text)


SCHEDULER = re.compile(r"^(tcp|tls|inproc|ucx)://[^\s/:]+(:\d{1,5})?$")


def scheduler_address(text: str) -> str:
    if not SCHEDULER.match(text):
        raise argparse.ArgumentTypeError(f"expected a Dask scheduler address such as tcp://HOST:8786, found {text!r}")
    return text


class BatchProgress:
    """Overall progress of several videos: one line per finished video on stderr, with time left."""

    def __init__(self, total: int, stream: TextIO | None = None):
        self.total, self.done, self.stream = total, 0, stream or sys.stderr
        self._start = time.perf_counter()

    def finished(self, text: str) -> None:
        self.done += 1
        elapsed = time.perf_counter() - self._start
        left = elapsed / self.done * (self.total - self.done)
        tail = f", about {_duration(left)} left" if self.done < self.total else f", {_duration(elapsed)} in all"
        self.stream.write(f"[{self.done}/{self.total}] {text}{tail}\n")
        self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"
