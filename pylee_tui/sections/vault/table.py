"""The vault section's table: one row per key, its cells drawn for the shown mode and scope.

A scope may hold thousands of keys: the table makes the `Row`s of a window of WINDOW rows of
the full order and moves the window as the cursor (or the wheel) reaches its edge. The keys
move the cursor over the whole order; the mode line says how many rows there are.

It is a `VirtualTable` (widgets/row_table.py): it draws only the lines on screen, one `Strip`
a line, so choosing a scope, a sort, the filter's end or a secret masked again repaints a
screen of lines, never the cells of every row. Its columns are measured from the window's
cells (the key column from every key), and the value column follows the table's width.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.strip import Strip

from pylee_tui.safe_text import escape
from pylee_tui.sections.vault.rows import DELETED, Row, shorten
from pylee_tui.services.resolver import MASK
from pylee_tui.widgets.row_table import VirtualTable

COLUMNS = ("Key", "Kind", "Value", "Defined at", "Overrides")
DELETED_COLUMNS = ("Key", "Kind", "Last value", "Deleted", "By")
VALUE_WIDTH = (12, 48)  # the value column's narrowest and widest
OVERRIDES_WIDTH = 16  # longer lists of hidden levels are cut (the detail line names them)
CLONED = "missing (cloned without value)"  # a secret `org clone` could not copy
BY_WIDTH = 24  # a longer email is cut in the table (the detail line has it in full)
WINDOW = 60  # rows held at a time: a couple of screens' worth
SORT_COLUMN = {"key": 0, "kind": 1, "value": 2, "level": 3}  # the column each order follows
STEP = WINDOW // 2  # how far the window moves when the wheel reaches its edge


def _fit_text(cell: Text, width: int) -> Text:
    """`cell` padded or cut (with "…") to exactly `width` cells."""
    if cell.cell_len == width:
        return cell
    cell = cell.copy()
    cell.truncate(width, overflow="ellipsis", pad=True)
    return cell


def hidden_levels(row: Row) -> str:
    """The levels whose definitions this row hides (the detail line names them in full)."""
    return ", ".join(label.split(" ", 1)[0] for label in row.overrides)


class VaultTable(VirtualTable):
    """The window's rows, drawn a line at a time; `cursor_row` is the cursor's place in the
    window, `position` its place in the whole order."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(COLUMNS, id=id)
        self.ids: Sequence[str] = ()  # every row's id, in order; the window is a slice
        self.start = 0  # where the window begins in `ids`
        self.window: list[Row] = []
        self.titles: tuple[str, ...] = COLUMNS  # the header, with the sorted column's arrow
        self.widths: tuple[int, ...] = tuple(len(title) for title in COLUMNS)
        self._cells: list[tuple[Text, ...]] = []  # the window's cells
        self._lines: dict[int, list[Segment]] = {}  # a window row's line, once drawn
        self._make: Callable[[str], Row] | None = None
        self._mode = ""
        self._level = ""
        self._revealed: dict[tuple[str | None, str], str] = {}
        self._sort: tuple[str, bool] = ("key", False)
        self._value_col = VALUE_WIDTH[1]  # the value column's width in the last drawing
        # the width the table had when last laid out: a hidden table (size 0: another section
        # is shown) draws for it; None until the first layout, before which rows wait for it
        self._width: int | None = None
        self._waiting: int | None = None  # the cursor's place while rows wait for the layout

    # --- what it shows --------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.window)

    def get_row_at(self, index: int) -> tuple[str, ...]:
        """The text of the window's row `index`, cell by cell."""
        return tuple(cell.plain for cell in self._cells[index])

    def get_row_index(self, ident: str) -> int:
        """Where the window holds the row with this id."""
        return [row.id for row in self.window].index(ident)

    @property
    def cursor_key(self) -> str | None:
        row = self.current_row
        return row.id if row is not None else None

    current_key = cursor_key

    @property
    def position(self) -> int:
        """The cursor's place in the whole order."""
        return self.start + self.cursor_row

    @property
    def current_row(self) -> Row | None:
        if not self.window:
            return None
        return self.window[min(self.cursor_row, len(self.window) - 1)]

    def show(
        self,
        ids: Sequence[str],
        make: Callable[[str], Row],
        *,
        mode: str,
        level: str,
        revealed: dict[tuple[str | None, str], str],
        cursor: str | None,
        keep_place: bool = False,
        sort: tuple[str, bool] = ("key", False),
    ) -> None:
        """Draw the rows `ids` name (`make` builds one; only the window's are built), the
        cursor on the row `cursor` if any; else, with `keep_place` (the same list, changed),
        at the same place (a deleted row's neighbour), or at the top."""
        place = self.position
        self.ids, self._make = ids, make
        self._mode, self._level, self._revealed = mode, level, revealed
        self._sort = sort
        target = 0
        if cursor is not None and cursor in ids:
            target = ids.index(cursor)
        elif keep_place and ids:
            target = min(place, len(ids) - 1)
        self._draw(self._window_start(target), target)

    def redraw(self) -> None:
        """The same rows again (a value revealed or masked, the width changed)."""
        if self._make is not None and self._waiting is None:  # waiting: drawn at the layout
            self._draw(self.start, self.position, keep_scroll=True)

    def redraw_key(self, ident: tuple[str | None, str]) -> bool:
        """The rows of key `ident` drawn again, where the window holds them (a value revealed
        or masked); False when the cells no longer fit their columns (then `redraw`)."""
        if self._make is None:
            return True
        for index, row in enumerate(self.window):
            if row.ident != ident:
                continue
            cells = row_cells(row, self._mode, self._level, self._revealed, self._value_col)
            if any(c.cell_len > w for c, w in zip(cells, self.widths, strict=False)):
                return False
            self._cells[index] = cells
            self._lines.pop(index, None)
        self.refresh()
        return True

    def goto(self, position: int) -> None:
        """Put the cursor on the row at `position` of the whole order."""
        if not self.ids:
            return
        position = max(0, min(len(self.ids) - 1, position))
        if self.start <= position < self.start + len(self.window):
            self.cursor_row = position - self.start
        else:
            self._draw(self._window_start(position), position)

    def _window_start(self, target: int) -> int:
        """A window holding `target` a quarter of the way down, within the order."""
        if len(self.ids) <= WINDOW:
            return 0
        return max(0, min(target - WINDOW // 4, len(self.ids) - WINDOW))

    def on_resize(self) -> None:
        """The value column follows the width: drawn again (nothing changes when it keeps
        its width, as when the section is shown again); rows waiting for a width, drawn."""
        if self.size.width and self._make is not None:
            waiting, self._waiting = self._waiting, None
            if waiting is not None:
                self._draw(self.start, waiting)
            elif self.size.width != self._width:
                self.redraw()

    def _draw(self, start: int, target: int, *, keep_scroll: bool = False) -> None:
        assert self._make is not None
        scroll = self.scroll_y
        self.start = start
        self.window = [self._make(i) for i in self.ids[start : start + WINDOW]]
        if self.size.width:
            self._width = self.size.width
        elif self._width is None:
            # not laid out yet: the rows are drawn once the table has its width (drawn now at
            # a guessed one, the value column would change at the first frame)
            self._waiting = target
            self._cells, self._lines = [], {}
            self.cursor_row = 0
            return
        self._waiting = None
        mode, level, revealed = self._mode, self._level, self._revealed
        value_width = self._value_col = self._value_width(self.window, mode)
        cells = [row_cells(row, mode, level, revealed, value_width) for row in self.window]
        titles = list(DELETED_COLUMNS if mode == DELETED else COLUMNS)
        by, reverse = self._sort
        if by != "key" or reverse:  # the column the rows follow says which way
            column = SORT_COLUMN[by]
            titles[column] = f"{titles[column]} {'▲' if reverse else '▼'}"
        widths = [
            max([cell_len(title), *(line[i].cell_len for line in cells)])
            for i, title in enumerate(titles)
        ]
        if len(self.window) < len(self.ids):  # the key column fits every key, drawn or not
            widths[0] = max(widths[0], max(len(i) for i in self.ids))
        self.titles, self.widths = tuple(titles), tuple(widths)
        self._cells, self._lines = cells, {}
        size = Size(sum(w + 2 for w in widths), len(cells) + 1)
        if size != self.virtual_size:
            self.virtual_size = size
        if not keep_scroll:
            self.scroll_to(y=0, animate=False, immediate=True)
        if self.window:
            self.cursor_row = max(0, min(target - start, len(self.window) - 1))
        if keep_scroll:
            self.scroll_to(y=scroll, animate=False, immediate=True)
        self.refresh()

    # --- moving over the whole order ------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        if self.window:
            self.post_message(self.RowHighlighted(self, new, self.window[new].id))

    def action_select_cursor(self) -> None:
        if self.window:
            self.post_message(
                self.RowSelected(self, self.cursor_row, self.window[self.cursor_row].id)
            )

    def action_move(self, step: int) -> None:
        self.goto(self.position + step)

    def action_page(self, step: int) -> None:
        self.goto(self.position + step * max(1, self.scrollable_content_region.height - 1))

    def action_edge(self, end: int) -> None:
        self.goto(len(self.ids) - 1 if end else 0)

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        end = self.start + len(self.window)
        if self.scroll_y >= self.max_scroll_y and end < len(self.ids) and not event.shift:
            self._slide(min(STEP, len(self.ids) - end))
            event.stop()
            return
        super()._on_mouse_scroll_down(event)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self.scroll_y <= 0 and self.start > 0 and not event.shift:
            self._slide(-min(STEP, self.start))
            event.stop()
            return
        super()._on_mouse_scroll_up(event)

    def _slide(self, rows: int) -> None:
        """Move the window by `rows`, the rows on screen staying where they are."""
        scroll, position = self.scroll_y, self.position
        start = self.start + rows
        inside = min(max(position, start), start + WINDOW - 1)
        self._draw(start, inside)
        self.scroll_to(y=max(0, scroll - rows), animate=False, immediate=True)

    # --- drawing: the header, then only the rows on screen ----------------------------------

    def _column_at(self, x: int) -> int | None:
        left = 0
        for index, width in enumerate(self.widths):
            left += width + 2  # a space either side, as the line pads its cells
            if x < left:
                return index
        return None

    def _segments(self, index: int) -> list[Segment]:
        """The window row's line, its cells' own styles over the row's."""
        segments = self._lines.get(index)
        if segments is None:
            line = Text(no_wrap=True, end="")
            for cell, width in zip(self._cells[index], self.widths, strict=False):
                line.append(" ")
                line.append_text(_fit_text(cell, width))
                line.append(" ")
            segments = self._lines[index] = list(line.render(self.app.console, end=""))
        return segments

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x = round(self.scroll_x)
        base = self.rich_style
        if y == 0:
            titles = zip(self.titles, self.widths, strict=False)
            text = "".join(f" {_fit_text(Text(title), w).plain} " for title, w in titles)
            style = base + self.get_component_rich_style("virtual-table--header")
            segments = [Segment(text, style)]
        else:
            row = round(self.scroll_y) + y - 1
            if row >= len(self._cells):  # below the rows: the pane's own background
                return Strip.blank(width, Style(bgcolor=self.background_colors[0].rich_color))
            zebra = "virtual-table--odd-row" if row % 2 else "virtual-table--even-row"
            style = base + self.get_component_rich_style(zebra)
            cursor = None
            if row == self.cursor_row:  # over the cells' own colours, as a DataTable's
                cursor = self.get_component_rich_style("virtual-table--cursor")
                style += cursor
            segments = list(Segment.apply_style(self._segments(row), style, cursor))
        strip = Strip(segments).crop(scroll_x, scroll_x + width)
        return strip.adjust_cell_length(width, style)

    # --- cells ----------------------------------------------------------------------------

    def _value_width(self, rows: list[Row], mode: str) -> int:
        """As wide as the table leaves room for (the rest of the row is short)."""
        width = self.size.width or self._width
        if not width:
            return 32
        key = max((len(i) + 2 for i in self.ids), default=3)
        if mode == DELETED:
            by = max((len(r.deleted.deleted_by) for r in rows if r.deleted), default=2)
            # key, kind, deleted (a date and time), by, 2 cells of padding a column, a scrollbar
            others = key + 8 + 16 + min(by, BY_WIDTH) + 5 * 2 + 2
        else:
            overrides = max((len(hidden_levels(r)) for r in rows), default=9)
            # key, kind, defined at, overrides, 2 cells of padding per column, a scrollbar
            others = key + 8 + 10 + min(max(9, overrides), OVERRIDES_WIDTH) + 5 * 2 + 2
        return max(VALUE_WIDTH[0], min(VALUE_WIDTH[1], width - others))


def row_cells(
    row: Row,
    mode: str,
    level: str,
    revealed: dict[tuple[str | None, str], str],
    width: int,
) -> tuple[Text, ...]:
    kind = Text(row.kind, style="magenta" if row.kind == "secret" else "")
    if row.deleted is not None:
        d = row.deleted
        value = (
            Text(MASK, style="dim")
            if row.kind == "secret"
            else Text(shorten(row.display, width), style="dim")
        )
        return (
            Text(escape(row.key)),
            kind,
            value,
            Text(f"{d.deleted_at:%Y-%m-%d %H:%M}", style="dim"),
            Text(shorten(d.deleted_by, BY_WIDTH), style="dim"),
        )
    if row.unset:
        red = "bold red"
        where = "—" if row.level is None else "here" if row.level == level else row.level
        return (
            Text(escape(row.key), style=red),
            Text(row.kind, style="red"),
            Text(CLONED if row.cloned is not None else "missing (required)", style=red),
            Text(where, style="red"),
            Text(""),
        )
    key = Text()
    if row.problems:
        key.append("⚠ ", style="bold red")
    elif row.warnings:
        key.append("⚠ ", style="yellow")
    key.append(escape(row.key))
    plaintext = revealed.get(row.ident) if row.secretive else None
    if plaintext is not None:
        value = Text(shorten(plaintext, width), style="bold yellow")
    elif row.kind == "secret":
        value = Text(MASK, style="dim")
    else:
        value = Text(shorten(row.display, width), style="red" if row.problems else "")
    here = row.level == level
    shown = "you" if row.level == "user" else (row.level or "")  # your own override
    source = Text("here" if here else shown, style="bold" if here else "dim")
    overrides = shorten(hidden_levels(row), OVERRIDES_WIDTH)
    return key, kind, value, source, Text(overrides, style="dim")
