"""Row-cursor tables that move with j and k too (the k9s and lazygit habit): `RowTable`, a
DataTable, and `VirtualTable`, which draws only the rows on screen, for lists of thousands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import DataTable

from pylee_tui.safe_text import escape, is_safe


class RowTable(DataTable):
    """`DataTable(cursor_type="row", zebra_stripes=True)` with j/k beside the arrow keys; enter
    (a `RowSelected`) opens the row's details, and help says so."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Details", show=False, id="table.details"),
        Binding("j", "cursor_down", "Down", show=False, id="table.down_j"),
        Binding("k", "cursor_up", "Up", show=False, id="table.up_k"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)


# --- a table of thousands of rows -----------------------------------------------------------

MAX_COLUMN_WIDTH = 48  # a longer cell is cut with "…" (its details show it whole)


def _width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def _fit(text: str, width: int) -> str:
    """`text` padded or cut (with "…") to exactly `width` cells."""
    size = _width(text)
    if size <= width:
        return text + " " * (width - size)
    return set_cell_size(text, width - 1) + "…"


@dataclass(frozen=True)
class TableRows:
    """Rows ready for a `VirtualTable`: every cell shown safely (`safe_text.escape`), a key per
    row, and each column's width. Built in a worker (`TableRows.build`): for thousands of rows
    that is the only work that grows with them, and the UI thread does none of it."""

    cells: Sequence[tuple[str, ...]]
    keys: Sequence[str]
    widths: tuple[int, ...]

    @classmethod
    def build(
        cls, labels: Sequence[str], rows: Sequence[Sequence[str]], keys: Sequence[str]
    ) -> TableRows:
        cells = [
            tuple(row) if is_safe("".join(row)) else tuple(escape(cell) for cell in row)
            for row in rows
        ]
        widths = [_width(label) for label in labels]
        for row in cells:
            for i, cell in enumerate(row):
                if len(cell) > widths[i] or not cell.isascii():
                    widths[i] = max(widths[i], _width(cell))
        return cls(cells, list(keys), tuple(min(w, MAX_COLUMN_WIDTH) for w in widths))


class VirtualTable(ScrollView, can_focus=True):
    """A row-cursor table that draws only the rows on screen, so ten rows or ten thousand cost
    the same per frame; its rows arrive whole (`show_rows`, from a worker) and are never built
    one by one. Looks and moves like `RowTable` (zebra stripes, a fixed header, j/k beside the
    arrows, enter for details; a click on a header sorts, a click on the row under the cursor
    selects it)."""

    # a DataTable's keys, as RowTable has them (so help lists the same rows for both)
    BINDINGS = [
        Binding("enter", "select_cursor", "Details", show=False, id="table.details"),
        Binding("up", "move(-1)", "Cursor up", show=False),
        Binding("down", "move(1)", "Cursor down", show=False),
        Binding("j", "move(1)", "Down", show=False, id="table.down_j"),
        Binding("k", "move(-1)", "Up", show=False, id="table.up_k"),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("ctrl+home", "edge(0)", "Top", show=False),
        Binding("ctrl+end", "edge(1)", "Bottom", show=False),
        Binding("right", "scroll_right", "Cursor right", show=False),
        Binding("left", "scroll_left", "Cursor left", show=False),
        Binding("home", "side(0)", "Home", show=False),
        Binding("end", "side(1)", "End", show=False),
    ]
    COMPONENT_CLASSES = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--even-row",
        "virtual-table--odd-row",
    }
    DEFAULT_CSS = """
    VirtualTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .virtual-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .virtual-table--header { background-tint: $foreground 5%; }
        }
        &:dark > .virtual-table--even-row { background: $surface-darken-1 40%; }
        & > .virtual-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .virtual-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .virtual-table--even-row { background: $surface-lighten-1 50%; }
        & > .virtual-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class RowHighlighted(Message):
        def __init__(self, table: VirtualTable, cursor_row: int, key: str) -> None:
            super().__init__()
            self.table, self.cursor_row, self.key = table, cursor_row, key

        @property
        def control(self) -> VirtualTable:
            return self.table

    class RowSelected(RowHighlighted):
        """Enter on a row, or a click on the row under the cursor."""

    class HeaderSelected(Message):
        def __init__(self, table: VirtualTable, column_index: int) -> None:
            super().__init__()
            self.table, self.column_index = table, column_index

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(self, labels: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.labels = tuple(labels)
        self.rows = TableRows.build(labels, [], [])

    # --- data ----------------------------------------------------------------------------

    def show_rows(self, rows: TableRows, *, keep: str | None = None) -> None:
        """Show these rows; the cursor goes to the row keyed `keep` when there is one, else
        stays where it is (within the rows)."""
        self.rows = rows
        self.virtual_size = Size(self._line_width(), len(rows.cells) + 1)
        row = self.cursor_row
        if keep is not None:
            index = self._index_of(keep)
            row = index if index is not None else row
        self.cursor_row = max(0, min(row, len(rows.cells) - 1))
        self.refresh()

    def _index_of(self, key: str) -> int | None:
        try:
            return self.rows.keys.index(key)  # a list of a few thousand: microseconds
        except ValueError:
            return None

    @property
    def row_count(self) -> int:
        return len(self.rows.cells)

    def get_row_at(self, index: int) -> tuple[str, ...]:
        return self.rows.cells[index]

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor (None when there is no row)."""
        if not self.rows.cells:
            return None
        return self.rows.keys[self.cursor_row]

    def move_cursor(self, *, row: int) -> None:
        self.cursor_row = max(0, min(row, self.row_count - 1))

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, self.row_count - 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        if self.rows.cells:
            self.post_message(self.RowHighlighted(self, new, self.rows.keys[new]))

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)  # rows under the header
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    # --- keys and the mouse ----------------------------------------------------------------

    def action_move(self, step: int) -> None:
        self.cursor_row += step

    def action_page(self, step: int) -> None:
        self.cursor_row += step * max(1, self.scrollable_content_region.height - 1)

    def action_edge(self, end: int) -> None:
        self.cursor_row = self.row_count - 1 if end else 0

    def action_side(self, end: int) -> None:
        self.scroll_to(x=self.max_scroll_x if end else 0, animate=False)

    def action_select_cursor(self) -> None:
        if self.rows.cells:
            self.post_message(
                self.RowSelected(self, self.cursor_row, self.rows.keys[self.cursor_row])
            )

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(offset.x + round(self.scroll_x))
            if column is not None:
                self.post_message(self.HeaderSelected(self, column))
            return
        row = round(self.scroll_y) + offset.y - 1
        if 0 <= row < self.row_count:
            if row == self.cursor_row:
                self.action_select_cursor()
            self.cursor_row = row

    def _column_at(self, x: int) -> int | None:
        left = 0
        for index, width in enumerate(self.rows.widths):
            left += width + 2  # a space either side, as a DataTable pads its cells
            if x < left:
                return index
        return None

    # --- drawing: the header, then only the rows on screen -----------------------------------

    def _line_width(self) -> int:
        return sum(width + 2 for width in self.rows.widths)

    def _line(self, cells: Sequence[str]) -> str:
        return "".join(
            f" {_fit(cell, width)} " for cell, width in zip(cells, self.rows.widths, strict=False)
        )

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x = round(self.scroll_x)
        base = self.rich_style
        if y == 0:
            text = self._line(self.labels)
            style = base + self.get_component_rich_style("virtual-table--header")
        else:
            row = round(self.scroll_y) + y - 1
            if row >= self.row_count:
                return Strip.blank(width, base)
            text = self._line(self.rows.cells[row])
            zebra = "virtual-table--odd-row" if row % 2 else "virtual-table--even-row"
            style = base + self.get_component_rich_style(zebra)
            if row == self.cursor_row:
                style += self.get_component_rich_style("virtual-table--cursor")
        strip = Strip([Segment(text, style)]).crop(scroll_x, scroll_x + width)
        return strip.adjust_cell_length(width, style)
