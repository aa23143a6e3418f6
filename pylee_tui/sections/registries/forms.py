"""The forms and questions of the registries section: a new registry, a new server, renaming
either (a registry's form also says, for an admin, whether its changes need approval),
importing files (and reading the files named), deleting; and what a key that cannot be used
says. Each form takes the function that saves it, so the section decides what happens after."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pylee_tui.dialogs.choice import ChoiceScreen, confirm
from pylee_tui.dialogs.form import FormField, FormScreen
from pylee_tui.models import DeletionReport, RegistrySummary, plural
from pylee_tui.server_json import KNOWN_REGISTRY_TYPES, SCHEMA_URL, read_entries
from pylee_tui.services import InvalidInput

if TYPE_CHECKING:
    from pylee_tui.services.registries import RegistryDeletion

Save = Callable[[dict[str, str]], Any]


# what each key does, for "you cannot …" (said when a disabled key is pressed)
DOING = {
    "new": "add registries or servers",
    "rename": "rename registries or servers",
    "delete": "delete registries or remove servers",
    "move": "move servers",
    "import": "import servers",
    "edit_overview": "edit a registry's overview",
}
# what the cursor must be on, for a key that needs another item
NEEDS_ITEM = {
    "rename": "Put the cursor on a registry or a server to rename it.",
    "delete": "Put the cursor on a registry or a server to delete or remove it.",
    "move": "m moves a server: put the cursor on a server first.",
    "import": "Put the cursor on a registry (or one of its servers) to import into it.",
    "edit_overview": "e edits a registry's overview: put the cursor on a registry.",
    "export": "Put the cursor on a registry (or one of its servers) to export it.",
}


def new_registry_form(save: Save) -> FormScreen:
    return FormScreen(
        "New registry",
        [
            FormField("name", "Name", "name", example="Core Tools"),
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
            FormField("name", "Name", "server_name", example="io.github.user/weather"),
            FormField("description", "Description (1-100 characters)", None),
            FormField("version", "Version", None, example="1.0.0"),
            FormField(
                "registryType",
                "Package registry",
                None,
                value="npm",
                choices=tuple(KNOWN_REGISTRY_TYPES),
            ),
            FormField("identifier", "Package", None, example="@user/weather-mcp"),
        ],
        save,
        submit_label="Add",
        intro="A server launched from a package over stdio. Edit the raw server.json "
        "afterwards for remotes, arguments and environment variables.",
    )


def new_server_document(values: dict[str, str]) -> dict[str, Any]:
    """A current-shape document from the new-server form (one package over stdio)."""
    version = values["version"].strip()
    return {
        "$schema": SCHEMA_URL,
        "name": values["name"].strip(),
        "description": values["description"].strip(),
        "version": version,
        "packages": [
            {
                "registryType": values["registryType"].strip(),
                "identifier": values["identifier"].strip(),
                "version": version,
                "transport": {"type": "stdio"},
            }
        ],
    }


APPROVAL = ("no", "yes")  # "Changes need approval": the choices, as the form hands them back


def rename_registry_form(
    summary: RegistrySummary, save: Save, *, approval: bool | None = None
) -> FormScreen:
    """`approval`: whether changes to the registry need approval now, for an admin (who may
    change it: a field for it); None for anyone else (no field)."""
    fields = [
        FormField("name", "Name", "name", value=summary.name),
        FormField("slug", "Slug", "slug", value=summary.slug),
    ]
    if approval is not None:  # before the description: on screen at 80x24 as the form opens
        fields.append(
            FormField(
                "approval",
                "Changes need approval",
                None,
                value=APPROVAL[approval],
                choices=APPROVAL,
            )
        )
    fields.append(
        FormField(
            "description",
            "Description",
            "description",
            value=summary.description,
            optional=True,
        )
    )
    return FormScreen(
        f"Rename registry {summary.name}",
        fields,
        save,
    )


def rename_server_form(name: str, save: Save) -> FormScreen:
    return FormScreen(
        f"Rename {name}",
        [FormField("name", "Name", "server_name", value=name)],
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


def delete_registry_question(summary: RegistrySummary, report: RegistryDeletion) -> ChoiceScreen:
    """What goes with the registry, and that it cannot be undone (its keys' history goes too,
    so there is nothing to roll back to); the change requests still open on it are closed."""
    keys = (
        f" and the {plural(report.variables, 'variable or secret')} of the registry and its "
        "servers, with their history"
        if report.variables
        else ""
    )
    requests = (
        f" It closes its {plural(report.requests, 'open change request')} as rejected."
        if report.requests
        else ""
    )
    return confirm(
        f"Delete registry {summary.name}?",
        f"This deletes its {plural(report.servers, 'server')}{keys}.{requests} "
        "This cannot be undone.",
        yes="Delete",
        variant="error",
    )


def remove_server_question(name: str, registry: str, report: DeletionReport) -> ChoiceScreen:
    keys = (
        f" with its {plural(report.variables, 'variable or secret')} and their history"
        if report.variables
        else ""
    )
    return confirm(
        f"Remove {name}?",
        f"It is removed from registry {registry}{keys}. This cannot be undone.",
        yes="Remove",
        variant="error",
    )


def read_import_files(paths: str) -> tuple[list[Any], list[tuple[str, int]]]:
    """The entries of every file named (quotes for spaces, ~ for home) with (file, position)
    of each; a file that cannot be read is one line, and nothing is imported."""
    try:
        names = shlex.split(paths)
    except ValueError as exc:  # an unclosed quote
        raise InvalidInput(f"the file names cannot be read: {exc}") from None
    if not names:
        raise InvalidInput("name at least one server.json file")
    # an entry is pointed at by its file's name, short when that is enough to tell them apart
    short = [os.path.basename(n) or n for n in names]
    labels = short if len(set(short)) == len(short) else names
    entries: list[Any] = []
    origins: list[tuple[str, int]] = []
    for name, label in zip(names, labels, strict=True):
        try:
            found = read_entries(os.path.expanduser(name))
        except ValueError as exc:
            raise InvalidInput(f"{exc}; nothing was imported") from None
        entries += found
        origins += [(label, i + 1) for i in range(len(found))]
    if not entries:
        raise InvalidInput("the files hold no server entries; nothing was imported")
    return entries, origins
