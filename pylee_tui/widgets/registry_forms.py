"""The forms of the registries section: a new registry, a new server, renaming either. Each takes
the function that saves it, so the section decides what happens after."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pylee_tui.models import RegistrySummary, Server
from pylee_tui.screens.form import FormField, FormScreen
from pylee_tui.server_json import KNOWN_REGISTRY_TYPES

Save = Callable[[dict[str, str]], Any]


def new_registry_form(save: Save) -> FormScreen:
    return FormScreen(
        "New registry",
        [
            FormField("name", "Name", "name", placeholder="Core Tools"),
            FormField("slug", "Slug", "slug", placeholder="derived from the name", optional=True),
            FormField("description", "Description", "description", optional=True),
        ],
        save,
        submit_label="Create",
    )


def new_server_form(registry: str, save: Save) -> FormScreen:
    return FormScreen(
        f"New server in {registry}",
        [
            FormField("name", "Name", "server_name", placeholder="io.github.user/weather"),
            FormField("description", "Description (1-100 characters)", None),
            FormField("version", "Version", None, placeholder="1.0.0"),
            FormField(
                "registryType",
                f"Package registry ({', '.join(KNOWN_REGISTRY_TYPES)})",
                None,
                value="npm",
            ),
            FormField("identifier", "Package", None, placeholder="@user/weather-mcp"),
        ],
        save,
        submit_label="Add",
        intro="A server launched from a package over stdio. Edit the raw server.json "
        "afterwards for remotes, arguments and environment variables.",
    )


def rename_registry_form(summary: RegistrySummary, save: Save) -> FormScreen:
    return FormScreen(
        f"Rename registry {summary.name}",
        [
            FormField("name", "Name", "name", value=summary.name),
            FormField("slug", "Slug", "slug", value=summary.slug),
            FormField(
                "description",
                "Description",
                "description",
                value=summary.description,
                optional=True,
            ),
        ],
        save,
    )


def rename_server_form(server: Server, save: Save) -> FormScreen:
    return FormScreen(
        f"Rename {server.name}",
        [FormField("name", "Name", "server_name", value=server.name)],
        save,
        intro="A draft must be fixed before it can be renamed: open it with enter.",
    )


def import_form(registry: str, run: Save) -> FormScreen:
    return FormScreen(
        f"Import into {registry}",
        [FormField("path", "server.json file(s), separated by spaces", None)],
        run,
        submit_label="Import",
        intro="Each file holds one server or a list, in the current or the legacy shape. "
        "Entries with faults you can fix are kept as drafts. A path with spaces goes in "
        "quotes; ~ is your home directory.",
    )
