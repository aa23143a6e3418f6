"""The registry tree: registries -> servers, counts on each registry, drafts marked, children
loaded lazily (the owner supplies them when a registry is expanded), a page at a time: a registry
of 5,000 servers shows a hundred of them between "… N before" and "… N more", which show the page
before or after (enter or →), so the tree never holds more than it can draw quickly.

Whatever is rebuilt, the tree keeps which registries are open and puts the cursor back on its
item, or on the nearest one still shown (the next sibling, the previous one, then the parent):
a rebuild never leaves the cursor on another item that happens to sit on the same line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from pylee_tui.models import RegistrySummary, plural
from pylee_tui.safe_text import escape
from pylee_tui.services.registries import ServerLine, ServerPage

LOADING = "loading…"


@dataclass(frozen=True)
class NodeData:
    kind: str  # "root", "registry", "server", "placeholder", "earlier" or "more" (a page)
    registry: str | None = None
    server: str | None = None


ROOT = NodeData("root")
PAGING = ("placeholder", "earlier", "more")  # the leaves that stand for servers not shown


def registry_label(registry: RegistrySummary, shown: int | None = None) -> Text:
    text = Text(escape(registry.name), style="bold")
    count = plural(registry.server_count, "server")
    if shown is not None and shown != registry.server_count:
        count = f"{shown} of {count}"
    text.append(f"  {count}", style="dim")
    if registry.draft_count:
        text.append(f" · {registry.draft_count} draft", style="yellow")
    return text


# the last check's state as one cell (an emoji would take two and break the lines' alignment);
# "ok" only when the last check answered
BADGES = {
    "ok": ("✓", "green"),
    "failed": ("✗", "red"),
    "protocol-error": ("✗", "red"),
    "timeout": ("⧗", "yellow"),
    "needs-auth": ("⚿", "yellow"),
    "missing-config": ("⚠", "yellow"),
    "missing-runtime": ("⚠", "yellow"),
}


def badge(state: str | None) -> Text:
    """Two cells: the state's symbol and a space; blank when never checked."""
    symbol, style = BADGES.get(state or "", (" ", ""))
    return Text(f"{symbol} ", style=style)


def server_label(server: ServerLine, state: str | None = None, badges: bool = False) -> Text:
    """`badges`: the registry has checked servers: every line starts with its badge (blank for
    those never checked), so names stay aligned."""
    text = badge(state) if badges else Text()
    if server.status == "draft":
        text.append("⚠ ", style="yellow")
        text.append(escape(server.name))
        text.append(f"  draft, {plural(len(server.problems), 'problem')}", style="yellow dim")
        return text
    text.append(escape(server.name))
    if server.version:
        text.append(f"  {escape(server.version)}", style="dim")
    if server.fork:  # a forked server behind its upstream's latest, or gone upstream
        text.append(f"  {server.fork}", style="yellow")
    return text


def loading_label() -> Text:
    return Text(LOADING, style="dim italic")


def shows_loading(node: TreeNode[NodeData], registry: RegistrySummary) -> bool:
    """Whether the node of a registry not loaded shows "loading…" as it should (if it has
    servers) and nothing else."""
    return len(node.children) == int(registry.server_count > 0)


def page_label(count: int, where: str) -> Text:
    return Text(f"… {count:,} {where}", style="dim italic")


class RegistryTree(Tree[NodeData]):
    """Posts `NeedServers` when a registry's children are wanted (its first page, or the page
    before or after the one shown); the owner answers with `set_servers`, or rebuilds
    everything with `rebuild`. Filtering is the owner's too."""

    class NeedServers(Message):
        """`at`: where the page starts (an offset; None: the first page)."""

        def __init__(self, tree: RegistryTree, registry: str, at: int | None = None) -> None:
            super().__init__()
            self.tree = tree
            self.registry = registry
            self.at = at

        @property
        def control(self) -> RegistryTree:
            return self.tree

    BINDINGS = [
        Binding("right", "open_node", "Expand", show=False, id="tree.expand"),
        Binding("left", "close_node", "Collapse", show=False, id="tree.collapse"),
        Binding("j", "cursor_down", "Down", show=False, id="tree.down"),
        # (k is the section's: check the server under the cursor)
    ]

    _batching = 0  # inside `_batch`: nodes change without each redrawing the tree
    _stale = False  # a change made inside `_batch` still to be drawn

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Registries", data=ROOT, id=id)
        self.show_root = True
        self.guide_depth = 3
        self.registries: dict[str, RegistrySummary] = {}
        self.note = ""  # said after the count on the root line ("drafts only")
        self.pages: dict[str, ServerPage] = {}  # the page each loaded registry shows
        # the last check's state of each checked server, by registry (kept across rebuilds)
        self.badges: dict[str, dict[str, str]] = {}

    def _invalidate(self) -> None:
        """Textual's Tree drops its line cache and asks for a layout on every node added,
        removed, opened or closed: 500 of them at once (a filter shows a page of each
        registry) cost more than drawing the result. Inside `_batch` that happens once, at
        the end."""
        if self._batching:
            self._stale = True
        else:
            super()._invalidate()

    def process_label(self, label: str | Text) -> Text:
        """As Textual's (a label's first line), without copying a label of one line: each of
        the tree's labels is made here, and holds one line."""
        if isinstance(label, Text) and "\n" not in label.plain:
            return label
        return super().process_label(label)

    def get_label_width(self, node: TreeNode[NodeData]) -> int:
        """As Textual's (the toggle icon and the label), without rendering the label: the tree
        measures every line it holds each time it changes."""
        icon = ""
        if node.allow_expand:
            icon = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
        label = node.label
        return cell_len(icon) + (label.cell_len if isinstance(label, Text) else cell_len(label))

    @contextmanager
    def _batch(self) -> Iterator[None]:
        self._batching += 1
        try:
            yield
        finally:
            self._batching -= 1
            if not self._batching and self._stale:
                self._stale = False
                super()._invalidate()

    # --- building --------------------------------------------------------------------------

    def rebuild(
        self,
        registries: list[RegistrySummary],
        pages: dict[str, ServerPage],
        *,
        filtered: bool = False,
        expand: Iterable[str] = (),
        prefer: Sequence[NodeData] = (),
        keep_open: bool = True,
    ) -> None:
        """Rebuild both levels at once. `pages`: the children of the registries they are given
        for (the others load when opened). Registries open before stay open (unless not
        `keep_open`), with those in `expand`. The cursor goes to the first of `prefer` shown,
        else back to its item or the nearest one. The same registries as shown keep their
        nodes: only a registry whose page or label changed is touched (a filter key changes a
        few of forty)."""
        opened = (self.open_registries() if keep_open else set()) | set(expand)
        candidates = [*prefer, *self._around_cursor()]
        shown = [node.data.registry if node.data else None for node in self.root.children]
        same = shown == [r.slug for r in registries]
        before = dict(self.pages)
        self.registries = {r.slug: r for r in registries}
        self.pages.clear()
        with self._batch():
            if not same:
                self.root.remove_children()
            self.set_root_label()
            for i, registry in enumerate(registries):
                slug = registry.slug
                page = pages.get(slug)
                if same:
                    node = self.root.children[i]
                else:
                    node = self.root.add(
                        registry_label(registry),
                        data=NodeData("registry", slug),
                        allow_expand=registry.server_count > 0,
                    )
                if page is not None:
                    if not same or before.get(slug) != page:
                        self._fill(node, slug, page)
                    self.pages[slug] = page
                elif not (same and slug not in before and shows_loading(node, registry)):
                    node.remove_children()  # not loaded: "loading…" until it is opened
                    if registry.server_count:
                        node.add_leaf(loading_label(), data=NodeData("placeholder"))
                allow = bool(page.total) if page is not None else registry.server_count > 0
                if node.allow_expand != allow:
                    node.allow_expand = allow
                label = registry_label(registry, page.total if filtered and page else None)
                if node.label != label:
                    node.set_label(label)
                if slug in opened and allow:
                    if not node.is_expanded:
                        node.expand()
                elif node.is_expanded:
                    node.collapse()
            self.root.expand()
        self.place_cursor(candidates)

    def set_root_label(self) -> None:
        label = Text.assemble(("Registries", "bold"), (f"  {len(self.registries)}", "dim"))
        if self.note:
            label.append(f" · {self.note}", style="yellow")
        if self.root.label != label:
            self.root.set_label(label)

    def set_servers(self, registry: str, page: ServerPage, *, filtered: bool = False) -> None:
        """The children of one registry (an answer to `NeedServers`)."""
        node = self.registry_node(registry)
        if node is None:
            return
        inside = self.cursor_node is not None and self.cursor_node.parent is node
        candidates = self._around_cursor()
        data = self.cursor_node.data if inside and self.cursor_node is not None else None
        if data is not None and data.kind in ("placeholder", "more"):
            # the cursor waited on "loading…" or asked for more: it goes to the first server
            first = [NodeData("server", registry, s.name) for s in page.lines[:1]]
            candidates = [*first, *candidates]
        elif data is not None and data.kind == "earlier":  # ... or to the last one before
            last = [NodeData("server", registry, s.name) for s in page.lines[-1:]]
            candidates = [*last, *candidates]
        with self._batch():
            self._fill(node, registry, page)
            summary = self.registries.get(registry)
            if summary is not None:
                node.set_label(registry_label(summary, page.total if filtered else None))
            node.allow_expand = bool(page.total)
            self.pages[registry] = page
        if inside:
            self.place_cursor(candidates)

    def _fill(self, node: TreeNode[NodeData], registry: str, page: ServerPage) -> None:
        """`page` as the children of `node` (inside `_batch`)."""
        node.remove_children()
        if page.offset:
            node.add_leaf(page_label(page.offset, "before"), data=NodeData("earlier", registry))
        states = self.badges.get(registry) or {}
        for server in page.lines:
            node.add_leaf(
                server_label(server, states.get(server.name), bool(states)),
                data=NodeData("server", registry, server.name),
            )
        after = page.total - page.offset - len(page.lines)
        if after > 0:
            node.add_leaf(page_label(after, "more"), data=NodeData("more", registry))

    def set_badges(self, registry: str, states: dict[str, str]) -> None:
        """The last check's state of the registry's checked servers (by name): their lines
        show it at once, and every page shown after."""
        if self.badges.get(registry, {}) == states:
            return
        self.badges[registry] = dict(states)
        node, page = self.registry_node(registry), self.pages.get(registry)
        if node is None or page is None:
            return
        lines = {line.name: line for line in page.lines}
        with self._batch():
            for child in node.children:
                data = child.data
                if data is not None and data.kind == "server" and data.server in lines:
                    label = server_label(lines[data.server], states.get(data.server), bool(states))
                    if child.label != label:
                        child.set_label(label)

    def set_many_badges(self, states: dict[str, dict[str, str]]) -> None:
        """`set_badges` of several registries, drawn once."""
        with self._batch():
            for registry, registry_states in states.items():
                self.set_badges(registry, registry_states)

    # --- finding and placing ---------------------------------------------------------------

    def open_registries(self) -> set[str]:
        return {
            node.data.registry
            for node in self.root.children
            if node.data and node.data.registry and node.is_expanded
        }

    def registry_node(self, registry: str) -> TreeNode[NodeData] | None:
        for node in self.root.children:
            if node.data and node.data.registry == registry:
                return node
        return None

    def find(self, data: NodeData) -> TreeNode[NodeData] | None:
        if data == ROOT:
            return self.root
        if data.registry is None:
            return None
        node = self.registry_node(data.registry)
        if node is None or data.kind == "registry":
            return node
        return next((c for c in node.children if c.data == data), None)

    def select_data(self, data: NodeData) -> bool:
        """Put the cursor on the node holding `data`, when it is shown."""
        return self.place_cursor([data])

    def place_cursor(self, candidates: Iterable[NodeData]) -> bool:
        """Put the cursor on the first candidate shown (its registry open); True if one was."""
        self.last_line  # noqa: B018 - builds the lines, so every node knows where it is shown
        for data in candidates:
            node = self.find(data)
            if node is not None and node.line >= 0:
                self.move_cursor(node)
                return True
        return False

    def _around_cursor(self) -> list[NodeData]:
        """The cursor's item, then the nearest others: the siblings after it, those before it
        (closest first), its parent, the root."""
        node = self.cursor_node
        if node is None or node.data is None:
            return [ROOT]
        if node.data.kind in PAGING:
            parent = node.parent
            return [parent.data, ROOT] if parent is not None and parent.data else [ROOT]
        parent = node.parent
        if parent is None:
            return [ROOT]
        siblings = [c.data for c in parent.children if c.data and c.data.kind not in PAGING]
        at = siblings.index(node.data) if node.data in siblings else 0
        around = [node.data, *siblings[at + 1 :], *reversed(siblings[:at])]
        return [*around, *([parent.data] if parent.data else []), ROOT]

    def neighbours(self) -> list[NodeData]:
        """What the cursor would go to if its item disappeared."""
        return self._around_cursor()[1:]

    # --- keys ------------------------------------------------------------------------------

    def action_open_node(self) -> None:
        node = self.cursor_node
        if node is not None and node.data is not None and node.data.kind in ("earlier", "more"):
            self._turn_page(node.data)
        elif node is not None and node.allow_expand and not node.is_expanded:
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
        return registry in self.pages

    def _turn_page(self, data: NodeData) -> None:
        """The page before or after the one shown (enter or → on "… N before/more")."""
        page = self.pages.get(data.registry or "")
        if page is None:
            return
        step = len(page.lines) or 1
        at = page.offset + step if data.kind == "more" else max(0, page.offset - step)
        self.post_message(self.NeedServers(self, data.registry or "", at))

    def _on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        data = event.node.data
        if data is not None and data.kind in ("earlier", "more"):
            event.stop()
            self._turn_page(data)

    def _on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        data = event.node.data
        if data and data.kind == "registry" and data.registry not in self.pages:
            self.post_message(self.NeedServers(self, data.registry))


def next_draft(
    order: list[str], here: NodeData, drafts: list[tuple[str, str]], step: int
) -> tuple[NodeData, bool] | None:
    """The draft after (step 1) or before (-1) `here` in the tree's order (registries in
    `order`, servers by name), and whether that went round the end; None without drafts."""
    rank = {slug: i for i, slug in enumerate(order)}
    if here.kind == "root" or here.registry not in rank:
        at: tuple[int, int, str] = (-1, 0, "")
    else:
        at = (rank[here.registry or ""], int(here.kind == "server"), here.server or "")
    keyed = sorted((rank[r], 1, n) for r, n in drafts if r in rank)
    if not keyed:
        return None
    after = [k for k in keyed if k > at] if step > 0 else [k for k in keyed if k < at]
    target = (
        (after[0] if step > 0 else after[-1]) if after else (keyed[0] if step > 0 else keyed[-1])
    )
    return NodeData("server", order[target[0]], target[2]), not after
