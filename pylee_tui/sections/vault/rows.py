"""What the vault section shows for one scope, loaded in one worker call, and the rows of its
table in each mode: keys defined here, the effective configuration, or keys deleted here."""

from __future__ import annotations

from dataclasses import dataclass, field

from pylee_tui.models import Variable, VariableKind
from pylee_tui.safe_text import escape
from pylee_tui.services import NotFound, Scope, Services
from pylee_tui.services.resolver import MASK, Declared, EffectiveConfig
from pylee_tui.services.variables import DeletedKey
from pylee_tui.services.vault import VaultStatus

DEFINED, EFFECTIVE, DELETED = "defined", "effective", "deleted"
MODE_NAMES = {DEFINED: "defined here", EFFECTIVE: "effective", DELETED: "deleted"}


@dataclass(frozen=True)
class RegistryScopes:
    slug: str
    name: str
    servers: tuple[str, ...]


@dataclass(frozen=True)
class VaultView:
    """What the pane shows for one scope, loaded in one worker call."""

    scope: Scope
    defined: dict[str, list[Variable]]  # level -> the keys defined there, along the chain
    effective: EffectiveConfig
    status: VaultStatus
    registries: tuple[RegistryScopes, ...]
    deleted: tuple[DeletedKey, ...] = ()  # keys deleted at exactly this scope

    def fingerprint(self) -> tuple:
        """Changes whenever a key of the chain is written: revealed values are then stale."""
        return tuple(
            (level, v.key, v.kind, v.updated_at)
            for level, variables in sorted(self.defined.items())
            for v in variables
        ) + (self.scope,)


def load_vault_view(services: Services, user: str, scope: Scope) -> VaultView:
    org = scope.org
    registries = tuple(
        RegistryScopes(
            r.slug,
            r.name,
            tuple(s.name for s in services.registries.list_servers(user, Scope(org, r.slug))),
        )
        for r in services.registries.list_registries(user, org)
    )
    try:
        effective = services.variables.effective(user, scope)
    except NotFound:  # the registry or server went away meanwhile: show the org
        scope = Scope(org)
        effective = services.variables.effective(user, scope)
    defined: dict[str, list[Variable]] = {
        level: services.variables.list_keys(user, scope.up_to(level)) for level in scope.chain
    }
    deleted = tuple(services.variables.deleted(user, scope))
    return VaultView(scope, defined, effective, services.vault.status(), registries, deleted)


@dataclass(frozen=True)
class Row:
    """One line of the table: a key defined here, an effective entry, a missing one, or a key
    deleted here."""

    id: str
    key: str
    kind: VariableKind
    level: str | None  # where it is defined; None for a missing required key
    source: str
    display: str  # what may be shown without revealing anything
    value: str | None = None  # a plain variable's value as shown (never a secret's)
    raw: str | None = None
    overrides: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    embeds_secret: bool = False
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    missing: Declared | None = None
    deleted: DeletedKey | None = None
    updated: Variable | None = field(default=None, compare=False)

    @property
    def ident(self) -> tuple[str | None, str]:
        return self.level, self.key

    @property
    def secretive(self) -> bool:
        """Reading its value in full needs the vault key and `secrets:reveal`."""
        return self.kind == "secret" or self.embeds_secret


def build_rows(view: VaultView, mode: str) -> list[Row]:
    scope, config = view.scope, view.effective
    if mode == DELETED:
        return [
            Row(
                id=d.key,
                key=d.key,
                kind=d.kind,
                level=scope.level,
                source=scope.level,
                display=(d.value or "") if d.kind == "variable" else MASK,
                deleted=d,
            )
            for d in view.deleted
        ]
    updated = {(level, v.key): v for level, vs in view.defined.items() for v in vs}
    rows: list[Row] = []
    if mode == DEFINED:
        for v in view.defined.get(scope.level, []):
            entry = config.get(v.key)
            rows.append(
                Row(
                    id=v.key,
                    key=v.key,
                    kind=v.kind,
                    level=scope.level,
                    source=entry.source if entry else scope.level,
                    display=(v.value or "") if v.kind == "variable" else MASK,
                    value=v.value if v.kind == "variable" else None,
                    raw=v.value if v.kind == "variable" else None,
                    overrides=entry.overrides if entry else (),
                    references=entry.references if entry else (),
                    problems=entry.problems if entry else (),
                    warnings=entry.warnings if entry else (),
                    updated=v,
                )
            )
        return rows
    for d in config.missing:
        rows.append(
            Row(
                id=d.name,
                key=d.name,
                kind="secret" if d.secret else "variable",
                level=None,
                source="",
                display="missing",
                missing=d,
            )
        )
    for e in config.entries:
        rows.append(
            Row(
                id=e.key,
                key=e.key,
                kind=e.kind,
                level=e.scope,
                source=e.source,
                display=e.display,
                value=e.value if e.kind == "variable" and not e.embeds_secret else None,
                raw=e.raw,
                overrides=e.overrides,
                references=e.references,
                embeds_secret=e.embeds_secret,
                problems=e.problems,
                warnings=e.warnings,
                updated=updated.get((e.scope, e.key)),
            )
        )
    return rows


def scope_id(scope: Scope) -> str:
    """A scope of the shown org as an action's text argument (`org`, `registry/R`,
    `server/R/NAME`): what the palette and the scope picker hand back."""
    if scope.server:
        return f"server/{scope.registry}/{scope.server}"
    if scope.registry:
        return f"registry/{scope.registry}"
    return "org"


def scope_from_id(org: str, text: str) -> Scope:
    """The scope of `org` that `scope_id` wrote as `text`."""
    level, _, rest = text.partition("/")
    registry, _, server = rest.partition("/")  # a server name holds one "/" itself
    if level == "server":
        return Scope(org, registry, server)
    if level == "registry":
        return Scope(org, registry)
    return Scope(org)


def scope_items(
    org: str, registries: tuple[RegistryScopes, ...], *, name_registries: bool = False
) -> list[tuple[str, str]]:
    """(id, label) of every scope of the org, indented as a tree. With `name_registries` a
    server names its registry too (a filtered list no longer shows what it sits under)."""
    items = [(scope_id(Scope(org)), f"org {org}")]
    for reg in registries:
        items.append((scope_id(Scope(org, reg.slug)), f"  registry {reg.slug}  ({reg.name})"))
        after = f"  · {reg.slug}" if name_registries else ""
        items += [
            (scope_id(Scope(org, reg.slug, s)), f"    server {s}{after}") for s in reg.servers
        ]
    return items


def shorten(text: str, width: int) -> str:
    """One line of at most `width` cells, control characters escaped."""
    text = escape(text.replace("\r\n", "⏎").replace("\n", "⏎"))
    return text if len(text) <= width else text[: width - 1] + "…"
