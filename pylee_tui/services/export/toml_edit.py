"""Reading a TOML config (Codex's `config.toml`) and writing it back with the smallest text change,
through tomlkit, which keeps comments, order and spacing.

`rewrite_toml` edits the parsed document in place: an unchanged key or table keeps its text; a
changed table is edited key by key; a changed value is replaced (its comment at the end of the line
stays; an inline table is rewritten whole, it cannot hold comments); new keys go after the table's
last key, new tables at the end of their parent, as standard tables (`[mcp_servers.github]`), and a
small map of strings among a table's plain values (`env`, `http_headers`) as an inline table
`env = { KEY = "value" }`, the style of Codex's own documentation.

Comments: a removed key or table takes with it the comment lines directly above it (no blank line
between) and the comment at the end of its lines; every other comment stays. A comment standing
directly above the header that follows the place where a new table goes stays above that header.
If an edit ever failed to give exactly the new document (tomlkit meeting a layout it cannot edit,
such as a table split in two places), the document is written fresh instead and comments are lost:
the result is always `new_doc`."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Comment, InlineTable, Item, Null, Table, Whitespace
from tomlkit.toml_document import TOMLDocument

from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export.jsonc_edit import same

BOM = "\ufeff"
_WHERE = re.compile(r"\s*\(?at (?:line (\d+), column \d+|end of document)\)?\s*$")
_SMALL_MAP = 8  # at most this many strings make an inline table


def _one_line(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)


def parse_toml(path: Path, text: str) -> dict[str, Any]:
    """The file's values as plain Python (dict, list, str, int, float, bool, dates); one line
    (InvalidInput) when it is not valid TOML. A UTF-8 BOM is allowed."""
    body = text.removeprefix(BOM)
    try:
        values = tomllib.loads(body)
        tomlkit.parse(body)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        match = _WHERE.search(message)
        reason = message[: match.start()] if match else message
        line = match.group(1) if match and match.group(1) else str(body.count("\n") + 1)
        raise InvalidInput(_refusal(path, reason, line)) from None
    except (TOMLKitError, ValueError) as err:  # what tomllib reads but tomlkit cannot edit
        line = str(getattr(err, "line", "?"))
        reason = re.sub(r"\s*at line \d+ col \d+\s*$", "", str(err))
        raise InvalidInput(_refusal(path, reason, line)) from None
    return values


def _refusal(path: Path, reason: str, line: str) -> str:
    reason = _one_line(reason).strip().rstrip(".") or "a syntax error"
    return f"{path}: not valid TOML ({reason}, line {line}); fix or move it; nothing was written"


def rewrite_toml(old_text: str | None, new_doc: dict[str, Any]) -> str:
    """The text of `new_doc`, written over `old_text` (a TOML file's current text, already
    known to parse) with the smallest change; a fresh document when there is none. ValueError
    when `new_doc` holds None (TOML has no null)."""
    _refuse_none(new_doc, "")
    if old_text is None or old_text.strip(BOM + " \t\r\n") == "":
        return _fresh(new_doc)
    bom = BOM if old_text.startswith(BOM) else ""
    text = old_text[len(bom) :]
    if same(tomllib.loads(text), new_doc):
        return old_text
    newline = "\r\n" if "\r\n" in text else "\n"
    try:
        doc = tomlkit.parse(text)
        _edit(doc, doc, new_doc)
        result = _same_ending(text, doc.as_string())
        if newline != "\n":
            result = re.sub(r"(?<!\r)\n", newline, result)
        if same(tomllib.loads(result), new_doc):
            return bom + result
    except (TOMLKitError, ValueError, KeyError, TypeError):
        pass  # tomllib.TOMLDecodeError is a ValueError
    return bom + _fresh(new_doc).replace("\n", newline)


def _refuse_none(value: Any, where: str) -> None:
    if value is None:
        raise ValueError(f"TOML has no null: {where or 'the document'} is None")
    if isinstance(value, dict):
        for key, child in value.items():
            _refuse_none(child, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for index, child in enumerate(value):
            _refuse_none(child, f"{where}[{index}]")


def _same_ending(old: str, new: str) -> str:
    """`new` ending in as many newlines as `old` does (a removed last table leaves none)."""
    ending = old[len(old.rstrip("\r\n")) :].count("\n")
    stripped = new.rstrip("\r\n")
    return stripped + "\n" * ending if stripped else new


# --- building new items -------------------------------------------------------------------------


def _fresh(new_doc: dict[str, Any]) -> str:
    doc = tomlkit.document()
    for key, value in new_doc.items():
        doc[key] = _item(value, in_inline=False, field=False)
    return doc.as_string()


def _has_fields(table: dict[str, Any]) -> bool:
    """Whether a table holds plain values (a server's `command`), not only tables (a list of
    servers): a small map of strings among such values is a field, written inline."""
    return any(not isinstance(v, dict) for v in table.values())


def _item(value: Any, *, in_inline: bool, field: bool) -> Item:
    """A new tomlkit item for `value`; `field`: it sits in a table holding plain values."""
    if isinstance(value, dict):
        small = len(value) <= _SMALL_MAP and all(isinstance(v, str) for v in value.values())
        if in_inline or (field and small):
            return _inline(value)
        fields = _has_fields(value)
        table = tomlkit.table(is_super_table=bool(value) and not fields)
        for key, child in value.items():
            table[key] = _item(child, in_inline=False, field=fields)
        return table
    if isinstance(value, list | tuple) and (
        in_inline or not value or not all(isinstance(v, dict) for v in value)
    ):
        array = tomlkit.array()
        for child in value:
            array.append(_item(child, in_inline=True, field=False))
        return array
    return tomlkit.item(value)


def _inline(value: dict[str, Any]) -> InlineTable:
    """`{ KEY = "value", ... }` with spaces inside the braces, as Codex's docs write it."""
    if not value:
        return tomlkit.inline_table()
    parts = [
        f"{tomlkit.key(str(k)).as_string()} = {_item(v, in_inline=True, field=False).as_string()}"
        for k, v in value.items()
    ]
    parsed = tomlkit.parse(f"_ = {{ {', '.join(parts)} }}\n")["_"]
    assert isinstance(parsed, InlineTable)
    return parsed


# --- editing in place -------------------------------------------------------------------------


def _container(item: Container | Table | InlineTable) -> Container | InlineTable:
    return item.value if isinstance(item, Table) else item


def _edit(doc: TOMLDocument, node: Container | Table | InlineTable, new: dict[str, Any]) -> None:
    inline = isinstance(node, InlineTable)
    fields = _has_fields(new)
    for key in list(node.keys()):
        if key not in new:
            if inline:
                del node[key]
            else:
                _remove(doc, _container(node), key)  # type: ignore[arg-type]
    for key, want in new.items():
        if key in node:
            have = node[key]  # a bool comes back as a plain bool
            if same(have.unwrap() if isinstance(have, Item) else have, want):
                continue
            if isinstance(have, Table) and isinstance(want, dict):
                _edit(doc, have, want)
                if not want and have.is_super_table():
                    have._is_super_table = False  # an empty table shows its header
            else:
                node[key] = _item(want, in_inline=inline, field=fields)
            continue
        item = _item(want, in_inline=inline, field=fields)
        if inline:
            node[key] = item
        elif isinstance(item, Table | AoT):
            _append_table(doc, node, key, item)  # type: ignore[arg-type]
        else:
            _insert_key(_container(node), key, item)  # type: ignore[arg-type]


def _index_of(body: list[tuple[Any, Item]], key: str) -> int:
    for index, (k, _) in enumerate(body):
        if k is not None and k.key == key:
            return index
    raise KeyError(key)


def _tail(container: Container) -> Container:
    """The container whose body is textually last inside `container`."""
    if not container.body:
        return container
    last = container.body[-1][1]
    if isinstance(last, Table):
        return _tail(last.value)
    if isinstance(last, AoT) and last.body:
        return _tail(last.body[-1].value)
    return container


def _trailing_comments(container: Container, end: int) -> list[int]:
    """Indexes of the comment lines directly before body index `end` (no blank line between)."""
    found = []
    index = end - 1
    while index >= 0 and _is_comment(container.body[index][1]):
        found.append(index)
        index -= 1
    return found


def _is_comment(item: Item) -> bool:
    """A comment line, or comment lines kept in a removed table's place."""
    return isinstance(item, Comment) or (
        isinstance(item, Whitespace) and item.as_string().lstrip().startswith("#")
    )


def _blank(container: Container, indexes: list[int]) -> list[Item]:
    """Take the items at `indexes` out of the text (kept in place, empty, so keys keep their
    positions) and return them in order."""
    taken = []
    for index in sorted(indexes):
        taken.append(container.body[index][1])
        container.body[index] = (None, Whitespace(""))
    return taken


def _remove(doc: TOMLDocument, container: Container, key: str) -> None:
    """Delete `key` with the comment lines directly above it; comment lines at the end of a
    removed table (above the next header) stay in its place."""
    index = _index_of(container.body, key)
    item = container.body[index][1]
    _drop_comments_above(doc, container, index)
    kept = ""
    if isinstance(item, Table | AoT):
        last = item.value if isinstance(item, Table) else item.body[-1].value if item.body else None
        if last is not None:
            tail = _tail(last)
            taken = _blank(tail, _trailing_comments(tail, len(tail.body)))
            kept = "".join(c.as_string() for c in taken)
    container.remove(key)
    if kept:
        container.body[index] = (None, Whitespace(kept))


def _slots(container: Container) -> Iterator[tuple[Container | None, int]]:
    """Every body slot in text order, tables' own slots included; (None, 0) stands for a
    printed table header."""
    for index, (_, item) in enumerate(container.body):
        yield container, index
        if isinstance(item, Table):
            if not item.is_super_table():
                yield None, 0
            yield from _slots(item.value)
        elif isinstance(item, AoT):
            for table in item.body:
                yield None, 0
                yield from _slots(table.value)


def _drop_comments_above(doc: TOMLDocument, container: Container, index: int) -> None:
    """Blank the comment lines standing directly above body slot `index` of `container` (for a
    table, above its header)."""
    before: list[tuple[Container | None, int]] = []
    for holder, at in _slots(doc):
        if holder is container and at == index:
            break
        before.append((holder, at))
    for holder, at in reversed(before):
        if holder is None:
            return
        item = holder.body[at][1]
        if _is_comment(item):
            _blank(holder, [at])
        elif isinstance(item, Table) and item.is_super_table():
            continue  # no header of its own
        elif not (isinstance(item, Null) or item.as_string() == ""):
            return


def _insert_key(container: Container, key: str, item: Item) -> None:
    """After the container's last plain key (before comments that stand above a table)."""
    body = container.body
    last = None
    for index, (k, value) in enumerate(body):
        if k is not None and not isinstance(value, Table | AoT):
            last = index
    if last is None and not isinstance(container, TOMLDocument):  # a table: at its top
        at = 0
    elif last is None:
        first_table = next(
            (i for i, (_, v) in enumerate(body) if isinstance(v, Table | AoT)), len(body)
        )
        comments = _trailing_comments(container, first_table)
        at = min(comments) if comments else first_table
    else:
        at = last + 1
    if at >= len(body):
        container.append(key, item)
    else:
        container._insert_at(at, key, item)


def _append_table(doc: TOMLDocument, node: Container | Table, key: str, item: Table | AoT) -> None:
    """At the end of `node`; comment lines that stood at its end above the next header move
    below the new table, still above that header."""
    container = _container(node)
    assert isinstance(container, Container)
    tail = _tail(container)
    above_next = tail is not _tail(doc)  # else they end the file: they stay where they are
    moved = _blank(tail, _trailing_comments(tail, len(tail.body))) if above_next else []
    node[key] = item
    if isinstance(item, Table):
        new_tail = _tail(item.value)
        if _tail(doc) is not new_tail or moved:
            new_tail.append(None, Whitespace("\n"))
        for comment in moved:
            new_tail.append(None, comment)
