"""A row-cursor table that moves with j and k too (the k9s and lazygit habit)."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable


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
