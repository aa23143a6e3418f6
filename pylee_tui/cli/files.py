"""The files and stdin commands read (overviews, server.json, a secret's value) and the files
they write, each failure one line that names the file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pylee_tui.fields import OVERVIEW_MAX_BYTES, VARIABLE_VALUE_MAX_BYTES
from pylee_tui.services import InvalidInput, PyleeError

# server_json (which loads jsonschema) and the atomic writer load when a command reads or
# writes a file, not when the CLI starts


def file_label(path: str) -> str:
    return "stdin" if path == "-" else repr(path)


def read_text_file(path: str, limit: int | None = None) -> str:
    """A UTF-8 text file (`-` = stdin) of at most `limit` bytes, by default an overview's 1 MiB
    (the overview options are the callers), or one line naming the file."""
    from pylee_tui.server_json import read_text

    try:
        return read_text(path, OVERVIEW_MAX_BYTES if limit is None else limit, stdin=sys.stdin)
    except ValueError as exc:
        raise PyleeError(str(exc)) from None


def read_json_file(path: str, nothing_done: str = "") -> Any:
    """A JSON file (`-` = stdin) of at most 16 MiB, or one line naming the file and, for bad
    JSON, where."""
    from pylee_tui.server_json import loads_strict, read_text

    try:
        return loads_strict(read_text(path, stdin=sys.stdin), file_label(path))
    except ValueError as exc:
        raise PyleeError(f"{exc}{nothing_done}") from None


def write_text_file(path: str, text: str) -> None:
    """Write all or nothing (the export's atomic write: temp file, fsync, rename)."""
    from pylee_tui.files import write_atomic

    try:
        write_atomic(Path(path), text)
    except OSError as exc:
        raise PyleeError(f"cannot write {path!r}: {exc.strerror or exc}") from None


def read_stdin_value() -> str:
    """All of stdin as UTF-8, less exactly one trailing newline (bytes, so CRLF stays CRLF)."""
    stream = sys.stdin
    if stream is None:
        return ""
    limit = VARIABLE_VALUE_MAX_BYTES + 1  # the largest value and its newline
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        data = buffer.read(limit + 1)
        if len(data) > limit:
            raise InvalidInput("the value on stdin is larger than 64 KiB; nothing was stored")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("the value on stdin is not UTF-8 text; nothing was stored") from None
    else:  # a text stream without bytes underneath (tests)
        text = stream.read(limit + 1)
    return text[:-1] if text.endswith("\n") else text
