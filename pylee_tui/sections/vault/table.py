"""The vault section's table: one row per key, its cells drawn for the shown mode and scope.

Every column gets an explicit width measured from its cells. A DataTable left to size its
columns itself measures new rows only when it is next idle, and the cells it draws before that
(at the width of the column titles) stay in its cache: after a change the rows read
"AUT vari Beare" until the table is rebuilt again.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from pylee_tui.safe_text import escape
from pylee_tui.sections.vault.rows import DELETED, Row, shorten
from pylee_tui.services.resolver import MASK

COLUMNS = ("Key", "Kind", "Value", "Defined at", "Overrides")
DELETED_COLUMNS = ("Key", "Kind", "Last value", "Deleted", "By")
VALUE_WIDTH = (12, 48)  # the value column's narrowest and widest
OVERRIDES_WIDTH = 16  # longer lists of hidden levels are cut (the detail line names them)
BY_WIDTH = 24  # a longer email is cut in the table (the detail line has it in full)


def hidden_levels(row: Row) -> str:
    """The levels whose definitions this row hides (the detail line names them in full)."""
    return ", ".join(label.split(" ", 1)[0] for label in row.overrides)


class VaultTable(DataTable):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="vault.table.down"),
        Binding("k", "cursor_up", "Up", show=False, id="vault.table.up"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self.add_columns(*COLUMNS)

    @property
    def current_key(self) -> str | None:
        if self.row_count == 0:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def show(
        self,
        rows: list[Row],
        *,
        mode: str,
        level: str,
        revealed: dict[tuple[str | None, str], str],
        cursor: str | None,
        keep_place: bool = False,
    ) -> None:
        """Draw `rows` (the scope shown is at `level`), the cursor on the row `cursor` if any;
        else, with `keep_place` (the same list, changed), at the same place (a deleted row's
        neighbour), or at the top."""
        place = self.cursor_row
        value_width = self._value_width(rows, mode)
        cells = [self._cells(row, mode, level, revealed, value_width) for row in rows]
        titles = DELETED_COLUMNS if mode == DELETED else COLUMNS
        widths = [
            max([Text(title).cell_len, *(line[i].cell_len for line in cells)])
            for i, title in enumerate(titles)
        ]
        self.clear(columns=True)
        for title, width in zip(titles, widths, strict=True):
            self.add_column(title, width=width)
        for row, line in zip(rows, cells, strict=True):
            self.add_row(*line, key=row.id)
        ids = [r.id for r in rows]
        if cursor in ids:
            self.move_cursor(row=ids.index(cursor), animate=False)
        elif keep_place and ids:
            self.move_cursor(row=min(place, len(ids) - 1), animate=False)

    def _value_width(self, rows: list[Row], mode: str) -> int:
        """As wide as the table leaves room for (the rest of the row is short)."""
        if not self.size.width:
            return 32
        key = max((len(r.key) + 2 for r in rows), default=3)
        if mode == DELETED:
            by = max((len(r.deleted.deleted_by) for r in rows if r.deleted), default=2)
            # key, kind, deleted (a date and time), by, 2 cells of padding a column, a scrollbar
            others = key + 8 + 16 + min(by, BY_WIDTH) + 5 * 2 + 2
        else:
            overrides = max((len(hidden_levels(r)) for r in rows), default=9)
            # key, kind, defined at, overrides, 2 cells of padding per column, a scrollbar
            others = key + 8 + 10 + min(max(9, overrides), OVERRIDES_WIDTH) + 5 * 2 + 2
        return max(VALUE_WIDTH[0], min(VALUE_WIDTH[1], self.size.width - others))

    @staticmethod
    def _cells(
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
        if row.missing is not None:
            red = "bold red"
            return (
                Text(escape(row.key), style=red),
                Text(row.kind, style="red"),
                Text("missing (required)", style=red),
                Text("—", style="red"),
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
        source = Text("here" if here else (row.level or ""), style="bold" if here else "dim")
        overrides = shorten(hidden_levels(row), OVERRIDES_WIDTH)
        return key, kind, value, source, Text(overrides, style="dim")
