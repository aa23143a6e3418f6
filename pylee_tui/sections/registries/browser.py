"""Section 2 of the org screen: the registry tree, a filter, and the detail of what is selected.

Keys: n new (a registry at the root, else a server in the registry under the cursor), r rename,
d delete, m move a server, / filter, D drafts only, > and < next and previous draft, enter open,
i import, e edit a registry's overview, x export, k check a server, K check a registry, j down.

After every change the cursor goes to the changed item (or the nearest one still shown) with the
tree's open registries kept, and the detail always describes the item under the cursor. A key
that is shown disabled says why when pressed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Tree
from textual.worker import Worker

from pylee_tui.models import Registry, RegistrySummary
from pylee_tui.sections.base import OrgSection
from pylee_tui.sections.registries import checks
from pylee_tui.sections.registries.before_filter import BeforeFilter
from pylee_tui.sections.registries.detail import RegistryDetail
from pylee_tui.sections.registries.forms import (
    DOING,
    NEEDS_ITEM,
)
from pylee_tui.sections.registries.tree import ROOT, NodeData, RegistryTree, next_draft
from pylee_tui.sections.registries.writes import RegistryWrites
from pylee_tui.services import Scope
from pylee_tui.services.registries import SERVER_PAGE, ServerLine, ServerPage
from pylee_tui.widgets.disabled_keys import SaysWhyDisabled, permission_refusal
from pylee_tui.widgets.markdown_document import MarkdownDocument

WRITES = "registries:write"
FILTERED_PAGE = 10  # servers shown per registry while filtering (every registry may show some)
MANY_OPEN = 5  # more registries open than this: each shows FILTERED_PAGE servers at first


class RegistryBrowser(SaysWhyDisabled, OrgSection):
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
        *checks.BINDINGS,
        Binding(
            "D",
            "drafts_only",
            "Drafts only",
            show=False,
            id="registries.drafts_only",
            tooltip="Show only the drafts (again: everything)",
        ),
        Binding(
            "greater_than_sign",
            "next_draft(1)",
            "Next draft",
            show=False,
            id="registries.next_draft",
        ),
        Binding(
            "less_than_sign",
            "next_draft(-1)",
            "Previous draft",
            show=False,
            id="registries.previous_draft",
        ),
    ]
    DEFAULT_CSS = """
    RegistryBrowser { height: 1fr; }
    RegistryBrowser #registry-filter { display: none; margin: 0 1; }
    RegistryBrowser #registry-filter.-shown { display: block; }
    RegistryBrowser #registry-tree { width: 1fr; min-width: 36; }
    """

    class OpenServer(Message):
        """Open a server's page (a full screen: the org screen pushes it, then calls
        `server_closed`)."""

        def __init__(self, browser: RegistryBrowser, org: str, registry: str, server: str):
            super().__init__()
            self.browser, self.org, self.registry, self.server = browser, org, registry, server

    class EditOverview(Message):
        """Edit a registry's overview in the editor screen (the org screen pushes it, then
        calls `overview_closed`)."""

        def __init__(self, browser: RegistryBrowser, document: MarkdownDocument):
            super().__init__()
            self.browser, self.document = browser, document

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.org_slug: str | None = None
        self.query_text = ""
        self.drafts_only = False
        self.servers: dict[tuple[str, str], ServerLine] = {}  # those the tree's pages show
        # where the cursor goes (and what opens) once the next load lands
        self._want: list[NodeData] = []
        self._expand: set[str] = set()
        self._before_filter: BeforeFilter | None = None  # the tree a filter's end shows again
        self._pages_asked: tuple[str, bool] | None = None  # the filter the pages shown answer
        self._read_at_mount: str | None = None  # the org read since mount, before show_org
        self._overview_of: str | None = None  # the registry whose overview the detail holds
        self.checks = checks.ServerChecks(self)  # k, K and the badges
        self.writes = RegistryWrites(self)  # n, r, d, m, x, i, e

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Filter servers by name…", id="registry-filter")
        with Horizontal():
            yield RegistryTree(id="registry-tree")
            yield RegistryDetail(id="registry-detail")

    # --- plumbing ------------------------------------------------------------------------

    @property
    def registry_tree(self) -> RegistryTree:
        return self.query_one(RegistryTree)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Worker:
        """`PyleeApp.call` (done=, failed=, group= as there)."""
        return self.pylee_app.call(fn, *args, **kwargs)

    @property
    def org(self) -> str:
        """The org shown: keys and loads act only once there is one."""
        if self.org_slug is None:
            raise RuntimeError("the registries section has no org yet")
        return self.org_slug

    @property
    def cursor(self) -> NodeData | None:
        node = self.registry_tree.cursor_node
        return node.data if node else None

    @property
    def filtered(self) -> bool:
        return bool(self.query_text) or self.drafts_only

    def on_mount(self) -> None:
        self.registry_tree.focus()
        if self.org_slug is None and self.view is not None:
            # built on a first visit: the org screen asks for the org once the section has
            # painted; read it now, while Textual lays out and paints it, so that the first
            # frame shows the registries rather than an empty tree followed by another frame
            self.org_slug = self._read_at_mount = self.view.org.slug
        if self.org_slug is not None:
            self.refresh_data()

    def show_org(self, org_slug: str) -> None:
        if not self.query("#registry-filter"):  # not composed yet: on_mount loads it
            self.org_slug = org_slug
            return
        read, self._read_at_mount = self._read_at_mount, None
        if read == org_slug == self.org_slug:  # read at mount (landed, or on its way)
            return
        if org_slug != self.org_slug:
            self.query_text = ""
            self.drafts_only = False
            self.registry_tree.note = ""
            self._before_filter = None
            self._want, self._expand = [], set()
            self._overview_of = None
            filter_input = self.query_one("#registry-filter", Input)
            filter_input.value = ""
            filter_input.remove_class("-shown")
        self.org_slug = org_slug
        self.refresh_data()

    # --- loading -------------------------------------------------------------------------

    def refresh_data(
        self,
        *,
        prefer: Sequence[NodeData] = (),
        expand: Iterable[str] = (),
        same_registries: bool = False,
        known: tuple[list[RegistrySummary], dict[str, ServerPage]] | None = None,
    ) -> None:
        """Reload the registries and the servers of every open (or, filtered, every) registry.
        The cursor then goes to the first of `prefer` shown, else stays on its item or the
        nearest one; `expand` opens registries besides those open now. Only the last load asked
        for is shown (a load cancels the one still running), so an older one landing late
        cannot move anything back. `same_registries`: only the servers shown change (a filter),
        so the registries are not read again (any other load forgets the tree shown before a
        filter: it may be out of date). `known`: the registries and pages of some of them as
        they are in the store (shown before a filter), not read again."""
        if self.org_slug is None:
            return
        if not same_registries:
            self._before_filter = None
        if prefer:
            self._want = list(prefer)
        self._expand |= set(expand)
        org, query, drafts_only, filtered = self.org_slug, *self.asked, self.filtered
        tree = self.registry_tree
        wanted_open = tree.open_registries() | self._expand
        wanted_open |= {d.registry for d in self._want if d.registry}
        # a page each: a short one when many are open (say, left open by a filter)
        few = not self._short_pages(wanted_open)
        at, limit = self._page_starts(), SERVER_PAGE if few else FILTERED_PAGE
        service, user = self.services.registries, self.user
        registries_known, pages_known = known or (
            list(tree.registries.values()) if same_registries else [],
            {},
        )
        shown = [r.slug for r in registries_known if filtered or r.slug in wanted_open]
        if registries_known and all(slug in pages_known for slug in shown):
            self.pylee_app.cancel_calls("registry-tree")  # a load on its way: not shown
            # nothing read: the badges the tree holds are as recent as these pages
            pages = {slug: pages_known[slug] for slug in shown}
            self._loaded(registries_known, pages, badges=False)
            return

        def load():
            registries = registries_known or service.list_registries(user, org)
            shown = [r.slug for r in registries if filtered or r.slug in wanted_open]
            wanted = {slug: at.get(slug) for slug in shown if slug not in pages_known}
            pages = service.server_pages(
                user, org, wanted, query=query, drafts_only=drafts_only, limit=limit
            )
            reused = {slug: pages_known[slug] for slug in shown if slug in pages_known}
            return registries, {**reused, **pages}

        self.call(load, done=lambda result: self._loaded(*result), group="registry-tree")

    def _short_pages(self, opened: set[str]) -> bool:
        """Whether a load asks for short pages (filtered, or many registries open)."""
        return self.filtered or len(opened) > MANY_OPEN

    @property
    def asked(self) -> tuple[str, bool]:
        """The filter asked for: (text, drafts only)."""
        return self.query_text, self.drafts_only

    def _page_starts(self) -> dict[str, int | str | None]:
        """Where each registry's page starts: at the server wanted, else where the page shown
        starts (the filter unchanged), else at the cursor's server, else at the first."""
        at: dict[str, int | str | None] = {}
        cursor = self.cursor
        if cursor is not None and cursor.kind == "server" and cursor.registry:
            at[cursor.registry] = cursor.server
        if self._pages_asked == self.asked:
            at.update((slug, page.offset) for slug, page in self.registry_tree.pages.items())
        for data in reversed(self._want):  # the first wanted wins
            if data.kind == "server" and data.registry:
                at[data.registry] = data.server
        return at

    def reveal(self, registry: str, server: str | None = None) -> None:
        """Put the cursor on a registry, or on one of its servers (its registry opened)."""
        if server is None:
            self.refresh_data(prefer=[NodeData("registry", registry)])
        else:
            self.refresh_data(prefer=[NodeData("server", registry, server)], expand=[registry])

    def _loaded(
        self,
        registries: list[RegistrySummary],
        pages: dict[str, ServerPage],
        *,
        badges: bool = True,
    ) -> None:
        """Show a load; `badges` (a load that read the store): read the last checks' states of
        the pages' servers, and the overview of the registry under the cursor, again."""
        self._pages_asked = self.asked
        self.servers = {
            (slug, line.name): line for slug, page in pages.items() for line in page.lines
        }
        expand = set(self._expand)
        if self.filtered:
            expand |= {slug for slug, page in pages.items() if page.total}
        self.registry_tree.rebuild(
            registries, pages, filtered=self.filtered, expand=expand, prefer=self._want
        )
        self._want, self._expand = [], set()
        self._show_detail(read=badges)
        if badges:
            self.checks.load_badges(pages)

    def _show_servers(self, slug: str, page: ServerPage) -> None:
        self.servers = {k: v for k, v in self.servers.items() if k[0] != slug}
        for line in page.lines:
            self.servers[(slug, line.name)] = line
        self.registry_tree.set_servers(slug, page, filtered=self.filtered)
        self._show_detail()
        self.checks.load_badges([slug])

    @on(RegistryTree.NeedServers)
    def _need_servers(self, event: RegistryTree.NeedServers) -> None:
        org, slug, asked = self.org, event.registry, self.asked
        self.call(
            self.services.registries.server_pages,
            self.user,
            org,
            {slug: event.at},
            query=self.query_text,
            drafts_only=self.drafts_only,
            limit=FILTERED_PAGE if self.filtered else SERVER_PAGE,
            # a page asked under another filter than the one shown now is not shown
            done=lambda pages: (
                self._show_servers(slug, pages[slug])
                if slug in pages and asked == self.asked
                else None
            ),
            group=f"registry-servers:{slug}",
        )

    # --- detail --------------------------------------------------------------------------

    @on(Tree.NodeHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self, *, read: bool = True) -> None:
        """Describe the item under the cursor (whatever moved it there). Not `read`: a
        registry's overview shown already is not read again."""
        self.refresh_keys()  # which keys apply depends on the item: the footer follows it
        data, detail = self.cursor, self.query_one(RegistryDetail)
        if data is None or data.kind == "root":
            detail.show_root(len(self.registry_tree.registries), drafts_only=self.drafts_only)
            return
        summary = self.registry_tree.registries.get(data.registry or "")
        server = self.servers.get((data.registry or "", data.server or ""))
        if data.kind == "registry" and summary is not None:
            detail.show_registry(summary)
            if not read and self._overview_of == data.registry:
                return
            self.call(
                self.services.registries.get_registry,
                self.user,
                Scope(self.org, data.registry),
                done=self._registry_loaded,
            )
        elif data.kind == "server" and server is not None:
            detail.show_server(data.registry or "", server)
        else:  # not known (yet): say so rather than keep describing another item
            detail.show_loading(data.server or data.registry or "")

    async def _registry_loaded(self, registry: Registry) -> None:
        data = self.cursor
        if data is None or data.kind != "registry" or data.registry != registry.slug:
            return
        await self.query_one(RegistryDetail).show_overview(registry.overview)
        self._overview_of = registry.slug

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected) -> None:
        data = event.node.data
        if data and data.kind == "server":
            self.open_server(data.registry or "", data.server or "")

    def open_server(self, registry: str, name: str) -> None:
        self.post_message(self.OpenServer(self, self.org_slug or "", registry, name))

    def server_closed(self, registry: str, name: str) -> None:
        """The server's page closed, the server named `name` now (it may have been renamed)."""
        self.refresh_data(prefer=[NodeData("server", registry, name)])

    # --- keys that are shown but cannot be used here say why (SaysWhyDisabled) ------------

    def why_not(self, action: str) -> str | None:
        """Why `action` cannot be done here now (None: it can). A missing right comes first."""
        data = self.cursor
        if action in DOING and not self.allowed(WRITES):
            return permission_refusal(self.view, DOING[action], WRITES)
        on_item = data is not None and data.kind in ("registry", "server")
        needs = {
            "rename": on_item,
            "delete": on_item,
            "move": data is not None and data.kind == "server",
            "import": data is not None and bool(data.registry),
            "edit_overview": data is not None and data.kind == "registry",
            "export": data is not None and bool(data.registry),
        }
        if not needs.get(action, True):
            return NEEDS_ITEM[action]
        return checks.why_not(self, action)

    def action_check_server(self) -> None:
        data = self.cursor
        if data is not None and data.kind == "server" and self.check_action("check_server", ()):
            self.checks.check_server(data.registry or "", data.server or "")

    def action_check_registry(self) -> None:
        data = self.cursor
        if data is not None and data.registry and self.check_action("check_registry", ()):
            self.checks.check_registry(data.registry)

    # --- filter and drafts ---------------------------------------------------------------

    def action_filter(self) -> None:
        filter_input = self.query_one("#registry-filter", Input)
        filter_input.add_class("-shown")
        filter_input.focus()

    @on(Input.Changed, "#registry-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        # each key asks at once: a page per registry is cheap, and a newer load replaces an
        # older one still on its way (one worker group)
        value = event.value.strip()
        if value != self.query_text:
            self._set_filter(value, self.drafts_only)

    def _set_filter(self, query: str, drafts_only: bool) -> None:
        """Filter (or stop filtering); the tree shown before a filter is shown again after
        (the registries open then open again, with the one holding the cursor)."""
        was_filtered = self.filtered
        self.query_text, self.drafts_only = query, drafts_only
        self.registry_tree.note = "drafts only" if drafts_only else ""
        if self.filtered and not was_filtered:
            self._before_filter = BeforeFilter.of(self.registry_tree, self.servers)
            self._read_ahead(self._before_filter)
        before = None
        if not self.filtered:
            before, self._before_filter = self._before_filter, None
        if before is None:
            self.refresh_data(same_registries=True)
            return
        # the filter's end: the registries open then open again (those the filter opened stay
        # open), with the pages they showed or read ahead; only those without one are read
        cursor = self.cursor
        expand = before.open_with(cursor)
        short = self._short_pages(self.registry_tree.open_registries() | self._expand | expand)
        self.refresh_data(
            expand=expand,
            same_registries=True,
            known=(before.registries, before.pages_for(cursor, short=short)),
        )

    def _read_ahead(self, before: BeforeFilter) -> None:
        """Read, while the filter is on, the first short page of each registry the tree showed
        none of: the filter's end shows them without a read (if nothing changed meanwhile: any
        other load forgets `before`)."""
        wanted = before.unread()
        if not wanted:
            return

        def landed(pages: dict[str, ServerPage]) -> None:
            if self._before_filter is before:
                self._before_filter = replace(before, ahead=pages)

        self.call(
            self.services.registries.server_pages,
            self.user,
            self.org,
            wanted,
            limit=FILTERED_PAGE,
            done=landed,
            group="registry-ahead",
        )

    @on(Input.Submitted, "#registry-filter")
    def _filter_done(self) -> None:
        self.registry_tree.focus()

    def key_escape(self) -> None:
        filter_input = self.query_one("#registry-filter", Input)
        if filter_input.has_class("-shown"):
            filter_input.value = ""
            filter_input.remove_class("-shown")
            self.registry_tree.focus()
            self._set_filter("", self.drafts_only)
        elif self.drafts_only:  # the next escape leaves "drafts only"
            self._set_filter(self.query_text, False)

    def action_drafts_only(self) -> None:
        self._set_filter(self.query_text, not self.drafts_only)
        self.notify(
            "Drafts only: D again shows every server." if self.drafts_only else "All servers.",
            timeout=3,
        )

    def action_next_draft(self, step: int = 1) -> None:
        """Go to the next (step 1) or previous (-1) draft after the cursor, round the end."""
        order, here = list(self.registry_tree.registries), self.cursor or ROOT

        def go(drafts: list[tuple[str, str]]) -> None:
            found = next_draft(order, here, drafts, step)
            if found is None:
                self.notify("No drafts here: every server is valid.", timeout=4)
                return
            target, wrapped = found
            if wrapped:
                self.notify(
                    "Round the end: the first draft again."
                    if step > 0
                    else "Round the start: the last draft again.",
                    timeout=2,
                )
            self.refresh_data(prefer=[target], expand=[target.registry or ""])

        self.call(
            self.services.registries.drafts, self.user, self.org, query=self.query_text, done=go
        )

    # --- changes: RegistryWrites (writes.py) asks and calls the services ------------------

    def action_new(self) -> None:
        self.writes.new()

    def new_registry(self) -> None:
        """n on the org screen's empty registries: a registry at the root."""
        self.writes.new_registry()

    def action_rename(self) -> None:
        self.writes.rename()

    def action_delete(self) -> None:
        self.writes.delete()

    def action_move(self) -> None:
        self.writes.move()

    def action_export(self) -> None:
        self.writes.export()

    def action_import(self) -> None:
        self.writes.import_files()

    def action_edit_overview(self) -> None:
        self.writes.edit_overview()

    def overview_closed(self) -> None:
        """The overview editor closed: the detail shows the overview as it is now."""
        self._show_detail()
