"""Writing a JSON or JSONC file back with the smallest text change: the user's comments, key
order, spacing, trailing commas, BOM and line endings survive, and so does every entry the export
does not own.

`rewrite_json` parses the old text into a span tree (where each value and member starts and ends),
compares it with the new document and edits only what differs:

- a member whose value is unchanged keeps its text byte for byte (values compare by type too:
  `1`, `1.0` and `true` differ);
- an object present on both sides is edited member by member, recursively;
- a changed array or scalar is replaced whole, as new JSON indented to its member's line;
- a removed member goes with its line(s), its comment at the end of its last line, and the comment
  lines directly above it (`//` lines, or one-line `/* */`, with no blank line between): those are
  taken to be its own. A comment separated from it by a blank line, or a block comment over several
  lines, stays;
- added members go after the object's last kept member, in the new document's order, with the
  indentation the members already use; commas follow the object's style (a trailing comma stays).

Comments lost, then: those of a removed member (above), and any comment inside a changed array or
scalar's old text (it is replaced whole). Only JSON plus comments and trailing commas is read; JSON5
extras (unquoted keys, single quotes, hex, Infinity) raise ValueError, and the caller writes a fresh
file instead."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

BOM = "\ufeff"
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"', re.DOTALL)
_WORDS = {"true": True, "false": False, "null": None}
_WS = " \t\r\n"


@dataclass
class _Node:
    start: int
    end: int
    value: Any
    members: list[_Member] = field(default_factory=list)  # objects only

    @property
    def is_object(self) -> bool:
        return isinstance(self.value, dict)


@dataclass
class _Member:
    key: str
    key_start: int
    node: _Node
    comma: int | None = None  # the index of the comma after the value, if any


class _Scanner:
    """A recursive-descent reader of JSON with comments and trailing commas, keeping spans."""

    def __init__(self, text: str) -> None:
        self.text = text

    def fail(self, at: int, what: str) -> ValueError:
        line = self.text.count("\n", 0, at) + 1
        return ValueError(f"not JSON/JSONC the editor reads: {what} at line {line}")

    def skip(self, i: int) -> int:
        text, n = self.text, len(self.text)
        while i < n:
            c = text[i]
            if c in _WS:
                i += 1
            elif text.startswith("//", i):
                j = text.find("\n", i)
                i = n if j < 0 else j + 1
            elif text.startswith("/*", i):
                j = text.find("*/", i + 2)
                if j < 0:
                    raise self.fail(i, "an unclosed comment")
                i = j + 2
            else:
                break
        return i

    def document(self) -> _Node:
        node = self.value(self.skip(0))
        if self.skip(node.end) != len(self.text):
            raise self.fail(node.end, "text after the document")
        return node

    def value(self, i: int) -> _Node:
        text = self.text
        if i >= len(text):
            raise self.fail(i, "the end of the file")
        c = text[i]
        if c == "{":
            return self.obj(i)
        if c == "[":
            return self.arr(i)
        if c == '"':
            return self.string(i)
        m = _NUMBER.match(text, i)
        if m:
            return _Node(i, m.end(), json.loads(m.group()))
        for word, val in _WORDS.items():
            if text.startswith(word, i):
                return _Node(i, i + len(word), val)
        raise self.fail(i, f"an unexpected {c!r}")

    def string(self, i: int) -> _Node:
        m = _STRING.match(self.text, i)
        if not m:
            raise self.fail(i, "an unclosed string")
        try:
            return _Node(i, m.end(), json.loads(m.group(), strict=False))
        except json.JSONDecodeError as err:
            raise self.fail(i, "a bad string escape") from err

    def obj(self, start: int) -> _Node:
        node = _Node(start, start, {})
        i = self.skip(start + 1)
        while self.text[i : i + 1] != "}":
            if self.text[i : i + 1] != '"':
                raise self.fail(i, "a key that is not a double-quoted string")
            key = self.string(i)
            if key.value in node.value:
                raise self.fail(i, f"the duplicate key {key.value!r}")
            i = self.skip(key.end)
            if self.text[i : i + 1] != ":":
                raise self.fail(i, "a missing ':'")
            child = self.value(self.skip(i + 1))
            member = _Member(key.value, key.start, child)
            node.members.append(member)
            node.value[key.value] = child.value
            i = self.skip(child.end)
            if self.text[i : i + 1] == ",":
                member.comma = i
                i = self.skip(i + 1)
            elif self.text[i : i + 1] != "}":
                raise self.fail(i, "a missing ',' or '}'")
        node.end = i + 1
        return node

    def arr(self, start: int) -> _Node:
        items: list[Any] = []
        i = self.skip(start + 1)
        while self.text[i : i + 1] != "]":
            child = self.value(i)
            items.append(child.value)
            i = self.skip(child.end)
            if self.text[i : i + 1] == ",":
                i = self.skip(i + 1)
            elif self.text[i : i + 1] != "]":
                raise self.fail(i, "a missing ',' or ']'")
        return _Node(start, i + 1, items)


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values, types included (`1`, `1.0` and `True` differ); key order ignored."""
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(same(value, b[key]) for key, value in a.items())
        )
    if isinstance(a, list):
        return (
            isinstance(b, list | tuple)
            and len(a) == len(b)
            and all(same(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, int | float):
        return type(a) is type(b) and a == b
    return bool(a == b) and type(a) is type(b)


class _Editor:
    """Collects (start, end, replacement) edits over the old text; they never overlap."""

    def __init__(self, text: str, indent: int) -> None:
        self.text = text
        self.indent = indent
        self.edits: list[tuple[int, int, str]] = []

    # --- where things are on their lines ----------------------------------------------------

    def line_start(self, i: int) -> int:
        return self.text.rfind("\n", 0, i) + 1

    def line_indent(self, i: int) -> str:
        start = self.line_start(i)
        j = start
        while j < len(self.text) and self.text[j] in " \t":
            j += 1
        return self.text[start:j]

    def alone_before(self, i: int) -> bool:
        """Only spaces between the line's start and `i`."""
        return self.text[self.line_start(i) : i].strip(" \t") == ""

    def rest_of_line(self, i: int) -> int | None:
        """After `i`: the index just past the line's newline when only spaces and a `//`
        comment follow on the line (or the end of the text), else None."""
        text, n = self.text, len(self.text)
        while i < n and text[i] in " \t\r":
            i += 1
        if text.startswith("//", i):
            j = text.find("\n", i)
            return n if j < 0 else j + 1
        if i >= n:
            return n
        return i + 1 if text[i] == "\n" else None

    def line_end_before_newline(self, i: int) -> int | None:
        """The index of the line's end (before `\\r\\n`/`\\n`) when only spaces and a `//`
        comment follow `i` on its line, else None."""
        after = self.rest_of_line(i)
        if after is None:
            return None
        end = after - 1 if after > 0 and self.text[after - 1 : after] == "\n" else after
        if end > i and self.text[end - 1 : end] == "\r":
            end -= 1
        return end

    # --- values ---------------------------------------------------------------------------------

    def dump(self, value: Any, ind: str, unit: str, inline: bool) -> str:
        if inline:
            return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        return json.dumps(value, indent=unit, ensure_ascii=False).replace("\n", "\n" + ind)

    def unit_of(self, node: _Node) -> tuple[str, str]:
        """(member indentation, one level) of an object's members."""
        outer = self.line_indent(node.start)
        for member in node.members:
            if self.alone_before(member.key_start):
                ind = self.line_indent(member.key_start)
                if ind.startswith(outer) and len(ind) > len(outer):
                    return ind, ind[len(outer) :]
        unit = " " * self.indent
        return outer + unit, unit

    def edit_object(self, node: _Node, new: dict[str, Any], in_line: bool = False) -> None:
        """Edit the object at `node` into `new`; `in_line`: its parent is on one line."""
        text = self.text
        inline = text.find("\n", node.start, node.end) < 0
        ind, unit = self.unit_of(node)
        if not node.members and text[node.start + 1 : node.end - 1].strip(_WS) == "":
            outer = self.line_indent(node.start)  # `{}` has no style of its own
            self.edits.append((node.start, node.end, self.dump(new, outer, unit, in_line)))
            return
        kept: list[_Member] = []
        removed: list[_Member] = []
        for member in node.members:
            if member.key not in new:
                removed.append(member)
                continue
            kept.append(member)
            want = new[member.key]
            child = member.node
            if same(child.value, want):
                continue
            if child.is_object and isinstance(want, dict):
                self.edit_object(child, want, inline)
            else:
                here = self.line_indent(member.key_start)
                one_line = inline or (
                    isinstance(want, list) and "\n" not in text[child.start : child.end]
                )
                self.edits.append((child.start, child.end, self.dump(want, here, unit, one_line)))
        old_keys = {member.key for member in node.members}
        added = [(key, value) for key, value in new.items() if key not in old_keys]
        if not kept and node.members and self.empty_inside(node, removed):
            outer = self.line_indent(node.start)
            self.edits.append((node.start, node.end, self.dump(new, outer, unit, inline)))
            return
        for member in removed:
            self.remove(node, member)
        trailing = bool(node.members) and node.members[-1].comma is not None
        if not added:
            if kept and kept[-1].comma is not None and not trailing:
                self.edits.append((kept[-1].comma, kept[-1].comma + 1, ""))
            return
        self.add(node, kept, added, ind, unit, inline, trailing)

    def empty_inside(self, node: _Node, removed: list[_Member]) -> bool:
        """Whether nothing but spaces would remain inside the object once `removed` go."""
        spans = sorted(self.removal_span(node, member) for member in removed)
        pos, rest = node.start + 1, []
        for start, end in spans:
            rest.append(self.text[pos:start])
            pos = end
        rest.append(self.text[pos : node.end - 1])
        return "".join(rest).strip(_WS + ",") == ""

    def removal_span(self, node: _Node, member: _Member) -> tuple[int, int]:
        text = self.text
        last = member.comma if member.comma is not None else member.node.end - 1
        after = self.rest_of_line(last + 1)
        if self.alone_before(member.key_start) and after is not None:
            start = self.line_start(member.key_start)
            floor = self.previous_token_end(node, member)
            while start > floor:
                above = self.line_start(start - 1)
                line = text[above:start].strip(_WS)
                own_comment = line.startswith("//") or (
                    line.startswith("/*") and line.endswith("*/") and "*/" not in line[2:-2]
                )
                if above < floor or not own_comment:
                    break
                start = above
            return start, after
        if member.comma is not None:
            end = member.comma + 1
            while end < len(text) and text[end] in " \t":
                end += 1
            return member.key_start, end
        start = member.key_start
        while start > node.start + 1 and text[start - 1] in " \t":
            start -= 1
        return start, member.node.end

    def previous_token_end(self, node: _Node, member: _Member) -> int:
        """Just past the token before the member (the previous member's comma, or `{`)."""
        index = node.members.index(member)
        if index == 0:
            return node.start + 1
        before = node.members[index - 1]
        return (before.comma if before.comma is not None else before.node.end - 1) + 1

    def remove(self, node: _Node, member: _Member) -> None:
        start, end = self.removal_span(node, member)
        self.edits.append((start, end, ""))

    def add(
        self,
        node: _Node,
        kept: list[_Member],
        added: list[tuple[str, Any]],
        ind: str,
        unit: str,
        inline: bool,
        trailing: bool,
    ) -> None:
        if inline:
            items = ", ".join(
                f"{json.dumps(key, ensure_ascii=False)}: {self.dump(value, ind, unit, True)}"
                for key, value in added
            )
            if not kept:
                body = self.text[node.start + 1 : node.end - 1]
                if body.strip(_WS) == "":
                    self.edits.append((node.start, node.end, "{" + items + "}"))
                else:  # comments inside
                    self.edits.append((node.start + 1, node.start + 1, items))
                return
            anchor = kept[-1]
            if anchor.comma is None:
                self.edits.append((anchor.node.end, anchor.node.end, ", " + items))
            else:
                # the anchor's comma was there for a member after it (removed now), or is the
                # object's trailing comma: the items end as the object's last member did
                tail = "," if trailing else ""
                self.edits.append((anchor.comma + 1, anchor.comma + 1, " " + items + tail))
            return
        lines = [
            f"{ind}{json.dumps(key, ensure_ascii=False)}: {self.dump(value, ind, unit, False)}"
            for key, value in added
        ]
        block = ",\n".join(lines) + ("," if trailing else "")
        if kept:
            anchor = kept[-1]
            if anchor.comma is None:
                self.edits.append((anchor.node.end, anchor.node.end, ","))
                last = anchor.node.end
            else:
                last = anchor.comma + 1
        else:
            last = node.start + 1
        end = self.line_end_before_newline(last)
        if end is None:
            self.edits.append((last, last, "\n" + block))
        else:
            self.edits.append((end, end, "\n" + block))

    def apply(self, newline: str) -> str:
        out, pos = [], 0
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], e[1])):
            if start < pos:  # two removals sharing the spaces between them
                if new:
                    raise AssertionError("overlapping edits")
                start = max(start, pos)
                if end <= pos:
                    continue
            out.append(self.text[pos:start])
            out.append(new.replace("\n", newline) if newline != "\n" else new)
            pos = end
        out.append(self.text[pos:])
        return "".join(out)


def parse_spans(text: str) -> Any:
    """The value of a JSON/JSONC text as the editor reads it (ValueError when it cannot)."""
    return _Scanner(text.removeprefix(BOM)).document().value


def rewrite_json(old_text: str | None, new_doc: dict[str, Any], *, indent: int = 2) -> str:
    """The text of `new_doc`, written over `old_text` (a JSON/JSONC file's current text) with the
    smallest change; a fresh document when there is none. ValueError when `old_text` is JSON the
    editor does not read (JSON5 extras) or its top level is not an object."""
    if old_text is None or old_text.strip(BOM + _WS) == "":
        return json.dumps(new_doc, indent=indent, ensure_ascii=False) + "\n"
    bom = BOM if old_text.startswith(BOM) else ""
    text = old_text[len(bom) :]
    root = _Scanner(text).document()
    if not root.is_object:
        raise ValueError("the file's top level is not a JSON object")
    if same(root.value, new_doc):
        return old_text
    editor = _Editor(text, indent)
    editor.edit_object(root, new_doc)
    newline = "\r\n" if "\r\n" in text else "\n"
    return bom + editor.apply(newline)
