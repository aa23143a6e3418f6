"""Results that travel to a team server's client in a form of their own.

Most results are pydantic models and dataclasses, which pydantic writes and reads as they are.
Two kinds are not:
- a stream (`Iterator[X]`, e.g. the audit log read a page at a time) travels as a list: the
  server reads it whole, the client iterates the list;
- an `EffectiveConfig` (a plain class that makes each entry when first asked for) travels as
  what it is made of: every key's winning definition, the sources each one hides, the server's
  document and the most specific layer's keys. The client builds the same configuration from
  them, so its entries, declared variables and problems are those the server would make. Only
  masked configurations travel: a revealed one is refused before it is asked for (rpc).
"""

from __future__ import annotations

import collections.abc
import typing
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator

from pylee_tui.models import ScopeLevel
from pylee_tui.services.resolver import Definition, EffectiveConfig, _Expander

# a reader's own overrides are resolved over their scope's configuration: the layer below is
# kept for `keys_at`, which names the keys a scope defines even where the reader overrides them
_OVER_BELOW = "user"


class ConfigWire(BaseModel):
    """An `EffectiveConfig` as JSON."""

    model_config = ConfigDict(extra="forbid")

    winners: list[Definition]
    hidden: dict[str, tuple[str, ...]]
    document: dict[str, Any] | str | None
    top: tuple[ScopeLevel, list[str]] | None
    below: ConfigWire | None = None


def config_to_wire(config: EffectiveConfig) -> ConfigWire:
    top = config._top
    below = config._base if top is not None and top[0] == _OVER_BELOW else None
    return ConfigWire(
        winners=list(config._winners.values()),
        hidden={key: tuple(sources) for key, sources in config._hidden.items()},
        document=config._document,
        top=None if top is None else (top[0], list(top[1])),
        below=None if below is None else config_to_wire(below),
    )


def config_from_wire(data: Any) -> EffectiveConfig:
    if isinstance(data, EffectiveConfig):  # already one (a local value validated)
        return data
    return _build(ConfigWire.model_validate(data))


def _build(wire: ConfigWire) -> EffectiveConfig:
    winners = {d.key: d for d in wire.winners}
    below = None if wire.below is None else _build(wire.below)
    return EffectiveConfig(
        winners,
        dict(wire.hidden),
        _Expander(winners),
        wire.document,
        top=wire.top,
        base=below,
        # every entry is made from these winners; the layer below only answers `keys_at`
        changed=winners.keys() if below is not None else (),
    )


WireConfig = Annotated[
    EffectiveConfig,
    PlainValidator(config_from_wire, json_schema_input_type=ConfigWire),
    PlainSerializer(config_to_wire, return_type=ConfigWire),
]


def wire_hint(hint: Any) -> Any:
    """The type a result of type `hint` travels as: itself, but for streams (as lists) and
    effective configurations (as `ConfigWire`), wherever they appear in it."""
    if hint is EffectiveConfig:
        return WireConfig
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    generic: Any = list  # a type built at run time: the type checker reads it as Any
    if origin in (collections.abc.Iterator, collections.abc.Iterable, collections.abc.Generator):
        return generic[wire_hint(args[0])] if args else generic[Any]
    if origin is list and len(args) == 1:
        return generic[wire_hint(args[0])]
    if origin is dict and len(args) == 2:
        mapping: Any = dict
        return mapping[args[0], wire_hint(args[1])]
    return hint


def materialise(value: Any) -> Any:
    """A stream read whole, for it to be written as a list; anything else as it is."""
    if isinstance(value, collections.abc.Iterator):
        return list(value)
    return value
