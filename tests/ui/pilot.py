"""Waiting on the app the way a person would: until its workers are done and a frame is drawn,
or until what the test looks for is there (never a fixed sleep)."""

from __future__ import annotations


async def workers_done(app) -> None:
    """Every worker of the app at its end. One cancelled meanwhile (a newer request of its
    group replaced it: an ordinary end) is no failure of the test; a failed one still is."""
    from textual.worker import WorkerCancelled

    while True:
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        return


async def settle(pilot, rounds: int = 4) -> None:
    """Let thread workers finish and their results land on the UI, a few times over."""
    for _ in range(rounds):
        await workers_done(pilot.app)
        await pilot.pause()


async def wait_until(pilot, condition, what: str, rounds: int = 100) -> None:
    """Wait for `condition` (a debounce, a timer, a thread), a frame and the workers at a time,
    within a deadline of about `rounds` x 50 ms."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.05)
        await workers_done(pilot.app)
    raise AssertionError(f"never: {what}")


async def type_text(pilot, text: str) -> None:
    """Type like a person: one key event per character, each handled in order by whatever has
    the focus when it comes, as `pilot.press` sends them; then wait until the screen has handled
    them all. (`pilot.press` waits for the process to look idle after every key, ~90 ms a key:
    the events and their order are the same without it.)"""
    from textual import events
    from textual.keys import _character_to_key

    app = pilot.app
    for ch in text:
        key = "space" if ch == " " else (ch if ch.isalnum() else _character_to_key(ch))
        event = events.Key(key, ch)
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot._wait_for_screen()
    await pilot.pause()
