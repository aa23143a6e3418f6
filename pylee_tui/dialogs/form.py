"""A modal form whose fields are checked by the models' own rules and submitted through a service.

A field's message comes from `models.field_error`, so the UI says exactly what the CLI says. A
refused submit (taken slug, missing permission) is shown inline; the form keeps what was typed.
A field with `choices` is a drop-down (a role is picked, never typed). `enter` submits from any
field; keys typed while the form opens go to its first field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Checkbox, Input, Label, RadioSet, Select, Static, Switch

from pylee_tui.models import field_error
from pylee_tui.safe_text import escape
from pylee_tui.services.approvals import ChangeRequested
from pylee_tui.widgets.pylee_app import pylee_app
from pylee_tui.widgets.typeahead import TypeAhead


class ModelRule(Validator):
    """A Textual validator that asks the pydantic rule of one field."""

    def __init__(self, rule: str) -> None:
        super().__init__()
        self.rule = rule

    def validate(self, value: str) -> ValidationResult:
        message = field_error(self.rule, value)
        return self.failure(message) if message else self.success()


@dataclass(frozen=True)
class FormField:
    """One field. `placeholder` describes what goes there ("derived from the name");
    `example` is shown as "e.g. …", so an empty field never looks filled in. With `choices`
    the field is a drop-down of those values (`value`, or the first, chosen)."""

    name: str
    label: str
    rule: str | None = None
    value: str = ""
    placeholder: str = ""
    optional: bool = False
    password: bool = False
    example: str = ""
    choices: tuple[str, ...] = ()

    @property
    def hint(self) -> str:
        return self.placeholder or (f"e.g. {self.example}" if self.example else "")


def _message_line(widget_id: str, classes: str) -> Static:
    line = Static("", id=widget_id, classes=classes, markup=False)
    line.display = False
    return line


def _say(line: Static, message: str) -> None:
    """A message under a field (escaped); an empty one takes no room, so forms fit 80x24."""
    line.update(escape(message, multiline=True))
    line.display = bool(message)


# fields that take enter for themselves: elsewhere enter submits the form
_ENTER_SUBMITS_FROM = (Select, Checkbox, Switch, RadioSet)


class FormScreen(TypeAhead, ModalScreen[Any]):
    """Dismisses with whatever `submit(values)` returned, or None when cancelled."""

    AUTO_FOCUS = ".form-field"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        # priority: a drop-down or a check box would take enter for itself
        Binding(
            "enter",
            "submit_from_field",
            "Submit",
            id="form.submit",
            priority=True,
            show=False,
            tooltip="Submit the form from any field",
        ),
    ]

    def __init__(
        self,
        title: str,
        fields: list[FormField],
        submit: Callable[[dict[str, str]], Any],
        *,
        submit_label: str = "Save",
        intro: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.submit = submit
        self.submit_label = submit_label
        self.intro = intro

    def compose(self) -> ComposeResult:
        # the whole form scrolls when the terminal is short; its buttons are docked at the
        # bottom of the dialog, so Submit and Cancel are always on screen (80x24 too)
        with VerticalScroll(classes="dialog form"):
            yield Static(escape(self.title_text), classes="dialog-title", markup=False)
            if self.intro:
                yield Static(
                    escape(self.intro, multiline=True), classes="dialog-message", markup=False
                )
            for field in self.fields:
                yield Label(field.label + ("  (optional)" if field.optional else ""))
                yield self._field_widget(field)
                yield _message_line(f"error-{field.name}", "field-error")
                yield from self.compose_after(field)
            yield _message_line("form-error", "form-error")
            yield from self.compose_extra_buttons()
            with Horizontal(classes="dialog-buttons form-buttons"):
                yield Button(self.submit_label, id="form-submit", variant="primary")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        # the first field takes focus before the dialog has a size, and Textual then scrolls
        # it to the middle: start at the top, where the title and the first field are
        self.call_after_refresh(self._show_top)

    def _show_top(self) -> None:
        # after a refresh: the dialog may have been dismissed meanwhile
        for scroll in self.query(".dialog.form").results(VerticalScroll):
            scroll.scroll_home(animate=False)

    def _field_widget(self, field: FormField) -> Input | Select[str]:
        if field.choices:
            return Select(
                [(escape(choice), choice) for choice in field.choices],
                value=field.value if field.value in field.choices else field.choices[0],
                allow_blank=False,
                id=f"field-{field.name}",
                classes="form-field",
            )
        return Input(
            # a stored value with control characters is edited as their escapes
            value=escape(field.value),
            placeholder=field.hint,
            id=f"field-{field.name}",
            classes="form-field",
            password=field.password,
            validators=[ModelRule(field.rule)] if field.rule else None,
            valid_empty=field.optional,
            validate_on=["changed", "submitted"],
            # typing goes after a prefilled value; it never replaces it all at once
            select_on_focus=False,
        )

    def compose_after(self, field: FormField) -> ComposeResult:
        """Extra widgets after a field (a live preview); none by default."""
        yield from ()

    def compose_extra_buttons(self) -> ComposeResult:
        yield from ()

    def values(self) -> dict[str, str]:
        return {f.name: self._value_of(f) for f in self.fields}

    def _value_of(self, field: FormField) -> str:
        if field.choices:
            return str(self.query_one(f"#field-{field.name}", Select).value)
        return self.query_one(f"#field-{field.name}", Input).value

    def on_values_changed(self, values: dict[str, str]) -> None:
        """Hook for live previews."""

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("field-")
        message = ""
        if event.validation_result and not event.validation_result.is_valid:
            message = "; ".join(event.validation_result.failure_descriptions)
        _say(self.query_one(f"#error-{name}", Static), message)
        _say(self.query_one("#form-error", Static), "")
        self.on_values_changed(self.values())

    @on(Select.Changed)
    def _chosen(self) -> None:
        _say(self.query_one("#form-error", Static), "")
        self.on_values_changed(self.values())

    def action_submit_from_field(self) -> None:
        if not isinstance(self.focused, _ENTER_SUBMITS_FROM):
            # an input submits itself; a button presses; an open drop-down picks
            raise SkipAction()
        self._submit()

    @on(Input.Submitted)
    @on(Button.Pressed, "#form-submit")
    def _submit(self) -> None:
        if self.query_one("#form-submit", Button).disabled:
            return  # already submitted: waiting for the answer
        values = self.values()
        first_bad = None
        for field in self.fields:
            value = values[field.name]
            if field.optional and value == "":
                continue
            message = field_error(field.rule, value) if field.rule else None
            _say(self.query_one(f"#error-{field.name}", Static), message or "")
            if message and first_bad is None:
                first_bad = field
        if first_bad is not None:
            self.query_one(f"#field-{first_bad.name}").focus()
            return
        self.query_one("#form-submit", Button).disabled = True
        pylee_app(self).call(self.submit, values, done=self._done, failed=self._failed)

    def _done(self, result: Any) -> None:
        self.dismiss(result)

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, ChangeRequested):  # kept for an approver: not a refusal
            self.app.notify(str(exc), title="Sent for approval", timeout=6)
            self.dismiss(None)
            return
        self.query_one("#form-submit", Button).disabled = False
        _say(self.query_one("#form-error", Static), str(exc))

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
