"""What the registry tree showed before a filter, so that clearing the filter shows it again at
once, without reading the store or building forty registries' pages: the registries, the page
each loaded registry showed, which were open, and the servers those pages hold; and, read ahead
while the filter is on, a short first page of each other registry (a filter opens every registry
with a match, and its end keeps them open: with these, it reads nothing).

It stands for the store only while nothing changed: the browser forgets it on any other load
(a change, a reveal, another org), and clearing the filter then loads the tree as usual."""

from __future__ import annotations

from dataclasses import dataclass, field

from pylee_tui.models import RegistrySummary
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.services.registries import ServerLine, ServerPage


@dataclass(frozen=True)
class BeforeFilter:
    registries: list[RegistrySummary]
    pages: dict[str, ServerPage]
    opened: frozenset[str]
    servers: dict[tuple[str, str], ServerLine]
    ahead: dict[str, ServerPage] = field(default_factory=dict)  # short first pages, read ahead

    @classmethod
    def of(cls, tree: RegistryTree, servers: dict[tuple[str, str], ServerLine]) -> BeforeFilter:
        return cls(
            list(tree.registries.values()),
            dict(tree.pages),
            frozenset(tree.open_registries()),
            dict(servers),
        )

    def unread(self) -> dict[str, int | str | None]:
        """The registries (with servers) the tree showed no page of: where their page starts."""
        return {
            r.slug: None for r in self.registries if r.server_count and r.slug not in self.pages
        }

    def pages_for(self, cursor: NodeData | None, *, short: bool) -> dict[str, ServerPage]:
        """The pages known to show again: those shown before (not the cursor's registry's, when
        its page did not hold the cursor's server), and when short pages are asked for (many
        registries open), those read ahead (one holding the cursor's server, if it is on one)."""
        pages = dict(self.pages)
        if cursor is not None and not self.shows(cursor):  # its page: around it
            pages.pop(cursor.registry or "", None)
        if not short:
            return pages
        ahead = dict(self.ahead)
        if cursor is not None and cursor.kind == "server":
            page = ahead.get(cursor.registry or "")
            if page is not None and all(line.name != cursor.server for line in page.lines):
                del ahead[cursor.registry or ""]
        return {**ahead, **pages}

    def shows(self, data: NodeData | None) -> bool:
        """Whether the cursor can stay on `data` once this is shown again (its registry
        opened): a server must be on its registry's page. (Off a server, the cursor goes to its
        item's registry, or stays on the root.)"""
        if data is None or data.kind != "server":
            return True
        return (data.registry or "", data.server or "") in self.servers

    def open_with(self, data: NodeData | None) -> set[str]:
        """The registries to open: those open before, and the one holding `data`."""
        opened = set(self.opened)
        if data is not None and data.kind == "server" and data.registry:
            opened.add(data.registry)
        return opened
