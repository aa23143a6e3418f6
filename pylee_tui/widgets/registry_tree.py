"""The registry tree: registries -> servers, counts on each registry, drafts marked, children
loaded lazily (the owner supplies them when a registry is expanded)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from pylee_tui.models import RegistrySummary, Server, plural
from pylee_tui.safe_text import escape

LOADING = "loading…"


@dataclass(frozen=True)
class NodeData:
    kind: str  # "root", "registry", "server", "placeholder"
    registry: str | None = None
    server: str | None = None


def registry_label(registry: RegistrySummary, shown: int | None = None) -> Text:
    text = Text(escape(registry.name), style="bold")
    count = plural(registry.server_count, "server")
    if shown is not None and shown != registry.server_count:
        count = f"{shown} of {count}"
    text.append(f"  {count}", style="dim")
    if registry.draft_count:
        text.append(f" · {registry.draft_count} draft", style="yellow")
    return text


def server_label(server: Server) -> Text:
    if server.status == "draft":
        text = Text("⚠ ", style="yellow")
        text.append(escape(server.name))
        text.append(f"  draft, {plural(len(server.problems), 'problem')}", style="yellow dim")
        return text
    text = Text(escape(server.name))
    if server.version:
        text.append(f"  {escape(server.version)}", style="dim")
    return text


class RegistryTree(Tree[NodeData]):
    """Posts `NeedServers` when a registry's children are wanted; the owner answers with
    `set_servers`. Filtering is the owner's too: it calls `set_servers` with the matches."""

    class NeedServers(Message):
        def __init__(self, tree: RegistryTree, registry: str) -> None:
            super().__init__()
            self.tree = tree
            self.registry = registry

        @property
        def control(self) -> RegistryTree:
            return self.tree

    BINDINGS = [
        Binding("right", "open_node", "Expand", show=False, id="tree.expand"),
        Binding("left", "close_node", "Collapse", show=False, id="tree.collapse"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Registries", data=NodeData("root"), id=id)
        self.show_root = True
        self.guide_depth = 3
        self.registries: dict[str, RegistrySummary] = {}
        self._loaded: set[str] = set()

    def set_registries(self, registries: list[RegistrySummary]) -> None:
        """Rebuild the registry level, keeping which registries were open."""
        expanded = {
            node.data.registry
            for node in self.root.children
            if node.data and node.data.kind == "registry" and node.is_expanded
        }
        cursor = self.cursor_node.data if self.cursor_node else None
        self.registries = {r.slug: r for r in registries}
        self._loaded.clear()
        self.root.remove_children()
        self.root.set_label(Text.assemble(("Registries", "bold"), (f"  {len(registries)}", "dim")))
        for registry in registries:
            node = self.root.add(
                registry_label(registry),
                data=NodeData("registry", registry.slug),
                allow_expand=registry.server_count > 0,
            )
            if registry.server_count:
                node.add_leaf(Text(LOADING, style="dim italic"), data=NodeData("placeholder"))
            if registry.slug in expanded:
                node.expand()
        self.root.expand()
        if cursor is not None:
            self.select_data(cursor)

    def set_servers(self, registry: str, servers: list[Server], *, filtered: bool = False) -> None:
        node = self.registry_node(registry)
        if node is None:
            return
        cursor = self.cursor_node.data if self.cursor_node else None
        node.remove_children()
        for server in servers:
            node.add_leaf(server_label(server), data=NodeData("server", registry, server.name))
        summary = self.registries.get(registry)
        if summary is not None:
            node.set_label(registry_label(summary, len(servers) if filtered else None))
        node.allow_expand = bool(servers)
        self._loaded.add(registry)
        if cursor is not None and cursor.registry == registry:
            self.select_data(cursor)

    def registry_node(self, registry: str) -> TreeNode[NodeData] | None:
        for node in self.root.children:
            if node.data and node.data.registry == registry:
                return node
        return None

    def select_data(self, data: NodeData) -> None:
        """Put the cursor on the node holding `data`, when it is shown."""
        for node in [
            self.root,
            *self.root.children,
            *(c for n in self.root.children for c in n.children),
        ]:
            if node.data == data:
                self.move_cursor(node)
                return

    def action_open_node(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand and not node.is_expanded:
            node.expand()
        elif node is not None and node.children:
            self.move_cursor(node.children[0])

    def action_close_node(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node is not self.root:
            node.collapse()
        elif node.parent is not None:
            self.move_cursor(node.parent)

    def is_loaded(self, registry: str) -> bool:
        return registry in self._loaded

    def _on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        data = event.node.data
        if data and data.kind == "registry" and data.registry not in self._loaded:
            self.post_message(self.NeedServers(self, data.registry))
