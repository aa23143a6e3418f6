"""What the registry tree showed before a filter, so that clearing the filter shows it again at
once, without reading the store or building forty registries' pages: the registries, the page
each loaded registry showed, which were open, and the servers those pages hold.

It stands for the store only while nothing changed: the browser forgets it on any other load
(a change, a reveal, another org), and clearing the filter then loads the tree as usual."""

from __future__ import annotations

from dataclasses import dataclass

from pylee_tui.models import RegistrySummary
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.services.registries import ServerLine, ServerPage


@dataclass(frozen=True)
class BeforeFilter:
    registries: list[RegistrySummary]
    pages: dict[str, ServerPage]
    opened: frozenset[str]
    servers: dict[tuple[str, str], ServerLine]

    @classmethod
    def of(cls, tree: RegistryTree, servers: dict[tuple[str, str], ServerLine]) -> BeforeFilter:
        return cls(
            list(tree.registries.values()),
            dict(tree.pages),
            frozenset(tree.open_registries()),
            dict(servers),
        )

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
