"""What every service shares: the store, the clock, and small row helpers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from pylee_tui.models import clean, error_message
from pylee_tui.services.errors import InvalidInput

if TYPE_CHECKING:
    from pylee_tui.services import Services


class Service:
    def __init__(self, services: Services):
        self.services = services

    @property
    def store(self):
        return self.services.store

    def now(self) -> str:
        return self.services.now()


def valid(field: str, value: Any) -> Any:
    """A field cleaned by its model rule, or InvalidInput with the rule's message."""
    try:
        return clean(field, value)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def model_from_row(model: type, row: dict[str, Any], json_fields: tuple[str, ...] = ()) -> Any:
    data = dict(row)
    for name in json_fields:
        if isinstance(data.get(name), str):
            data[name] = json.loads(data[name])
    try:
        return model.model_validate(data)
    except ValidationError as exc:  # a row edited behind our back
        name = model.__name__.lower()
        raise InvalidInput(f"stored {name} is invalid: {error_message(exc)}") from None


def one(db, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> dict[str, Any] | None:
    rows = list(db.query(sql, params))
    return rows[0] if rows else None


def named_changes(**fields: str | None) -> dict[str, str]:
    """The given fields (name, slug, description, overview) cleaned by their rules; at least one."""
    changes = {key: valid(key, value) for key, value in fields.items() if value is not None}
    if not changes:
        raise InvalidInput(f"nothing to change: give a new {', '.join(fields)}")
    return changes
