"""`vault passwd` in the app: the current passphrase, then the new one twice; only the wrapped
data key changes. A refusal is said inline. What was typed is never shown."""

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


class ChangePassphraseScreen(ModalScreen[bool]):
    """`vault passwd` in the app: the current passphrase, then the new one twice. Only the
    wrapped data key changes (one transaction); every secret stays as it is."""

    AUTO_FOCUS = "#vault-current"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="vault_passwd.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="vault-passwd"):
            yield Static("Change the vault passphrase", classes="dialog-title")
            yield Static(
                "Secrets are not re-encrypted: the key that encrypts them is wrapped again "
                "under the new passphrase. The old one stops working at once.",
                classes="dialog-message",
                markup=False,
            )
            yield Label("Current passphrase")
            yield Input(password=True, id="vault-current")
            yield Label("New passphrase")
            yield new_passphrase_input()
            yield Static("", id="vault-new-error", classes="field-error", markup=False)
            yield Label("The new passphrase again")
            yield Input(password=True, id="vault-again")
            yield Static("", id="vault-error", classes="form-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Change", id="vault-submit", variant="primary")
                yield Button("Cancel", id="vault-cancel")

    def on_mount(self) -> None:
        hide_empty_messages(self)

    @on(Input.Changed)
    def _typing(self, event: Input.Changed) -> None:
        say(self.query_one("#vault-error", Static), "")
        if event.input.id == "vault-new":
            say(self.query_one("#vault-new-error", Static), rule_message(event))

    @on(Input.Submitted, "#vault-current")
    def _to_new(self) -> None:
        self.query_one("#vault-new", Input).focus()

    @on(Input.Submitted, "#vault-new")
    def _to_again(self) -> None:
        self.query_one("#vault-again", Input).focus()

    @on(Input.Submitted, "#vault-again")
    @on(Button.Pressed, "#vault-submit")
    def _submit(self) -> None:
        current = self.query_one("#vault-current", Input)
        new = self.query_one("#vault-new", Input)
        again = self.query_one("#vault-again", Input)
        error = self.query_one("#vault-error", Static)
        if not current.value:
            say(error, "type the current passphrase")
            current.focus()
            return
        rule = field_error("passphrase", new.value)
        if rule:
            say(self.query_one("#vault-new-error", Static), rule)
            new.focus()
            return
        if new.value == current.value:
            say(error, "the new passphrase is the same as the current one")
            new.focus()
            return
        if again.value != new.value:
            say(error, "the two new passphrases differ; type the same one twice")
            with again.prevent(Input.Changed):
                again.value = ""
            again.focus()
            return
        self._busy(True)
        app = pylee_app(self)
        app.call(
            app.require_services().vault.change_passphrase,
            app.require_user(),
            current.value,
            new.value,
            done=self._changed,
            failed=self._refused,
        )

    def _busy(self, busy: bool) -> None:
        for selector in ("#vault-submit", "#vault-current", "#vault-new", "#vault-again"):
            self.query_one(selector).disabled = busy
        if busy:
            say(self.query_one("#vault-error", Static), DERIVING)

    def _changed(self, _result: object) -> None:
        pylee_app(self).vault_changed.publish(True)
        self.notify("Vault passphrase changed; the old one no longer opens the vault.")
        self.dismiss(True)

    def _refused(self, exc: Exception) -> None:
        self._busy(False)
        current = self.query_one("#vault-current", Input)
        with current.prevent(Input.Changed):
            current.value = ""
        current.focus()
        say(self.query_one("#vault-error", Static), str(exc))

    @on(Button.Pressed, "#vault-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
