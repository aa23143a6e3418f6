"""Section 2 of the org screen: the registry tree, a filter, and the detail of what is selected.

Keys: n new (a registry at the root, else a server in the registry under the cursor), r rename,
d delete, m move a server, / filter, enter open, i import, e edit a registry's overview.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, MarkdownViewer, Static, Tree

from pylee_tui.models import Registry, Server, plural
from pylee_tui.safe_text import escape
from pylee_tui.screens.choice import confirm
from pylee_tui.screens.form import FormField, FormScreen
from pylee_tui.screens.overview_editor import MarkdownDocument, OverviewEditorScreen
from pylee_tui.screens.pick import PickScreen
from pylee_tui.screens.server_detail import ServerScreen, new_server_document
from pylee_tui.server_json import KNOWN_REGISTRY_TYPES, read_entries
from pylee_tui.widgets.registry_tree import NodeData, RegistryTree
from pylee_tui.widgets.safe_markdown import SafeMarkdownViewer

EMPTY_REGISTRY_OVERVIEW = "*No overview yet.* Press **e** to write one."


class RegistryBrowser(Widget):
    HELP_TITLE = "registries"
    BINDINGS = [
        Binding("n", "new", "New", id="registries.new", tooltip="New registry or server"),
        Binding("r", "rename", "Rename", id="registries.rename"),
        Binding("d", "delete", "Delete", id="registries.delete"),
        Binding("m", "move", "Move", id="registries.move", tooltip="Move a server"),
        Binding("slash", "filter", "Filter", id="registries.filter"),
        Binding("i", "import", "Import", id="registries.import", tooltip="Import server.json"),
        Binding("e", "edit_overview", "Edit", id="registries.edit", tooltip="Edit the overview"),
        Binding("x", "export", "Export", id="registries.export", tooltip="Export to an MCP client"),
    ]
    DEFAULT_CSS = """
    RegistryBrowser { height: 1fr; }
    RegistryBrowser #registry-filter { display: none; margin: 0 1; }
    RegistryBrowser #registry-filter.-shown { display: block; }
    RegistryBrowser #registry-tree { width: 1fr; min-width: 36; }
    RegistryBrowser #registry-detail { width: 1fr; padding: 0 1; border-left: vkey $primary 40%; }
    RegistryBrowser #detail-title { text-style: bold; }
    RegistryBrowser #detail-body { color: $text-muted; padding-bottom: 1; }
    RegistryBrowser #registry-overview { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.org_slug: str | None = None
        self.query_text = ""
        self.servers: dict[tuple[str, str], Server] = {}
        self._filter_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Filter servers by name…", id="registry-filter")
        with Horizontal():
            yield RegistryTree(id="registry-tree")
            with Vertical(id="registry-detail"):
                yield Static("", id="detail-title")
                yield Static("", id="detail-body")
                with VerticalScroll(id="detail-scroll"):
                    yield SafeMarkdownViewer(
                        "", show_table_of_contents=False, id="registry-overview"
                    )

    # --- plumbing ------------------------------------------------------------------------

    @property
    def tree(self) -> RegistryTree:
        return self.query_one(RegistryTree)

    @property
    def services(self):
        return self.app.services  # type: ignore[attr-defined]

    @property
    def user(self) -> str:
        return self.app.user  # type: ignore[attr-defined]

    def call(self, fn, *args, done=None, failed=None, **kwargs) -> None:
        self.app.call(fn, *args, done=done, failed=failed, **kwargs)  # type: ignore[attr-defined]

    def allowed(self, permission: str) -> bool:
        view = getattr(self.screen, "view", None)
        return bool(view and permission in view.allowed)

    @property
    def cursor(self) -> NodeData | None:
        node = self.tree.cursor_node
        return node.data if node else None

    def on_mount(self) -> None:
        self.tree.focus()
        if self.org_slug is not None:
            self.refresh_data()

    def show_org(self, org_slug: str) -> None:
        if not self.query("#registry-filter"):  # not composed yet: on_mount loads it
            self.org_slug = org_slug
            return
        if org_slug != self.org_slug:
            self.query_text = ""
            filter_input = self.query_one("#registry-filter", Input)
            filter_input.value = ""
            filter_input.remove_class("-shown")
        self.org_slug = org_slug
        self.refresh_data()

    def refresh_data(self) -> None:
        """Reload the registries (and the servers of every open or filtered registry)."""
        if self.org_slug is None:
            return
        org = self.org_slug
        open_registries = [
            n.data.registry for n in self.tree.root.children if n.data and n.is_expanded
        ]

        def load():
            registries = self.services.registries.list(self.user, org)
            slugs = [r.slug for r in registries]
            wanted = slugs if self.query_text else [s for s in open_registries if s in slugs]
            servers = {
                slug: self.services.registries.list_servers(self.user, org, slug, self.query_text)
                for slug in wanted
            }
            return registries, servers

        self.call(load, done=self._loaded)

    def _loaded(self, result) -> None:
        registries, servers = result
        self.tree.set_registries(registries)
        for slug, found in servers.items():
            self._show_servers(slug, found)
        if self.query_text:
            for slug, found in servers.items():
                node = self.tree.registry_node(slug)
                if node is not None and found:
                    node.expand()
        self._show_detail()

    def _show_servers(self, slug: str, servers: list[Server]) -> None:
        for server in servers:
            self.servers[(slug, server.name)] = server
        self.tree.set_servers(slug, servers, filtered=bool(self.query_text))

    @on(RegistryTree.NeedServers)
    def _need_servers(self, event: RegistryTree.NeedServers) -> None:
        org, slug, query = self.org_slug, event.registry, self.query_text
        self.call(
            self.services.registries.list_servers,
            self.user,
            org,
            slug,
            query,
            done=lambda servers: self._show_servers(slug, servers),
        )

    # --- detail --------------------------------------------------------------------------

    @on(Tree.NodeHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        data = self.cursor
        title = self.query_one("#detail-title", Static)
        body = self.query_one("#detail-body", Static)
        viewer = self.query_one("#registry-overview", MarkdownViewer)
        if data is None or data.kind in ("root", "placeholder"):
            count = len(self.tree.registries)
            title.update(f"{plural(count, 'registry')}")
            body.update(
                "A registry is a curated collection of MCP servers. n creates one."
                if not count
                else "n new registry · enter or → open · / filter · i import into a registry"
            )
            viewer.display = False
            return
        if data.kind == "registry":
            summary = self.tree.registries.get(data.registry or "")
            if summary is None:
                return
            title.update(Text(escape(summary.name)))
            body.update(
                Text(
                    f"{summary.slug} · {plural(summary.server_count, 'server')}"
                    + (f" · {summary.draft_count} draft" if summary.draft_count else "")
                    + (f"\n{escape(summary.description)}" if summary.description else "")
                )
            )
            viewer.display = True
            self.call(
                self.services.registries.get,
                self.user,
                self.org_slug,
                data.registry,
                done=self._registry_loaded,
            )
            return
        server = self.servers.get((data.registry or "", data.server or ""))
        if server is None:
            return
        viewer.display = False
        title.update(Text(escape(server.name)))
        lines = [
            f"version {escape(server.version) or '—'} · {server.status}",
            escape(server.description or ""),
        ]
        if server.problems:
            lines.append(f"{plural(len(server.problems), 'problem')}:")
            lines += [f"  {escape(p['path'])}: {escape(p['reason'])}" for p in server.problems[:6]]
        lines.append("enter opens it")
        body.update(Text("\n".join(line for line in lines if line)))

    async def _registry_loaded(self, registry: Registry) -> None:
        data = self.cursor
        if data is None or data.kind != "registry" or data.registry != registry.slug:
            return
        viewer = self.query_one("#registry-overview", SafeMarkdownViewer)
        await viewer.show(registry.overview or EMPTY_REGISTRY_OVERVIEW)

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected) -> None:
        data = event.node.data
        if data and data.kind == "server":
            self.open_server(data.registry or "", data.server or "")

    def open_server(self, registry: str, name: str) -> None:
        view = getattr(self.screen, "view", None)
        role = view.role if view else ""
        self.app.push_screen(
            ServerScreen(self.org_slug or "", registry, name, role),
            callback=lambda _changed: self.refresh_data(),
        )

    # --- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        data = self.cursor
        writes = self.allowed("registries:write")
        if action == "filter":
            return True
        if action == "new":
            return True if writes else None
        if action in ("rename", "delete"):
            if data is None or data.kind not in ("registry", "server"):
                return None
            return True if writes else None
        if action == "move":
            return True if writes and data is not None and data.kind == "server" else None
        if action == "import":
            return True if writes and data is not None and data.registry else None
        if action == "edit_overview":
            return True if writes and data is not None and data.kind == "registry" else None
        if action == "export":
            return True if data is not None and data.registry else None
        return True

    def action_filter(self) -> None:
        filter_input = self.query_one("#registry-filter", Input)
        filter_input.add_class("-shown")
        filter_input.focus()

    @on(Input.Changed, "#registry-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        value = event.value.strip()
        self._filter_timer = self.set_timer(0.15, lambda: self._apply_filter(value))

    def _apply_filter(self, value: str) -> None:
        self.query_text = value
        self.refresh_data()

    @on(Input.Submitted, "#registry-filter")
    def _filter_done(self) -> None:
        self.tree.focus()

    def key_escape(self) -> None:
        filter_input = self.query_one("#registry-filter", Input)
        if filter_input.has_class("-shown"):
            filter_input.value = ""
            filter_input.remove_class("-shown")
            self.query_text = ""
            self.tree.focus()
            self.refresh_data()

    def _form(self, form: FormScreen, message) -> None:
        def closed(result: Any) -> None:
            if result is not None:
                self.notify(message(result), timeout=4)
                self.refresh_data()
                self.screen.reload()  # type: ignore[attr-defined]

        self.app.push_screen(form, callback=closed)

    def action_new(self) -> None:
        data = self.cursor
        if data is None or data.kind in ("root", "placeholder") or not data.registry:
            self.new_registry()
        else:
            self.new_server(data.registry)

    def new_registry(self) -> None:
        org = self.org_slug

        def create(values: dict[str, str]):
            return self.services.registries.create(
                self.user, org, values["name"], values["slug"] or None, values["description"]
            )

        self._form(
            FormScreen(
                "New registry",
                [
                    FormField("name", "Name", "name", placeholder="Core Tools"),
                    FormField(
                        "slug", "Slug", "slug", placeholder="derived from the name", optional=True
                    ),
                    FormField("description", "Description", "description", optional=True),
                ],
                create,
                submit_label="Create",
            ),
            lambda reg: f"Created registry {reg.name}.",
        )

    def new_server(self, registry: str) -> None:
        org = self.org_slug

        def create(values: dict[str, str]):
            document = new_server_document(values)
            return self.services.registries.add_server(self.user, org, registry, document)

        self._form(
            FormScreen(
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
                create,
                submit_label="Add",
                intro="A server launched from a package over stdio. Edit the raw server.json "
                "afterwards for remotes, arguments and environment variables.",
            ),
            lambda server: f"Added {server.name}.",
        )

    def action_rename(self) -> None:
        data = self.cursor
        if data is None:
            return
        org = self.org_slug
        if data.kind == "registry":
            summary = self.tree.registries[data.registry or ""]

            def save(values: dict[str, str]):
                return self.services.registries.edit(
                    self.user,
                    org,
                    summary.slug,
                    name=values["name"],
                    new_slug=values["slug"],
                    description=values["description"],
                )

            self._form(
                FormScreen(
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
                ),
                lambda reg: f"Saved registry {reg.name}.",
            )
        elif data.kind == "server":
            server = self.servers[(data.registry or "", data.server or "")]

            def rename(values: dict[str, str]):
                document = dict(server.document, name=values["name"])
                return self.services.registries.update_server(
                    self.user, org, data.registry, server.name, document
                )

            self._form(
                FormScreen(
                    f"Rename {server.name}",
                    [FormField("name", "Name", "server_name", value=server.name)],
                    rename,
                    intro="Drafts must be fixed before they can be renamed (open with enter).",
                ),
                lambda s: f"Renamed to {s.name}.",
            )

    def action_delete(self) -> None:
        data = self.cursor
        if data is None or data.kind not in ("registry", "server"):
            return
        org, registries = self.org_slug, self.services.registries
        if data.kind == "registry":
            summary = self.tree.registries[data.registry or ""]

            def ask(report) -> None:
                self.app.push_screen(
                    confirm(
                        f"Delete registry {summary.name}?",
                        f"This removes {plural(report.servers, 'server')} and "
                        f"{plural(report.variables, 'variable or secret')} with it.",
                        yes="Delete",
                        variant="error",
                    ),
                    callback=lambda answer: self._run_delete(
                        answer, registries.delete, org, summary.slug
                    ),
                )

            # check: a delete this user may not make is refused now, not after "Delete?"
            self.call(registries.contents, self.user, org, summary.slug, check=True, done=ask)
        else:

            def ask_server(report) -> None:
                self.app.push_screen(
                    confirm(
                        f"Remove {data.server}?",
                        f"It is removed from registry {data.registry} with "
                        f"{plural(report.variables, 'variable or secret')}.",
                        yes="Remove",
                        variant="error",
                    ),
                    callback=lambda answer: self._run_delete(
                        answer, registries.remove_server, org, data.registry, data.server
                    ),
                )

            self.call(
                registries.server_contents,
                self.user,
                org,
                data.registry,
                data.server,
                check=True,
                done=ask_server,
            )

    def _run_delete(self, answer: str | None, fn, *args) -> None:
        if answer != "yes":
            return

        def done(report) -> None:
            self.notify(f"Removed {report.describe()}.", timeout=4)
            self.refresh_data()
            self.screen.reload()  # type: ignore[attr-defined]

        self.call(fn, self.user, *args, done=done)

    def action_move(self) -> None:
        data = self.cursor
        if data is None or data.kind != "server":
            return
        others = [r for slug, r in self.tree.registries.items() if slug != data.registry]
        if not others:
            self.notify("There is no other registry to move it to.", severity="warning")
            return

        def picked(target: str | None) -> None:
            if target is None:
                return
            self.call(
                self.services.registries.move_server,
                self.user,
                self.org_slug,
                data.registry,
                data.server,
                target,
                done=lambda s: (self.notify(f"Moved {s.name} to {target}."), self.refresh_data()),
            )

        self.app.push_screen(
            PickScreen(
                f"Move {data.server} to…", [(r.slug, f"{r.name}  ({r.slug})") for r in others]
            ),
            callback=picked,
        )

    def action_export(self) -> None:
        data = self.cursor
        if data is None or not data.registry:
            return
        from pylee_tui.screens.export_preview import ExportScreen

        self.app.push_screen(ExportScreen(self.org_slug, data.registry))

    def action_import(self) -> None:
        data = self.cursor
        if data is None or not data.registry:
            return
        org, registry = self.org_slug, data.registry

        def run(values: dict[str, str]):
            entries = []
            paths = values["path"].split()
            for path in paths:
                try:
                    entries += read_entries(path)
                except ValueError as exc:
                    from pylee_tui.services import InvalidInput

                    raise InvalidInput(str(exc)) from None
            return self.services.registries.import_servers(
                self.user, org, registry, entries, source=" ".join(paths)
            )

        def closed(report) -> None:
            if report is None:
                return
            self.refresh_data()
            self.screen.reload()  # type: ignore[attr-defined]
            self.app.push_screen(
                confirm("Import finished", report.summary(), yes="OK"), callback=lambda _: None
            )

        self.app.push_screen(
            FormScreen(
                f"Import into {registry}",
                [FormField("path", "server.json file(s), separated by spaces", None)],
                run,
                submit_label="Import",
                intro="Each file holds one server or a list, in the current or the legacy shape. "
                "Entries with faults you can fix are kept as drafts.",
            ),
            callback=closed,
        )

    def action_edit_overview(self) -> None:
        data = self.cursor
        if data is None or data.kind != "registry":
            return
        org, slug, user, registries = (
            self.org_slug,
            data.registry or "",
            self.user,
            self.services.registries,
        )

        def load():
            registry = registries.get(user, org, slug)
            return registry.overview, registry.updated_at

        def save(text: str, base, force: bool):
            return registries.edit(
                user, org, slug, overview=text, overview_base=base, force=force
            ).updated_at

        def opened(loaded) -> None:
            text, base = loaded
            summary = self.tree.registries[slug]
            document = MarkdownDocument(f"{summary.name} · overview", slug, text, base, save, load)
            view = getattr(self.screen, "view", None)
            self.app.push_screen(
                OverviewEditorScreen(document, user, view.role if view else ""),
                callback=lambda _saved: self._show_detail(),
            )

        self.call(load, done=opened)
