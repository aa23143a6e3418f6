"""What every benchmark shares: a figure beside its baseline from the same run, the ratio, the
target and a verdict; a stall probe for the UI loop; medians. Speed targets live here, never in
tests.

A benchmark module defines `measure(size: str) -> (title, [Figure, ...])` (size "small"/"large");
`benchmarks/run.py` prints them all and exits non-zero when any target is missed.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass
class Figure:
    """One measured figure. `limit` is in the figure's unit (an absolute target); `max_ratio` is a
    target on figure / baseline. A figure may have either or both; both must hold."""

    what: str
    value: float
    unit: str = "ms"
    baseline: float | None = None
    baseline_what: str = ""
    max_ratio: float | None = None
    limit: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline <= 0:
            return None
        return self.value / self.baseline

    @property
    def ok(self) -> bool:
        if self.limit is not None and self.value > self.limit:
            return False
        ratio = self.ratio
        return not (self.max_ratio is not None and ratio is not None and ratio > self.max_ratio)

    def target_text(self) -> str:
        parts = []
        if self.limit is not None:
            parts.append(f"<= {self.limit:g} {self.unit}")
        if self.max_ratio is not None:
            parts.append(f"<= {self.max_ratio:g}x baseline")
        return " and ".join(parts) or "(no target)"

    def lines(self) -> list[str]:
        ratio = self.ratio
        head = f"  {self.what}: {self.value:,.2f} {self.unit}"
        out = [head]
        if self.baseline is not None:
            out.append(
                f"      baseline ({self.baseline_what}): {self.baseline:,.2f} {self.unit}"
                + (f"   ratio {ratio:.2f}x" if ratio is not None else "")
            )
        verdict = "OK" if self.ok else "MISSED"
        out.append(f"      target {self.target_text()}: {verdict}")
        if self.note:
            out.append(f"      {self.note}")
        return out


def report(title: str, figures: Iterable[Figure]) -> tuple[str, bool]:
    figures = list(figures)
    lines = [title]
    for figure in figures:
        lines.extend(figure.lines())
    return "\n".join(lines), all(f.ok for f in figures)


def median_ms(fn: Callable[[], Any], runs: int, *, warmup: int = 1) -> float:
    """Median wall time of `fn()` in milliseconds over `runs` calls, after `warmup` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


class StallMeter:
    """An event-loop lag probe: a task sleeps 2 ms at a time on the UI loop; the largest lateness
    of a wake-up is the longest stall (time the loop could not run anything else, such as
    painting or reading a key)."""

    TICK = 0.002

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> StallMeter:
        self._task = asyncio.get_running_loop().create_task(self._probe())
        return self

    async def _probe(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.TICK)
            late = time.perf_counter() - before - self.TICK
            self.worst = max(self.worst, late)

    def reset(self) -> None:
        self.worst = 0.0

    @property
    def worst_ms(self) -> float:
        return self.worst * 1000

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


async def wait_until(
    condition: Callable[[], bool], *, timeout: float = 60.0, poll: float = 0.001
) -> float:
    """Seconds until `condition()` holds, polling on the running loop (a benchmark's 'settled')."""
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("the benchmark's condition never held")
        await asyncio.sleep(poll)
    return time.perf_counter() - started


async def timed(action: Awaitable[Any]) -> float:
    started = time.perf_counter()
    await action
    return (time.perf_counter() - started) * 1000
