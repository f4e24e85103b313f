"""Every live event has its own handler method, `dispatch` routes each to it, and every consumer
implements them all (mypy checks each consumer where it calls `dispatch`, the Qt worker's too)."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from app.cli.live_run import Gatherer
from app.run.events import LiveEvent, LiveEventHandler, dispatch

EVENTS = get_args(LiveEvent)


def method_for(event_class: type) -> str:
    return "on_" + re.sub(r"(?<!^)(?=[A-Z])", "_", event_class.__name__).lower()


def handler_methods() -> set[str]:
    return {name for name in vars(LiveEventHandler) if name.startswith("on_")}


def test_the_handler_has_one_method_per_event():
    assert len(EVENTS) == 13
    assert handler_methods() == {method_for(cls) for cls in EVENTS}


@pytest.mark.parametrize("event_class", EVENTS, ids=lambda cls: cls.__name__)
def test_dispatch_hands_each_event_to_its_method(event_class):
    called = []

    class Recorder:
        def __getattr__(self, name):
            return lambda event: called.append((name, event))

    event = object.__new__(event_class)  # the fields do not matter to dispatch
    dispatch(event, Recorder())
    assert called == [(method_for(event_class), event)]


def test_every_consumer_handles_every_event():
    from app.ui.worker import LiveWorker

    for consumer in (Gatherer, LiveWorker):
        missing = handler_methods() - set(dir(consumer))
        assert not missing, f"{consumer.__name__} does not handle {sorted(missing)}"
