"""Unlock the vault: its passphrase derives the key in a worker through `PyleeApp.call`; a wrong
passphrase is said inline and nothing changes. What was typed is never shown."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from pylee_tui.dialogs.field_message import hide_empty_messages, say
from pylee_tui.dialogs.passphrase import DERIVING
from pylee_tui.widgets.pylee_app import pylee_app


class VaultUnlockScreen(ModalScreen[bool]):
    """Asks for the vault passphrase; dismisses True once the vault is unlocked."""

    AUTO_FOCUS = "#vault-passphrase"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="vault_unlock.cancel")]

    def __init__(self, reason: str = "", *, team: bool = False) -> None:
        """`team`: the vault of a team server, opened with the member's own team key (its
        passphrase is the one `pylee-tui join` asked for)."""
        super().__init__()
        self.reason = reason
        self.team = team

    def compose(self) -> ComposeResult:
        explain = (
            "Secrets open on this machine with your team key: its passphrase is the one "
            "`pylee-tui join` asked for."
            if self.team
            else "Secrets are encrypted with a key only the vault passphrase opens."
        )
        with Vertical(classes="dialog", id="vault-unlock"):
            yield Static("Unlock the vault", classes="dialog-title")
            yield Static(
                (self.reason + "\n" if self.reason else "") + explain,
                classes="dialog-message",
                markup=False,
            )
            yield Label("Team key passphrase" if self.team else "Vault passphrase")
            yield Input(password=True, id="vault-passphrase")
            yield Static("", id="vault-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Unlock", id="vault-submit", variant="primary")
                yield Button("Cancel", id="vault-cancel")

    def on_mount(self) -> None:
        hide_empty_messages(self)

    @on(Input.Changed)
    def _typing(self) -> None:
        say(self.query_one("#vault-error", Static), "")

    @on(Input.Submitted)
    @on(Button.Pressed, "#vault-submit")
    def _submit(self) -> None:
        field = self.query_one("#vault-passphrase", Input)
        if not field.value:
            say(self.query_one("#vault-error", Static), "type the vault passphrase")
            return
        self._busy(True)
        app = pylee_app(self)
        app.call(
            app.require_services().vault.unlock,
            field.value,
            done=self._unlocked,
            failed=self._refused,
        )

    def _busy(self, busy: bool) -> None:
        self.query_one("#vault-submit", Button).disabled = busy
        self.query_one("#vault-passphrase", Input).disabled = busy
        if busy:
            say(self.query_one("#vault-error", Static), DERIVING)

    def _unlocked(self, _result: object) -> None:
        pylee_app(self).vault_changed.publish(True)
        self.dismiss(True)

    def _refused(self, exc: Exception) -> None:
        self._busy(False)
        field = self.query_one("#vault-passphrase", Input)
        with field.prevent(Input.Changed):  # the message stays until the next key press
            field.value = ""
        field.focus()
        say(self.query_one("#vault-error", Static), str(exc))

    @on(Button.Pressed, "#vault-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
