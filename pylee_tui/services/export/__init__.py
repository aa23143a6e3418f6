"""Export a registry's servers to an MCP client's config file: one module per client in
`clients/`; `service.py` plans an export, merges it into the file and writes it."""

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
from pylee_tui.services.export.clients.base import SECRETS_MODES
from pylee_tui.services.export.names import ENTRY_NAME, base_entry_name, entry_names, env_key_for
from pylee_tui.services.export.plan import ExportPlan, InstallResult, render
from pylee_tui.services.export.service import ExportService

__all__ = [
    "CLIENTS",
    "CLIENT_NAMES",
    "ENTRY_NAME",
    "FORMATS",
    "SECRETS_MODES",
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
