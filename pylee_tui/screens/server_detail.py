"""One MCP server: summary, the launch command a client would run, the inputs it declares, its
problems when it is a draft; a form for the common fields and the raw server.json editor."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static

from pylee_tui.dialogs.form import FormField, FormScreen
from pylee_tui.models import Server, plural
from pylee_tui.safe_text import escape
from pylee_tui.screens.raw_json_editor import RawJsonScreen
from pylee_tui.server_json import launch_command
from pylee_tui.services import Scope, Services
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
    ]

    def __init__(self, org: str, registry: str, name: str, role: str) -> None:
        super().__init__()
        self.org = org
        self.registry = registry
        self.name_ = name
        self.role = role
        self.server: Server | None = None
        self.changed = False

    def compose(self) -> ComposeResult:
        yield OrgBar()
        with VerticalScroll(id="server-page"):
            yield Static("", id="server-summary")
            yield Static("Launch", classes="section-title")
            yield Static("", id="server-launch")
            yield Static("Environment variables and headers", classes="section-title")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="server-inputs")
            yield Static("", id="server-problems")
        yield PyleeFooter()

    def on_mount(self) -> None:
        bar = self.query_one(OrgBar)
        bar.org_name, bar.org_slug = self.name_, f"{self.org} / {self.registry}"
        bar.user, bar.role = pylee_app(self).require_user(), self.role
        self.query_one(DataTable).add_columns(
            "Name", "Where", "Required", "Secret", "Default", "Description"
        )
        self.load()

    @property
    def services(self) -> Services:
        return pylee_app(self).require_services()

    def load(self) -> None:
        pylee_app(self).call(
            self.services.registries.get_server,
            pylee_app(self).require_user(),
            Scope(self.org, self.registry, self.name_),
            done=self.show,
        )

    def show(self, server: Server) -> None:
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
        command = launch_command(doc)
        self.query_one("#server-launch", Static).update(
            Text(
                escape(command) if command else "(nothing a client can launch yet)",
                style="bold" if command else "dim",
            )
        )
        table = self.query_one(DataTable)
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
