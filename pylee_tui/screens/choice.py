"""A modal question with a few labelled answers (Confirm, Save/Discard/Cancel, Overwrite/Reload)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from pylee_tui.safe_text import escape


class ChoiceScreen(ModalScreen[str | None]):
    """Dismisses with the id of the chosen answer, or None on escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(
        self,
        title: str,
        message: str,
        choices: list[tuple[str, str, str]],
        *,
        default: str | None = None,
    ) -> None:
        """`choices`: (id, label, variant) with variant one of default/primary/error/warning."""
        super().__init__()
        self.title_text = title
        self.message = message
        self.choices = choices
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(escape(self.title_text), classes="dialog-title", markup=False)
            yield Static(
                escape(self.message, multiline=True), classes="dialog-message", markup=False
            )
            with Horizontal(classes="dialog-buttons"):
                for choice_id, label, variant in self.choices:
                    yield Button(label, id=f"choice-{choice_id}", variant=variant)

    def on_mount(self) -> None:
        if self.default:
            self.query_one(f"#choice-{self.default}", Button).focus()

    @on(Button.Pressed)
    def _chosen(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def action_cancel(self) -> None:
        self.dismiss(None)


def confirm(title: str, message: str, yes: str = "Yes", variant: str = "primary") -> ChoiceScreen:
    return ChoiceScreen(
        title, message, [("yes", yes, variant), ("no", "Cancel", "default")], default="no"
    )
