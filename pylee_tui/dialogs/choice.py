"""A modal question with a few labelled answers (Confirm, Save/Discard/Cancel, Overwrite/Reload),
and `info`, a message with one OK button."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static
from textual.widgets.button import ButtonVariant

from pylee_tui.safe_text import escape
from pylee_tui.widgets.typeahead import TypeAhead


class ChoiceScreen(TypeAhead, ModalScreen[str | None]):
    """Dismisses with the id of the chosen answer, or None on escape."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="choice.cancel"),
        # the answers are a row: the arrows move along it (tab also visits a long message)
        Binding("left", "answer(-1)", "Previous answer", show=False, id="choice.previous"),
        Binding("right", "answer(1)", "Next answer", show=False, id="choice.next"),
    ]

    def __init__(
        self,
        title: str,
        message: str | Text,
        choices: list[tuple[str, str, ButtonVariant]],
        *,
        default: str | None = None,
    ) -> None:
        """`choices`: (id, label, variant) with variant one of default/primary/error/warning.
        A `message` given as `Text` is shown as built (its parts already escaped)."""
        super().__init__()
        self.title_text = title
        self.message = message
        self.choices = choices
        self.default = default
        # focused as the dialog opens, so a key typed at once presses the expected answer
        # a class variable to the type checker; Textual reads it from the instance
        self.AUTO_FOCUS = f"#choice-{default}" if default else "Button"  # type: ignore[misc]

    def compose(self) -> ComposeResult:
        message = (
            self.message
            if isinstance(self.message, Text)
            else Text(escape(self.message, multiline=True))
        )
        with Vertical(id="dialog", classes="dialog"):
            yield Static(escape(self.title_text), classes="dialog-title", markup=False)
            # a long message scrolls; the buttons stay on screen
            with VerticalScroll(classes="dialog-body"):
                yield Static(message, classes="dialog-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                for choice_id, label, variant in self.choices:
                    yield Button(label, id=f"choice-{choice_id}", variant=variant)

    @on(Button.Pressed)
    def _chosen(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_answer(self, step: int) -> None:
        buttons = list(self.query(Button))
        if not buttons:
            return
        focused = self.focused
        index = buttons.index(focused) if focused in buttons else -1
        buttons[(index + step) % len(buttons)].focus()


def confirm(
    title: str, message: str, yes: str = "Yes", variant: ButtonVariant = "primary"
) -> ChoiceScreen:
    return ChoiceScreen(
        title, message, [("yes", yes, variant), ("no", "Cancel", "default")], default="no"
    )


def save_discard_cancel(message: str) -> ChoiceScreen:
    """The question before unsaved work is left: answers "save", "discard" or "cancel"."""
    return ChoiceScreen(
        "Unsaved changes",
        message,
        [
            ("save", "Save", "primary"),
            ("discard", "Discard", "error"),
            ("cancel", "Cancel", "default"),
        ],
        default="save",
    )


def info(title: str, message: str | Text) -> ChoiceScreen:
    """A message to read: one OK button (enter or escape closes it)."""
    return ChoiceScreen(title, message, [("ok", "OK", "primary")], default="ok")
