"""Export a registry to an MCP client config: pick the client and options, see the change to the
file (a diff, secrets masked), then write it.

Every rule (entries, secrets per client, names, merge, backup, atomic write) is the export
service's; this screen asks for a dry run after every change of client, options or file, and
writes only the change it shows: ctrl+s refuses while the preview is being brought up to date,
and a write checks, in the same worker, that the file would still change as shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Select, Static, TextArea

from pylee_tui.dialogs.choice import confirm
from pylee_tui.models import plural
from pylee_tui.safe_text import escape, escape_json
from pylee_tui.services import Scope, Services
from pylee_tui.services.errors import InvalidInput, VaultLocked
from pylee_tui.services.export import (
    CLIENT_NAMES,
    CLIENTS,
    SECRETS_MODES,
    client_format,
    default_config_path,
)
from pylee_tui.widgets.path_input import PathInput
from pylee_tui.widgets.pylee_app import pylee_app

# the last client, files and options, per user and registry (the registry's id: a renamed
# registry keeps them)
MEMORY_SETTING = "export:{user}:{registry_id}"
# the dry runs of the preview: only the one for the choices made last is shown
PREVIEWS = "export-preview"
# how each secrets mode is offered, and what it puts in the file
MODE_LABELS = {
    "launcher": "Secrets: launcher",
    "reference": "Secrets: reference",
    "inline": "Secrets: inline",
}
MODE_TIPS = {
    "launcher": "Each server starts through `pylee-tui run`, which decrypts its secrets as it "
    "starts: no value is written in the file (the vault must be unlocked then: the agent, or "
    "PYLEE_PASSPHRASE in the client's environment)",
    "reference": "Secrets are named the client's way ({client} fills them in): no value is "
    "written in the file",
    "inline": "Secret values are written into the file (it is written 0600)",
}


def offered_modes(client: str) -> list[str]:
    """The secrets modes the client can honour, in the order they are offered."""
    fmt = client_format(client)
    refused = set()
    if not fmt.takes_references:
        refused.add("reference")
    if not fmt.takes_inline_secrets:
        refused.add("inline")
    return [m for m in SECRETS_MODES if m not in refused]


@dataclass(frozen=True)
class Preview:
    """What a dry run showed, and for which choices: a write must match it exactly."""

    choices: tuple[Any, ...]
    diff: str


def missing_folder(path: Path) -> Path | None:
    """The folder `path` would be written into, when it does not exist yet."""
    parent = path.parent
    return None if parent.exists() else parent


def create_folder(folder: Path) -> Path:
    """Make `folder` (and the folders above it), as a client's usual config folder is made."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"cannot create {folder}: {exc.strerror or exc}") from None
    return folder


class ExportScreen(ModalScreen[bool]):
    """Dismisses with True when a file was written."""

    HELP_TITLE = "export"
    # typing a path refreshes the preview after this pause; a client or an option at once
    DEBOUNCE = 0.3
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 96%; height: 94%; max-width: 140;
        border: round $primary; background: $surface; padding: 0 1;
    }
    ExportScreen .export-row { height: auto; }
    ExportScreen #export-choices { margin-top: 1; }
    ExportScreen Select { width: 20; }
    ExportScreen #export-secrets { width: 22; margin-left: 1; }
    ExportScreen #export-scope { width: 12; margin-right: 1; }
    ExportScreen #export-scope.-single { display: none; }
    ExportScreen Checkbox { width: auto; border: none; padding: 0 1; }
    ExportScreen #export-path { width: 1fr; background: $boost; padding: 0 1; }
    ExportScreen .export-label { width: auto; padding: 0 1 0 0; }
    ExportScreen #export-status { height: auto; max-height: 6; margin-top: 1; }
    ExportScreen #export-skipped { height: auto; max-height: 3; display: none; }
    ExportScreen #export-skipped.-shown { display: block; }
    ExportScreen #export-message { height: auto; display: none; }
    ExportScreen #export-message.-shown { display: block; }
    ExportScreen #export-preview { height: 1fr; min-height: 3; }
    ExportScreen #export-preview.-stale { opacity: 60%; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Close", id="export.cancel"),
        Binding("ctrl+s", "write", "Write file", id="export.write", priority=True),
    ]

    def __init__(
        self, org: str, registry: str, client: str = "vscode", scope: str | None = None
    ) -> None:
        """`scope`: the client's user or project file (None: its default, or the file last
        written); given, the file is that scope's."""
        super().__init__()
        self.org = org
        self.registry = registry
        self.client = client if client in CLIENTS else "vscode"
        self.scope = scope if scope in client_format(self.client).scopes else None
        self._shown: Preview | None = None  # the preview on screen, when it is up to date
        self._folder_to_create: Path | None = None
        self._refresh_timer: Timer | None = None
        self._memory_key: str | None = None
        self._memory: dict[str, Any] = {}

    @property
    def services(self) -> Services:
        return pylee_app(self).require_services()  # opened from an org shown

    @property
    def user(self) -> str:
        return pylee_app(self).require_user()

    @property
    def ready(self) -> bool:
        """A preview of the current choices is on screen, and it changes the file."""
        return (
            self._shown is not None
            and self._shown.choices == self._choices()
            and bool(self._shown.diff)
        )

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text.assemble(
                    ("Export ", "bold"),
                    (escape(f"{self.org} / {self.registry}"), "bold"),
                    " to an MCP client config",
                ),
                id="export-title",
            )
            with Horizontal(classes="export-row", id="export-choices"):
                yield Select(
                    [(CLIENT_NAMES[c], c) for c in CLIENTS],
                    value=self.client,
                    allow_blank=False,
                    compact=True,
                    id="export-client",
                )
                yield Select(
                    self._mode_options(self.client),
                    value=client_format(self.client).default_secrets,
                    allow_blank=False,
                    compact=True,
                    id="export-secrets",
                )
                yield Checkbox("Allow missing variables", id="export-missing")
            with Horizontal(classes="export-row"):
                yield Static("File", classes="export-label")
                yield Select(
                    self._scope_options(self.client),
                    value=self._scope(),
                    allow_blank=False,
                    compact=True,
                    id="export-scope",
                )
                yield PathInput(
                    str(default_config_path(self.client, scope=self._scope())),
                    compact=True,
                    id="export-path",
                )
            yield Static("", id="export-status")
            with VerticalScroll(id="export-skipped"):
                yield Static("", id="export-skipped-list")
            yield Static("", id="export-message")
            yield TextArea(
                "", read_only=True, show_line_numbers=False, id="export-preview", soft_wrap=False
            )
            yield Static(
                "ctrl+s write (merged, FILE.bak kept) · tab complete path · esc close",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#export-client", Select).focus()
        self._sync_secrets_modes()
        self._sync_scopes()
        self._status("Preparing…", "dim")
        pylee_app(self).call(
            self._load_memory, done=self._remembered, failed=lambda _exc: self._remembered({})
        )

    # --- remembering the last choices -----------------------------------------------------------

    def _load_memory(self) -> tuple[str, dict[str, Any]]:
        user = self.user
        registry = self.services.registries.get_registry(user, Scope(self.org, self.registry))
        key = MEMORY_SETTING.format(user=user, registry_id=registry.id)
        try:
            memory = json.loads(self.services.settings.get_setting(key) or "{}")
        except ValueError:
            memory = {}
        return key, memory if isinstance(memory, dict) else {}

    def _remembered(self, loaded: tuple[str, dict[str, Any]] | dict) -> None:
        if not self.is_mounted:
            return
        if isinstance(loaded, tuple):
            self._memory_key, self._memory = loaded
        memory = self._memory
        with self.prevent(Select.Changed, Checkbox.Changed, Input.Changed):
            client = memory.get("client")
            if client in CLIENTS:
                self.client = client
                self.query_one("#export-client", Select).value = client
            self.query_one("#export-path", PathInput).value = self._path_for(self.client)
            self.query_one("#export-missing", Checkbox).value = bool(memory.get("allow_missing"))
        self._sync_secrets_modes()
        self.refresh_preview()

    def _mode_for(self, client: str) -> str:
        """The mode last used with `client` (an older memory's inline_secrets says inline),
        else the client's default."""
        modes = self._memory.get("secrets")
        remembered = modes.get(client) if isinstance(modes, dict) else None
        if remembered is None and self._memory.get("inline_secrets") is True:
            remembered = "inline" if self._memory.get("client") == client else None
        if remembered in offered_modes(client):
            return str(remembered)
        return client_format(client).default_secrets

    def _path_for(self, client: str) -> str:
        if self.scope is not None:  # a scope chosen: that scope's file
            return str(default_config_path(client, scope=self._scope()))
        paths = self._memory.get("paths")
        remembered = paths.get(client) if isinstance(paths, dict) else None
        return remembered if isinstance(remembered, str) else str(default_config_path(client))

    def _remember(self) -> None:
        if self._memory_key is None:
            return
        remembered = self._memory.get("paths")
        paths = remembered if isinstance(remembered, dict) else {}
        remembered = self._memory.get("secrets")
        modes = remembered if isinstance(remembered, dict) else {}
        self._memory = {
            "client": self.client,
            "paths": {**paths, self.client: self.query_one("#export-path", PathInput).value},
            "secrets": {**modes, self.client: self._mode()},
            "allow_missing": self.query_one("#export-missing", Checkbox).value,
        }
        pylee_app(self).call(
            self.services.settings.set_setting, self._memory_key, json.dumps(self._memory)
        )

    # --- choosing -------------------------------------------------------------------------------

    @on(Select.Changed, "#export-client")
    def _client_changed(self, event: Select.Changed) -> None:
        if event.value == self.client or event.value is Select.BLANK:
            return
        self.client = str(event.value)
        self._say("")
        if self.scope not in client_format(self.client).scopes:
            self.scope = None
        self._sync_scopes()
        with self.prevent(Input.Changed):
            self.query_one("#export-path", PathInput).value = self._path_for(self.client)
        self._sync_secrets_modes()
        self.refresh_preview()

    # --- the client's user or project file ---------------------------------------------------

    @staticmethod
    def _scope_options(client: str) -> list[tuple[str, str]]:
        return [(s.capitalize(), s) for s in client_format(client).scopes]

    def _scope(self) -> str:
        return self.scope or client_format(self.client).scopes[0]

    def _sync_scopes(self) -> None:
        """Offer the scopes the client has a file for: the choice is shown only where there
        are two (Claude Desktop has one file)."""
        scopes = self.query_one("#export-scope", Select)
        with self.prevent(Select.Changed):
            scopes.set_options(self._scope_options(self.client))
            scopes.value = self._scope()
        scopes.set_class(len(client_format(self.client).scopes) < 2, "-single")

    @on(Select.Changed, "#export-scope")
    def _scope_changed(self, event: Select.Changed) -> None:
        if event.value is Select.BLANK or event.value == self._scope():
            return
        self.scope = str(event.value)
        self._say("")
        with self.prevent(Input.Changed):
            self.query_one("#export-path", PathInput).value = self._path_for(self.client)
        self.refresh_preview()

    @staticmethod
    def _mode_options(client: str) -> list[tuple[str, str]]:
        return [(MODE_LABELS[m], m) for m in offered_modes(client)]

    def _sync_secrets_modes(self) -> None:
        """Offer the modes the client can honour (Claude Desktop cannot reference a secret, VS
        Code keeps them in its own prompt store), the one last used with it chosen."""
        modes = self.query_one("#export-secrets", Select)
        with self.prevent(Select.Changed):
            modes.set_options(self._mode_options(self.client))
            modes.value = self._mode_for(self.client)
        self._explain_mode()

    def _explain_mode(self) -> None:
        self.query_one("#export-secrets", Select).tooltip = MODE_TIPS[self._mode()].format(
            client=client_format(self.client).title
        )

    def _mode(self) -> str:
        value = self.query_one("#export-secrets", Select).value
        return str(value) if value in SECRETS_MODES else client_format(self.client).default_secrets

    def _set_mode(self, mode: str) -> None:
        with self.prevent(Select.Changed):
            self.query_one("#export-secrets", Select).value = mode
        self._explain_mode()

    @on(Select.Changed, "#export-secrets")
    def _mode_changed(self) -> None:
        self._explain_mode()
        self._option_changed()

    @on(Checkbox.Changed)
    def _option_changed(self) -> None:
        self._say("")
        self.refresh_preview()

    @on(Input.Changed, "#export-path")
    def _path_typed(self) -> None:
        # stale at once (ctrl+s refuses), refreshed once typing pauses
        self._say("")
        self._mark_stale("Updating the preview…")
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
        self._refresh_timer = self.set_timer(self.DEBOUNCE, self.refresh_preview)

    @on(Input.Submitted, "#export-path")
    def _path_submitted(self) -> None:
        self.refresh_preview()

    def _options(self) -> dict:
        return {
            "actor": self.user,
            "scope": Scope(self.org, self.registry),
            "client": self.client,
            "secrets": self._mode(),
            "allow_missing": self.query_one("#export-missing", Checkbox).value,
        }

    def _path(self) -> Path | None:
        return self.query_one("#export-path", PathInput).path

    def _choices(self) -> tuple[Any, ...]:
        """Everything the preview depends on: it is stale as soon as one of these changes."""
        options = self._options()
        return (self._path(), *(options[k] for k in sorted(options)))

    def _mark_stale(self, message: str) -> None:
        # a dry run still on its way is for choices no longer made: its answer is dropped
        pylee_app(self).cancel_calls(PREVIEWS)
        self._shown = None
        self._folder_to_create = None
        self.query_one("#export-preview", TextArea).add_class("-stale")
        self._status(message, "dim")

    def refresh_preview(self) -> None:
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
            self._refresh_timer = None
        self._mark_stale("Updating the preview…")
        path = self._path()
        if path is None:
            self._status("Type the file to write.", "yellow")
            return
        choices = self._choices()
        pylee_app(self).call(
            self._dry_run,
            path,
            self._options(),
            done=lambda result: self._previewed(choices, result),
            failed=self._failed,
            group=PREVIEWS,
        )

    def _dry_run(self, path: Path, options: dict) -> Any:
        """The dry run, or the folder to create when that is what stands in its way."""
        try:
            return self.services.export.install_with_names(path=path, dry_run=True, **options)
        except InvalidInput:
            folder = missing_folder(path)
            if folder is not None:
                return folder
            raise

    def _previewed(self, choices: tuple[Any, ...], result: Any) -> None:
        if not self.is_mounted:
            return
        if isinstance(result, Path):
            self._folder_to_create = result
            self._status(
                f"No folder {result} yet. ctrl+s creates it (after asking), then shows the "
                "change to the file.",
                "yellow",
            )
            self._show_skipped([])
            self._show_diff("")
            return
        plan, install = result
        lines = [
            escape(f"{CLIENT_NAMES[plan.client]}: {len(plan.entries)} server(s) → {install.path}"),
        ]
        changes = []
        if install.added:
            changes.append(f"adds {', '.join(install.added)}")
        if install.replaced:
            changes.append(f"replaces {', '.join(install.replaced)}")
        if install.removed:
            changes.append(f"removes {', '.join(install.removed)}")
        if install.kept:
            changes.append(f"keeps {len(install.kept)} other server(s)")
        if not install.diff:
            lines.append("The file already holds exactly this: nothing to write.")
        elif changes:
            lines.append(escape("; ".join(changes)))
        text = Text("\n".join(lines))
        if plan.skipped:
            text.append(
                f"\n⚠ {plural(len(plan.skipped), 'draft')} skipped: fix their problems to "
                "export them (listed below)",
                style="yellow",
            )
        for warning in plan.warnings:
            text.append(f"\n⚠ {escape(str(warning))}", style="yellow")
        for note in plan.notes:
            text.append(f"\nℹ {escape(str(note))}")
        self.query_one("#export-status", Static).update(text)
        self._show_skipped(plan.skipped)
        self._show_diff(install.diff or "")
        self._shown = Preview(choices, install.diff or "")

    def _show_skipped(self, skipped: list[str]) -> None:
        names = [escape(str(s).split(": a draft", 1)[0]) for s in skipped]
        self.query_one("#export-skipped-list", Static).update(
            Text("Skipped drafts: " + ", ".join(names), style="dim") if names else ""
        )
        box = self.query_one("#export-skipped", VerticalScroll)
        box.set_class(bool(names), "-shown")
        box.scroll_home(animate=False)

    def _show_diff(self, diff: str) -> None:
        preview = self.query_one("#export-preview", TextArea)
        # the diff is JSON: characters JSON leaves raw are shown as its own \uXXXX escapes
        preview.text = escape(escape_json(diff), keep="\n\t")
        preview.remove_class("-stale")

    def _failed(self, exc: Exception) -> None:
        if not self.is_mounted:
            return
        self._status(str(exc), "red")
        self._show_skipped([])
        self._show_diff("")
        if isinstance(exc, VaultLocked):
            # inlining secrets needs the data key: ask for the passphrase, then try again
            def cancelled() -> None:
                self._set_mode(client_format(self.client).default_secrets)
                self.refresh_preview()

            pylee_app(self).with_vault(
                self.refresh_preview, "to write secret values into the export", cancelled
            )

    def _status(self, message: str, style: str) -> None:
        self.query_one("#export-status", Static).update(Text(escape(message), style=style))

    def _say(self, message: str, style: str = "yellow") -> None:
        """A line under the preview's summary: why ctrl+s did not write."""
        line = self.query_one("#export-message", Static)
        line.update(Text(escape(message), style=style))
        line.set_class(bool(message), "-shown")

    # --- writing --------------------------------------------------------------------------------

    def action_write(self) -> None:
        self._say("")
        path = self._path()
        if path is None:
            self._say("Not written: type the file to write first.")
            return
        if self._folder_to_create is not None:
            self._ask_create_folder(self._folder_to_create)
            return
        shown = self._shown
        if shown is None or shown.choices != self._choices():
            self._say("Not written: the preview was still being updated. Check it, then ctrl+s.")
            return
        if not shown.diff:
            self._say("Nothing to write: the file already holds exactly this.", "dim")
            return
        self._shown = None  # one write per preview
        self._say("Writing…", "dim")
        # not in the previews' group: a preview asked for meanwhile must not drop the answer
        # of a write that happened
        pylee_app(self).call(
            self._write_as_shown,
            path,
            self._options(),
            shown.diff,
            done=self._written,
            failed=self._failed,
        )

    def _write_as_shown(self, path: Path, options: dict, diff: str) -> Any:
        """Write only if the file would change exactly as previewed (None when it would not)."""
        export = self.services.export
        now = export.install_with_names(path=path, dry_run=True, **options)
        if now[1].diff != diff:
            return None
        return export.install_with_names(path=path, **options)

    def _written(self, outcome: Any) -> None:
        if outcome is None:
            if self.is_mounted:
                self._say(
                    "Not written: the file changed since the preview; this is the change now. "
                    "Check it, then ctrl+s."
                )
                self.refresh_preview()  # the change to the file as it is now
            return
        _plan, install = outcome
        self._remember()
        backup = f" (previous file kept as {install.backup.name})" if install.backup else ""
        self.app.notify(f"Wrote {install.path}{backup}", title="Export")
        self.dismiss(True)

    def _ask_create_folder(self, folder: Path) -> None:
        def answered(answer: str | None) -> None:
            if answer != "yes" or not self.is_mounted:
                return
            pylee_app(self).call(
                create_folder,
                folder,
                done=lambda _made: self.refresh_preview(),
                failed=lambda exc: self._say(f"Not created: {exc}", "red"),
            )

        self.app.push_screen(
            confirm(
                "Create the folder?",
                f"{folder} does not exist. Create it? The change to the file is then shown, "
                "and ctrl+s writes it.",
                "Create",
            ),
            callback=answered,
        )

    def action_cancel(self) -> None:
        self.dismiss(False)
