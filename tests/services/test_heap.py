"""The heap's freezes: the app's lasting freeze survives a screen's hold and release, and a
release collects what the holder left only when the app is idle, then freezes again."""

from __future__ import annotations

import gc

import pytest

from pylee_tui import heap


@pytest.fixture(autouse=True)
def thawed():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_last_release_unfreezes_collects_when_idle_and_freezes_again() -> None:
    heap.freeze_now()  # the app, once its home is painted
    heap.hold()  # the editor opens
    heap.hold()  # a second holder
    scheduled: list = []
    heap.release(scheduled.append)
    assert scheduled == [] and gc.get_freeze_count() > 0  # still held by the second
    heap.release(scheduled.append)
    assert len(scheduled) == 1 and gc.get_freeze_count() == 0  # its garbage may go now

    class Cycle:
        pass

    left = Cycle()
    left.me = left  # garbage only a collection finds
    del left
    scheduled[0]()  # the app idle
    assert not [o for o in gc.get_objects() if type(o) is Cycle]
    assert gc.get_freeze_count() > 0  # the app frozen again


def test_a_release_without_a_hold_changes_nothing() -> None:
    heap.freeze_now()
    scheduled: list = []
    heap.release(scheduled.append)
    assert scheduled == [] and gc.get_freeze_count() > 0


def test_held_again_before_idle_the_collection_waits_for_that_release() -> None:
    heap.hold()
    scheduled: list = []
    heap.release(scheduled.append)
    heap.hold()
    scheduled[0]()  # idle comes while held again: nothing collected, nothing refrozen here
    assert gc.get_freeze_count() > 0
    heap.release(scheduled.append)
    assert len(scheduled) == 2 and gc.get_freeze_count() == 0
