"""Compare the org shown with another one: the differences registry by registry, as a tree
(`org diff` in the app). A secret is only ever said to be the same, to differ or to be missing,
and "unknown" when the vault is locked or the user may not reveal secrets in both orgs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static, Tree

from pylee_tui.safe_text import escape
from pylee_tui.services.environment_diff import outline
from pylee_tui.widgets.pylee_app import pylee_app

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.widgets.tree import TreeNode

    from pylee_tui.app import PyleeApp
    from pylee_tui.services.environment_diff import OrgDiff


class OrgCompareScreen(Screen[None]):
    """How org `b` differs from org `a`; loaded in a worker."""

    HELP_TITLE = "compare organizations"
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back", id="compare.back", tooltip="Back"),
    ]
    DEFAULT_CSS = """
    OrgCompareScreen #compare-title { height: auto; padding: 0 1; text-style: bold; }
    OrgCompareScreen #compare-note { height: auto; padding: 0 1; color: $text-muted; }
    OrgCompareScreen Tree { height: 1fr; }
    """

    def __init__(self, a: str, b: str) -> None:
        super().__init__()
        self.a, self.b = a, b
        self.diff: OrgDiff | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                escape(f"Compare A: {self.a} with B: {self.b}"), id="compare-title", markup=False
            )
            yield Static("Comparing…", id="compare-note", markup=False)
            tree: Tree[None] = Tree("Differences", id="compare-tree")
            tree.show_root = False
            yield tree
        yield Footer()

    def on_mount(self) -> None:
        app = pylee_app(self)
        services, user = app.services, app.user
        if services is None or user is None:
            return
        app.call(
            services.environments.diff,
            user,
            self.a,
            self.b,
            done=self.show_diff,
            failed=self._failed,
            group="org-compare",
        )

    def _failed(self, exc: Exception) -> None:
        self.query_one("#compare-note", Static).update(escape(str(exc)))

    def show_diff(self, diff: OrgDiff) -> None:
        self.diff = diff
        notes = []
        if diff.empty:
            notes.append("No differences.")
        if diff.same_secrets:
            s = "" if diff.same_secrets == 1 else "s"
            notes.append(f"{diff.same_secrets} secret{s} the same in both.")
        if diff.secrets_note is not None:
            notes.append(diff.secrets_note)
            if diff.may_reveal:  # only the vault stands in the way
                notes.append("Unlock it, then compare again.")
        self.query_one("#compare-note", Static).update(" ".join(notes))
        tree: Tree[None] = self.query_one("#compare-tree", Tree)
        tree.clear()
        parents: list[TreeNode[None]] = [tree.root]
        for depth, text in outline(diff):
            del parents[depth + 1 :]
            node = parents[depth].add(Text(escape(text)), expand=True)
            node.allow_expand = False
            parents.append(node)
        for child in tree.root.children:
            child.allow_expand = bool(child.children)
        tree.focus()


def open_org_compare(app: PyleeApp) -> None:
    """Pick the org to compare the shown one with, then open the comparison."""
    from pylee_tui.dialogs.pick import PickScreen
    from pylee_tui.screens.org import OrgScreen

    shown = next((s for s in app.screen_stack if isinstance(s, OrgScreen)), None)
    current = shown.slug if shown is not None else None
    if current is None:
        return
    others = [(o.slug, f"{o.name}  ({o.slug})") for o in app.org_summaries if o.slug != current]
    if not others:
        app.notify("You are a member of no other organization to compare with.")
        return

    def picked(slug: str | None) -> None:
        if slug:
            app.push_screen(OrgCompareScreen(current, slug))

    app.push_screen(PickScreen(f"Compare {current} with…", others), callback=picked)
