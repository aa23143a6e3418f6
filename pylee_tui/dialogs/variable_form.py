"""New or edit a key at one scope: its kind (variable or secret), key and value.

The rules are the models' own (`variable_key`, `variable_value`), shown under each field. A secret's
value is typed into a masked input and never prefilled. Saving a secret while the vault is locked
asks for the passphrase (or, for the store's first secret, a new one) and then saves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from pylee_tui.dialogs.choice import ChoiceScreen
from pylee_tui.dialogs.field_message import hide_empty_messages, say
from pylee_tui.dialogs.form import ModelRule
from pylee_tui.models import VariableKind, field_error
from pylee_tui.services import VaultLocked
from pylee_tui.widgets.pylee_app import pylee_app
from pylee_tui.widgets.typeahead import TypeAhead

KINDS: dict[str, VariableKind] = {"variable": "variable", "secret": "secret"}
# names that usually hold a credential: the form suggests making them secrets
SECRET_LOOKING = re.compile(r"TOKEN|SECRET|PASSW|API_?KEY|PRIVATE|CREDENTIAL|AUTH")


class VariableFormScreen(TypeAhead, ModalScreen[Any]):
    """Dismisses with what `save(key, value, kind)` returned, or None when cancelled."""

    CSS_PATH = "vault.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="variable_form.cancel"),
        Binding("ctrl+t", "toggle_kind", "Kind", id="variable_form.kind"),
    ]

    def __init__(
        self,
        title: str,
        save: Callable[[str, str, VariableKind], Any],
        *,
        key: str = "",
        kind: VariableKind = "variable",
        value: str = "",
        key_fixed: bool = False,
        kind_fixed: bool = False,
        intro: str = "",
    ) -> None:
        """`save` runs in a worker. A secret's `value` is never passed in: it is not shown."""
        super().__init__()
        self.title_text = title
        self.save = save
        self.initial_key = key
        self.kind: VariableKind = kind
        self.initial_value = value if kind == "variable" else ""
        self.key_fixed = key_fixed
        self.kind_fixed = kind_fixed
        self.intro = intro
        # the first field to type in is focused as the form opens, and keys typed while it
        # opens go there in order (the key is fixed when editing: then the value)
        # a class variable to the type checker; Textual reads it from the instance
        self.AUTO_FOCUS = "#field-value" if key_fixed else "#field-key"  # type: ignore[misc]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form", id="variable-form"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            if self.intro:
                yield Static(self.intro, classes="dialog-message", markup=False)
            with Horizontal(id="kind-row"):
                yield Label("Kind ", id="kind-label")
                with RadioSet(id="field-kind", compact=True, disabled=self.kind_fixed):
                    for kind in KINDS:
                        yield RadioButton(kind, value=kind == self.kind, id=f"kind-{kind}")
            with VerticalScroll(classes="form-fields"):
                yield Label("Key")
                yield Input(
                    value=self.initial_key,
                    placeholder="e.g. GITHUB_TOKEN",
                    id="field-key",
                    disabled=self.key_fixed,
                    validators=[ModelRule("variable_key")],
                    validate_on=["changed"],
                )
                yield Static("", id="error-key", classes="field-error", markup=False)
                yield Label("Value", id="value-label")
                yield Input(
                    value=self.initial_value,
                    id="field-value",
                    password=self.kind == "secret",
                    validators=[ModelRule("variable_value")],
                    validate_on=["changed"],
                )
                yield Static("", id="error-value", classes="field-error", markup=False)
                yield Static("", id="kind-hint", classes="field-hint", markup=False)
            yield Static("", id="form-error", classes="form-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="form-submit", variant="primary")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        hide_empty_messages(self)
        self._show_kind()

    # --- kind ----------------------------------------------------------------------------

    def _show_kind(self) -> None:
        secret = self.kind == "secret"
        value = self.query_one("#field-value", Input)
        value.password = secret
        value.placeholder = (
            "typed masked; stored encrypted"
            if secret
            else "plain text; ${OTHER_KEY} refers to another key"
        )
        if secret and self.kind_fixed and not self.initial_value:
            value.placeholder = "the new value (the current one is not shown)"
        self.query_one("#value-label", Label).update("Secret value" if secret else "Value")
        self._hint()

    def _hint(self) -> None:
        key = self.query_one("#field-key", Input).value
        hint = ""
        if self.kind == "secret":
            hint = "Stored encrypted with the vault key; reading it back is audited."
        elif not self.kind_fixed and SECRET_LOOKING.search(key):
            hint = f"{key} looks like a credential: ctrl+t makes it a secret."
        elif not self.kind_fixed:
            hint = "ctrl+t switches between variable and secret."
        say(self.query_one("#kind-hint", Static), hint)

    @on(RadioSet.Changed)
    def _kind_chosen(self, event: RadioSet.Changed) -> None:
        chosen = (event.pressed.id or "").removeprefix("kind-")
        if chosen in KINDS and chosen != self.kind:
            self.kind = KINDS[chosen]
            self._show_kind()

    def action_toggle_kind(self) -> None:
        if self.kind_fixed:
            return
        other: VariableKind = "secret" if self.kind == "variable" else "variable"
        self.query_one(f"#kind-{other}", RadioButton).value = True
        self.kind = other
        self._show_kind()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_kind" and self.kind_fixed:
            return None
        return True

    # --- fields --------------------------------------------------------------------------

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("field-")
        message = ""
        if event.value and event.validation_result and not event.validation_result.is_valid:
            message = "; ".join(event.validation_result.failure_descriptions)
        say(self.query_one(f"#error-{name}", Static), message)
        say(self.query_one("#form-error", Static), "")
        if name == "key":
            self._hint()

    @on(Input.Submitted)
    @on(Button.Pressed, "#form-submit")
    def _submit(self) -> None:
        key = self.query_one("#field-key", Input)
        value = self.query_one("#field-value", Input)
        first_bad = None
        for field, rule, name in ((key, "variable_key", "key"), (value, "variable_value", "value")):
            message = field_error(rule, field.value)
            say(self.query_one(f"#error-{name}", Static), message or "")
            if message and first_bad is None:
                first_bad = field
        if first_bad is not None:
            first_bad.focus()
            return
        self._attempt(key.value, value.value, self.kind)

    def _attempt(self, key: str, value: str, kind: VariableKind) -> None:
        self.query_one("#form-submit", Button).disabled = True

        def failed(exc: Exception) -> None:
            if isinstance(exc, VaultLocked) and kind == "secret":
                # ask for the passphrase (or a first one), then save what was typed
                pylee_app(self).with_vault(
                    lambda: self._attempt(key, value, kind),
                    reason=f"Saving the secret {key} needs the vault key.",
                    cancelled=lambda: self._refused(
                        VaultLocked("the vault is locked; nothing was saved")
                    ),
                )
                return
            self._refused(exc)

        pylee_app(self).call(self.save, key, value, kind, done=self.dismiss, failed=failed)

    def _refused(self, exc: Exception) -> None:
        self.query_one("#form-submit", Button).disabled = False
        say(self.query_one("#form-error", Static), Text(str(exc)))

    @property
    def modified(self) -> bool:
        """Something typed that cancelling would lose."""
        return (
            self.query_one("#field-key", Input).value != self.initial_key
            or self.query_one("#field-value", Input).value != self.initial_value
        )

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        if not self.modified:
            self.dismiss(None)
            return
        self.app.push_screen(
            ChoiceScreen(
                "Discard what you typed?",
                "Nothing has been saved yet.",
                [("discard", "Discard", "error"), ("keep", "Keep editing", "primary")],
                default="keep",
            ),
            callback=lambda answer: self.dismiss(None) if answer == "discard" else None,
        )
