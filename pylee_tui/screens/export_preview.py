"""Export a registry to an MCP client config: pick the client and options, see the change to the
file (a diff, secrets masked), then write it.

Every rule (entries, secrets per client, names, merge, backup, atomic write) is the export
service's; this screen only asks for a dry run while you choose and installs when you say so.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Select, Static, TextArea

from pylee_tui.safe_text import escape, escape_json
from pylee_tui.services.errors import VaultLocked
from pylee_tui.services.export import CLIENT_NAMES, CLIENTS, default_config_path


class ExportScreen(ModalScreen[bool]):
    """Dismisses with True when a file was written."""

    HELP_TITLE = "export"
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 96%; height: 94%; max-width: 140;
        border: round $primary; background: $surface; padding: 0 1;
    }
    ExportScreen .export-row { height: auto; }
    ExportScreen Select { width: 24; }
    ExportScreen Checkbox { width: auto; border: none; padding: 0 1; }
    ExportScreen #export-path { width: 1fr; }
    ExportScreen .export-label { width: auto; padding: 1 0 0 1; }
    ExportScreen #export-status { height: auto; max-height: 6; }
    ExportScreen #export-preview { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Close", id="export.cancel"),
        Binding("ctrl+s", "write", "Write file", id="export.write", priority=True),
    ]

    def __init__(self, org: str, registry: str, client: str = "vscode") -> None:
        super().__init__()
        self.org = org
        self.registry = registry
        self.client = client if client in CLIENTS else "vscode"
        self.ready = False  # a dry run succeeded for the current choices
        self._generation = 0

    @property
    def services(self):
        return self.app.services  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text.assemble(
                    ("Export ", "bold"),
                    (f"{self.org} / {self.registry}", "bold"),
                    " to an MCP client config",
                ),
                id="export-title",
            )
            with Horizontal(classes="export-row"):
                yield Select(
                    [(CLIENT_NAMES[c], c) for c in CLIENTS],
                    value=self.client,
                    allow_blank=False,
                    id="export-client",
                )
                yield Checkbox("Inline secrets", id="export-inline")
                yield Checkbox("Allow missing", id="export-missing")
            with Horizontal(classes="export-row"):
                yield Static("File ", classes="export-label")
                yield Input(str(default_config_path(self.client)), id="export-path")
            yield Static("", id="export-status")
            yield TextArea(
                "", read_only=True, show_line_numbers=False, id="export-preview", soft_wrap=False
            )
            yield Static(
                "ctrl+s write (merges; keeps other servers; backup FILE.bak) · esc close",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#export-client", Select).focus()
        self.refresh_preview()

    # --- choosing -------------------------------------------------------------------------------

    @on(Select.Changed, "#export-client")
    def _client_changed(self, event: Select.Changed) -> None:
        if event.value == self.client or event.value is Select.BLANK:
            return
        self.client = str(event.value)
        self.query_one("#export-path", Input).value = str(default_config_path(self.client))
        self.refresh_preview()

    @on(Checkbox.Changed)
    def _option_changed(self) -> None:
        self.refresh_preview()

    @on(Input.Submitted, "#export-path")
    def _path_submitted(self) -> None:
        self.refresh_preview()

    def _options(self) -> dict:
        return {
            "actor": self.app.user,  # type: ignore[attr-defined]
            "org_slug": self.org,
            "registry_slug": self.registry,
            "client": self.client,
            "inline_secrets": self.query_one("#export-inline", Checkbox).value,
            "allow_missing": self.query_one("#export-missing", Checkbox).value,
        }

    def _path(self) -> Path | None:
        text = self.query_one("#export-path", Input).value.strip()
        return Path(text).expanduser() if text else None

    def refresh_preview(self) -> None:
        self.ready = False
        self._generation += 1
        generation = self._generation
        path = self._path()
        if path is None:
            self._status("Type the file to write.", "yellow")
            return
        self._status("Preparing…", "dim")
        self.app.call(  # type: ignore[attr-defined]
            self.services.export.install_with_names,
            path,
            dry_run=True,
            **self._options(),
            done=lambda result: self._previewed(generation, result),
            failed=lambda exc: self._failed(generation, exc),
        )

    def _previewed(self, generation: int, result) -> None:
        if generation != self._generation or not self.is_mounted:
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
        if changes:
            lines.append(escape("; ".join(changes)))
        if not install.diff:
            lines.append("The file already holds exactly this.")
        text = Text("\n".join(lines))
        for skipped in plan.skipped:
            text.append(f"\nskipped {escape(str(skipped))}", style="dim")
        for warning in plan.warnings:
            text.append(f"\n⚠ {escape(str(warning))}", style="yellow")
        self.query_one("#export-status", Static).update(text)
        # the diff is JSON: characters JSON leaves raw are shown as its own \uXXXX escapes
        self.query_one("#export-preview", TextArea).text = escape(
            escape_json(install.diff or ""), keep="\n\t"
        )
        self.ready = bool(install.diff)

    def _failed(self, generation: int, exc: Exception) -> None:
        if generation != self._generation or not self.is_mounted:
            return
        self._status(str(exc), "red")
        self.query_one("#export-preview", TextArea).text = ""
        if isinstance(exc, VaultLocked):
            # inlining secrets needs the data key: ask for the passphrase, then try again
            inline = self.query_one("#export-inline", Checkbox)

            def cancelled() -> None:
                inline.value = False

            self.app.with_vault(  # type: ignore[attr-defined]
                self.refresh_preview, "to write secret values into the export", cancelled
            )

    def _status(self, message: str, style: str) -> None:
        self.query_one("#export-status", Static).update(Text(escape(message), style=style))

    # --- writing --------------------------------------------------------------------------------

    def action_write(self) -> None:
        path = self._path()
        if not self.ready or path is None:
            self.app.bell()
            return
        self.ready = False

        def written(result) -> None:
            _plan, install = result
            backup = f" (previous file kept as {install.backup.name})" if install.backup else ""
            self.app.notify(f"Wrote {install.path}{backup}", title="Export")
            self.dismiss(True)

        self.app.call(  # type: ignore[attr-defined]
            self.services.export.install_with_names,
            path,
            **self._options(),
            done=written,
            failed=lambda exc: self._failed(self._generation, exc),
        )

    def action_cancel(self) -> None:
        self.dismiss(False)
