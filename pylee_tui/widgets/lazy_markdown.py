"""A Markdown document that builds only the blocks in and near the view: the others wait as blank
gaps exactly as tall as they will be, so a 2,000-line overview opens, scrolls and re-renders as
fast as a short one, and an edit rebuilds only the blocks whose text changed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, cast

from textual._slug import TrackedSlugs
from textual.await_complete import AwaitComplete
from textual.containers import ScrollableContainer
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock, TableOfContentsType

from pylee_tui.safe_text import escape_markdown
from pylee_tui.widgets.markdown_blocks import (
    Block,
    Box,
    ParsedDocument,
    inline_content,
    split_blocks,
    split_edited,
    stack_height,
)

# How much beyond the view is built, in views: enough that scrolling a page never shows a gap.
AHEAD = 0.5
# Blocks this far from the view (in views) go back to being a gap, once many are built.
KEEP = 3.0
BUILT_BEFORE_RELEASING = 80


class MarkdownGap(Widget):
    """Blocks out of view, not built: blank, as tall as those blocks will be."""

    DEFAULT_CSS = """
    MarkdownGap {
        width: 1fr;
        height: 1;
    }
    """

    def __init__(self, blocks: list[Block]) -> None:
        super().__init__()
        self.blocks = blocks

    def render(self) -> str:
        return ""


class LazyMarkdown(Markdown):
    """A `Markdown` whose top-level blocks are built when they come near its scrolling parent's
    view (and let go again far from it); `update` keeps the blocks whose source is unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parts: list[Block] = []
        self._built: dict[Block, list[Widget]] = {}
        self._parsed = ParsedDocument("", [], {})  # the text the blocks were parsed from
        # A pass (building what the view reaches) needs the positions of a layout: it is
        # wanted by a scroll, a resize or new children, and runs after the screen's next layout.
        self._pass_wanted = False
        self._pass_due = False  # queued, to run next
        self._changes = 0  # children mounted or removed so far: a pass waits for their layout
        self._laid_out_changes = 0  # `_changes` at the screen's last layout
        self._busy = 0  # updates and passes under way
        self._anchor_at: tuple[Widget, int] | None = None  # to keep in place after a pass
        self._settle_due = False  # a pass changed children: keep the anchor, reveal, once laid out
        self._reveal: tuple[Block, bool] | None = None  # a block to scroll to once built

    def on_mount(self) -> None:
        scroller = self._scroller()
        if scroller is not None:
            # scrolling moves no block within the document: a pass may run at once
            self.watch(scroller, "scroll_y", self._pass_now, init=False)
        # (immediate: told during the layout, so no change can slip in between; a removed
        # document drops out of the signal's subscribers by itself)
        self.screen.screen_layout_refresh_signal.subscribe(self, self._laid_out, immediate=True)

    def on_resize(self) -> None:
        self._pass_now()  # gaps take their height at the new width

    @property
    def settled(self) -> bool:
        """True when no update or build is under way or queued: the document shows its
        `source`, and the view and what is near it are built."""
        return not (self._pass_wanted or self._pass_due or self._busy or self._settle_due)

    # --- the document ---------------------------------------------------------------------

    def update(self, markdown: str) -> AwaitComplete:
        """Show `markdown` (its control characters escaped): blocks whose source did not change
        are kept as they are; changed ones are rebuilt if they are in view."""
        markdown = escape_markdown(markdown)
        self._theme = self.app.theme
        self._markdown = markdown
        self._busy += 1
        return AwaitComplete(self._update(markdown))

    def append(self, markdown: str) -> AwaitComplete:
        return self.update(self.source + markdown)

    async def _update(self, markdown: str) -> None:
        try:
            async with self.lock:
                loop = asyncio.get_running_loop()
                # an edit of the shown text parses only the blocks around it again
                split = split_edited if self._parts else split_blocks_of
                parsed = await loop.run_in_executor(
                    None,
                    split,
                    self._parsed,
                    markdown,
                    self._parser_factory or _default_parser,
                    self._geometry(),
                )
                if markdown != self._markdown:
                    return  # a newer update is queued behind this one
                changes = self._changes
                self._replace_blocks(parsed)
                self._show_scrollbar_early()
                await self._apply()
                contents = self._contents()
                if contents != self._table_of_contents:
                    self._table_of_contents = contents
                    self.post_message(
                        Markdown.TableOfContentsUpdated(self, contents).set_sender(self)
                    )
            if self._changes != changes and len(self._built) < len(self._parts):
                self._schedule_pass()  # what is near the view once the new blocks are laid out
        finally:
            self._busy -= 1

    def _replace_blocks(self, parsed: ParsedDocument) -> None:
        old, new = self._parts, parsed.blocks
        if parsed.references != self._parsed.references:
            prefix = suffix = 0  # a link definition changed: every block may show it
        else:
            same = min(len(old), len(new))
            prefix = 0
            while prefix < same and old[prefix].source == new[prefix].source:
                prefix += 1
            suffix = 0
            while suffix < same - prefix and old[-1 - suffix].source == new[-1 - suffix].source:
                suffix += 1
        # kept blocks stay the objects they were (their widgets, ids, measured heights) and
        # take their new place in the text
        for index in (*range(prefix), *range(-suffix, 0)):
            kept, moved = old[index], new[index]
            kept.start, kept.end, kept.tokens = moved.start, moved.end, moved.tokens
            kept.take_estimates(moved)
            new[index] = kept
            for widget in self._built.get(kept, []):
                if isinstance(widget, MarkdownBlock):
                    widget.source_range = (kept.start, kept.end)
        removed = old[prefix : len(old) - suffix]
        added = new[prefix : len(new) - suffix]
        if len(removed) == len(added) == 1 and self._retext(removed[0], added[0]):
            added = []  # typed into a paragraph or a heading: its widget shows the new text
        was_shown = not removed or any(block in self._built for block in removed)
        for block in removed:
            self._built.pop(block, None)
        width, ansi = self._geometry()
        if not old:
            # a first render: build what the view will show, so no second pass is needed
            window = self._window(AHEAD)
            for block, top, bottom in _place(added, self._top(), width, ansi):
                if window is None or (bottom >= window[0] and top <= window[1]):
                    self._build(block)
        elif was_shown:
            # what replaces blocks on screen (an edit under the cursor) is shown at once
            room = (1 + 2 * AHEAD) * self._view_height()
            for block, top, _ in _place(added, 0, width, ansi):
                if top > room:
                    break
                self._build(block)
        self._parts = new
        self._parsed = ParsedDocument(parsed.text, new, parsed.env)

    def _show_scrollbar_early(self) -> None:
        """A document taller than the view shows its scroll bar with its first blocks: left to
        the layout, it appears one layout (and one full repaint) later."""
        scroller = self._scroller()
        if scroller is None or scroller.show_vertical_scrollbar:
            return
        if scroller.styles.overflow_y != "auto" or not self._parts:
            return
        width, ansi = self._geometry()
        *_, (_, _, bottom) = _place(self._parts, 0, width, ansi)
        if bottom > self._view_height():
            scroller.show_vertical_scrollbar = True

    def _retext(self, old: Block, new: Block) -> bool:
        """Give `old`'s widget `new`'s text when both are one paragraph, or headings of one
        level: no mount, and no layout unless the text takes another number of lines."""
        widgets = self._built.get(old, [])
        widget = widgets[0] if len(widgets) == 1 else None
        if not isinstance(widget, MarkdownBlock) or not widget.is_mounted:
            return False
        before, tokens = widget._token, new.parsed()
        if (
            (before.type, before.tag) != (tokens[0].type, tokens[0].tag)
            or before.type not in ("paragraph_open", "heading_open")
            or len(tokens) != 3
        ):
            return False
        inline = tokens[1]
        content = inline_content(inline)
        lines = content.get_height(cast(Any, widget.styles), widget.content_size.width)
        widget._token, widget._inline_token, widget._content = tokens[0], inline, content
        widget.source_range = (new.start, new.end)
        moves = lines != widget.content_size.height
        if moves:
            self._changes += 1  # the blocks below move: a pass after the layout
        widget.update(content, layout=moves)
        del self._built[old]
        self._built[new] = [widget]
        return True

    def _contents(self) -> TableOfContentsType:
        return [(*block.heading, block.heading_id) for block in self._parts if block.heading]

    @property
    def table_of_contents(self) -> TableOfContentsType:
        return self._contents()

    # --- building blocks and gaps ---------------------------------------------------------

    def _build(self, block: Block) -> list[Widget]:
        if block not in self._built:
            widgets: list[Widget] = list(self._parse_markdown(block.parsed()))
            for widget in widgets:
                if isinstance(widget, MarkdownBlock):
                    widget.source_range = (block.start, block.end)
            self._built[block] = widgets
        return self._built[block]

    def _desired(self) -> list[Widget]:
        """The children the document should have: built blocks, and a gap for each run of
        blocks not built (the gap it had, if any, so it is not mounted again)."""
        gaps = {
            child.blocks[0]: child
            for child in self.children
            if isinstance(child, MarkdownGap) and child.blocks
        }
        width, ansi = self._geometry()
        out: list[Widget] = []
        run: list[Block] = []

        def close_run() -> None:
            if run:
                gap = gaps.get(run[0]) or MarkdownGap([])
                gap.blocks = list(run)
                _size_gap(gap, width, ansi)
                out.append(gap)
                run.clear()

        for block in self._parts:
            widgets = self._built.get(block)
            if widgets is None:
                run.append(block)
            else:
                close_run()
                out += widgets
        close_run()
        return out

    async def _apply(self) -> None:
        """Mount and remove children so the document shows `_desired()`, in one repaint."""
        desired = self._desired()
        current = list(self.children)
        wanted, present = set(desired), set(current)
        if [w for w in current if w in wanted] != [w for w in desired if w in present]:
            present = set()  # kept children out of order: start again
        stale = [w for w in current if w not in wanted or w not in present]
        if not stale and len(present) == len(desired):
            return
        with self.app.batch_update():
            pending: list[Widget] = []
            for widget in desired:
                if widget in present:
                    if pending:
                        await self.mount_all(pending, before=widget)
                        pending = []
                else:
                    pending.append(widget)
            if pending:
                await self.mount_all(pending)
            if stale:
                await self.remove_children(stale)
        self._changes += 1  # (counted once mounted: the next layout places them)

    # --- following the view ---------------------------------------------------------------

    def _scroller(self) -> Widget | None:
        """The container that scrolls the document (the viewer), if any."""
        for node in self.ancestors:
            if isinstance(node, ScrollableContainer):
                return node
        return None

    def _top(self) -> int:
        """Where the document starts in its scroller (0 before the first layout)."""
        return self.virtual_region.y if self.size.height else 0

    def _view_height(self) -> int:
        scroller = self._scroller()
        height = scroller.scrollable_content_region.height if scroller is not None else 0
        return height or self.app.size.height

    def _geometry(self) -> tuple[int, bool]:
        """The width blocks are laid out in, and whether the app shows ANSI colours (code
        blocks lose their margins then)."""
        width = self.content_region.width
        if not width:
            # before the first layout: the scroller's room less our padding and a scroll bar
            scroller = self._scroller()
            room = scroller.content_region.width if scroller is not None else 0
            width = (room or self.app.size.width) - self.styles.gutter.width - 2
        return max(width, 1), bool(self.app.native_ansi_color)

    def _schedule_pass(self, *_: object) -> None:
        """Ask for a pass after the next layout (new children, or a block that grew: one is
        coming)."""
        self._pass_wanted = True

    def _pass_now(self, *_: object) -> None:
        """Ask for a pass on the positions of the last layout (nothing moved since)."""
        self._pass_wanted = True
        self._laid_out(None)

    def _laid_out(self, screen: object) -> None:
        """The screen has laid out (or, from `_pass_now`, nothing has moved since it did):
        positions are current, so a wanted pass may run, and a pass's blocks are where they
        will be shown."""
        if screen is not None:
            self._laid_out_changes = self._changes
        if self._settle_due and self._laid_out_changes == self._changes:
            self._settle_due = False
            self.call_later(self._settle)
        if self._pass_wanted and not self._pass_due and self.is_attached:
            self._pass_wanted, self._pass_due = False, True
            self.call_later(self._pass)

    async def _pass(self) -> None:
        """Build the blocks the view reaches, let go of those far from it; keep what the user
        is looking at where it was."""
        self._pass_due = False
        if not self.is_mounted:
            return
        self._busy += 1
        try:
            changes = self._changes
            built = await self._build_near_view()
            if built is None:
                self._schedule_pass()  # children changed since the last layout: after theirs
            elif self._changes != changes:
                self._anchor_at, self._settle_due = built[0], True  # once laid out
            else:
                self._anchor_at = built[0]
                self._settle()
        finally:
            self._busy -= 1

    async def _build_near_view(self) -> tuple[tuple[Widget, int] | None] | None:
        """Build the blocks in and near the view, release those far from it; returns the first
        block on screen and where it was (to keep it there), or None if the positions of the
        last layout are out of date."""
        async with self.lock:
            if self._laid_out_changes != self._changes:
                return None
            window = self._window(AHEAD)
            width, ansi = self._geometry()
            wanted = [
                block
                for gap in self.children
                if isinstance(gap, MarkdownGap)
                for block, top, bottom in _place(gap.blocks, gap.virtual_region.y, width, ansi)
                if window is None or (bottom >= window[0] and top <= window[1])
            ]
            if self._reveal is not None and self._reveal[0] not in self._built:
                wanted.append(self._reveal[0])
            released = self._far_blocks(width)
            anchor = self._anchor()
            for block in wanted:
                self._build(block)
            for block in released:
                del self._built[block]
            await self._apply()
        return (anchor,)

    def _settle(self) -> None:
        anchor, self._anchor_at = self._anchor_at, None
        scroller = self._scroller()
        if scroller is None:
            self._reveal = None
            return
        reveal, self._reveal = self._reveal, None
        if reveal is not None:
            block, top = reveal
            widgets = [w for w in self._built.get(block, []) if w.is_mounted]
            if widgets:
                scroller.scroll_to_widget(widgets[0], animate=False, immediate=True, top=top)
                return
        if anchor is not None and anchor[0].is_mounted:
            # blocks built above what is on screen may differ from their gap's height
            widget, offset = anchor
            moved = widget.virtual_region.y - scroller.scroll_y - offset
            if moved:
                scroller.scroll_to(
                    y=scroller.scroll_y + moved, animate=False, immediate=True, force=True
                )

    def _window(self, margin: float) -> tuple[float, float] | None:
        scroller = self._scroller()
        if scroller is None:
            return None
        view = self._view_height()
        return scroller.scroll_y - margin * view, scroller.scroll_y + (1 + margin) * view

    def _anchor(self) -> tuple[Widget, int] | None:
        """The first built block on screen and where it is on it."""
        scroller = self._scroller()
        if scroller is None:
            return None
        top = scroller.scroll_y
        for child in self.children:
            if isinstance(child, MarkdownGap):
                continue
            region = child.virtual_region
            if region.bottom > top:
                return child, int(region.y - top)
        return None

    def _far_blocks(self, width: int) -> list[Block]:
        """Built blocks far from the view, measured (so their gap is exact), once many are
        built: the document stays as light as a short one however far one scrolls."""
        window = self._window(KEEP)
        if window is None or len(self._built) < BUILT_BEFORE_RELEASING:
            return []
        far = []
        for block, widgets in self._built.items():
            if not widgets or not all(w.is_mounted for w in widgets):
                continue
            region = _span([w.virtual_region for w in widgets])
            if region.bottom < window[0] or region.y > window[1]:
                block.measured[width] = [
                    Box(w.styles.margin.top, w.outer_size.height, w.styles.margin.bottom)
                    for w in widgets
                ]
                far.append(block)
        return far

    # --- going to a place -----------------------------------------------------------------

    def reveal_line(self, row: int) -> None:
        """Scroll so the block holding source line `row` is in view (building it if need be);
        before the first block, to the top."""
        target = None
        for block in self._parts:
            if block.start > row:
                break
            target = block
            if row < block.end:
                break
        scroller = self._scroller()
        if target is None:
            if scroller is not None:
                scroller.scroll_home(animate=False, immediate=True)
            return
        self._reveal_block(target, top=False)

    def reveal_heading(self, heading_id: str) -> bool:
        """Scroll a heading (by its id in the table of contents) to the top of the view."""
        for block in self._parts:
            if block.heading_id == heading_id:
                self._reveal_block(block, top=True)
                return True
        return False

    def goto_anchor(self, anchor: str) -> bool:
        unique = TrackedSlugs()
        for block in self._parts:
            if block.heading and unique.slug(block.heading[1]) == anchor:
                self._reveal_block(block, top=True)
                return True
        return False

    def _reveal_block(self, block: Block, *, top: bool) -> None:
        scroller = self._scroller()
        if scroller is None:
            return
        widgets = [w for w in self._built.get(block, []) if w.is_mounted]
        if widgets:
            scroller.scroll_to_widget(widgets[0], animate=False, immediate=True, top=top)
            return
        # not built: go where its gap says it is, then build it and scroll to the real thing
        self._reveal = (block, top)
        width, ansi = self._geometry()
        for gap in self.children:
            if isinstance(gap, MarkdownGap) and block in gap.blocks:
                for candidate, start, end in _place(gap.blocks, gap.virtual_region.y, width, ansi):
                    if candidate is block:
                        region = Region(0, start, 1, max(end - start, 1))
                        scroller.scroll_to_region(region, animate=False, immediate=True, top=top)
        self._pass_now()


def split_blocks_of(
    _: ParsedDocument, text: str, parser_factory: Any, geometry: tuple[int, bool]
) -> ParsedDocument:
    return split_blocks(text, parser_factory, geometry)


def _default_parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("gfm-like")


def _size_gap(gap: MarkdownGap, width: int, ansi: bool) -> None:
    boxes = [box for block in gap.blocks for box in block.boxes(width, ansi)]
    gap.display = bool(boxes)
    if boxes:
        height, margin = stack_height(boxes), (boxes[0].top, 0, boxes[-1].bottom, 0)
        if gap.styles.height is None or gap.styles.height.value != height:
            gap.styles.height = height
        if tuple(gap.styles.margin) != margin:
            gap.styles.margin = margin


def _place(blocks: list[Block], y: int, width: int, ansi: bool) -> Iterator[tuple[Block, int, int]]:
    """Each block with the lines it would take (top, bottom) laid out from `y` down."""
    previous: Box | None = None
    for block in blocks:
        start: int | None = None
        for box in block.boxes(width, ansi):
            if previous is not None:
                y += max(previous.bottom, box.top)
            if start is None:
                start = y
            y += box.height
            previous = box
        yield block, y if start is None else start, y


def _span(regions: list[Region]) -> Region:
    span = regions[0]
    for region in regions[1:]:
        span = span.union(region)
    return span
