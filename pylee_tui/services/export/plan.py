"""What an export would write (the plan) and what writing it did (the result)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pylee_tui.services.export.clients import ClientFormat, client_format
from pylee_tui.services.resolver import MASK

Owner = dict[str, Any]  # org, registry, registry_id (and server, for an entry)


@dataclass
class ExportPlan:
    """What an export would write: the client's servers (and VS Code inputs), and why."""

    client: str
    org: str
    registry: str
    entries: dict[str, dict[str, Any]]  # entry name -> client entry
    servers: dict[str, str]  # entry name -> server name
    inputs: list[dict[str, Any]] = field(default_factory=list)
    inlined_secrets: list[str] = field(default_factory=list)  # "entry: KEY"
    placeholders: list[str] = field(default_factory=list)  # "entry: KEY" (allow_missing)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # drafts, nothing to launch
    secret_values: list[str] = field(default_factory=list, repr=False)  # to mask in diffs
    input_ids: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    registry_id: int | None = None
    registry_servers: set[str] = field(default_factory=set, repr=False)  # drafts included
    partial: bool = False  # only the servers named (--server), not the whole registry
    taken_inputs: set[str] = field(default_factory=set, repr=False)  # input ids to avoid

    @property
    def format(self) -> ClientFormat:
        return client_format(self.client)

    @property
    def servers_key(self) -> str:
        return self.format.servers_key

    @property
    def file_mode(self) -> int:
        return 0o600 if self.inlined_secrets else 0o644

    def document(self) -> dict[str, Any]:
        """The config as a fresh file would hold it."""
        return self.format.document(self)

    def mask(self, text: str) -> str:
        """The text with every inlined secret masked, as JSON writes it either way (escaped
        to ASCII, or as is)."""
        for value in sorted(self.secret_values, key=len, reverse=True):
            if value:
                for encoded in (json.dumps(value, ensure_ascii=False), json.dumps(value)):
                    text = text.replace(encoded[1:-1], MASK)
        return text

    def owner(self, server: str | None = None) -> Owner:
        """Who an entry (with its server) or an input written by this plan belongs to."""
        owner: Owner = {"org": self.org, "registry": self.registry, "registry_id": self.registry_id}
        if server is not None:
            owner["server"] = server
        return owner

    def owns(self, owner: Owner | None) -> bool:
        """Whether an entry recorded with `owner` belongs to this plan's registry. Ownership
        recorded as a bare list of names (no owner) counts as this registry's."""
        if owner is None:
            return True
        if owner.get("registry_id") is not None and self.registry_id is not None:
            return owner["registry_id"] == self.registry_id
        return owner.get("org") == self.org and owner.get("registry") == self.registry


@dataclass
class InstallResult:
    path: Path
    written: bool
    diff: str
    backup: Path | None
    added: list[str]
    replaced: list[str]
    removed: list[str]
    kept: list[str]  # entries of the file pylee-tui does not own
    comments_dropped: bool = False  # the file's JSONC comments are not in the new file


def render(plan: ExportPlan) -> str:
    return json.dumps(plan.document(), indent=2, ensure_ascii=False) + "\n"
