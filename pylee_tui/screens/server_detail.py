"""One MCP server: summary, the launch command `run` executes (what it misses, the secrets it
passes by name), the inputs it declares, its problems when it is a draft; a form for the common
fields and the raw server.json editor. Its last check: the tools (each callable from a form built
from its input schema), resources and prompts it offered, and the context its tools cost; `k`
checks it again (in a worker). Its versions (screens/server_versions.py): publish, diff, roll
back, pin."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from pylee_tui.dialogs.form import FormField, FormScreen
from pylee_tui.dialogs.tool_call import ToolCallScreen
from pylee_tui.models import Server, plural
from pylee_tui.safe_text import escape
from pylee_tui.screens.raw_json_editor import RawJsonScreen
from pylee_tui.screens.server_tools import (
    NEVER_CHECKED,
    check_line,
    prompt_rows,
    resource_rows,
    tool_rows,
)
from pylee_tui.screens.server_versions import VersionsPane
from pylee_tui.services import InvalidInput, Scope, Services, VaultLocked
from pylee_tui.widgets.footer import PyleeFooter
from pylee_tui.widgets.org_bar import OrgBar
from pylee_tui.widgets.pylee_app import pylee_app


def declared_inputs(document: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """(name, where, required, secret, default, description) for every env var and header."""
    rows = []
    for i, package in enumerate(document.get("packages") or []):
        if not isinstance(package, dict):
            continue
        where = f"package {i + 1} env"
        for var in package.get("environmentVariables") or []:
            rows.append(_input_row(var, where))
        transport = package.get("transport") or {}
        for header in (transport.get("headers") if isinstance(transport, dict) else None) or []:
            rows.append(_input_row(header, f"package {i + 1} header"))
    for i, remote in enumerate(document.get("remotes") or []):
        if isinstance(remote, dict):
            for header in remote.get("headers") or []:
                rows.append(_input_row(header, f"remote {i + 1} header"))
    return rows


def _input_row(item: Any, where: str) -> tuple[str, str, str, str, str, str]:
    if not isinstance(item, dict):
        return (str(item), where, "", "", "", "")
    return (
        str(item.get("name", "")),
        where,
        "required" if item.get("isRequired") else "",
        "secret" if item.get("isSecret") else "",
        str(item.get("default", "")),
        str(item.get("description", ""))[:60],
    )


def launch_text(preview: Any) -> Text:
    """The command `run` executes (or why nothing can start), what it misses, the secrets it
    passes (names only: nothing is decrypted to show this)."""
    if preview.problems:
        text = Text("(nothing can be started yet)", style="dim")
        for problem in preview.problems:
            text.append(f"\n  {escape(problem)}", style="yellow")
        return text
    text = Text(escape(preview.command_line), style="bold")
    if preview.missing:
        text.append(f"\nmissing: {escape(', '.join(preview.missing))}", style="yellow")
    if preview.secret_keys:
        text.append(f"\nsecrets passed: {escape(', '.join(preview.secret_keys))}", style="dim")
    return text


def _repository(document: dict[str, Any]) -> dict[str, Any]:
    """The document's `repository` object ({} when it has none, or not an object)."""
    repository = document.get("repository")
    return repository if isinstance(repository, dict) else {}


class ServerScreen(Screen[bool]):
    """Dismisses with True when the server was changed."""

    HELP_TITLE = "server"
    BINDINGS = [
        Binding("escape", "back", "Back", id="server.back"),
        Binding("f", "edit_form", "Edit", id="server.edit", tooltip="Edit the common fields"),
        Binding("j", "edit_raw", "Raw JSON", id="server.raw", tooltip="Edit the raw server.json"),
        Binding("k", "check", "Check", id="server.check", tooltip="Check the server now"),
    ]
    DEFAULT_CSS = """
    ServerScreen #server-check-line { padding: 0 1; height: auto; }
    ServerScreen #server-tabs { height: 1fr; }
    ServerScreen .server-offers { height: 1fr; }
    ServerScreen .server-empty { color: $text-muted; padding: 1; }
    """

    def __init__(self, org: str, registry: str, name: str, role: str) -> None:
        super().__init__()
        self.org = org
        self.registry = registry
        self.name_ = name
        self.role = role
        self.server: Server | None = None
        self.changed = False
        self.last_check: Any = None  # the CheckResult shown (None: never checked)

    def compose(self) -> ComposeResult:
        yield OrgBar()
        yield Static(Text("…", style="dim"), id="server-check-line")
        with TabbedContent(id="server-tabs"):
            with TabPane("Overview", id="tab-overview"), VerticalScroll(id="server-page"):
                yield Static("", id="server-summary")
                yield Static("Launch (what pylee-tui run executes)", classes="section-title")
                yield Static("", id="server-launch")
                yield Static("Environment variables and headers", classes="section-title")
                yield DataTable(cursor_type="row", zebra_stripes=True, id="server-inputs")
                yield Static("", id="server-problems")
            for name in ("Tools", "Resources", "Prompts"):
                key = name.lower()
                with TabPane(name, id=f"tab-{key}"):
                    yield Static(NEVER_CHECKED, id=f"server-{key}-empty", classes="server-empty")
                    yield DataTable(
                        cursor_type="row",
                        zebra_stripes=True,
                        id=f"server-{key}",
                        classes="server-offers",
                    )
            with TabPane("Versions", id="tab-versions"):
                yield VersionsPane(lambda: self.scope, self._versions_changed)
        yield PyleeFooter()

    def _versions_changed(self) -> None:
        """A publish, rollback or pin: the working copy (and what run uses) may have changed."""
        self.changed = True
        self.load()

    def on_mount(self) -> None:
        bar = self.query_one(OrgBar)
        bar.org_name, bar.org_slug = self.name_, f"{self.org} / {self.registry}"
        bar.user, bar.role = pylee_app(self).require_user(), self.role
        self.query_one("#server-inputs", DataTable).add_columns(
            "Name", "Where", "Required", "Secret", "Default", "Description"
        )
        self.query_one("#server-tools", DataTable).add_columns("Tool", "≈ tokens", "Description")
        self.query_one("#server-resources", DataTable).add_columns(
            "Name", "URI", "Type", "Description"
        )
        self.query_one("#server-prompts", DataTable).add_columns(
            "Prompt", "Arguments", "Description"
        )
        self.load()

    @property
    def services(self) -> Services:
        return pylee_app(self).require_services()

    @property
    def scope(self) -> Scope:
        return Scope(self.org, self.registry, self.name_)

    def load(self) -> None:
        app, services, user = pylee_app(self), self.services, pylee_app(self).require_user()

        def read() -> tuple[Server, Any, Any]:
            scope = self.scope
            server = services.registries.get_server(user, scope)
            scope = Scope(self.org, self.registry, server.name)
            if {"launch", "checks"} & getattr(services, "local_only", frozenset()):
                return server, None, None  # not offered against a team server (app_team)
            return (
                server,
                services.launch.preview(user, scope),
                services.checks.last_result(user, scope),
            )

        app.call(read, done=lambda found: self.show(*found), group="server-page")

    def show(self, server: Server, preview: Any = None, last_check: Any = None) -> None:
        self.server = server
        self.name_ = server.name
        self.query_one(OrgBar).org_name = server.name
        doc = server.document
        repo = _repository(doc)
        summary = Text()
        summary.append(escape(server.name), style="bold")
        summary.append(f"  {escape(server.version) or 'no version'}", style="dim")
        if server.status == "draft":
            summary.append(f"  ⚠ draft, {plural(len(server.problems), 'problem')}", style="yellow")
        summary.append(f"\n{escape(server.description or '(no description)')}\n")
        if repo.get("url"):
            summary.append(f"repository  {escape(str(repo.get('url')))}\n", style="dim")
        if doc.get("websiteUrl"):
            summary.append(f"website     {escape(str(doc['websiteUrl']))}\n", style="dim")
        self.query_one("#server-summary", Static).update(summary)
        if preview is not None:
            self.query_one("#server-launch", Static).update(launch_text(preview))
            self.show_check(last_check)
        elif {"launch", "checks"} & getattr(self.services, "local_only", frozenset()):
            self.query_one("#server-launch", Static).update(
                Text("Launching and checking a server work with a local store only.", "dim")
            )
        table = self.query_one("#server-inputs", DataTable)
        table.clear()
        for row in declared_inputs(doc):
            table.add_row(*(Text(escape(cell)) for cell in row))
        problems = self.query_one("#server-problems", Static)
        if server.problems:
            text = Text("Problems (fix them in the raw editor: j)\n", style="bold yellow")
            for p in server.problems:
                text.append(f"  {escape(p['path'])}: {escape(p['reason'])}\n")
            problems.update(text)
        else:
            problems.update("")

    def show_check(self, result: Any) -> None:
        """The last check: its line, and what the server offered then."""
        self.last_check = result
        self.query_one("#server-check-line", Static).update(check_line(result))
        tools = self.query_one("#server-tools", DataTable)
        tools.clear()
        for key, row in tool_rows(result):
            tools.add_row(*row, key=key)
        for name, rows in (
            ("resources", resource_rows(result)),
            ("prompts", prompt_rows(result)),
        ):
            table = self.query_one(f"#server-{name}", DataTable)
            table.clear()
            for cells in rows:
                table.add_row(*cells)
        for name in ("tools", "resources", "prompts"):
            table = self.query_one(f"#server-{name}", DataTable)
            empty = self.query_one(f"#server-{name}-empty", Static)
            table.display = table.row_count > 0
            empty.display = not table.display
            empty.update(NEVER_CHECKED if result is None else f"It offered no {name}.")

    def action_check(self) -> None:
        app, services, user = pylee_app(self), self.services, pylee_app(self).require_user()
        scope = self.scope

        def done(results: list[Any]) -> None:
            if not results:
                return
            result = results[0]
            self.changed = True  # the tree's badge follows
            self.show_check(result)
            self.notify(
                escape(f"{self.name_}: {result.state}"),
                title="Check",
                severity="information" if result.ok else "warning",
                markup=False,
            )

        def failed(exc: Exception) -> None:
            if isinstance(exc, VaultLocked):
                app.with_vault(attempt, reason=f"To check {self.name_} the vault must be unlocked.")
            else:
                self.notify(escape(str(exc)), severity="error", markup=False)

        def attempt() -> None:
            self.query_one("#server-check-line", Static).update(
                Text(f"Checking {escape(self.name_)}…", style="dim italic")
            )
            app.call(
                services.checks.check,
                user,
                scope,
                isolated=True,  # in a child process: the UI never waits on it
                done=done,
                failed=failed,
                group="server-check",
            )

        attempt()

    @on(DataTable.RowSelected, "#server-tools")
    def _tool_chosen(self, event: DataTable.RowSelected) -> None:
        result = self.last_check
        if result is None or event.row_key.value is None:
            return
        tool = result.tools[int(event.row_key.value)]
        self.app.push_screen(ToolCallScreen(self.name_, tool, self._call(tool)))

    def _call(self, definition: dict[str, Any]) -> Any:
        """The form's caller: what the tool's schema refuses said at once (no server started
        for it), else `checks.call` in a worker, the vault asked for when locked."""
        app, services, user = pylee_app(self), self.services, pylee_app(self).require_user()
        scope = self.scope
        tool = str(definition.get("name"))

        def caller(values: dict[str, str], done: Any, refused: Any) -> None:
            problems = services.checks.form_problems(definition, values)
            if problems:
                refused(InvalidInput("\n".join(problems)))
                return

            def failed(exc: Exception) -> None:
                if isinstance(exc, VaultLocked):
                    reason = f"To call {tool} the vault must be unlocked."
                    app.with_vault(attempt, reason=reason, cancelled=lambda: refused(exc))
                else:
                    refused(exc)

            def attempt() -> None:
                app.call(
                    services.checks.call,
                    user,
                    scope,
                    tool,
                    text_arguments=values,
                    isolated=True,
                    done=done,
                    failed=failed,
                    group="tool-call",
                )

            attempt()

        return caller

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit_form", "edit_raw"):
            view = getattr(self.app.screen_stack[0], "view", None)
            return True if view and "registries:write" in view.allowed else None
        return True

    def _saved(self, server: Server | None) -> None:
        if server is None:
            return
        self.changed = True
        self.notify(f"Saved {server.name}.", timeout=3)
        self.show(server)
        self.query_one(VersionsPane).load()  # the edit is an unpublished change now

    def _update(self, document: dict[str, Any]) -> Server:
        return self.services.registries.edit_server(
            pylee_app(self).require_user(), Scope(self.org, self.registry, self.name_), document
        ).server

    def action_edit_form(self) -> None:
        if self.server is None:
            return
        doc = self.server.document
        repo = _repository(doc)

        def save(values: dict[str, str]) -> Server:
            document = dict(doc)
            document.update(
                name=values["name"].strip(),
                version=values["version"].strip(),
                description=values["description"].strip(),
            )
            for key, value in (("websiteUrl", values["websiteUrl"].strip()),):
                if value:
                    document[key] = value
                else:
                    document.pop(key, None)
            if values["repository"].strip():
                document["repository"] = dict(repo, url=values["repository"].strip())
                document["repository"].setdefault("source", "github")
            return self._update(document)

        self.app.push_screen(
            FormScreen(
                f"Edit {self.server.name}",
                [
                    FormField("name", "Name", "server_name", value=self.server.name),
                    FormField("version", "Version", None, value=str(doc.get("version", ""))),
                    FormField(
                        "description",
                        "Description (1-100 characters)",
                        None,
                        value=str(doc.get("description", "")),
                    ),
                    FormField(
                        "websiteUrl", "Website", None, str(doc.get("websiteUrl", "")), optional=True
                    ),
                    FormField(
                        "repository",
                        "Repository URL",
                        None,
                        str(repo.get("url", "")),
                        optional=True,
                    ),
                ],
                save,
                intro="Packages, remotes, arguments and variables: edit the raw server.json (j).",
            ),
            callback=self._saved,
        )

    def action_edit_raw(self) -> None:
        if self.server is None:
            return
        self.app.push_screen(
            RawJsonScreen(f"{self.server.name} · server.json", self.server.document, self._update),
            callback=self._saved,
        )

    def action_back(self) -> None:
        self.dismiss(self.changed)
