"""Reading and writing a client's config file by its kind: JSON (JSONC where the client allows
comments) or TOML (Codex). A rewrite changes only what the export changes: the user's comments,
order and spacing, and every entry not ours, keep their text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pylee_tui.services.export.clients.base import ClientFormat
from pylee_tui.services.export.configfile import ConfigText, bom_of, parse_config


def parse_document(fmt: ClientFormat, path: Path, text: str) -> ConfigText:
    """The file's object; one line (InvalidInput) when it cannot be read as the client's kind."""
    return parse_config(path, text, fmt.jsonc)


def fresh_text(fmt: ClientFormat, document: dict[str, Any]) -> str:
    """A new file holding `document`."""
    return write_document(fmt, None, document)


def write_document(fmt: ClientFormat, old_text: str | None, document: dict[str, Any]) -> str:
    """The text of `document` written over the file's `old_text` (None: a new file)."""
    return bom_of(old_text) + json.dumps(document, indent=2, ensure_ascii=False) + "\n"
