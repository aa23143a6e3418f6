"""The effective configuration of a scope: org ⊕ registry ⊕ server, the most specific winning,
and the acting user's own overrides (the user scope) over them all.

Pure functions over definitions already read (and, for revealed secrets, decrypted) by the
variable service, so the rules can be tested and benchmarked without a database.

- For each key: the winning definition, its kind, where it is defined and what it overrides.
- `${KEY}` inside a *variable* refers to another key of the same effective configuration and is
  expanded recursively (at most 10 levels deep). A cycle is reported by name on every key in it;
  an unknown key is left as written and reported as a warning. A secret's value is taken
  literally (a generated password may contain `${`), so references are never read inside one.
- A secret shows as a mask; a variable embedding a secret shows that part as `[redacted]` unless
  the caller asked for (and was allowed) the plaintext.
- A server's declared environment variables are checked: required ones that are neither defined
  nor given a default by the server are reported missing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from pylee_tui.models import ScopeLevel, VariableKind
from pylee_tui.server_json import declared_inputs

V = TypeVar("V")
MASK = "••••••••"
REDACTED = "[redacted]"
MAX_DEPTH = 10
REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
SCOPE_ORDER = ("org", "registry", "server", "user")


class Definition(NamedTuple):
    """A key as defined at one scope. `value` is None for a secret that was not decrypted.
    (A named tuple: a registry's servers make tens of thousands of them at a time.)"""

    key: str
    kind: VariableKind
    scope: ScopeLevel
    source: str  # a label for the scope, e.g. "registry prod"
    value: str | None = None
    error: str | None = None  # a secret that could not be decrypted


@dataclass(frozen=True)
class Declared:
    """An environment variable a server's server.json declares."""

    name: str
    required: bool
    secret: bool
    default: str | None
    description: str
    source: str


@dataclass(frozen=True)
class Entry:
    key: str
    kind: VariableKind
    scope: ScopeLevel
    source: str
    overrides: tuple[str, ...]  # the sources of the definitions this one hides
    display: str  # what a screen may show without revealing anything
    value: str | None  # the resolved plaintext; None when a secret in it is not revealed
    raw: str | None  # a variable's value as written; None for a secret
    references: tuple[str, ...] = ()
    embeds_secret: bool = False
    problems: tuple[str, ...] = ()  # cycles, depth, undecryptable secrets: the value is unusable
    warnings: tuple[str, ...] = ()  # unknown references, left as written

    @property
    def ok(self) -> bool:
        return not self.problems


class EffectiveConfig:
    """The effective configuration of a scope: an entry for every key, and what its server
    declares.

    An entry is made when first asked for (a screen shows a few dozen of thousands). One built
    over another (`resolve_over`: a server's keys over its registry's configuration) asks that
    one for every key its own keys do not change, so the entries of a registry's keys are made
    once for all of its servers. What the server declares is read from its document when first
    asked."""

    def __init__(
        self,
        winners: Mapping[str, Definition],
        hidden: Mapping[str, tuple[str, ...]],
        expander: _Expander,
        document: dict[str, Any] | str | None = None,
        *,
        top: tuple[ScopeLevel, Collection[str]] | None = None,
        base: EffectiveConfig | None = None,
        changed: Collection[str] = (),
    ) -> None:
        self._winners = winners  # every key's winning definition
        self._hidden = hidden  # key -> the sources its winner hides, nearest first
        self._expander = expander
        self._base = base  # asked for every key not in `changed`
        self._changed = changed
        self._document = document
        self._top = top  # the most specific layer's level and keys, when known
        self._made: dict[str, Entry] = {}
        self._entries: list[Entry] | None = None
        self._size: int | None = None
        self._declared: list[Declared] | None = None
        self._referrers: dict[str, list[str]] | None = None

    @property
    def entries(self) -> list[Entry]:
        """Every entry, by key."""
        if self._entries is None:
            made = [self.get(k) for k in self.keys()]
            self._entries = [e for e in made if e is not None]
        return self._entries

    def keys(self) -> list[str]:
        """Every key, sorted."""
        return sorted(self._winners)

    def get(self, key: str) -> Entry | None:
        entry = self._made.get(key)
        if entry is not None:
            return entry
        if self._base is not None and key not in self._changed:
            return self._base.get(key)
        d = self._winners.get(key)
        if d is None:
            return None
        entry = _entry(d, self._hidden.get(key, ()), self._expander.expand(key))
        self._made[key] = entry
        return entry

    @property
    def document(self) -> dict[str, Any] | str | None:
        """The server.json the configuration checks declared variables against, if any."""
        return self._document

    def definition(self, key: str) -> Definition | None:
        """The winning definition of `key` (its kind, level and value as written), without
        resolving it."""
        return self._winners.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self._winners

    def __len__(self) -> int:
        if self._size is None:
            self._size = len(self._winners)
        return self._size

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EffectiveConfig):
            return NotImplemented
        return (self.entries, self.declared) == (other.entries, other.declared)

    __hash__ = None  # type: ignore[assignment]  # equal by value, and not immutable

    def __repr__(self) -> str:
        return f"EffectiveConfig({len(self)} entries, {len(self.declared)} declared)"

    def keys_at(self, level: ScopeLevel) -> list[str]:
        """The keys the scope at `level` defines (and wins, but for the reader's own overrides:
        a server's key the reader overrides is still one the server defines), sorted."""
        if self._top is not None and self._top[0] == level:
            return sorted(self._top[1])
        if self._top is not None and self._top[0] == "user" and self._base is not None:
            return self._base.keys_at(level)
        return sorted(k for k, d in self._winners.items() if d.scope == level)

    def defined_at(self, level: ScopeLevel) -> list[Entry]:
        """The entries the scope at `level` defines (and wins, but for the reader's own
        overrides, which win here: see `keys_at`), by key."""
        made = [self.get(k) for k in self.keys_at(level)]
        return [e for e in made if e is not None]

    @property
    def declared(self) -> list[Declared]:
        if self._declared is None:
            document = self._document
            if isinstance(document, str):
                document = parse_document(document)
            self._declared = declared_environment(document)
        return self._declared

    @property
    def missing(self) -> list[Declared]:
        return [d for d in self.declared if d.required and d.default is None and d.name not in self]

    def referrers(self) -> dict[str, list[str]]:
        """key -> the variables whose values mention it (known or not), built once."""
        if self._referrers is None:
            found: dict[str, list[str]] = {}
            for key, d in self._winners.items():
                if d.kind == "variable" and d.value and "${" in d.value:
                    for name in dict.fromkeys(REFERENCE.findall(d.value)):
                        found.setdefault(name, []).append(key)
            self._referrers = found
        return self._referrers

    def secrets_in(self, key: str) -> set[str]:
        """The secrets the value of `key` is made of: itself if it is one, else every secret
        its references reach (through other variables too)."""
        found: set[str] = set()
        todo, seen = [key], set()
        while todo:
            name = todo.pop()
            entry = self.get(name) if name not in seen else None
            seen.add(name)
            if entry is None:
                continue
            if entry.kind == "secret":
                found.add(name)
            else:
                todo.extend(entry.references)
        return found

    @property
    def warnings(self) -> list[str]:
        return [f"{e.key}: {w}" for e in self.entries for w in e.warnings]

    @property
    def problems(self) -> list[str]:
        return [f"{e.key}: {p}" for e in self.entries for p in e.problems]


def parse_document(text: str) -> dict[str, Any] | None:
    """A server's stored server.json, or None when it is not a JSON object."""
    try:
        document = json.loads(text)
    except (TypeError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def declared_environment(document: dict[str, Any] | None) -> list[Declared]:
    """Every environment variable the server declares (first declaration of a name wins)."""
    if not document:
        return []
    env, _headers = declared_inputs(document)
    seen: dict[str, Declared] = {}
    for item in env:
        name = item.get("name")
        if not isinstance(name, str) or not name or name in seen:
            continue
        default = item.get("default")
        seen[name] = Declared(
            name=name,
            required=bool(item.get("required")),
            secret=bool(item.get("secret")),
            default=default if isinstance(default, str) and default != "" else None,
            description=str(item.get("description") or ""),
            source=str(item.get("source") or ""),
        )
    return list(seen.values())


def resolve(
    layers: Iterable[Iterable[Definition]], document: dict[str, Any] | str | None = None
) -> EffectiveConfig:
    """Layers from least to most specific (org, registry, server)."""
    winners: dict[str, Definition] = {}
    hidden: dict[str, tuple[str, ...]] = {}
    top: tuple[ScopeLevel, list[str]] | None = None
    for layer in layers:
        keys = []
        for definition in layer:
            previous = winners.get(definition.key)
            if previous is not None:
                hidden[definition.key] = (previous.source, *hidden.get(definition.key, ()))
            winners[definition.key] = definition
            keys.append(definition.key)
        # the most specific layer's keys (an empty layer on top: its level is not known)
        top = (winners[keys[0]].scope, keys) if keys else None
    return EffectiveConfig(winners, hidden, _Expander(winners), document, top=top)


def resolve_over(
    base: EffectiveConfig,
    level: ScopeLevel,
    layer: Iterable[Definition],
    document: dict[str, Any] | str | None = None,
) -> EffectiveConfig:
    """`base` (resolved from its layers) with one more specific layer, the keys defined at
    `level`, over it: the same as resolving every layer again, at the cost of the keys the
    layer defines and of the keys whose values refer to them (directly or through others)."""
    own = {d.key: d for d in layer}
    if not own:
        return EffectiveConfig(
            base._winners, base._hidden, base._expander, document, top=(level, ()), base=base
        )
    referrers = base.referrers()
    changed = set(own)
    todo = list(own)
    while todo:
        for referrer in referrers.get(todo.pop(), ()):
            if referrer not in changed:
                changed.add(referrer)
                todo.append(referrer)
    winners = _Over(own, base._winners)
    hidden: dict[str, tuple[str, ...]] = {}
    for key in own:
        before = base._winners.get(key)
        if before is not None:
            hidden[key] = (before.source, *base._hidden.get(key, ()))
    return EffectiveConfig(
        winners,
        _Over(hidden, base._hidden),
        _Expander(winners, roots=changed),
        document,
        top=(level, list(own)),
        base=base,
        changed=changed,
    )


def _entry(d: Definition, hidden: tuple[str, ...], result: _Expanded) -> Entry:
    return Entry(
        key=d.key,
        kind=d.kind,
        scope=d.scope,
        source=d.source,
        overrides=hidden,
        display=result.display,
        value=result.value,
        raw=d.value if d.kind == "variable" else None,
        references=tuple(dict.fromkeys(REFERENCE.findall(d.value)))
        if d.kind == "variable" and d.value and "${" in d.value
        else (),
        embeds_secret=result.embeds_secret and d.kind == "variable",
        problems=tuple(dict.fromkeys(result.problems)),
        warnings=tuple(dict.fromkeys(result.warnings)),
    )


class _Over(Mapping[str, V]):
    """`top` over `below`: a key of `top` hides the same key below (ChainMap, read-only)."""

    def __init__(self, top: Mapping[str, V], below: Mapping[str, V]) -> None:
        self.top, self.below = top, below

    def __getitem__(self, key: str) -> V:
        found = self.top.get(key)
        return found if found is not None else self.below[key]

    def get(self, key: str, default: Any = None) -> Any:  # Mapping's, without a KeyError
        found = self.top.get(key)
        return found if found is not None else self.below.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.top or key in self.below

    def __iter__(self) -> Iterator[str]:
        yield from self.top
        yield from (k for k in self.below if k not in self.top)

    def __len__(self) -> int:
        return len(self.top) + sum(1 for k in self.below if k not in self.top)


@dataclass
class _Expanded:
    display: str
    value: str | None
    embeds_secret: bool = False
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Expander:
    """Expands each key once. The reference graph is analysed first (strongly connected
    components, in linear time), so cycles and depth are properties of a key, not of the path
    that reached it: no path is walked twice, however tangled the references."""

    def __init__(self, winners: Mapping[str, Definition], roots: Iterable[str] | None = None):
        self.winners = winners
        self.memo: dict[str, _Expanded] = {}
        self._roots = roots
        self._analysed = False

    def _analyse_graph(self) -> None:
        """Done at the first expansion of a value that refers to others: a configuration whose
        entries nobody reads costs nothing here."""
        self._analysed = True
        winners, roots = self.winners, self._roots
        # the known keys each variable refers to, in order of first mention; a key that
        # refers to none (most of them) is left out of the analysis below. With `roots`, only
        # the keys they reach are read: nothing else is expanded.
        self.refs: dict[str, list[str]] = {}
        todo = list(winners)[::-1] if roots is None else list(roots)  # popped in order
        seen: set[str] = set()
        while todo:
            key = todo.pop()
            if key in seen:
                continue
            seen.add(key)
            d = winners[key]
            if d.kind == "variable" and d.value and "${" in d.value:
                found = [n for n in dict.fromkeys(REFERENCE.findall(d.value)) if n in winners]
                if found:
                    self.refs[key] = found
                    if roots is not None:
                        todo.extend(found)
        # for keys that refer to others (the rest: no component, height 0, no secret inside)
        self.component: dict[str, int] = {}
        self.cycle: dict[str, str] = {}  # key -> "A → B → A" for a key on a cycle
        self.height: dict[str, int] = {}  # the longest chain of references below a key
        self.embeds: dict[str, bool] = {}  # some secret is reachable through its references
        for number, members in enumerate(self._components()):
            self._analyse(number, members)

    def _components(self) -> list[list[str]]:
        """Tarjan's strongly connected components, iteratively (chains may be long); each
        component comes after every component it refers to."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        components: list[list[str]] = []
        for root in self.refs:
            if root in index:
                continue
            index[root] = low[root] = len(index)
            stack.append(root)
            on_stack.add(root)
            work = [(root, 0)]
            while work:
                node, i = work[-1]
                refs = self.refs[node]
                if i < len(refs):
                    work[-1] = (node, i + 1)
                    nxt = refs[i]
                    if nxt not in self.refs:
                        continue  # refers to nothing: a component of its own, already done
                    if nxt not in index:
                        index[nxt] = low[nxt] = len(index)
                        stack.append(nxt)
                        on_stack.add(nxt)
                        work.append((nxt, 0))
                    elif nxt in on_stack:
                        low[node] = min(low[node], index[nxt])
                    continue
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    members = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        members.append(member)
                        if member == node:
                            break
                    components.append(members)
        return components

    def _analyse(self, number: int, members: list[str]) -> None:
        for m in members:
            self.component[m] = number
        outside = [r for m in members for r in self.refs[m] if self.component.get(r) != number]
        embeds = any(self.winners[r].kind == "secret" or self.embeds.get(r) for r in outside)
        for m in members:
            self.embeds[m] = embeds
            self.height[m] = max(
                (
                    1 + self.height.get(r, 0)
                    for r in self.refs[m]
                    if self.component.get(r) != number
                ),
                default=0,
            )
        if len(members) > 1 or members[0] in self.refs[members[0]]:
            for m in members:
                self.cycle[m] = " → ".join(self._shortest_cycle(m, number))

    def _shortest_cycle(self, start: str, number: int) -> list[str]:
        """The shortest cycle from the key back to itself, looked for up to MAX_DEPTH + 1
        references long; a longer one is named by its first step only."""
        previous: dict[str, str] = {}
        level = [start]
        for _ in range(MAX_DEPTH + 1):
            following = []
            for node in level:
                for nxt in self.refs[node]:
                    if self.component.get(nxt) != number:
                        continue
                    if nxt == start:
                        path = [node]
                        while path[-1] != start:
                            path.append(previous[path[-1]])
                        return [*reversed(path), start]
                    if nxt not in previous:
                        previous[nxt] = node
                        following.append(nxt)
            level = following
        step = next(r for r in self.refs[start] if self.component.get(r) == number)
        return [start, step, "…", start]

    def _too_deep_at(self, key: str) -> str:
        """The reference that lies MAX_DEPTH + 1 levels down a deepest chain below the key."""
        node = key
        for _ in range(MAX_DEPTH + 1):
            number = self.component[node]
            node = max(
                (r for r in self.refs[node] if self.component.get(r) != number),
                key=lambda r: self.height.get(r, 0),
            )
        return node

    def expand(self, key: str) -> _Expanded:
        cached = self.memo.get(key)
        if cached is not None:
            return cached
        d = self.winners[key]
        if d.kind == "secret":
            result = _Expanded(
                display=MASK,
                value=None if d.error else d.value,
                embeds_secret=True,
                problems=[f"cannot decrypt: {d.error}"] if d.error else [],
            )
            self.memo[key] = result
            return result
        text = d.value or ""
        if "${" not in text:  # most values: nothing to expand
            result = _Expanded(display=text, value=text)
            self.memo[key] = result
            return result
        if not self._analysed:
            self._analyse_graph()
        result = _Expanded(display="", value=None, embeds_secret=self.embeds.get(key, False))
        if key in self.cycle:
            result.problems.append(f"reference cycle {self.cycle[key]}")
        too_deep = self.height.get(key, 0) > MAX_DEPTH
        if too_deep:
            result.problems.append(
                f"references nested deeper than {MAX_DEPTH} levels at ${{{self._too_deep_at(key)}}}"
            )
        display_parts: list[str] = []
        value_parts: list[str] | None = []
        position = 0
        for match in REFERENCE.finditer(text):
            display_parts.append(text[position : match.start()])
            if value_parts is not None:
                value_parts.append(text[position : match.start()])
            position = match.end()
            name = match.group(1)
            literal = match.group(0)
            if name not in self.winners:
                result.warnings.append(f"${{{name}}} refers to no key; left as written")
                inner = _Expanded(display=literal, value=literal)
            elif too_deep or (
                key in self.cycle and self.component.get(name) == self.component[key]
            ):
                # unusable already (reported above): do not descend (a cycle, or a long chain)
                inner = _Expanded(display=literal, value=None)
            else:
                inner = self.expand(name)  # at most MAX_DEPTH levels deep: heights decrease
                result.problems += inner.problems
                result.warnings += inner.warnings
            winner = self.winners.get(name)
            secret_part = winner is not None and winner.kind == "secret"
            display_parts.append(REDACTED if secret_part else inner.display)
            if value_parts is not None and inner.value is not None:
                value_parts.append(inner.value)
            else:
                value_parts = None
        display_parts.append(text[position:])
        if value_parts is not None:
            value_parts.append(text[position:])
        result.display = "".join(display_parts)
        result.value = "".join(value_parts) if value_parts is not None else None
        if result.problems:
            result.value = None
            result.display = text  # an unusable value is shown as written
        self.memo[key] = result
        return result
