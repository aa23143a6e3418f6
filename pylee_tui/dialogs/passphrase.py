"""What the vault's passphrase dialogs share: the new-passphrase field checked by the model's rule
as it is typed, and the line shown while the key is derived (Argon2id, slow on purpose)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Input

from pylee_tui.dialogs.form import ModelRule

DERIVING = Text("Deriving the key…", style="dim")


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
