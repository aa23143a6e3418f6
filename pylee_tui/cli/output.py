"""How commands print: tables measured in terminal cells, one-line text cut to fit, JSON and the
mappers from models to it, and dotenv."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

import orjson

from pylee_tui.safe_text import escape, escape_json

from .parser import PROG

if TYPE_CHECKING:
    from datetime import datetime

    from pylee_tui.models import AuditEvent, Member, Server, Variable
    from pylee_tui.services.resolver import EffectiveConfig, Entry

_ORJSON = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS

# --- text ------------------------------------------------------------------------------------


def cell(value: Any, width: int = 40) -> str:
    """Text from a document, safe for one terminal line: whitespace runs folded to one space,
    control and bidi characters shown escaped (imported data never reaches the terminal as an
    escape sequence), cut to `width` terminal cells (0: no limit)."""
    from rich.cells import cell_len, set_cell_size

    if value is None:
        return ""
    text = " ".join(str(value).split())
    text = escape(text)
    if width and cell_len(text) > width:
        # by cells, not characters: a CJK character or an emoji takes two columns
        text = set_cell_size(text, width - 1) + "…"
    return text


def one_line(message: object) -> str:
    """Errors are one line, even when they quote input that holds line breaks."""
    return " ".join(str(message).split())


def when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def emit_json(data: Any, out: TextIO) -> None:
    """Control and bidi characters in values come out as \\uXXXX: the same JSON, safe to show.
    A list is written element by element, exactly as `stream_json` writes it."""
    if type(data) is list:
        stream_json(data, out)
    else:
        out.write(_safe_json(pretty_json(data)) + "\n")


# rows a JSON array writes at a time
JSON_CHUNK = 500


def stream_json(rows: Iterable[Any], out: TextIO) -> None:
    """`[`, then each row as it comes, then `]`: what `emit_json` writes for the same rows, byte
    for byte, while memory holds one chunk.

    The text is `escape_json`'s (nothing in it can drive a terminal: JSON writes every C0
    control as an escape, escape_json the rest), so it may go to the raw stream rather than
    through the CLI's escaping writer, whose second look at every character would find
    nothing."""
    chunk: list[Any] = []
    started = False
    for row in rows:
        chunk.append(row)
        if len(chunk) == JSON_CHUNK:
            out.write(_safe_json(("[\n  " if not started else ",\n  ") + _elements(chunk)))
            started = True
            chunk = []
    if chunk:
        out.write(_safe_json(("[\n  " if not started else ",\n  ") + _elements(chunk)))
        started = True
    out.write("\n]\n" if started else "[]\n")


def _elements(rows: list[Any]) -> str:
    """The rows as they stand inside a JSON array, one level down, joined by `,` and a line
    break: one call into orjson for the whole chunk, or row by row when it refuses one."""
    try:
        text = orjson.dumps(rows, option=_ORJSON).decode()
    except TypeError:
        return ",\n  ".join([pretty_json(row, 1) for row in rows])
    return text[4:-2]  # orjson's "[\n  ...\n]" for a list that is not empty


def _safe_json(text: str) -> str:
    # all ASCII but DEL: nothing escape_json would change (the common case, found in C)
    if text.isascii() and "\x7f" not in text:
        return text
    return escape_json(text)


_INDENT = "  "


def pretty_json(value: Any, depth: int = 0) -> str:
    """`json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)` as it is written nested
    `depth` levels down (its inner lines indented for that depth).

    Written by orjson (in C: a 110,000-event audit log is mostly this call), and by json for
    what orjson refuses (non-text keys, integers past 64 bits, lone surrogates). The text is the
    same as json's except for floats, which nothing we store holds: orjson writes an exponent
    as `1e-7` rather than `1e-07` and NaN or infinity as `null` (json writes `NaN`, which is not
    JSON)."""
    try:
        text = orjson.dumps(value, option=_ORJSON).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=_iso_time)
    # every line break in JSON text is structural: one in a string is written as an escape
    return text.replace("\n", "\n" + _INDENT * depth) if depth else text


def emit_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO) -> None:
    """Columns two spaces apart, each as wide as its widest cell in terminal columns (a CJK
    character or an emoji is two), so a row of wide names lines up with the rest."""
    from rich.cells import cell_len

    cells = [[escape(str(c)) for c in row] for row in rows]
    widths = [max([cell_len(h)] + [cell_len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        line = "  ".join(c + " " * (w - cell_len(c)) for c, w in zip(row, widths, strict=True))
        out.write(line.rstrip() + "\n")


# --- JSON mappers ----------------------------------------------------------------------------


def _iso_time(value: Any) -> str:
    """json's writer for a time, as orjson writes one (its `isoformat()`)."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def audit_json(event: AuditEvent) -> dict[str, Any]:
    # the time stays a datetime: orjson writes it in C exactly as isoformat() does (109k
    # isoformat calls were a sixth of `audit --json`), and json's fallback the same way
    return {
        "id": event.id,
        "time": event.created_at,
        "actor": event.actor,
        "action": event.action,
        "org": event.org_slug,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "metadata": event.metadata,
    }


def server_summary_json(server: Server) -> dict[str, Any]:
    return {
        "name": server.name,
        "version": server.version,
        "description": server.description,
        "status": server.status,
        "problems": [{"path": p.get("path"), "reason": p.get("reason")} for p in server.problems],
    }


def member_json(member: Member) -> dict[str, Any]:
    return {
        "email": member.email,
        "display_name": member.display_name,
        "role": member.role,
        "status": member.status,
        "grants": sorted(member.grants),
        "invited_by": member.invited_by,
        "invited_at": member.invited_at.isoformat(),
        "joined_at": member.joined_at.isoformat() if member.joined_at else None,
    }


def variable_json(v: Variable) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": v.key,
        "scope": v.scope,
        "created_at": v.created_at.isoformat(),
        "updated_at": v.updated_at.isoformat(),
        "updated_by": v.updated_by,
    }
    if v.kind == "variable":
        data["value"] = v.value
    return data


def entry_json(entry: Entry, reveal: bool) -> dict[str, Any]:
    value = entry.value if reveal else entry.display
    if entry.problems:  # unusable: a cycle, too deep, cannot be decrypted
        value = None
    return {
        "key": entry.key,
        "kind": entry.kind,
        "value": value,
        "raw": entry.raw,
        "source": entry.source,
        "scope": entry.scope,
        "overrides": list(entry.overrides),
        "references": list(entry.references),
        "embeds_secret": entry.embeds_secret,
        "warnings": list(entry.warnings),
        "problems": list(entry.problems),
    }


# --- dotenv ----------------------------------------------------------------------------------


def sh_quote(value: str) -> str:
    """POSIX single quotes: everything literal, `'` written as `'\\''`."""
    return "'" + value.replace("'", "'\\''") + "'"


def dotenv(where: str, config: EffectiveConfig) -> str:
    """`KEY='value'` lines that `set -a; . FILE` in sh reads back exactly; what cannot be
    written (an unrevealed secret, an unusable value) is a comment saying why."""
    lines = [f"# {PROG} env: the effective configuration of {where}"]
    for e in config.entries:
        for warning in e.warnings:
            lines.append(f"# {e.key}: {cell(warning, 0)}")
        if e.problems:
            lines.append(f"# {e.key} is left out: {cell('; '.join(e.problems), 0)}")
        elif e.value is None:
            what = "is a secret" if e.kind == "secret" else "embeds a secret"
            lines.append(f"# {e.key} {what}: pass --reveal")
        else:
            lines.append(f"{e.key}={sh_quote(e.value)}")
    for d in config.missing:
        lines.append(f"# missing: {cell(d.name, 0)} is required by the server and not set")
    return "\n".join(lines) + "\n"
