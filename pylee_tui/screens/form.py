"""A modal form whose fields are checked by the models' own rules and submitted through a service.

A field's message comes from `models.field_error`, so the UI says exactly what the CLI says. A
refused submit (taken slug, missing permission) is shown inline; the form keeps what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Label, Static

from pylee_tui.models import field_error
from pylee_tui.safe_text import escape


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
    name: str
    label: str
    rule: str | None = None
    value: str = ""
    placeholder: str = ""
    optional: bool = False
    password: bool = False


class FormScreen(ModalScreen[Any]):
    """Dismisses with whatever `submit(values)` returned, or None when cancelled."""

    AUTO_FOCUS = "Input"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel")]

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
        with Vertical(classes="dialog form"):
            yield Static(escape(self.title_text), classes="dialog-title", markup=False)
            if self.intro:
                yield Static(escape(self.intro, multiline=True), classes="dialog-message")
            with VerticalScroll(classes="form-fields"):
                for field in self.fields:
                    yield Label(field.label + ("  (optional)" if field.optional else ""))
                    yield Input(
                        # a stored value with control characters is edited as their escapes
                        value=escape(field.value),
                        placeholder=field.placeholder,
                        id=f"field-{field.name}",
                        password=field.password,
                        validators=[ModelRule(field.rule)] if field.rule else None,
                        valid_empty=field.optional,
                        validate_on=["changed", "submitted"],
                    )
                    yield Static("", id=f"error-{field.name}", classes="field-error", markup=False)
                    yield from self.compose_after(field)
            yield Static("", id="form-error", classes="form-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.submit_label, id="form-submit", variant="primary")
                yield Button("Cancel", id="form-cancel")
            yield from self.compose_extra_buttons()

    def compose_after(self, field: FormField) -> ComposeResult:
        """Extra widgets after a field (a live preview); none by default."""
        yield from ()

    def compose_extra_buttons(self) -> ComposeResult:
        yield from ()

    def values(self) -> dict[str, str]:
        return {f.name: self.query_one(f"#field-{f.name}", Input).value for f in self.fields}

    def on_values_changed(self, values: dict[str, str]) -> None:
        """Hook for live previews."""

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("field-")
        message = ""
        if event.validation_result and not event.validation_result.is_valid:
            message = "; ".join(event.validation_result.failure_descriptions)
        self.query_one(f"#error-{name}", Static).update(escape(message))
        self.query_one("#form-error", Static).update("")
        self.on_values_changed(self.values())

    @on(Input.Submitted)
    @on(Button.Pressed, "#form-submit")
    def _submit(self) -> None:
        values = self.values()
        first_bad = None
        for field in self.fields:
            value = values[field.name]
            if field.optional and value == "":
                continue
            message = field_error(field.rule, value) if field.rule else None
            self.query_one(f"#error-{field.name}", Static).update(escape(message or ""))
            if message and first_bad is None:
                first_bad = field
        if first_bad is not None:
            self.query_one(f"#field-{first_bad.name}", Input).focus()
            return
        self.query_one("#form-submit", Button).disabled = True
        self.app.call(  # type: ignore[attr-defined]
            self.submit, values, done=self._done, failed=self._failed
        )

    def _done(self, result: Any) -> None:
        self.dismiss(result)

    def _failed(self, exc: Exception) -> None:
        self.query_one("#form-submit", Button).disabled = False
        self.query_one("#form-error", Static).update(escape(str(exc), multiline=True))

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
