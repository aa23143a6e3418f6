"""Merging a plan into a config file's object: this registry's entries (and VS Code inputs) are
replaced or removed; the user's and other registries' are kept, and ours named around them."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export.plan import ExportPlan, Owner

Owners = dict[str, Owner | None]  # name -> owner; None: recorded without one (this registry's)
_FOREIGN: Any = object()  # no ownership record: the user's own entry
_INPUT_REFERENCE = re.compile(r"\$\{input:([^}]+)\}")


class Clash(Exception):
    """Entry names or input ids of the plan are taken in the file: plan again around them."""

    def __init__(self, names: Iterable[str], inputs: Iterable[str] = ()):
        super().__init__("entry names clash")
        self.names = list(names)
        self.inputs = list(inputs)


@dataclass
class Merge:
    """The file's new content and what happened to each entry and input."""

    document: dict[str, Any]
    replaced: list[str]
    removed: list[str]
    kept: list[str]  # entries that are not this export's: the user's, another registry's, or
    # this registry's not named by a --server export
    owners: Owners  # entry -> owner, for every entry pylee-tui wrote
    input_owners: Owners


def merge(
    plan: ExportPlan,
    path: Path,
    existing: dict[str, Any],
    owners: Owners,
    input_owners: Owners,
    replace_file: bool,
) -> Merge:
    key = plan.servers_key
    current = existing.get(key, {})
    if not isinstance(current, dict):
        raise InvalidInput(f"{path}: '{key}' is not an object; fix it by hand first")
    exported = set(plan.servers.values())
    servers: dict[str, Any] = {}
    new_owners: Owners = {}
    replaced: list[str] = []
    removed: list[str] = []
    kept: list[str] = []
    previous: dict[str, Any] = {}  # the entries this export replaces, as the file holds them
    for name, entry in current.items():
        owner = owners.get(name) if name in owners else _FOREIGN
        if owner is not _FOREIGN and plan.owns(owner):
            server = owner.get("server") if owner else None
            still_here = server is not None and server in plan.registry_servers
            if not (plan.partial and still_here and server not in exported):
                if name in plan.entries:
                    replaced.append(name)
                    previous[name] = entry
                else:
                    removed.append(name)
                continue
            # a --server export that did not name this server: it stays, still ours
        kept.append(name)
        servers[name] = entry
        if owner is not _FOREIGN:
            new_owners[name] = owner
    if replace_file:
        document = plan.document()
        new_owners = {}
        kept = []
    else:
        taken = {n.lower() for n in kept}
        if any(n.lower() in taken for n in plan.entries):
            # entry names were chosen before the file was read: choose again around these
            raise Clash(kept, foreign_inputs(plan, existing, input_owners))
        document = dict(existing)
        managed = plan.format.managed_keys
        for name, entry in plan.entries.items():
            servers[name] = with_user_keys(entry, previous.get(name), managed)
        document[key] = servers
    for name, server in plan.servers.items():
        new_owners[name] = plan.owner(server)
    new_input_owners = dict(input_owners)
    if plan.format.has_inputs and not replace_file:
        new_input_owners = merge_inputs(plan, path, document, servers, kept, input_owners)
    elif plan.format.has_inputs:
        new_input_owners = {i["id"]: plan.owner() for i in plan.inputs}
    return Merge(document, replaced, removed, kept, new_owners, new_input_owners)


def with_user_keys(entry: Any, old: Any, managed: Collection[str]) -> Any:
    """The export's `entry` with the keys of the `old` entry it replaces that no export writes
    (not `managed`: the user's `disabled`, `enabled`, timeouts, tool lists...), as they were."""
    if not isinstance(entry, dict) or not isinstance(old, dict):
        return entry
    kept = {k: v for k, v in old.items() if k not in managed and k not in entry}
    return {**entry, **kept} if kept else entry


def foreign_inputs(plan: ExportPlan, existing: dict[str, Any], input_owners: Owners) -> list[str]:
    """Input ids in the file that are not this registry's (the user's, another registry's)."""
    inputs = existing.get("inputs", []) if plan.format.has_inputs else []
    if not isinstance(inputs, list):
        return []
    ids = [i["id"] for i in inputs if isinstance(i, dict) and isinstance(i.get("id"), str)]
    return [i for i in ids if i not in input_owners or not plan.owns(input_owners[i])]


def merge_inputs(
    plan: ExportPlan,
    path: Path,
    document: dict[str, Any],
    servers: dict[str, Any],
    kept: list[str],
    input_owners: Owners,
) -> Owners:
    """VS Code inputs: the user's and other registries' are kept (and ours are named around
    them); this registry's are replaced, kept while a kept entry still uses them, else removed."""
    inputs = document.get("inputs", [])
    if not isinstance(inputs, list):
        raise InvalidInput(f"{path}: 'inputs' is not a list; fix it by hand first")
    foreign = foreign_inputs(plan, document, input_owners)
    ours = {i["id"] for i in plan.inputs}
    if {i.lower() for i in ours} & {i.lower() for i in foreign}:
        raise Clash(kept, foreign)
    used = set(_INPUT_REFERENCE.findall(json.dumps({n: servers[n] for n in kept})))
    merged: list[Any] = []
    owners: Owners = {}
    for item in inputs:
        ident = item.get("id") if isinstance(item, dict) else None
        if isinstance(ident, str) and ident in input_owners:
            owner = input_owners[ident]
            if plan.owns(owner) and (ident in ours or ident not in used):
                continue  # replaced below, or no longer used
            owners[ident] = owner
        merged.append(item)
    merged += plan.inputs
    for item in plan.inputs:
        owners[item["id"]] = plan.owner()
    if merged:
        document["inputs"] = merged
    else:
        document.pop("inputs", None)
    return owners
