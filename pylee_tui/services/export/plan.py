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
    secrets: str = "reference"  # the secrets mode: launcher, reference or inline
    referenced: list[str] = field(default_factory=list)  # secret keys the client fills in
    notes: list[str] = field(default_factory=list)  # what the user must do for it to work
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
    _ids: set[str] | None = field(default=None, repr=False, compare=False)
    _avoid: set[str] | None = field(default=None, repr=False, compare=False)

    def free_input_id(self, wanted: str, alternative: str) -> str:
        """An id for a new input: `wanted`, or `alternative` when an input of this plan has
        it, then numbered until no input of the plan or of the file (`taken_inputs`) has it,
        case aside."""
        mine = self._input_id_set()
        avoid = self._avoided()
        candidate = wanted if wanted not in mine else alternative
        stem, n = candidate, 1
        while candidate.lower() in avoid:
            n += 1
            candidate = f"{stem}-{n}"
        return candidate

    def add_input(self, key: str, source: str, item: dict[str, Any]) -> None:
        """A VS Code input the entries refer to, for `key` from `source`."""
        self.inputs.append(item)
        self.input_ids[(key, source)] = item["id"]
        self._input_id_set().add(item["id"])
        self._avoided().add(item["id"].lower())

    # the ids in use, kept as inputs are added (a registry's export adds a thousand)
    def _input_id_set(self) -> set[str]:
        if self._ids is None:
            self._ids = set(self.input_ids.values())
        return self._ids

    def _avoided(self) -> set[str]:
        if self._avoid is None:
            self._avoid = {i.lower() for i in self._input_id_set() | self.taken_inputs}
        return self._avoid

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
    """The plan as a new file of its client holds it (JSON, or Codex's TOML)."""
    from pylee_tui.services.export.codec import fresh_text

    return fresh_text(plan.format, plan.document())
