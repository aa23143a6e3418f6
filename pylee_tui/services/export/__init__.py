"""Export a registry's servers to an MCP client's config: Claude Desktop, VS Code, Cursor (one
module each in `clients/`).

What gets built (per server, by `server_json`'s one launch rule: its first package a client
can start, else its first remote):
- npm   -> `npx -y [runtime args] identifier@version [package args]`
- pypi  -> `uvx [runtime args] identifier==version [package args]`
- oci   -> `docker run -i --rm [runtime args] -e KEY ... image:version [package args]`
- nuget -> `dnx [runtime args] identifier@version --yes [package args]`
- remote -> `url` + `headers` (VS Code `type` http/sse); Claude Desktop only launches commands, so
  a remote goes through `npx -y mcp-remote URL --header "Name:${ENV}"` with the value in `env`.

The environment of an entry: every environment variable the server declares, plus every key
defined at the server's own scope; values come from the effective configuration (the vault).
Org and registry keys the server does not declare stay out of it. How secrets are referenced
is the client's (VS Code prompts, Cursor `${env:KEY}`, Claude Desktop only inlined).

Missing required variables stop the export with the list, unless `allow_missing` (then a
placeholder per client: a VS Code prompt, a Cursor `${env:KEY}`, a Claude `<set KEY>`).
"""

from __future__ import annotations

from pylee_tui.files import write_atomic
from pylee_tui.services.export.clients import (
    CLIENT_NAMES,
    CLIENTS,
    FORMATS,
    ClientFormat,
    client_format,
    default_config_path,
)
from pylee_tui.services.export.names import ENTRY_NAME, base_entry_name, entry_names, env_key_for
from pylee_tui.services.export.plan import ExportPlan, InstallResult, render
from pylee_tui.services.export.service import ExportService

__all__ = [
    "CLIENTS",
    "CLIENT_NAMES",
    "ENTRY_NAME",
    "FORMATS",
    "ClientFormat",
    "ExportPlan",
    "ExportService",
    "InstallResult",
    "base_entry_name",
    "client_format",
    "default_config_path",
    "entry_names",
    "env_key_for",
    "render",
    "write_atomic",
]
