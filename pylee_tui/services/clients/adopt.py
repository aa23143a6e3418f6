"""`clients adopt`: a hand change of an exported entry, said in its server's terms (the package's
version or arguments, the remote's URL, its server-scope variables), then made through the
registries and variables services. What cannot be said so is refused, nothing written."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylee_tui.server_json import declared_env_names, dicts, launch_target
from pylee_tui.services.approvals import ChangeRequested
from pylee_tui.services.clients.model import AdoptResult
from pylee_tui.services.clients.scan import read_client_file
from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export.clients import client_format
from pylee_tui.services.export.clients.base import ClientEntry
from pylee_tui.services.export.codec import parse_document
from pylee_tui.services.export.configfile import SecretMatcher
from pylee_tui.services.export.written import Written, mask_entry, mask_like, rerecord
from pylee_tui.services.resolver import MASK
from pylee_tui.services.scope import Scope

if TYPE_CHECKING:
    from pylee_tui.services import Services

# the token that names a package (and its version) in the command an export writes
_VERSIONED = {"npm": "@", "pypi": "==", "oci": ":", "nuget": "@"}


@dataclass
class Edit:
    """What adopting an entry changes: the server's document, and its server-scope keys."""

    document: dict[str, Any]
    document_changed: bool = False
    set_variables: dict[str, str] = field(default_factory=dict)
    set_secrets: dict[str, str] = field(default_factory=dict, repr=False)
    unset: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


@dataclass
class AdoptPlan:
    """What adopting an entry does: the edit of its server, and the entry as recorded after."""

    scope: Scope
    edit: Edit
    written: Any


def adopt_entry(services: Services, actor: str, path: Path, record: Written) -> AdoptResult:
    plan = plan_adopt(services, actor, path, record)
    apply_adopt(services, actor, record, plan)
    return adopt_result(record, plan)


def plan_adopt(services: Services, actor: str, path: Path, record: Written) -> AdoptPlan:
    """The change of the entry said in its server's terms; refused (InvalidInput, one line)
    when it cannot be. Nothing is written."""
    fmt = client_format(record.client)
    text = read_client_file(path)
    if text is None:
        raise InvalidInput(f"{path} is gone: nothing to adopt")
    raw = fmt.server_groups(parse_document(fmt, path, text).document).get("", {})[record.name]
    now, before = fmt.read_entry(record.name, raw), fmt.read_entry(record.name, record.entry)
    if now.problems:
        raise InvalidInput(f"{record.name}: {'; '.join(now.problems)}; nothing was adopted")
    scope = Scope(record.org, record.registry, record.server)
    server = services.registries.get_server(actor, scope)
    config = services.variables.effective_for_servers(actor, Scope(record.org, record.registry))
    own = (
        {e.key for e in config[record.server].defined_at("server")}
        if record.server in config
        else set()
    )
    edit = Edit(copy.deepcopy(server.document))
    if record.secrets == "launcher":
        if (now.command, now.args, now.url) != (before.command, before.args, before.url):
            raise InvalidInput(
                f"{record.name} starts `pylee-tui run`: a change of its command cannot be "
                "adopted; nothing was changed"
            )
    else:
        _command(edit, now, before, record.name)
    _env(edit, now, before, own, fmt.references, record.name)
    if now.headers != before.headers:
        raise InvalidInput(
            f"{record.name}: a change of headers cannot be adopted; nothing was changed"
        )
    if not edit.changes:
        raise InvalidInput(f"{record.name}: nothing in the change can be adopted")
    # as written: the new secrets' values masked, as an inline export's are
    written = mask_entry(mask_like(raw, record.entry), SecretMatcher(edit.set_secrets.values()))
    return AdoptPlan(scope, edit, written)


def apply_adopt(services: Services, actor: str, record: Written, plan: AdoptPlan) -> None:
    """The edit made through a local store's services and the entry recorded as written, in
    one transaction."""
    edit = plan.edit
    if edit.set_secrets:
        services.vault.data_key()  # VaultLocked now, before anything is written

    def secrets(key: str, value: str) -> None:
        services.variables.set_key(actor, plan.scope, key, value, kind="secret")

    try:
        # all or nothing: the services' own transactions nest in this one
        with services.store.transaction() as db:
            published = apply_edit(services, actor, plan.scope, edit, secrets)
            rerecord(db, record, plan.written, services.now(), actor)
    except ChangeRequested:
        # the request was rolled back with the rest: say so rather than point at it
        raise adopt_needs_approver(plan.scope, record.name) from None
    if published is not None:
        edit.changes.append(f"published as version {published}")


def adopt_needs_approver(scope: Scope, entry: str | None = None) -> InvalidInput:
    """An adopt into a registry that requires approval (a change request cannot be waited for)."""
    return InvalidInput(
        ("" if entry is None else f"{entry}: ")
        + f"registry {scope.org}/{scope.registry} requires approval of a "
        "change to its servers, which adopt cannot wait for: ask an approver to adopt it, "
        "or edit the server and publish it for approval; nothing was changed"
    )


def adopt_result(record: Written, plan: AdoptPlan) -> AdoptResult:
    changes = list(plan.edit.changes)
    if plan.edit.set_secrets and record.secrets != "inline":
        changes.append(
            "the file still holds the new secret's value: `clients sync` writes the "
            f"{record.secrets} form instead"
        )
    return AdoptResult(record.org, record.registry, record.server, tuple(changes))


def apply_edit(
    services: Services,
    actor: str,
    scope: Scope,
    edit: Edit,
    secrets: Callable[[str, str], None],
) -> str | None:
    """The edit made through the services (inside the caller's transaction), each new secret
    as `secrets(key, value)` writes it; the version published (None: no document change)."""
    published = None
    if edit.document_changed:
        # exports write a server's latest published version: the hand change is published
        # as the next one (the bump its changes suggest), so the file and the registry agree
        services.registries.edit_server(actor, scope, edit.document)
        published = services.server_versions.publish(actor, scope).version
    for key, value in edit.set_variables.items():
        services.variables.set_key(actor, scope, key, value)
    for key, value in edit.set_secrets.items():
        secrets(key, value)
    for key in edit.unset:
        services.variables.unset(actor, scope, key)
    return published


def _command(edit: Edit, now: ClientEntry, before: ClientEntry, name: str) -> None:
    package, remote = launch_target(edit.document)
    if now.url != before.url or now.transport != before.transport:
        if remote is None or now.url is None or now.transport != before.transport:
            raise InvalidInput(
                f"{name}: the entry is no longer the server's {'remote' if remote else 'package'}"
                "; nothing was changed"
            )
        remote["url"] = now.url
        edit.document_changed = True
        edit.changes.append(f"remote URL: {before.url} -> {now.url}")
    old = [before.command or "", *before.args]
    new = [now.command or "", *now.args]
    if old == new:
        return
    if package is None:
        raise InvalidInput(
            f"{name}: the entry is no longer the server's remote; nothing was changed"
        )
    registry = str(package.get("registryType"))
    ident = str(package.get("identifier", ""))
    version = str(package.get("version", "") or "")
    sep = _VERSIONED.get(registry, "@")
    token = f"{ident}{sep}{version}" if version else ident
    if token not in old:
        raise InvalidInput(
            f"{name}: the recorded command does not name {ident}; nothing was changed"
        )
    at = old.index(token)
    found = next(
        (i for i, t in enumerate(new) if t == ident or t.startswith(f"{ident}{sep}")), None
    )
    unmappable = InvalidInput(
        f"{name}: the command `{' '.join(new)}` no longer starts the package {ident}; "
        "nothing was changed"
    )
    if found is None or _prefix(old[:at], registry) != _prefix(new[:found], registry):
        raise unmappable
    new_version = new[found][len(ident) + len(sep) :] if new[found] != ident else ""
    if new_version != version:
        if not new_version:
            raise unmappable
        package["version"] = new_version
        if edit.document.get("version") == version:
            edit.document["version"] = new_version
        edit.document_changed = True
        edit.changes.append(f"version of {ident}: {version or '(none)'} -> {new_version}")
    if old[at + 1 :] != new[found + 1 :]:
        package["packageArguments"] = [
            {"type": "positional", "value": value} for value in new[found + 1 :]
        ]
        edit.document_changed = True
        edit.changes.append(f"arguments: {' '.join(old[at + 1 :])} -> {' '.join(new[found + 1 :])}")


def _prefix(tokens: list[str], registry: str) -> list[str]:
    """The tokens before the package, a container's `-e NAME` pairs aside (the env's keys)."""
    if registry != "oci":
        return tokens
    out: list[str] = []
    skip = False
    for token in tokens:
        if skip:
            skip = False
        elif token == "-e":
            skip = True
        else:
            out.append(token)
    return out


def _env(
    edit: Edit,
    now: ClientEntry,
    before: ClientEntry,
    own: set[str],
    references: Any,
    name: str,
) -> None:
    from pylee_tui.services.clients.drift import SECRET_NAME

    package, _remote = launch_target(edit.document)
    declared = declared_env_names(package) if package is not None else []
    for key in sorted(set(now.env) | set(before.env)):
        old, new = before.env.get(key), now.env.get(key)
        if old == new:
            continue
        if new is not None and (MASK in new or references(new)):
            raise InvalidInput(
                f"{name}: {key} now names a value the file does not hold; nothing was changed"
            )
        if old is not None and (MASK in old or references(old)):
            raise InvalidInput(
                f"{name}: {key} is a secret: set it in the vault, not in the file; "
                "nothing was changed"
            )
        if new is None:
            if key in own:
                edit.unset.append(key)
            if key in declared and package is not None:
                package["environmentVariables"] = [
                    v for v in dicts(package.get("environmentVariables")) if v.get("name") != key
                ]
                edit.document_changed = True
            if key not in own and key not in declared:
                raise InvalidInput(f"{name}: {key} cannot be removed here; nothing was changed")
            edit.changes.append(f"{key}: removed")
            continue
        secret = old is None and SECRET_NAME.search(key) is not None
        if old is None and key not in declared and package is not None:
            items = list(dicts(package.get("environmentVariables")))
            items.append({"name": key, **({"isSecret": True} if secret else {})})
            package["environmentVariables"] = items
            edit.document_changed = True
        if secret:
            edit.set_secrets[key] = new
            edit.changes.append(f"{key}: a new secret in the vault")
        else:
            edit.set_variables[key] = new
            edit.changes.append(f"{key}: {'added' if old is None else 'changed'}")
