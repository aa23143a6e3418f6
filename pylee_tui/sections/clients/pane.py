"""Section 6 of the org screen: the MCP clients on this machine, their config files, each file's
entries with their drift state, and the detail of the one under the cursor (its diff).

Keys: r rescans, s syncs the file or entry under the cursor, a adopts a hand edit, i imports the
file's servers into a registry of this org, x exports a registry of this org to the file. The
scan reads the machine (and the drift the store) in a worker; what a key acts on is checked
against the file again before anything is written (actions.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from pylee_tui.sections.base import OrgSection
from pylee_tui.sections.clients.rows import (
    CHANGED,
    ClientRow,
    ClientsView,
    EntryRow,
    FileRow,
    build_view,
    client_label,
    entry_detail,
    entry_label,
    file_detail,
    file_label,
)

SCAN = "clients-scan"
EMPTY = "No MCP client config found on this machine"
EMPTY_HINT = (
    "pylee-tui looks where each client keeps its servers (Claude Desktop, VS Code, Cursor, …), "
    "for you and for the current project. x writes a registry of this org to a client's file; "
    "r scans again."
)


@dataclass(frozen=True)
class NodeRef:
    """What a tree node stands for: a client, one of its files, or an entry of that file."""

    kind: str  # client | file | entry
    client: str
    path: Path | None = None
    entry: str | None = None
    group: str = ""


class ClientTree(Tree[NodeRef]):
    """The clients, their files and their entries (the org screen focuses it on a visit)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="clients.down"),
        Binding("k", "cursor_up", "Up", show=False, id="clients.up"),
    ]


class ClientsPane(OrgSection):
    HELP_TITLE = "clients"
    BINDINGS = [
        Binding("r", "refresh", "Rescan", id="clients.refresh", tooltip="Scan the machine again"),
        Binding("s", "sync", "Sync", id="clients.sync", tooltip="Put the export back in the file"),
        Binding(
            "a", "adopt", "Adopt", id="clients.adopt", tooltip="Take a hand edit into the registry"
        ),
        Binding("i", "import", "Import", id="clients.import", tooltip="Import into a registry"),
        Binding("x", "export", "Export", id="clients.export", tooltip="Export a registry here"),
    ]
    DEFAULT_CSS = """
    ClientsPane { height: 1fr; }
    ClientsPane #clients-title { text-style: bold; height: 1; }
    ClientsPane #clients-body { height: 1fr; }
    ClientsPane ClientTree { width: 11fr; min-width: 30; border-right: solid $primary 30%; }
    ClientsPane #clients-detail { width: 9fr; padding: 0 1; }
    ClientsPane #clients-empty { display: none; padding: 1 2; }
    ClientsPane.-empty #clients-empty { display: block; }
    ClientsPane.-empty #clients-body { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.org_slug: str | None = None
        self.data: ClientsView | None = None
        self._scanned_for: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("Clients · scanning…", id="clients-title")
        yield Static(
            Text.assemble((EMPTY, "bold"), "\n\n", (EMPTY_HINT, "dim")), id="clients-empty"
        )
        with Horizontal(id="clients-body"):
            tree = ClientTree("Clients", id="clients-tree")
            tree.show_root = False
            tree.guide_depth = 2
            yield tree
            with VerticalScroll(id="clients-detail"):
                yield Static("", id="clients-detail-text")

    @property
    def client_tree(self) -> ClientTree:
        return self.query_one("#clients-tree", ClientTree)

    def on_mount(self) -> None:
        self.client_tree.focus()
        if self.org_slug is not None and self._scanned_for is None:
            self.refresh_data()

    def show_org(self, slug: str) -> None:
        first = slug != self._scanned_for
        self.org_slug = slug
        if self.is_mounted and first:
            self.refresh_data()

    # --- reading ---------------------------------------------------------------------------

    def read(self) -> ClientsView:
        """The scan and the drift, joined (in a worker)."""
        files = self.services.clients.scan()
        drift = self.services.drift.status(self.user)
        return build_view(files, drift, Path.home(), Path.cwd())

    def refresh_data(self) -> None:
        self._scanned_for = self.org_slug
        self.query_one("#clients-title", Static).update("Clients · scanning…")
        self.pylee_app.call(self.read, done=self.show_view, failed=self._failed, group=SCAN)

    def _failed(self, exc: Exception) -> None:
        self.query_one("#clients-title", Static).update("Clients · the scan failed")
        self.notify(str(exc), severity="error", title="Could not scan")

    def show_view(self, view: ClientsView) -> None:
        if not self.is_mounted:
            return
        self.data = view
        keep = self.cursor
        self.set_class(view.empty, "-empty")
        found = sum(1 for c in view.clients for f in c.files if f.found.exists)
        drifted = sum(len(f.to_sync) for c in view.clients for f in c.files)
        title = f"Clients · {found} file{'s' if found != 1 else ''} found"
        if drifted:
            title += f" · {drifted} drifted"
        self.query_one("#clients-title", Static).update(title + " · r rescan")
        tree = self.client_tree
        tree.clear()
        target: TreeNode[NodeRef] | None = None
        for client in view.clients:
            ref = NodeRef("client", client.key)
            cnode = tree.root.add(client_label(client), data=ref, expand=client.found)
            target = cnode if ref == keep else target
            for row in client.files:
                fref = NodeRef("file", client.key, row.path)
                fnode = cnode.add(file_label(row, view), data=fref, expand=True)
                target = fnode if fref == keep else target
                if not row.entries:
                    fnode.allow_expand = False
                for entry in row.entries:
                    eref = NodeRef("entry", client.key, row.path, entry.name, entry.group)
                    enode = fnode.add_leaf(entry_label(entry), data=eref)
                    target = enode if eref == keep else target
        if target is None and keep is None:
            target = self._first_found(tree)
        # the nodes have their lines once the tree has laid them out
        self.call_after_refresh(self._place_cursor, target)

    def _place_cursor(self, target: TreeNode[NodeRef] | None) -> None:
        if target is not None and self.is_mounted:
            self.client_tree.move_cursor(target, animate=False)
        self._show_detail()
        self.screen.refresh_bindings()

    @staticmethod
    def _first_found(tree: ClientTree) -> TreeNode[NodeRef] | None:
        for cnode in tree.root.children:
            for fnode in cnode.children:
                if fnode.children:
                    return fnode.children[0]
        return None

    # --- what the cursor is on -------------------------------------------------------------

    @property
    def cursor(self) -> NodeRef | None:
        if not self.query("#clients-tree"):
            return None
        node = self.client_tree.cursor_node
        return node.data if node is not None else None

    def selected(self) -> tuple[ClientRow | None, FileRow | None, EntryRow | None]:
        ref, view = self.cursor, self.data
        if ref is None or view is None:
            return None, None, None
        client = next((c for c in view.clients if c.key == ref.client), None)
        file = view.file(ref.path) if ref.path is not None else None
        if file is None or ref.entry is None:
            return client, file, None
        return client, file, file.entry(ref.entry, ref.group)

    @on(Tree.NodeHighlighted, "#clients-tree")
    def _moved(self) -> None:
        self._show_detail()
        self.screen.refresh_bindings()

    def _show_detail(self) -> None:
        client, file, entry = self.selected()
        view = self.data
        text: Text | str = ""
        if view is None:
            pass
        elif client is not None and file is not None and entry is not None:
            text = entry_detail(client, file, entry, view)
        elif client is not None and file is not None:
            text = file_detail(client, file, view)
        elif client is not None:
            text = Text.assemble(
                (client_label(client)),
                "\n",
                (f"{sum(1 for f in client.files if f.found.exists)} file(s) found", "dim"),
            )
        self.query_one("#clients-detail-text", Static).update(text)

    # --- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        _client, file, entry = self.selected()
        if action == "sync":
            if entry is not None:
                return True if entry.drift is not None and entry.state != "in sync" else None
            return True if file is not None and file.to_sync else None
        if action == "adopt":
            return True if entry is not None and entry.state == CHANGED else None
        if action in ("import", "export"):
            if file is None or file.found.problem:
                return None
            if action == "import" and not file.found.exists:
                return None
            return True if self.allowed("registries:write") or action == "export" else None
        return True

    def why_not(self, action: str) -> str | None:
        """Why a key of this section does nothing where the cursor is (the app says it)."""
        _client, file, entry = self.selected()
        if action == "sync":
            if entry is not None and entry.drift is None:
                return "Not ours to sync: no pylee-tui export wrote this entry (i imports it)"
            if entry is not None:
                return f"{entry.name} is in sync: nothing to write"
            if file is not None:
                return "Nothing to sync in this file: every exported entry is in sync"
            return "Choose a file or an entry to sync"
        if action == "adopt":
            return "Only an entry changed by hand can be adopted into its registry"
        if action in ("import", "export"):
            if file is None:
                return "Choose a client's file first"
            if file.found.problem:
                return f"This file cannot be read: {file.found.problem}"
            if not file.found.exists:
                return "This file does not exist yet: x exports a registry to it"
            return "You cannot write registries in this org"
        return None

    def _actions(self):  # the writes, imported on first use
        from pylee_tui.sections.clients.actions import ClientActions

        return ClientActions(self)

    def action_refresh(self) -> None:
        self.refresh_data()

    def action_sync(self) -> None:
        self._actions().sync()

    def action_adopt(self) -> None:
        self._actions().adopt()

    def action_import(self) -> None:
        self._actions().import_file()

    def action_export(self) -> None:
        self._actions().export()
