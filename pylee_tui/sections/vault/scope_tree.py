"""The vault section's scope tree: the org, its registries and their servers. Highlighting a node
while the tree has focus shows that scope.

A small org's servers come with its registries, all shown. A large one's registries start
closed: opening one asks for its servers (`wants`; the pane reads them in a worker), PAGE at a
time, the last node offering the next page."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from pylee_tui.safe_text import escape
from pylee_tui.sections.vault.rows import YOU_LABEL, RegistryScopes
from pylee_tui.services import Scope

PAGE = 200  # servers added to a registry's node at a time


@dataclass(frozen=True)
class MoreServers:
    """The node after a registry's last shown server: choosing it shows the next page."""

    registry: str
    start: int


class ScopeTree(Tree[Scope | MoreServers]):
    """org > (you: your own overrides), registries > servers."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="vault.scopes.down"),
        Binding("k", "cursor_up", "Up", show=False, id="vault.scopes.up"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("org", data=None, id=id)
        self.show_root = True
        self.auto_expand = False
        self.guide_depth = 2
        self.shown: tuple[str, str, tuple[RegistryScopes, ...]] | None = None
        self._by_scope: dict[Scope, TreeNode[Scope | MoreServers]] = {}
        self._counts: dict[str, int] = {}  # registry -> its servers
        self._loaded: dict[str, int] = {}  # registry -> servers shown (or asked for) so far

    def show(self, org_name: str, registries: tuple[RegistryScopes, ...], scope: Scope) -> None:
        """The org whose scope `scope` is one of, with the cursor on `scope`."""
        org = scope.org
        if self.shown != (org, org_name, registries):
            self.shown = (org, org_name, registries)
            self.clear()
            self._by_scope = {Scope(org): self.root}
            self._counts = {r.slug: r.count for r in registries}
            self._loaded = {}
            self.root.data = Scope(org)
            self.root.set_label(Text(escape(org_name), style="bold"))
            for reg in registries:
                listed = reg.servers is not None
                node = self.root.add(
                    Text(escape(reg.name)),
                    data=Scope(org, reg.slug),
                    expand=listed,
                    allow_expand=not listed or bool(reg.servers),
                )
                self._by_scope[Scope(org, reg.slug)] = node
                if listed:
                    self._add_servers(node, org, reg.slug, list(reg.servers or ()))
            mine = Scope(org, user=True)  # your own overrides, after the shared scopes
            self._by_scope[mine] = self.root.add_leaf(Text(YOU_LABEL, style="italic"), data=mine)
            self.root.expand()
        self.point_at(scope)

    @property
    def page(self) -> int:
        """How many servers to read at a time."""
        return PAGE

    def wants(self, node: TreeNode[Scope | MoreServers]) -> tuple[str, int] | None:
        """What to read when `node` is opened or chosen, (registry, first server): a
        registry's first page of servers (once), or its next page; None: nothing to read."""
        data = node.data
        if isinstance(data, MoreServers):
            return data.registry, data.start
        unread = (
            isinstance(data, Scope)
            and data.registry is not None
            and data.server is None
            and data.registry not in self._loaded
            and bool(self._counts.get(data.registry))
        )
        if unread:
            assert isinstance(data, Scope) and data.registry is not None
            self._loaded[data.registry] = 0
            return data.registry, 0
        return None

    def add_servers(self, registry: str, start: int, names: list[str]) -> None:
        """The servers of `registry` from `start` (as `wants` asked)."""
        org = self.root.data.org if isinstance(self.root.data, Scope) else ""
        node = self._by_scope.get(Scope(org, registry))
        if node is None:
            return
        for child in list(node.children):
            if isinstance(child.data, MoreServers):
                child.remove()
        self._add_servers(node, org, registry, names, start)
        node.expand()

    def _add_servers(
        self,
        node: TreeNode[Scope | MoreServers],
        org: str,
        registry: str,
        names: list[str],
        start: int = 0,
    ) -> None:
        short = [s.rsplit("/", 1)[-1] for s in names]
        for name, label in zip(names, short, strict=True):
            # a short name unless two servers of the registry share it
            shown = label if short.count(label) == 1 else name
            scope = Scope(org, registry, name)
            self._by_scope[scope] = node.add_leaf(Text(escape(shown)), data=scope)
        shown_so_far = start + len(names)
        self._loaded[registry] = shown_so_far
        left = self._counts.get(registry, 0) - shown_so_far
        if left > 0 and names:
            node.add_leaf(
                Text(f"… {left:,} more (enter shows {min(left, PAGE)})", style="dim"),
                data=MoreServers(registry, shown_so_far),
            )

    def servers_read(self, registry: str) -> tuple[str, ...]:
        """The servers of `registry` shown so far (read when its node was opened)."""
        return tuple(
            scope.server
            for scope in self._by_scope
            if scope.registry == registry and scope.server is not None
        )

    def point_at(self, scope: Scope) -> None:
        node = self._by_scope.get(scope)
        if node is not None and self.cursor_node is not node:
            self.move_cursor(node)
