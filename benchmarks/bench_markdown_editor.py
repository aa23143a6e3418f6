"""The split overview editor (editor left, live preview right): opening it, typing in it, the
preview catching up, a reload, going to the end; and the overview's viewer alone. Small: the
demo's Acme overview; large: a 2,000-line overview of headings, prose, lists, code and tables.

Baselines, in the same run and the same app: a bare `TextArea.code_editor` of the same text
(opened, typed into and reloaded the same way), a timer of the preview's debounce, and a
`Static` holding the same text for the viewer.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from time import perf_counter
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static, TextArea
from textual.widgets.markdown import MarkdownBlock

# Run as a script, Python puts benchmarks/ on sys.path, not the project root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import Figure, StallMeter, wait_until  # noqa: E402
from pylee_tui.safe_text import escape_markdown  # noqa: E402
from pylee_tui.screens.overview_editor import OverviewEditorScreen  # noqa: E402
from pylee_tui.services.demo import ACME_OVERVIEW  # noqa: E402
from pylee_tui.widgets.markdown_document import MarkdownDocument  # noqa: E402
from pylee_tui.widgets.markdown_editor import MarkdownSplitEditor  # noqa: E402
from pylee_tui.widgets.safe_markdown import SafeMarkdownViewer  # noqa: E402

DOCUMENT_LINES = 2_000
SIZE = (120, 36)
OPENS = 5
BURSTS = 5  # of typing; each ends by waiting for the preview
BURST = "Typing in the middle"  # one burst's keys
PACE = 0.08  # seconds between two keys, a quick typist's
# Within a burst, one pause just past the debounce, so a render runs while the next keys land.
PAUSE_AFTER = 8


def build_document(lines: int = DOCUMENT_LINES, tag: str = "") -> str:
    """Headings, prose, lists, code blocks and tables, repeated to `lines` lines."""
    out = [f"# Benchmark document{tag}", ""]
    section = 0
    while len(out) < lines:
        section += 1
        out += [
            f"## Section {section}{tag}: registry notes",
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


class EditorScreen(OverviewEditorScreen):
    """The overview editor as the app opens it (org bar, split editor, footer); saving and
    reloading are not measured here."""

    def __init__(self, text: str) -> None:
        document = MarkdownDocument(
            "Acme · overview",
            "acme",
            text,
            None,
            lambda text, base, force: base,
            lambda: ("", None),
        )
        super().__init__(document, "bench@example.com", "admin")

    @property
    def area(self) -> TextArea:
        return self.query_one("#md-editor", TextArea)


class BareScreen(Screen[None]):
    """The baseline: Textual's own Markdown code editor with the same text, nothing else."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        yield TextArea.code_editor(self.text, language="markdown", soft_wrap=True, id="bare")

    @property
    def area(self) -> TextArea:
        return self.query_one("#bare", TextArea)


class ViewerScreen(Screen[None]):
    def __init__(self, text: str, *, bare: bool) -> None:
        super().__init__()
        self.text = text
        self.bare = bare

    def compose(self) -> ComposeResult:
        if self.bare:
            with VerticalScroll():
                yield Static(self.text, markup=False, id="plain")
        else:
            yield SafeMarkdownViewer(self.text, show_table_of_contents=False, id="viewer")


class Host(App[None]):
    pass


def preview_current(screen: EditorScreen) -> bool:
    """The preview shows the editor's text, every block near the view built."""
    editor = screen.query_one(MarkdownSplitEditor)
    document = editor.query_one(SafeMarkdownViewer).document
    if editor._rendering or editor._preview_due or not document.settled:
        return False
    return document.source == escape_markdown(editor.text)


def loaded(screen: Screen[Any]) -> bool:
    if isinstance(screen, EditorScreen):
        return screen.is_mounted and preview_current(screen)
    if isinstance(screen, ViewerScreen):
        # the first frame showing the overview's text: its first block laid out on screen
        if screen.bare:
            return bool(screen.query("#plain"))
        viewer = screen.query(SafeMarkdownViewer)
        blocks = viewer.first().document.query_children(MarkdownBlock) if viewer else None
        return bool(blocks) and bool(blocks.first().size)
    return screen.is_mounted and bool(screen.query(TextArea))


async def open_screen(app: App[None], make: Callable[[], Screen[Any]], meter: StallMeter):
    """(ms to the first settled frame of a new screen, worst stall meanwhile); the screen
    stays open."""
    screen = make()
    meter.reset()
    started = perf_counter()
    app.push_screen(screen)
    await wait_until(lambda: app.screen is screen and loaded(screen), poll=0.0005)
    await screen.wait_for_refresh()
    return (perf_counter() - started) * 1000, meter.worst_ms


async def key_to_repaint(app: App[None], area: TextArea, character: str) -> float:
    """ms from a key reaching the app until the frame with its effect in the text area."""
    before = area.cursor_location
    started = perf_counter()
    key = "space" if character == " " else character
    assert app._driver is not None
    app._driver.send_message(events.Key(key, character))
    while area.cursor_location == before:
        await asyncio.sleep(0.0005)
    await area.wait_for_refresh()
    return (perf_counter() - started) * 1000


def edit_row(text: str) -> int:
    """Mid-document, at the end of a paragraph line: where an overview gets edited."""
    lines = text.splitlines()
    middle = len(lines) // 2
    return next((n for n in range(middle, len(lines)) if len(lines[n]) > 40), middle)


async def type_bursts(app: App[None], screen: Screen[Any], meter: StallMeter, debounce: float):
    """Keys at a typist's pace with a pause now and then; returns (key → frame ms for every key,
    worst stall, ms from each burst's last key to the preview being current)."""
    area = screen.area  # type: ignore[attr-defined]
    text = area.text
    row = edit_row(text)
    area.cursor_location = (row, len(text.splitlines()[row]))
    await screen.wait_for_refresh()
    latencies: list[float] = []
    catch_up: list[float] = []
    meter.reset()
    for _ in range(BURSTS):
        for index, character in enumerate(BURST):
            started = perf_counter()
            latencies.append(await key_to_repaint(app, area, character))
            pause = debounce + 0.03 if index == PAUSE_AFTER else PACE
            await asyncio.sleep(max(0.0, pause - (perf_counter() - started)))
        if isinstance(screen, EditorScreen):
            # from the last key: the debounce, then the render, then the frame
            last_key = perf_counter() - PACE
            await wait_until(lambda s=screen: preview_current(s), poll=0.0005)
            await screen.wait_for_refresh()
            catch_up.append((perf_counter() - last_key) * 1000)
        else:
            await asyncio.sleep(debounce)
    return latencies, meter.worst_ms, catch_up


async def debounce_floor(app: App[None], debounce: float) -> float:
    """ms for a bare timer of the preview's debounce and the frame after it."""
    fired = asyncio.Event()
    started = perf_counter()
    app.screen.set_timer(debounce, fired.set)
    await fired.wait()
    await app.screen.wait_for_refresh()
    return (perf_counter() - started) * 1000


async def go_to_end(app: App[None], screen: EditorScreen, meter: StallMeter) -> tuple[float, float]:
    """ctrl+end in the split view: ms until the preview shows the document's last block."""
    editor = screen.query_one(MarkdownSplitEditor)
    viewer = editor.query_one(SafeMarkdownViewer)
    await app.screen.wait_for_refresh()
    meter.reset()
    started = perf_counter()
    assert app._driver is not None
    app._driver.send_message(events.Key("ctrl+end", None))

    def end_in_view() -> bool:
        if not viewer.document.settled:
            return False
        return viewer.scroll_y >= viewer.max_scroll_y - 1  # (no scrolling in a short one)

    await wait_until(end_in_view, poll=0.0005)
    await screen.wait_for_refresh()
    return (perf_counter() - started) * 1000, meter.worst_ms


async def reload(app: App[None], screen: Screen[Any], text: str, meter: StallMeter):
    """Replace the whole text (a reload after a conflict): ms to the settled frame."""
    meter.reset()
    started = perf_counter()
    if isinstance(screen, EditorScreen):
        screen.query_one(MarkdownSplitEditor).load(text)
        await wait_until(lambda: preview_current(screen), poll=0.0005)
    else:
        screen.area.load_text(text)  # type: ignore[attr-defined]
    await screen.wait_for_refresh()
    return (perf_counter() - started) * 1000, meter.worst_ms


async def _measure(text: str, other: str) -> dict[str, float]:
    app = Host()
    r: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        r.setdefault(name, []).append(value)

    async with app.run_test(size=SIZE):
        meter = StallMeter().start()
        for _ in range(OPENS):
            for name, make in (
                ("open_bare", lambda: BareScreen(text)),
                ("open_editor", lambda: EditorScreen(text)),
                ("viewer_bare", lambda: ViewerScreen(text, bare=True)),
                ("viewer", lambda: ViewerScreen(text, bare=False)),
            ):
                ms, stall = await open_screen(app, make, meter)
                add(name, ms)
                add(f"{name}_stall", stall)
                app.pop_screen()
                await asyncio.sleep(0.05)

        debounce = MarkdownSplitEditor().debounce
        for name, make in (
            ("bare", lambda: BareScreen(text)),
            ("editor", lambda: EditorScreen(text)),
        ):
            await open_screen(app, make, meter)
            screen = app.screen
            keys, stall, catch_up = await type_bursts(app, screen, meter, debounce)
            r[f"keys_{name}"] = keys
            add(f"typing_stall_{name}", stall)
            r["catch_up"] = catch_up or r.get("catch_up", [])
            for _ in range(3):
                ms, stall = await reload(app, screen, other, meter)
                add(f"reload_{name}", ms)
                add(f"reload_stall_{name}", stall)
                ms, stall = await reload(app, screen, text, meter)
                add(f"reload_{name}", ms)
                add(f"reload_stall_{name}", stall)
            if isinstance(screen, EditorScreen):
                for _ in range(3):
                    screen.area.move_cursor((0, 0))
                    await wait_until(lambda s=screen: preview_current(s), poll=0.0005)
                    ms, stall = await go_to_end(app, screen, meter)
                    add("end", ms)
                    add("end_stall", stall)
            app.pop_screen()
            await asyncio.sleep(0.05)
        for _ in range(BURSTS):
            add("debounce_floor", await debounce_floor(app, debounce))
        meter.stop()

    out: dict[str, float] = {}
    for name, values in r.items():
        out[name] = statistics.median(values)
        out[f"{name}_max"] = max(values)
    return out


def measure(size: str) -> tuple[str, list[Figure]]:
    if size == "large":
        text, other = build_document(), build_document(tag=" (theirs)")
        what = f"{DOCUMENT_LINES:,}-line overview"
    else:
        text, other = ACME_OVERVIEW, ACME_OVERVIEW.replace("Acme", "Acme (theirs)")
        what = f"the demo's Acme overview ({len(ACME_OVERVIEW.splitlines())} lines)"
    r = asyncio.run(_measure(text, other))
    bare = "bare TextArea.code_editor, same text"
    figures = [
        Figure(
            "open the split editor (median)",
            r["open_editor"],
            baseline=r["open_bare"],
            baseline_what=f"open a {bare}",
            limit=500,
            note=f"worst stall {r['open_editor_stall']:.0f} ms (bare {r['open_bare_stall']:.0f})",
        ),
        Figure(
            "key -> frame while typing, median",
            r["keys_editor"],
            baseline=r["keys_bare"],
            baseline_what=bare,
            limit=30,
        ),
        Figure(
            "key -> frame while typing, max",
            r["keys_editor_max"],
            baseline=r["keys_bare_max"],
            baseline_what=bare,
            limit=100,
        ),
        Figure(
            "worst event-loop stall while typing",
            r["typing_stall_editor_max"],
            baseline=r["typing_stall_bare_max"],
            baseline_what=bare,
            limit=100,
        ),
        Figure(
            "preview current after the last key, max",
            r["catch_up_max"],
            baseline=r["debounce_floor"],
            baseline_what="a bare timer of the preview's debounce and a frame",
            limit=350,
            note=f"median {r['catch_up']:.0f} ms",
        ),
        Figure(
            "reload the whole text (median)",
            r["reload_editor"],
            baseline=r["reload_bare"],
            baseline_what=f"load_text on a {bare}",
            limit=500,
            note=f"worst stall {r['reload_stall_editor_max']:.0f} ms",
        ),
        Figure(
            "ctrl+end -> the preview shows the end (median)",
            r["end"],
            baseline=r["keys_bare"],
            baseline_what=f"a key -> frame on a {bare}",
            limit=100,
            note=f"max {r['end_max']:.0f} ms, worst stall {r['end_stall_max']:.0f} ms",
        ),
        Figure(
            "open the overview viewer alone: first frame with its text (median)",
            r["viewer"],
            baseline=r["viewer_bare"],
            baseline_what="the same text in a Static",
            limit=500,
            note=f"worst stall {r['viewer_stall_max']:.0f} ms",
        ),
    ]
    return f"markdown split editor, {what}", figures


if __name__ == "__main__":
    from benchmarks.harness import report

    size = "large" if "--large" in sys.argv else "small"
    title, figures = measure(size)
    print(report(f"{title}  [{size}]", figures)[0])
