"""Python's cyclic garbage collector and a long-lived TUI: what lives as long as the app
(Textual, the screens, the code of every section) is frozen out of full collections, which
otherwise walk all of it while a section builds thousands of rows and stall the keys for
100-400 ms. A screen that builds a large short-lived structure (the split editor) freezes it
too while it is open; when the last such hold is released, everything is unfrozen, and the
garbage it left is collected once the app is idle, after which the heap is frozen again."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable

_lock = threading.Lock()
_holds = 0


def freeze_now() -> None:
    """Freeze what exists now (what lives as long as the app; or more of a holder's)."""
    gc.freeze()


def hold() -> None:
    """Freeze what exists now, until `release`: for a screen's short-lived structure."""
    global _holds
    with _lock:
        _holds += 1
    gc.freeze()


def release(when_idle: Callable[[Callable[[], None]], object]) -> None:
    """One hold fewer; after the last, unfreeze, so that what the holders built can be
    collected. `when_idle(fn)` runs `fn` once the app is idle (a timer): it collects that
    garbage in one go and freezes what remains, the app, again."""
    global _holds
    with _lock:
        if _holds == 0:
            return
        _holds -= 1
        last = _holds == 0
    if last:
        gc.unfreeze()
        when_idle(_collect_and_freeze)


def _collect_and_freeze() -> None:
    with _lock:
        if _holds:  # held again meanwhile: its holder's release collects
            return
    gc.collect()
    gc.freeze()
