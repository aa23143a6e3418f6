"""The vault section's scope tree: the org, its registries and their servers. Highlighting a node
while the tree has focus shows that scope."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree

from pylee_tui.safe_text import escape
from pylee_tui.sections.vault.rows import RegistryScopes
from pylee_tui.services import Scope


class ScopeTree(Tree[Scope]):
    """org > registries > servers."""

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

    def show(self, org_name: str, registries: tuple[RegistryScopes, ...], scope: Scope) -> None:
        """The org whose scope `scope` is one of, with the cursor on `scope`."""
        org = scope.org
        if self.shown != (org, org_name, registries):
            self.shown = (org, org_name, registries)
            self.clear()
            self.root.data = Scope(org)
            self.root.set_label(Text(escape(org_name), style="bold"))
            for reg in registries:
                node = self.root.add(Text(escape(reg.name)), data=Scope(org, reg.slug), expand=True)
                short = [s.rsplit("/", 1)[-1] for s in reg.servers]
                for name, label in zip(reg.servers, short, strict=True):
                    # a short name unless two servers of the registry share it
                    shown = label if short.count(label) == 1 else name
                    node.add_leaf(Text(escape(shown)), data=Scope(org, reg.slug, name))
            self.root.expand()
        self.point_at(scope)

    def point_at(self, scope: Scope) -> None:
        node = self._find(self.root, scope)
        if node is not None and self.cursor_node is not node:
            self.move_cursor(node)

    def _find(self, node, scope: Scope):
        if node.data == scope:
            return node
        for child in node.children:
            found = self._find(child, scope)
            if found is not None:
                return found
        return None
