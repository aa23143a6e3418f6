"""What every service shares: the store, the clock, and small row helpers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pylee_tui.fields import clean
from pylee_tui.services.errors import InvalidInput

if TYPE_CHECKING:
    import sqlite_utils
    from pydantic import BaseModel

    from pylee_tui.services import Services
    from pylee_tui.store import Store

M = TypeVar("M", bound="BaseModel")
# what sqlite-utils takes as a query's parameters: positional, or by :name
Params = Sequence[Any] | dict[str, Any]


class Service:
    def __init__(self, services: Services):
        self.services = services

    @property
    def store(self) -> Store:
        return self.services.store

    def now(self) -> str:
        return self.services.now()


def valid(field: str, value: Any) -> Any:
    """A field cleaned by its model rule, or InvalidInput with the rule's message."""
    try:
        return clean(field, value)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def model_from_row(model: type[M], row: Mapping[str, Any], json_fields: tuple[str, ...] = ()) -> M:
    data = dict(row)
    for name in json_fields:
        if isinstance(data.get(name), str):
            data[name] = json.loads(data[name])
    try:
        return model.model_validate(data)
    except ValueError as exc:  # a ValidationError: a row edited behind our back
        from pydantic import ValidationError

        from pylee_tui.models import error_message

        if not isinstance(exc, ValidationError):
            raise
        name = model.__name__.lower()
        raise InvalidInput(f"stored {name} is invalid: {error_message(exc)}") from None


def one(db: sqlite_utils.Database, sql: str, params: Params = ()) -> dict[str, Any] | None:
    rows = list(db.query(sql, params))
    return rows[0] if rows else None


def exactly_one(db: sqlite_utils.Database, sql: str, params: Params = ()) -> dict[str, Any]:
    """The row of a query that cannot come back empty: an aggregate without GROUP BY, or a row
    this transaction has just written."""
    row = one(db, sql, params)
    assert row is not None, f"no row from a query that always returns one: {sql.split()[:6]}"
    return row


def named_changes(**fields: str | None) -> dict[str, str]:
    """The given fields (name, slug, description, overview) cleaned by their rules; at least one."""
    changes = {key: valid(key, value) for key, value in fields.items() if value is not None}
    if not changes:
        raise InvalidInput(f"nothing to change: give a new {', '.join(fields)}")
    return changes
