"""The kept versions of one key at one scope, newest first; roll back to a selected one.

A rollback writes the old value as a new version (after a confirmation); a deleted key comes back
that way. A secret's versions carry no value here: they show masked, and rolling one back needs
the vault key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from pylee_tui.dialogs.choice import confirm
from pylee_tui.dialogs.field_message import say
from pylee_tui.models import VariableVersion, plural
from pylee_tui.safe_text import escape
from pylee_tui.services import VaultLocked
from pylee_tui.services.resolver import MASK
from pylee_tui.widgets.disabled_keys import WRITE, needs
from pylee_tui.widgets.pylee_app import pylee_app
from pylee_tui.widgets.typeahead import TypeAhead

COLUMNS = ("Version", "Action", "When", "Who", "Value")


def version_value(version: VariableVersion, width: int = 40) -> str:
    if version.action == "unset":
        return ""
    if version.kind == "secret":
        return MASK
    value = escape(version.value or "").replace("\n", "⏎")
    return value if len(value) <= width else value[: width - 1] + "…"


class VariableHistoryScreen(TypeAhead, ModalScreen[bool]):
    """Dismisses True when something was rolled back (so the caller reloads)."""

    AUTO_FOCUS = "#history-table"
    CSS_PATH = "vault.tcss"
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="history.close"),
        Binding("r", "rollback", "Roll back", id="history.rollback"),
        Binding("j", "cursor(1)", "Down", show=False, id="history.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="history.up"),
    ]

    def __init__(
        self,
        key: str,
        where: str,
        load: Callable[[], list[VariableVersion]],
        rollback: Callable[[int], Any],
        *,
        can_write: bool,
        note: str = "",
    ) -> None:
        """`load` and `rollback(version)` run in workers; `note` says more about what is shown
        (e.g. that these are the versions of another scope)."""
        super().__init__()
        self.var_key = key
        self.where = where
        self.load = load
        self.rollback = rollback
        self.can_write = can_write
        self.note = note
        self.versions: list[VariableVersion] = []
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog history", id="history"):
            yield Static(
                escape(f"History of {self.var_key} at {self.where}"),
                classes="dialog-title",
                markup=False,
            )
            if self.note:
                yield Static(escape(self.note), classes="dialog-message", markup=False)
            yield Static("", id="history-deleted", classes="dialog-message", markup=False)
            yield DataTable(cursor_type="row", zebra_stripes=True, id="history-table")
            yield Static("", id="history-error", classes="form-error", markup=False)
            yield Static(
                "r or enter: roll back to the selected version · esc: close"
                if self.can_write
                else "esc: close (rolling back needs write access to this key)",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)  # until the versions arrive
        say(self.query_one("#history-error", Static), "")
        say(self.query_one("#history-deleted", Static), "")
        self.refresh_versions()

    def refresh_versions(self) -> None:
        pylee_app(self).call(self.load, done=self._show, failed=self._refused)

    def _show(self, versions: list[VariableVersion]) -> None:
        first = not self.versions
        self.versions = versions
        table = self.query_one(DataTable)
        lines = [self._cells(v, 0) for v in versions]
        # the value gets what the dialog leaves (it is as wide as 90 columns, or 95%)
        dialog = min(90, self.app.size.width * 95 // 100) - 6  # border and padding
        others = sum(
            max([len(t), *(c[i].cell_len for c in lines)]) for i, t in enumerate(COLUMNS[:4])
        )
        width = max(12, min(40, dialog - others - len(COLUMNS) * 2 - 2))
        lines = [self._cells(v, width) for v in versions]
        # explicit widths: a table left to measure new rows itself draws them cut first
        table.clear(columns=True)
        for i, title in enumerate(COLUMNS):
            table.add_column(title, width=max([len(title), *(c[i].cell_len for c in lines)]))
        for v, cells in zip(versions, lines, strict=True):
            table.add_row(*cells, key=str(v.version))
        self.query_one("#history", Vertical).border_subtitle = plural(len(versions), "version")
        deleted = bool(versions) and versions[0].action == "unset"
        if first and deleted:  # the cursor starts on what brings it back: its last value
            restorable = [i for i, v in enumerate(versions) if v.action != "unset"]
            if restorable:
                table.move_cursor(row=restorable[0], animate=False)
        say(
            self.query_one("#history-deleted", Static),
            f"{self.var_key} is deleted here: rolling back to a version brings it back."
            if deleted
            else "",
        )
        self.refresh_bindings()

    @staticmethod
    def _cells(v: VariableVersion, width: int) -> tuple[Text, ...]:
        action = Text(v.action, style="red" if v.action == "unset" else "")
        if v.current:
            action.append("  current", style="bold green")
        return (
            Text(str(v.version)),
            action,
            Text(f"{v.created_at:%Y-%m-%d %H:%M}"),
            Text(escape(v.created_by)),
            Text(version_value(v, width) if width else ""),
        )

    def _refused(self, exc: Exception) -> None:
        say(self.query_one("#history-error", Static), Text(escape(str(exc))))

    @property
    def selected(self) -> VariableVersion | None:
        table = self.query_one(DataTable)
        if not self.versions or table.row_count == 0:
            return None
        return self.versions[min(table.cursor_row, len(self.versions) - 1)]

    def why_not(self) -> str | None:
        """Why the selected version cannot be rolled back to (None: it can)."""
        chosen = self.selected
        if chosen is None:
            return "No version is selected."
        if not self.can_write:
            return f"Rolling back a {chosen.kind}: {needs(WRITE[chosen.kind])}."
        if chosen.current:
            return f"Version {chosen.version} is the current value."
        if chosen.action == "unset":
            return f"Version {chosen.version} is a deletion: pick a version with a value."
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rollback" and self.why_not() is not None:
            return None
        return True

    def on_key(self, event: events.Key) -> None:
        """r on a version that cannot be rolled back to says why."""
        if event.key == "r" and self.versions and (reason := self.why_not()):
            event.stop()
            event.prevent_default()
            say(self.query_one("#history-error", Static), Text(escape(reason)))

    @on(DataTable.RowHighlighted)
    def _moved(self) -> None:
        say(self.query_one("#history-error", Static), "")
        self.refresh_bindings()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        if self.check_action("rollback", ()):
            self.action_rollback()

    def action_rollback(self) -> None:
        chosen = self.selected
        if chosen is None or not self.check_action("rollback", ()):
            return
        self.app.push_screen(
            confirm(
                f"Roll {self.var_key} back to version {chosen.version}?",
                f"The value of version {chosen.version} ({chosen.created_at:%Y-%m-%d %H:%M}, "
                f"{chosen.created_by}) becomes a new version at {self.where}. "
                "The versions in between are kept.",
                yes="Roll back",
                variant="warning",
            ),
            callback=lambda answer: self._roll_back(chosen) if answer == "yes" else None,
        )

    def _roll_back(self, chosen: VariableVersion) -> None:
        def done(_variable: Any) -> None:
            self.changed = True
            self.notify(f"Rolled {self.var_key} back to version {chosen.version}.", timeout=4)
            self.refresh_versions()

        def failed(exc: Exception) -> None:
            if isinstance(exc, VaultLocked) and chosen.kind == "secret":
                pylee_app(self).with_vault(
                    lambda: self._roll_back(chosen),
                    reason=f"Rolling back the secret {self.var_key} needs the vault key.",
                )
                return
            self._refused(exc)

        pylee_app(self).call(self.rollback, chosen.version, done=done, failed=failed)

    def action_cursor(self, delta: int) -> None:
        table = self.query_one(DataTable)
        if delta > 0:
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    def action_close(self) -> None:
        self.dismiss(self.changed)
