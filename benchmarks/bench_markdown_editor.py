"""How the Markdown split editor feels on a 2,000-line document: keystroke and preview timings."""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from time import perf_counter
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import MarkdownViewer, TextArea

# Run as a script, Python puts benchmarks/ on sys.path, not the project root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pylee_tui.widgets.markdown_editor import MarkdownSplitEditor  # noqa: E402

DOCUMENT_LINES = 2_000
KEYSTROKES = 50
SIZE = (120, 36)
TYPED = ("Typing into the middle of a long overview document " * 2)[:KEYSTROKES]


def build_document(lines: int = DOCUMENT_LINES) -> str:
    """Headings, prose, lists, code blocks and tables, repeated to `lines` lines."""
    out = ["# Benchmark document", ""]
    section = 0
    while len(out) < lines:
        section += 1
        out += [
            f"## Section {section}: registry notes",
            "",
            f"Section {section} explains how the team runs its MCP servers. Each paragraph is",
            "long enough to wrap in the preview, with **bold**, *emphasis* and `inline code`.",
            "",
            f"- item one of section {section}",
            "- item two, with a [link](https://example.com)",
            "  - a nested item",
            "",
            "```python",
            f"def handler_{section}(request):",
            "    return {'status': 'ok'}",
            "```",
            "",
            "| Server | Port | Owner |",
            "| ------ | ---- | ----- |",
            f"| api-{section} | {8000 + section} | ops |",
            f"| db-{section} | {5400 + section} | data |",
            "",
            "> A quote that closes the section.",
            "",
        ]
    return "\n".join(out[:lines]) + "\n"


class BenchApp(App[None]):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.document_text = text

    def compose(self) -> ComposeResult:
        yield MarkdownSplitEditor(self.document_text)


@contextmanager
def gen2_pauses() -> Iterator[list[float]]:
    """Collect full garbage-collection pauses: with thousands of preview widgets alive they
    take hundreds of milliseconds and show up as keystroke spikes that are not our code."""
    pauses: list[float] = []
    started = 0.0

    def callback(phase: str, info: dict[str, Any]) -> None:
        nonlocal started
        if phase == "start":
            started = perf_counter()
        elif info["generation"] == 2:
            pauses.append(perf_counter() - started)

    gc.callbacks.append(callback)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(callback)


async def key_to_repaint(app: App, area: TextArea, character: str) -> float:
    """Seconds from a key reaching the app until the screen has repainted with its effect.

    The key goes in the way Pilot sends it, but we wait only for the text area and the next
    refresh; Pilot's own wait visits every widget on screen, thousands with a long preview.
    """
    before = area.cursor_location
    started = perf_counter()
    key = "space" if character == " " else character
    app._driver.send_message(events.Key(key, character))
    while area.cursor_location == before:
        await asyncio.sleep(0.0005)
    await area.wait_for_refresh()
    return perf_counter() - started


async def pilot_press_times(pilot: Pilot, text: str) -> list[float]:
    times = []
    for character in text:
        started = perf_counter()
        await pilot.press("space" if character == " " else character)
        times.append(perf_counter() - started)
    return times


async def preview_catch_up(editor: MarkdownSplitEditor, timeout: float = 60.0) -> float:
    """Seconds until the preview shows the editor's text."""
    document = editor.query_one(MarkdownViewer).document
    started = perf_counter()
    while document.source != editor.text or editor._rendering:
        if perf_counter() - started > timeout:
            raise TimeoutError("the preview never caught up")
        await asyncio.sleep(0.005)
    return perf_counter() - started


async def _measure() -> dict[str, Any]:
    text = build_document()
    app = BenchApp(text)
    started = perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        editor = app.query_one(MarkdownSplitEditor)
        area = editor.query_one(TextArea)
        document = editor.query_one(MarkdownViewer).document
        await pilot.pause()
        mount = perf_counter() - started
        widgets = sum(1 for _ in app.screen.walk_children())

        # Mid-document, at the end of a paragraph line: where an overview gets edited.
        row = next(
            n for n in range(DOCUMENT_LINES // 2, DOCUMENT_LINES) if "wrap" in text.splitlines()[n]
        )
        area.cursor_location = (row, len(text.splitlines()[row]))
        await pilot.pause()
        with gen2_pauses() as pauses:
            latencies = [await key_to_repaint(app, area, c) for c in TYPED]
        typing_done = perf_counter()
        await preview_catch_up(editor)
        after_typing = perf_counter() - typing_done

        presses = await pilot_press_times(pilot, TYPED)
        await preview_catch_up(editor)

        full_started = perf_counter()
        await document.update(editor.text)
        await pilot.pause()
        full_render = perf_counter() - full_started

    return {
        "document_lines": DOCUMENT_LINES,
        "screen_widgets": widgets,
        "mount_s": mount,
        "keystrokes": len(latencies),
        "key_to_repaint_mean_s": statistics.mean(latencies),
        "key_to_repaint_median_s": statistics.median(latencies),
        "key_to_repaint_max_s": max(latencies),
        "gen2_gc_pauses": len(pauses),
        "gen2_gc_max_s": max(pauses, default=0.0),
        "pilot_press_mean_s": statistics.mean(presses),
        "pilot_press_max_s": max(presses),
        "debounce_s": editor.debounce,
        "preview_after_typing_s": after_typing,
        "full_render_s": full_render,
    }


def run() -> dict[str, Any]:
    """Run the benchmark once; times are in seconds."""
    return asyncio.run(_measure())


def report(r: dict[str, Any]) -> str:
    def ms(key: str) -> str:
        return f"{r[key] * 1000:9.1f} ms"

    rows = [
        ("document", f"{r['document_lines']} lines, {r['screen_widgets']} widgets on screen"),
        ("mount, preview included", ms("mount_s")),
        (f"key -> repaint, mean of {r['keystrokes']}", ms("key_to_repaint_mean_s")),
        ("key -> repaint, median", ms("key_to_repaint_median_s")),
        ("key -> repaint, max", ms("key_to_repaint_max_s")),
        (f"  full GC pauses meanwhile ({r['gen2_gc_pauses']}), max", ms("gen2_gc_max_s")),
        (f"pilot.press round trip, mean of {r['keystrokes']}", ms("pilot_press_mean_s")),
        ("pilot.press round trip, max", ms("pilot_press_max_s")),
        (
            f"preview current after last key (debounce {r['debounce_s']} s)",
            ms("preview_after_typing_s"),
        ),
        ("one full preview re-render", ms("full_render_s")),
    ]
    width = max(len(name) for name, _ in rows)
    lines = ["markdown split editor, 2,000-line document (headless)"]
    lines += [f"  {name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines)


def main() -> None:
    print(report(run()))


if __name__ == "__main__":
    main()
