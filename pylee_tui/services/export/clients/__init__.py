"""The client formats an export can write, one module each: a module here that defines `CLIENT`
is a client (adding a client is adding its module and its tests)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export.clients.base import ClientFormat


def _discover() -> dict[str, ClientFormat]:
    found: list[ClientFormat] = []
    for module in pkgutil.iter_modules(__path__):
        client = getattr(importlib.import_module(f"{__name__}.{module.name}"), "CLIENT", None)
        if client is not None:
            found.append(client)
    return {c.key: c for c in sorted(found, key=lambda c: c.order)}


FORMATS: dict[str, ClientFormat] = _discover()
CLIENTS: tuple[str, ...] = tuple(FORMATS)
CLIENT_NAMES: dict[str, str] = {key: client.title for key, client in FORMATS.items()}
# the folders a client keeps a repository-level config in (`.vscode`): a link out of one is refused
WORKSPACE_FOLDERS: frozenset[str] = frozenset(
    f.workspace_folder for f in FORMATS.values() if f.workspace_folder is not None
)


def client_format(client: str) -> ClientFormat:
    try:
        return FORMATS[client]
    except KeyError:
        raise InvalidInput(f"unknown client {client!r}: use one of {', '.join(CLIENTS)}") from None


def default_config_path(
    client: str,
    home: Path | None = None,
    cwd: Path | None = None,
    platform: str | None = None,
    scope: str | None = None,
) -> Path:
    """Where each client reads its MCP servers from (`scope`: user or project; None: the
    client's default)."""
    return client_format(client).config_path(home, cwd, platform, scope)
