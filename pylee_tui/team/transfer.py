"""An org moved between two stores that speak the service interface: a local `Services` and a
team server's `RemoteServices`, either way (`push`: local to server; `pull`: server to local).

`read_org` reads the source org whole through its services (no secret's value: those are opened
one at a time while copying); `copy_org` makes it in the target, as the target's acting person,
who becomes the new org's admin. What is carried:

- the org (name, description, overview) under its slug or another;
- each registry (name, slug, description, overview, whether it requires approval: set once its
  servers are in, so copying them makes no change requests);
- each server's published versions, replayed in order (published now, by the person copying:
  their original dates and authors stay in the source), its pin, and its working copy when it
  differs from the latest version (a draft too);
- a fork of a registry of the same org stays a fork of the copy (its servers follow the copy's
  and keep their pins); a forked server following another org, or gone upstream, becomes a plain
  copy of the version it uses (said in `notes`);
- variables and secrets at org, registry and server scope, their current value only (their
  history stays in the source). A secret is opened by the source (a local vault, or the member's
  key for a server's) and sealed again by the target (a server's: on this machine, to the new
  org's key, which the first secret makes); the server never sees it in the clear. A secret the
  source will not open for this person is left missing (`on_missing` records it, as a clone
  does, where the target can).

Not carried: members (they join by invitation), personal overrides (the user scope), the keys a
clone left missing in the source, change requests and the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pylee_tui.services.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    PyleeError,
    SecretUnreadable,
    VaultLocked,
)
from pylee_tui.services.scope import Scope
from pylee_tui.summaries import plural

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ServerCopy:
    """One server of a registry as the copy makes it."""

    name: str
    versions: tuple[tuple[str, dict[str, Any]], ...]  # published, oldest first
    working: dict[str, Any]  # the working copy
    draft: bool
    changed: bool  # the working copy differs from the latest version
    pinned: str | None
    follows: bool = False  # a forked server the copied fork follows


@dataclass(frozen=True)
class RegistryCopy:
    slug: str
    name: str
    description: str
    overview: str
    require_approval: bool
    fork_of: str | None  # the slug of the registry of the same org it is a fork of
    servers: tuple[ServerCopy, ...]
    own_description: bool = True  # False: a fork's, as `fork` wrote it (names its upstream)


@dataclass(frozen=True)
class KeyCopy:
    """A variable or a secret at one scope (a secret's value is read while copying)."""

    registry: str | None
    server: str | None
    key: str
    kind: str
    value: str | None

    @property
    def where(self) -> str:
        if self.server is not None:
            return f"server {self.registry}/{self.server}"
        return f"registry {self.registry}" if self.registry is not None else "org"

    def scope(self, org: str) -> Scope:
        return Scope(org, self.registry, self.server)


@dataclass
class OrgCopy:
    """What `read_org` found in the source."""

    slug: str
    name: str
    description: str
    overview: str
    registries: list[RegistryCopy]
    keys: list[KeyCopy]
    members: int  # besides the reader
    notes: list[str] = field(default_factory=list)

    @property
    def servers(self) -> int:
        return sum(len(r.servers) for r in self.registries)

    @property
    def secrets(self) -> int:
        return sum(1 for k in self.keys if k.kind == "secret")

    def describe(self) -> str:
        return (
            f"{plural(len(self.registries), 'registry')}, {plural(self.servers, 'server')}, "
            f"{plural(len(self.keys) - self.secrets, 'variable')}, "
            f"{plural(self.secrets, 'secret')}"
        )


@dataclass
class Copied:
    """What `copy_org` made so far (all of it when it returns)."""

    slug: str
    created: bool = False
    registries: int = 0
    servers: int = 0
    versions: int = 0
    variables: int = 0
    secrets: int = 0
    missing: list[KeyCopy] = field(default_factory=list)
    why_missing: list[str] = field(default_factory=list)  # each reason once
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"{plural(self.registries, 'registry')}, "
            f"{plural(self.servers, 'server')} ({plural(self.versions, 'published version')}), "
            f"{plural(self.variables, 'variable')}, {plural(self.secrets, 'secret')}"
        )


class OrgExists(Conflict):
    """The target already holds an org under the slug: nothing was made."""


class CopyStopped(PyleeError):
    """A copy that failed after the new org was made: `copied` says how far it got."""

    def __init__(self, message: str, copied: Copied, step: str):
        super().__init__(message)
        self.copied = copied
        self.step = step


# --- reading the source -------------------------------------------------------------------


def read_org(source: Any, actor: str, org: str) -> OrgCopy:
    """The org `org` of `source` as `copy_org` makes it (NotFound and the rest as the source
    says them)."""
    found = source.orgs.get_org(actor, org)
    slug = found.slug
    notes: list[str] = []
    slugs = [r.slug for r in source.registries.list_registries(actor, slug)]
    registries = [_read_registry(source, actor, slug, reg, slugs, notes) for reg in slugs]
    keys: list[KeyCopy] = []
    for scope in _scopes(slug, registries):
        for var in source.variables.list_keys(actor, scope):
            value = var.value if var.kind == "variable" else None
            keys.append(KeyCopy(scope.registry, scope.server, var.key, var.kind, value))
    members = [m for m in source.members.list_members(actor, slug) if m.email != actor]
    active = sum(1 for m in members if m.status in ("active", "invited"))
    return OrgCopy(
        slug, found.name, found.description, found.overview, registries, keys, active, notes
    )


def _scopes(org: str, registries: list[RegistryCopy]) -> list[Scope]:
    scopes = [Scope(org)]
    for reg in registries:
        scopes.append(Scope(org, reg.slug))
        scopes.extend(Scope(org, reg.slug, s.name) for s in reg.servers)
    return scopes


def _read_registry(
    source: Any, actor: str, org: str, slug: str, slugs: list[str], notes: list[str]
) -> RegistryCopy:
    scope = Scope(org, slug)
    reg = source.registries.get_registry(actor, scope)
    fork_of = None
    label = source.forks.fork_of(actor, scope)
    if label is not None:
        upstream_org, _, upstream = label.partition("/")
        if upstream_org == org and upstream in slugs:
            fork_of = upstream
        else:
            notes.append(
                f"registry {slug} is a fork of {label}, another org: copied as a plain one"
            )
    upstreams = source.forks.upstreams(actor, scope)
    servers = []
    for server in source.registries.list_servers(actor, scope):
        line = upstreams.get(server.name)
        if line is None:
            servers.append(_read_server(source, actor, Scope(org, slug, server.name), server))
            continue
        follows = fork_of is not None and not line.gone and line.upstream.startswith(f"{org}/")
        servers.append(_read_forked(source, actor, Scope(org, slug, server.name), line, follows))
        if not follows:
            notes.append(
                f"server {slug}/{server.name} follows {line.upstream}"
                + (" (gone)" if line.gone else "")
                + f": copied as a server of its own at {line.in_use or 'its last document'}"
            )
    return RegistryCopy(
        slug,
        reg.name,
        reg.description,
        reg.overview,
        source.approvals.requires_approval(actor, scope),
        fork_of,
        tuple(servers),
        own_description=fork_of is None or reg.description != f"Fork of {label}",
    )


def _read_server(source: Any, actor: str, scope: Scope, server: Any) -> ServerCopy:
    state = source.server_versions.state(actor, scope)
    versions = tuple(
        (v.version, source.server_versions.document(actor, scope, v.version))
        for v in state.versions
    )
    return ServerCopy(
        server.name,
        versions,
        dict(server.document),
        server.status == "draft",
        state.changed or (server.status == "draft" and bool(versions)),
        state.pinned,
    )


def _read_forked(source: Any, actor: str, scope: Scope, line: Any, follows: bool) -> ServerCopy:
    if follows:
        return ServerCopy(line.name, (), {}, False, False, line.pinned, follows=True)
    used = source.server_versions.resolved_one(actor, scope)
    if used.document is None or used.version is None:  # gone upstream: its last document
        server = source.registries.get_server(actor, scope)
        return ServerCopy(line.name, (), dict(server.document), False, False, None)
    document = dict(used.document)
    return ServerCopy(line.name, ((used.version, document),), document, False, False, None)


# --- making the copy ----------------------------------------------------------------------


def copy_org(
    source: Any,
    source_actor: str,
    target: Any,
    target_actor: str,
    plan: OrgCopy,
    *,
    slug: str | None = None,
    progress: Progress = lambda _line: None,
    on_missing: Callable[[str, KeyCopy], None] | None = None,
    before_secrets: Callable[[], object] | None = None,
) -> Copied:
    """Make `plan` (read from `source` by `read_org`) in `target` as `target_actor`, under
    `slug` (default: the source's). An org already there under that slug: OrgExists, nothing
    made. A failure after the org is made: CopyStopped, saying how far it got. `before_secrets`
    runs once the org and its scopes exist, before the first secret is written (a local vault
    with no passphrase yet is made then: making one needs a role in an org)."""
    new = slug or plan.slug
    copied = Copied(new, notes=list(plan.notes))
    try:
        target.orgs.create(
            target_actor,
            plan.name,
            slug=new,
            description=plan.description,
            overview=plan.overview,
        )
    except Conflict:
        raise OrgExists(f"org {new} already exists") from None
    copied.created = True
    progress(f"created org {new}")
    step = "the registries"
    try:
        done: set[str] = set()
        pending = list(plan.registries)
        while pending:
            ready = [r for r in pending if r.fork_of is None or r.fork_of in done]
            if not ready:  # cannot be (forks form no cycle): copy the rest plainly
                ready = [_unforked(r) for r in pending]
            for reg in ready:
                step = f"registry {reg.slug}"
                _copy_registry(target, target_actor, new, reg, copied)
                done.add(reg.slug)
                progress(f"registry {reg.slug}: {plural(len(reg.servers), 'server')}")
            names = {r.slug for r in ready}
            pending = [r for r in pending if r.slug not in names]
        step = "the variables and secrets"
        if before_secrets is not None and plan.secrets:
            before_secrets()
        _copy_keys(source, source_actor, target, target_actor, plan, new, copied, on_missing)
        progress(f"{plural(copied.variables, 'variable')}, {plural(copied.secrets, 'secret')}")
    except PyleeError as exc:
        raise CopyStopped(str(exc), copied, step) from None
    except KeyboardInterrupt:  # said as a failure is: what is there, and how to remove it
        raise CopyStopped("interrupted", copied, step) from None
    return copied


def _unforked(reg: RegistryCopy) -> RegistryCopy:
    return RegistryCopy(
        reg.slug,
        reg.name,
        reg.description,
        reg.overview,
        reg.require_approval,
        None,
        tuple(s for s in reg.servers if not s.follows),
    )


def _copy_registry(target: Any, actor: str, org: str, reg: RegistryCopy, copied: Copied) -> None:
    scope = Scope(org, reg.slug)
    if reg.fork_of is None:
        target.registries.create(actor, org, reg.name, slug=reg.slug, description=reg.description)
        if reg.overview:
            target.registries.edit(actor, scope, overview=reg.overview)
    else:
        target.forks.fork(actor, Scope(org, reg.fork_of), org, name=reg.name, slug=reg.slug)
        description = reg.description if reg.own_description else None
        if description is not None or reg.overview:
            target.registries.edit(
                actor, scope, description=description, overview=reg.overview or None
            )
        following = {s.name for s in reg.servers if s.follows}
        for server in target.registries.list_servers(actor, scope):
            if server.name not in following:  # not in the source's fork (left out, or removed)
                target.registries.remove_server(actor, Scope(org, reg.slug, server.name))
    copied.registries += 1
    for server in reg.servers:
        where = Scope(org, reg.slug, server.name)
        if server.follows:
            if server.pinned:
                _pin(target, actor, where, server.pinned, copied)
        else:
            _copy_server(target, actor, where, server, copied)
        copied.servers += 1
    if reg.require_approval:
        target.approvals.set_required(actor, scope, True)


def _copy_server(target: Any, actor: str, scope: Scope, server: ServerCopy, copied: Copied) -> None:
    registry = Scope(scope.org, scope.registry)
    if not server.versions:
        target.registries.add_server(actor, registry, server.working, allow_draft=server.draft)
        return
    first, *rest = server.versions
    target.registries.add_server(actor, registry, first[1])
    copied.versions += 1
    for version, document in rest:
        target.registries.edit_server(actor, scope, document)
        try:
            target.server_versions.publish(actor, scope, version=version)
        except PyleeError as exc:  # e.g. the same content as the version before it
            copied.notes.append(f"server {scope.registry}/{scope.server} {version}: {exc}")
            continue
        copied.versions += 1
    if server.pinned:
        _pin(target, actor, scope, server.pinned, copied)
    if server.changed:  # its unpublished edits (a draft's too) as its working copy
        target.registries.import_servers(
            actor, registry, [server.working], replace=True, source="push/pull"
        )


def _pin(target: Any, actor: str, scope: Scope, version: str, copied: Copied) -> None:
    try:
        target.server_versions.pin(actor, scope, version)
    except PyleeError as exc:
        copied.notes.append(
            f"server {scope.registry}/{scope.server} not pinned at {version}: {exc}"
        )


UNREADABLE = (PermissionDenied, SecretUnreadable, VaultLocked, NotFound)


def _copy_keys(
    source: Any,
    source_actor: str,
    target: Any,
    target_actor: str,
    plan: OrgCopy,
    org: str,
    copied: Copied,
    on_missing: Callable[[str, KeyCopy], None] | None,
) -> None:
    refused: str | None = None  # once the source refuses to open secrets, it refuses them all
    for key in plan.keys:
        scope = key.scope(org)
        if key.kind == "variable":
            target.variables.set_key(target_actor, scope, key.key, key.value or "")
            copied.variables += 1
            continue
        value = None
        if refused is None:
            try:
                value = source.variables.reveal(
                    source_actor, key.scope(plan.slug), key.key, purpose="copy"
                )
            except UNREADABLE as exc:
                if isinstance(exc, PermissionDenied):
                    refused = str(exc)
                if str(exc) not in copied.why_missing:
                    copied.why_missing.append(str(exc))
        if value is None:
            copied.missing.append(key)
            if on_missing is not None:
                on_missing(org, key)
            continue
        target.variables.set_key(target_actor, scope, key.key, value, kind="secret")
        del value
        copied.secrets += 1


def mark_missing(services: Any, actor: str, source: str) -> Callable[[str, KeyCopy], None]:
    """For a local target: each secret left unset becomes a missing key of its scope, as a clone
    leaves them (`env missing`, the vault section), until someone sets it."""

    def record(org: str, key: KeyCopy) -> None:
        with services.store.transaction() as db:
            org_row, _member = services.access.org_row(db, actor, org)
            registry_id = server_id = None
            if key.registry is not None:
                reg = services.registries.registry_row(db, org_row, key.registry)
                registry_id = reg["id"]
                if key.server is not None:
                    row = db.execute(
                        "SELECT id FROM servers WHERE registry_id = ? AND name = ?",
                        [registry_id, key.server],
                    ).fetchone()
                    server_id, registry_id = row[0], None
            db.table("missing_secrets").insert(
                {
                    "org_id": org_row["id"],
                    "registry_id": registry_id,
                    "server_id": server_id,
                    "scope": "server" if key.server else "registry" if key.registry else "org",
                    "key": key.key,
                    "cloned_from": source,
                    "created_at": services.now(),
                }
            )

    return record
