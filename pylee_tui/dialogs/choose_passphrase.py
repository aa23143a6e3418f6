"""The store's first secret: choose the vault passphrase, typed twice and checked by the model's
rule; the vault is created (and unlocked) in a worker. What was typed is never shown."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from pylee_tui.dialogs.field_message import hide_empty_messages, say
from pylee_tui.dialogs.passphrase import DERIVING, new_passphrase_input, rule_message
from pylee_tui.models import field_error
from pylee_tui.widgets.pylee_app import pylee_app


class ChoosePassphraseScreen(ModalScreen[bool]):
    """The first secret of the store: choose the vault passphrase, typed twice. Dismisses True
    once the vault exists (and is unlocked)."""

    AUTO_FOCUS = "#vault-new"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="vault_choose.cancel")]

    def __init__(self, reason: str = "") -> None:
        super().__init__()
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="vault-choose"):
            yield Static("Choose the vault passphrase", classes="dialog-title")
            yield Static(
                (self.reason + "\n" if self.reason else "")
                + "It encrypts every secret in this store. Nobody can recover it: "
                "if it is forgotten, the secrets are lost.",
                classes="dialog-message",
                markup=False,
            )
            yield Label("Passphrase")
            yield new_passphrase_input()
            yield Static("", id="vault-new-error", classes="field-error", markup=False)
            yield Label("The same passphrase again")
            yield Input(password=True, id="vault-again")
            yield Static("", id="vault-again-error", classes="field-error", markup=False)
            yield Static("", id="vault-error", classes="form-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create the vault", id="vault-submit", variant="primary")
                yield Button("Cancel", id="vault-cancel")

    def on_mount(self) -> None:
        hide_empty_messages(self)

    @on(Input.Changed, "#vault-new")
    def _rule(self, event: Input.Changed) -> None:
        say(self.query_one("#vault-new-error", Static), rule_message(event))
        say(self.query_one("#vault-error", Static), "")

    @on(Input.Changed, "#vault-again")
    def _again(self) -> None:
        say(self.query_one("#vault-again-error", Static), "")
        say(self.query_one("#vault-error", Static), "")

    @on(Input.Submitted, "#vault-new")
    def _next(self) -> None:
        self.query_one("#vault-again", Input).focus()

    @on(Input.Submitted, "#vault-again")
    @on(Button.Pressed, "#vault-submit")
    def _submit(self) -> None:
        first = self.query_one("#vault-new", Input)
        again = self.query_one("#vault-again", Input)
        rule = field_error("passphrase", first.value)
        if rule:
            say(self.query_one("#vault-new-error", Static), rule)
            first.focus()
            return
        if again.value != first.value:
            say(
                self.query_one("#vault-again-error", Static),
                "the two passphrases differ; type the same one twice",
            )
            with again.prevent(Input.Changed):
                again.value = ""
            again.focus()
            return
        self._busy(True)
        app = pylee_app(self)
        app.call(
            app.require_services().vault.initialize,
            app.require_user(),
            first.value,
            done=self._created,
            failed=self._refused,
        )

    def _busy(self, busy: bool) -> None:
        for selector in ("#vault-submit", "#vault-new", "#vault-again"):
            self.query_one(selector).disabled = busy
        if busy:
            say(self.query_one("#vault-error", Static), DERIVING)

    def _created(self, _result: object) -> None:
        pylee_app(self).vault_changed.publish(True)
        self.notify("Vault created and unlocked. Keep the passphrase safe.", timeout=5)
        self.dismiss(True)

    def _refused(self, exc: Exception) -> None:
        self._busy(False)
        say(self.query_one("#vault-error", Static), str(exc))

    @on(Button.Pressed, "#vault-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
