"""Reading and writing a client's config file by its kind: JSON (JSONC where the client allows
comments) or TOML (Codex). A rewrite changes only what the export changes: the user's comments,
order and spacing, and every entry not ours, keep their text (jsonc_edit, toml_edit)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import json5

from pylee_tui.services.export.clients.base import ClientFormat
from pylee_tui.services.export.configfile import ConfigText, bom_of, has_comments, parse_config
from pylee_tui.services.export.jsonc_edit import rewrite_json, same
from pylee_tui.services.export.toml_edit import parse_toml, rewrite_toml


def parse_document(fmt: ClientFormat, path: Path, text: str) -> ConfigText:
    """The file's object; one line (InvalidInput) when it cannot be read as the client's kind.
    `comments`: the text holds comments (a diff masks every copy of a secret in it)."""
    if fmt.file_kind == "toml":
        return ConfigText(parse_toml(path, text), "#" in text)
    return parse_config(path, text, fmt.jsonc)


def fresh_text(fmt: ClientFormat, document: dict[str, Any]) -> str:
    """A new file holding `document`."""
    return write_document(fmt, None, document)


def write_document(fmt: ClientFormat, old_text: str | None, document: dict[str, Any]) -> str:
    """The text of `document` written over the file's `old_text` (None: a new file)."""
    return rewrite(fmt, old_text, document)[0]


def rewrite(fmt: ClientFormat, old_text: str | None, document: dict[str, Any]) -> tuple[str, bool]:
    """The new text, and whether the old text's comments are all where they were (False: the
    file could only be written afresh, its comments gone; the caller says so)."""
    if fmt.file_kind == "toml":
        text = rewrite_toml(old_text, document)
        fresh = rewrite_toml(None, document)
        lost = old_text is not None and "#" in old_text and text.removeprefix("\ufeff") == fresh
        return text, not lost
    try:
        text = rewrite_json(old_text, document)
        if _reads_back(text, document, strict=old_text is None or _is_plain_json(old_text)):
            return text, True
    except ValueError:  # JSON5 beyond comments and trailing commas
        pass
    # written as plain JSON: never a file the client cannot read
    text = bom_of(old_text) + json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return text, not (old_text is not None and has_comments(old_text))


def _is_plain_json(text: str) -> bool:
    try:
        json.loads(text.removeprefix("\ufeff"))
    except ValueError:
        return False
    return True


def _reads_back(text: str, document: dict[str, Any], strict: bool) -> bool:
    """The edited text holds exactly `document`, read as the client reads it (plain JSON
    stays plain JSON: no comma it did not have)."""
    body = text.removeprefix("\ufeff")
    try:
        value = json.loads(body) if strict else json5.loads(body)
    except ValueError:
        return False
    return bool(same(value, document))
