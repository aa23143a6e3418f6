"""The effective configuration of a scope: org ⊕ registry ⊕ server, the most specific winning.

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

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pylee_tui.server_json import declared_inputs

MASK = "••••••••"
REDACTED = "[redacted]"
MAX_DEPTH = 10
REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
SCOPE_ORDER = ("org", "registry", "server")


@dataclass(frozen=True)
class Definition:
    """A key as defined at one scope. `value` is None for a secret that was not decrypted."""

    key: str
    kind: str  # variable | secret
    scope: str  # org | registry | server
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
    kind: str
    scope: str
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


@dataclass
class EffectiveConfig:
    entries: list[Entry]
    declared: list[Declared] = field(default_factory=list)
    missing: list[Declared] = field(default_factory=list)

    def get(self, key: str) -> Entry | None:
        return next((e for e in self.entries if e.key == key), None)

    @property
    def warnings(self) -> list[str]:
        return [f"{e.key}: {w}" for e in self.entries for w in e.warnings]

    @property
    def problems(self) -> list[str]:
        return [f"{e.key}: {p}" for e in self.entries for p in e.problems]


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
    layers: Iterable[Iterable[Definition]], document: dict[str, Any] | None = None
) -> EffectiveConfig:
    """Layers from least to most specific (org, registry, server)."""
    winners: dict[str, Definition] = {}
    hidden: dict[str, list[str]] = {}
    for layer in layers:
        for definition in layer:
            previous = winners.get(definition.key)
            if previous is not None:
                hidden.setdefault(definition.key, []).insert(0, previous.source)
            winners[definition.key] = definition
    expander = _Expander(winners)
    entries = []
    for key in sorted(winners):
        d = winners[key]
        result = expander.expand(key, (key,))
        entries.append(
            Entry(
                key=key,
                kind=d.kind,
                scope=d.scope,
                source=d.source,
                overrides=tuple(hidden.get(key, ())),
                display=result.display,
                value=result.value,
                raw=d.value if d.kind == "variable" else None,
                references=tuple(dict.fromkeys(REFERENCE.findall(d.value or "")))
                if d.kind == "variable"
                else (),
                embeds_secret=result.embeds_secret and d.kind == "variable",
                problems=tuple(dict.fromkeys(result.problems)),
                warnings=tuple(dict.fromkeys(result.warnings)),
            )
        )
    declared = declared_environment(document)
    missing = [d for d in declared if d.required and d.default is None and d.name not in winners]
    return EffectiveConfig(entries=entries, declared=declared, missing=missing)


@dataclass
class _Expanded:
    display: str
    value: str | None
    embeds_secret: bool = False
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    height: int = 0  # how many levels of references lie below this key


class _Expander:
    def __init__(self, winners: dict[str, Definition]):
        self.winners = winners
        self.memo: dict[str, _Expanded] = {}

    def expand(self, key: str, chain: tuple[str, ...]) -> _Expanded:
        cached = self.memo.get(key)
        # a shared result is only valid if its references still fit under the depth limit here
        if cached is not None and len(chain) - 1 + cached.height <= MAX_DEPTH:
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
        display_parts: list[str] = []
        value_parts: list[str] | None = []
        result = _Expanded(display="", value=None)
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
            elif name in chain:
                cycle = " → ".join((*chain[chain.index(name) :], name))
                result.problems.append(f"reference cycle {cycle}")
                inner = _Expanded(display=literal, value=None)
            elif len(chain) > MAX_DEPTH:
                result.problems.append(
                    f"references nested deeper than {MAX_DEPTH} levels at ${{{name}}}"
                )
                inner = _Expanded(display=literal, value=None)
            else:
                inner = self.expand(name, (*chain, name))
                result.problems += inner.problems
                result.warnings += inner.warnings
                result.height = max(result.height, inner.height + 1)
            result.embeds_secret = result.embeds_secret or inner.embeds_secret
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
        # a result with a cycle or depth problem depends on the chain that reached it
        if not result.problems:
            self.memo[key] = result
        return result
