"""Create an organization: name, a live slug preview, description."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from pylee_tui.dialogs.form import FormField, FormScreen
from pylee_tui.models import slugify
from pylee_tui.safe_text import escape


class OrgFormScreen(FormScreen):
    def __init__(
        self, submit: Callable[[dict[str, str]], Any], *, title: str = "New organization"
    ) -> None:
        super().__init__(
            title,
            [
                FormField("name", "Name", "name", example="Acme Production"),
                FormField(
                    "slug", "Slug", "slug", placeholder="derived from the name", optional=True
                ),
                FormField(
                    "description",
                    "Description",
                    "description",
                    placeholder="What this organization is for",
                    optional=True,
                ),
            ],
            submit,
            submit_label="Create",
        )

    def compose_after(self, field) -> ComposeResult:
        if field.name == "name":
            # typed text shown as written (escaped, never markup); no room taken while empty
            preview = Static("", id="slug-preview", classes="field-hint", markup=False)
            preview.display = False
            yield preview

    def on_values_changed(self, values: dict[str, str]) -> None:
        preview = self.query_one("#slug-preview", Static)
        if values["slug"]:
            text = f"URL slug: {values['slug']}"
        elif values["name"].strip():
            text = f"URL slug: {slugify(values['name'])}  (made unique with -2, -3 … if taken)"
        else:
            text = ""
        preview.update(escape(text))
        preview.display = bool(text)
