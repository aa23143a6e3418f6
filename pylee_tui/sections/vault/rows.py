"""What the vault section shows for one scope, loaded in one worker call, and its rows in each
mode: keys defined here, the effective configuration, or keys deleted here.

A scope may hold thousands of keys: the load keeps the configuration (whose entries are made
when first read) and the order of the rows' keys (`RowOrder`, filtered and sorted in a worker);
a `Row` is made only for the keys the table draws."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from pylee_tui.models import VariableKind
from pylee_tui.safe_text import escape
from pylee_tui.services import NotFound, Scope, Services
from pylee_tui.services.environments import MissingSecret
from pylee_tui.services.resolver import MASK, Declared, EffectiveConfig
from pylee_tui.services.variables import DeletedKey, KeyChange, RegistryScope
from pylee_tui.services.vault import VaultStatus

DEFINED, EFFECTIVE, DELETED = "defined", "effective", "deleted"
MODE_NAMES = {DEFINED: "defined here", EFFECTIVE: "effective", DELETED: "deleted"}
# an org with at most this many servers lists them all (tree, picker, palette) when it loads;
# a larger one lists a registry's servers when its node is opened
LIST_SERVERS_UP_TO = 500
SORTS = ("key", "kind", "value", "level")  # what the rows can be ordered by, column by column


@dataclass(frozen=True)
class RegistryScopes:
    """A registry of the org and, when the org is small enough to list them at once, the
    names of its servers (None: read when its node is opened)."""

    slug: str
    name: str
    count: int = 0
    servers: tuple[str, ...] | None = None


@dataclass(frozen=True)
class VaultView:
    """What the pane shows for one scope, loaded in one worker call."""

    scope: Scope
    effective: EffectiveConfig
    status: VaultStatus
    registries: tuple[RegistryScopes, ...]
    deleted: tuple[DeletedKey, ...] = ()  # keys deleted at exactly this scope
    # the secrets `org clone` left without a value, at this scope and those it inherits from
    cloned: tuple[MissingSecret, ...] = ()
    # level -> key -> when and by whom it was last written: read after the view (`load_changes`)
    changes: dict[str, dict[str, KeyChange]] = field(default_factory=dict)

    def rows_of(self, mode: str) -> RowIndex:
        """What ordering and filtering the rows of `mode` read, built once per view."""
        index = self._indexes.get(mode)
        if index is None:
            index = self._indexes[mode] = RowIndex.of(self, mode)
        return index

    @cached_property
    def _indexes(self) -> dict[str, RowIndex]:
        return {}

    @cached_property
    def deleted_by_key(self) -> dict[str, DeletedKey]:
        return {d.key: d for d in self.deleted}

    def cloned_in(self, mode: str) -> dict[str, MissingSecret]:
        """The keys a clone left without a value that `mode` lists as rows: those at exactly
        this scope (defined here), or those reaching it that nothing defines (effective; the
        nearest scope's when several scopes miss the same key)."""
        found = self._cloned.get(mode)
        if found is None:
            level, config = self.scope.level, self.effective
            if mode == DEFINED:
                found = {m.key: m for m in self.cloned if m.scope == level}
            elif mode == EFFECTIVE:
                found = {m.key: m for m in self.cloned if m.key not in config}
            else:
                found = {}
            self._cloned[mode] = found
        return found

    @cached_property
    def _cloned(self) -> dict[str, dict[str, MissingSecret]]:
        return {}

    @property
    def listed_servers(self) -> bool:
        return all(r.servers is not None for r in self.registries)


def load_vault_view(services: Services, user: str, scope: Scope) -> VaultView:
    org = scope.org
    variables = services.variables
    found = variables.registry_scopes(user, org)
    listed = sum(r.servers for r in found) <= LIST_SERVERS_UP_TO
    registries = tuple(_registry(variables, user, org, r, listed) for r in found)
    try:
        effective = variables.effective(user, scope)
    except NotFound:  # the registry or server went away meanwhile: show the org
        scope = Scope(org)
        effective = variables.effective(user, scope)
    deleted = tuple(variables.deleted(user, scope))
    cloned = tuple(services.environments.missing_secrets(user, scope))
    return VaultView(scope, effective, services.vault.status(), registries, deleted, cloned)


def load_changes(
    services: Services, user: str, scope: Scope
) -> tuple[dict[str, dict[str, KeyChange]], int]:
    """When and by whom each key of the scope's chain was last written (the detail line says
    it), and a stamp of all of it that changes whenever one of them is written (a revealed
    value is then stale). Read once the view is shown: nothing on screen waits for it."""
    changes = services.variables.changes(user, scope)
    written = frozenset(
        (level, key, *change) for level, found in changes.items() for key, change in found.items()
    )
    return changes, hash(written)


def _registry(variables, user: str, org: str, r: RegistryScope, listed: bool) -> RegistryScopes:
    names = tuple(variables.server_names(user, Scope(org, r.slug))) if listed else None
    return RegistryScopes(r.slug, r.name, r.servers, names)


@dataclass(frozen=True)
class Change:
    """When a key was last written, and by whom."""

    at: datetime
    by: str


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
    cloned: MissingSecret | None = None  # a secret a clone left without a value

    @property
    def unset(self) -> bool:
        """No value anywhere yet: a missing required key, or one a clone left without one."""
        return self.missing is not None or self.cloned is not None

    @property
    def ident(self) -> tuple[str | None, str]:
        return self.level, self.key

    @property
    def secretive(self) -> bool:
        """Reading its value in full needs the vault key and `secrets:reveal`."""
        return self.kind == "secret" or self.embeds_secret


@dataclass(frozen=True)
class RowOrder:
    """The ids of the rows of one mode, in the order shown, with what chose them."""

    mode: str
    ids: tuple[str, ...]
    needle: str = ""
    sort: str = "key"
    reverse: bool = False
    total: int = 0  # rows of the mode before the filter

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class RowIndex:
    """The rows of one mode of a view as the filter and the sorts read them: each key with its
    text to match (the key and a plain variable's value as written, lower case), its kind and
    where it is defined. Missing required keys come first, whatever the order, then the keys a
    clone left without a value."""

    missing: tuple[str, ...]
    keys: tuple[str, ...]  # by key
    text: tuple[str, ...]  # what a filter matches, per key
    kinds: tuple[str, ...]
    where: tuple[str, ...]  # a level's rank, or a deletion's time
    values: tuple[str, ...]  # a plain variable's value as written

    @classmethod
    def of(cls, view: VaultView, mode: str) -> RowIndex:
        config = view.effective
        missing: tuple[str, ...] = ()
        if mode == DELETED:
            keys: list[str] = [d.key for d in view.deleted]
            kinds: list[str] = [d.kind for d in view.deleted]
            values = [(d.value or "") if d.kind == "variable" else "" for d in view.deleted]
            where = [f"{d.deleted_at:%Y-%m-%d %H:%M}" for d in view.deleted]
        else:
            cloned = view.cloned_in(mode)
            if mode == DEFINED:
                keys = [k for k in config.keys_at(view.scope.level) if k not in cloned]
            else:
                keys = list(config.keys())
                missing = tuple(d.name for d in config.missing)
            missing += tuple(k for k in cloned if k not in missing)
            found = [config.definition(k) for k in keys]
            kinds = [d.kind if d else "" for d in found]
            values = [(d.value or "") if d and d.kind == "variable" else "" for d in found]
            where = [str(_LEVEL_RANK.get(d.scope, 9)) if d else "9" for d in found]
        text = [f"{k}\n{v}".lower() for k, v in zip(keys, values, strict=True)]
        return cls(missing, tuple(keys), tuple(text), tuple(kinds), tuple(where), tuple(values))


def unset_counts(view: VaultView, mode: str, ids: tuple[str, ...]) -> tuple[int, int]:
    """Of the rows `ids` (the unset keys first), how many are required and defined nowhere
    (the effective configuration only), and how many are secrets a clone left without a value
    (and not required missing too)."""
    index = view.rows_of(mode)
    declared = {d.name for d in view.effective.missing} if mode == EFFECTIVE else set()
    cloned = view.cloned_in(mode)
    first = ids[: len(index.missing)]
    required = sum(1 for i in first if i in declared)
    return required, sum(1 for i in first if i in cloned and i not in declared)


def order_rows(
    view: VaultView, mode: str, needle: str = "", sort: str = "key", reverse: bool = False
) -> RowOrder:
    """The row ids of `mode`, those whose key (or a plain variable's value as written) holds
    `needle` (any case), ordered by `sort` (one of SORTS). Runs in a worker: a scope's thousands
    of keys are filtered and sorted off the UI thread, over an index built once per view."""
    index = view.rows_of(mode)
    wanted = needle.strip().lower()
    picked = list(range(len(index.keys)))
    missing = index.missing
    if wanted:
        text = index.text
        picked = [i for i in picked if wanted in text[i]]
        missing = tuple(k for k in missing if wanted in k.lower())
    if sort == "key":
        ordered = list(picked)
    else:
        if sort == "kind":
            column = index.kinds
        elif sort == "level":
            column = index.where
        elif mode == EFFECTIVE:  # the value as shown: references expanded
            config = view.effective
            column = tuple(_shown_value(config, k) for k in index.keys)
        else:
            column = index.values
        ordered = sorted(picked, key=column.__getitem__)  # stable: by key within
    if reverse:
        ordered.reverse()
    keys = index.keys
    total = len(keys) + len(index.missing)
    return RowOrder(mode, missing + tuple(keys[i] for i in ordered), needle, sort, reverse, total)


_LEVEL_RANK = {"org": 0, "registry": 1, "server": 2, "user": 3}
YOU_LABEL = "You (personal)"  # the user scope in the tree and the picker: your own overrides


def _shown_value(config: EffectiveConfig, key: str) -> str:
    entry = config.get(key)
    if entry is None or entry.kind == "secret":
        return ""
    return entry.display


def make_row(view: VaultView, mode: str, key: str) -> Row:
    """The row of `key` in `mode` (the table makes only the rows it draws)."""
    scope, config = view.scope, view.effective
    if mode == DELETED:
        d = view.deleted_by_key[key]
        return Row(
            id=d.key,
            key=d.key,
            kind=d.kind,
            level=scope.level,
            source=scope.level,
            display=(d.value or "") if d.kind == "variable" else MASK,
            deleted=d,
        )
    cloned = view.cloned_in(mode).get(key)
    entry = config.get(key) if cloned is None or mode == EFFECTIVE else None
    if entry is None:  # a required key defined nowhere (effective mode), or one a clone left
        declared = next((d for d in config.missing if d.name == key), None)
        return Row(
            id=key,
            key=key,
            kind="variable" if declared is not None and not declared.secret else "secret",
            level=cloned.scope if cloned is not None else None,
            source=f"{cloned.where} (cloned from {cloned.cloned_from})" if cloned else "",
            display="missing",
            missing=declared if mode == EFFECTIVE else None,
            cloned=cloned,
        )
    value = entry.value if entry.kind == "variable" and not entry.embeds_secret else None
    if mode == DEFINED:  # as written here
        value = entry.raw if entry.kind == "variable" else None
        display = (entry.raw or "") if entry.kind == "variable" else MASK
    else:
        display = entry.display
    return Row(
        id=key,
        key=key,
        kind=entry.kind,
        level=entry.scope,
        source=entry.source,
        display=display,
        value=value,
        raw=entry.raw,
        overrides=entry.overrides,
        references=entry.references,
        embeds_secret=entry.embeds_secret if mode == EFFECTIVE else False,
        problems=entry.problems,
        warnings=entry.warnings,
    )


def last_change(view: VaultView, row: Row) -> Change | None:
    """When the key of `row` was last written where it is defined (once read)."""
    if row.level is None or row.deleted is not None or row.unset:
        return None
    found = view.changes.get(row.level, {}).get(row.key)
    if found is None:
        return None
    try:
        return Change(datetime.fromisoformat(found.at), found.by)
    except ValueError:  # a time edited behind our back: say nothing rather than fail
        return None


def scope_id(scope: Scope) -> str:
    """A scope of the shown org as an action's text argument (`org`, `registry/R`,
    `server/R/NAME`, `user`: your own): what the palette and the scope picker hand back."""
    if scope.user:
        return "user"
    if scope.server:
        return f"server/{scope.registry}/{scope.server}"
    if scope.registry:
        return f"registry/{scope.registry}"
    return "org"


def scope_from_id(org: str, text: str) -> Scope:
    """The scope of `org` that `scope_id` wrote as `text`."""
    level, _, rest = text.partition("/")
    registry, _, server = rest.partition("/")  # a server name holds one "/" itself
    if level == "user":
        return Scope(org, user=True)
    if level == "server":
        return Scope(org, registry, server)
    if level == "registry":
        return Scope(org, registry)
    return Scope(org)


def scope_items(
    org: str, registries: tuple[RegistryScopes, ...], *, name_registries: bool = False
) -> list[tuple[str, str]]:
    """(id, label) of every scope of the org whose servers are known, indented as a tree.
    With `name_registries` a server names its registry too (a filtered list no longer shows
    what it sits under)."""
    items = [(scope_id(Scope(org)), f"org {org}")]
    for reg in registries:
        items.append((scope_id(Scope(org, reg.slug)), f"  registry {reg.slug}  ({reg.name})"))
        after = f"  · {reg.slug}" if name_registries else ""
        items += [
            (scope_id(Scope(org, reg.slug, s)), f"    server {s}{after}") for s in reg.servers or ()
        ]
    items.append((scope_id(Scope(org, user=True)), f"  {YOU_LABEL}"))  # your own overrides
    return items


def shorten(text: str, width: int) -> str:
    """One line of at most `width` cells, control characters escaped."""
    text = escape(text.replace("\r\n", "⏎").replace("\n", "⏎"))
    return text if len(text) <= width else text[: width - 1] + "…"
