"""Names in a client's config: entry names from server names, and vault keys from header and
template names."""

from __future__ import annotations

import re
from collections.abc import Iterable

# VS Code's rule for a server entry's name, the strictest of the clients'
ENTRY_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_-]*$")


def base_entry_name(server_name: str) -> str:
    """`io.github.user/weather` -> `weather`, made valid for every client
    (VS Code's `^[a-zA-Z][a-zA-Z0-9_-]*$` is the strictest)."""
    tail = server_name.rsplit("/", 1)[-1]
    name = re.sub(r"[^a-zA-Z0-9_-]+", "-", tail).strip("-_")
    if not name or not name[0].isalpha():
        name = f"mcp-{name}" if name else "mcp-server"
    return name


def entry_names(server_names: list[str], taken: Iterable[str] = frozenset()) -> dict[str, str]:
    """A distinct entry name per server: in server-name order, a repeat gets -2, -3, ...
    Names in `taken` (entries in the target file that pylee-tui does not own) are avoided."""
    used = {t.lower() for t in taken}
    names: dict[str, str] = {}
    for server in sorted(server_names):
        base = base_entry_name(server)
        candidate, n = base, 1
        while candidate.lower() in used:
            n += 1
            candidate = f"{base}-{n}"
        used.add(candidate.lower())
        names[server] = candidate
    return names


def env_key_for(name: str) -> str:
    """A header or template variable name as a vault key: `X-API-Key` -> `X_API_KEY`."""
    key = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()
    return key if key and not key[0].isdigit() else f"_{key}"
