"""MediaPipe's start-up lines are silenced by pointing fd 2 at /dev/null for a moment; two trackers starting
at once in two threads (a screen source finding the face while the session loads its own) must leave fd 2
as it was, whatever order they finish in: a lost fd 2 swallowed the one sentence a failed share ends with."""

from __future__ import annotations

import os

from app.face.tracking import quiet_native_stderr


def fd2() -> tuple[int, int]:
    st = os.fstat(2)
    return st.st_dev, st.st_ino


def test_overlapping_quiet_spans_leave_stderr_where_it_was():
    before = fd2()
    first, second = quiet_native_stderr(), quiet_native_stderr()
    first.__enter__()
    assert fd2() != before  # silenced
    second.__enter__()
    first.__exit__(None, None, None)  # the first to enter leaves first: not last-in, first-out
    assert fd2() != before  # the second still wants quiet
    second.__exit__(None, None, None)
    assert fd2() == before
    with quiet_native_stderr():
        pass
    assert fd2() == before
