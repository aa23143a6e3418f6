"""The vault's two passphrase prompts: unlock an existing vault, or choose the first passphrase.

Both derive the key (Argon2id, slow on purpose) in a worker through `PyleeApp.call`; a wrong or
refused passphrase is said inline and nothing changes. Neither ever shows what was typed.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from pylee_tui.models import field_error
from pylee_tui.screens.form import ModelRule

DERIVING = Text("Deriving the key…", style="dim")


def say(widget: Static, message: str | Text) -> None:
    """Show a message under a field; an empty one takes no room, so the dialogs fit 80x24."""
    widget.update(message)
    widget.display = bool(str(message))


def new_passphrase_input() -> Input:
    """A new passphrase, checked against the model's rule as it is typed."""
    return Input(
        password=True,
        id="vault-new",
        validators=[ModelRule("passphrase")],
        validate_on=["changed"],
    )


def rule_message(event: Input.Changed) -> str:
    """What the rule says of a typed new passphrase (nothing while the field is empty)."""
    result = event.validation_result
    if event.value and result is not None and not result.is_valid:
        return "; ".join(result.failure_descriptions)
    return ""


def hide_empty_messages(screen: ModalScreen) -> None:
    for widget in screen.query(".field-error, .form-error, .field-hint").results(Static):
        widget.display = bool(str(widget.render()))


class VaultUnlockScreen(ModalScreen[bool]):
    """Asks for the vault passphrase; dismisses True once the vault is unlocked."""

    AUTO_FOCUS = "#vault-passphrase"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="vault_unlock.cancel")]

    def __init__(self, reason: str = "") -> None:
        super().__init__()
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="vault-unlock"):
            yield Static("Unlock the vault", classes="dialog-title")
            yield Static(
                (self.reason + "\n" if self.reason else "")
                + "Secrets are encrypted with a key only the vault passphrase opens.",
                classes="dialog-message",
                markup=False,
            )
            yield Label("Vault passphrase")
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
        app = self.app
        app.call(  # type: ignore[attr-defined]
            app.services.vault.unlock,  # type: ignore[attr-defined]
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
        self.app.vault_changed.publish(True)  # type: ignore[attr-defined]
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
        app = self.app
        app.call(  # type: ignore[attr-defined]
            app.services.vault.initialize,  # type: ignore[attr-defined]
            app.user,  # type: ignore[attr-defined]
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
        self.app.vault_changed.publish(True)  # type: ignore[attr-defined]
        self.notify("Vault created and unlocked. Keep the passphrase safe.", timeout=5)
        self.dismiss(True)

    def _refused(self, exc: Exception) -> None:
        self._busy(False)
        say(self.query_one("#vault-error", Static), str(exc))

    @on(Button.Pressed, "#vault-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


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
        app = self.app
        app.call(  # type: ignore[attr-defined]
            app.services.vault.change_passphrase,  # type: ignore[attr-defined]
            app.user,  # type: ignore[attr-defined]
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
        self.app.vault_changed.publish(True)  # type: ignore[attr-defined]
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
