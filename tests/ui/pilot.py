"""Waiting on the app the way a person would: until its workers are done and a frame is drawn,
or until what the test looks for is there (never a fixed sleep)."""

from __future__ import annotations


async def settle(pilot, rounds: int = 4) -> None:
    """Let thread workers finish and their results land on the UI, a few times over."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def wait_until(pilot, condition, what: str, rounds: int = 100) -> None:
    """Wait for `condition` (a debounce, a timer, a thread), a frame and the workers at a time,
    within a deadline of about `rounds` x 50 ms."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
    raise AssertionError(f"never: {what}")


async def type_text(pilot, text: str) -> None:
    """Type like a person: one key press per character."""
    for ch in text:
        await pilot.press(ch if ch != " " else "space")
    await pilot.pause()
