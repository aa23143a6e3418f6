"""Org settings: name, slug and description, and the way to delete the org."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button

from pylee_tui.dialogs.form import FormField, FormScreen
from pylee_tui.models import Organization

DELETE = "__delete__"


class OrgSettingsScreen(FormScreen):
    """Dismisses with the updated org, DELETE when the user asked to delete it, or None."""

    def __init__(self, org: Organization, submit: Callable[[dict[str, str]], Any]) -> None:
        super().__init__(
            f"Settings · {org.name}",
            [
                FormField("name", "Name", "name", value=org.name),
                FormField("slug", "Slug", "slug", value=org.slug),
                FormField(
                    "description", "Description", "description", org.description, optional=True
                ),
            ],
            submit,
            submit_label="Save",
        )

    def compose_extra_buttons(self) -> ComposeResult:
        yield Button(
            "Delete organization…", id="org-delete", variant="error", classes="danger-zone"
        )

    @on(Button.Pressed, "#org-delete")
    def _delete(self) -> None:
        self.dismiss(DELETE)
