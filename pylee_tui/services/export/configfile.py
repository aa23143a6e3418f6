"""A client's config file on disk: where it may be written, how it is read (plain JSON, or
JSONC where the client allows it), and the masked diff an export shows of it."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import json5

from pylee_tui.files import write_atomic
from pylee_tui.server_json import loads_strict
from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.resolver import MASK

BOM = "\ufeff"


# --- where -----------------------------------------------------------------------------------


def link_target(path: Path) -> Path:
    """The file a symlink points to (followed to the end), else the path itself: writing
    there keeps the link."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def refuse_workspace_link(path: Path, workspace_folders: Collection[str]) -> None:
    """A `.vscode/mcp.json` is relative to its workspace (the folder holding `.vscode`), so a
    cloned repository can ship the file, or `.vscode` itself, as a symlink to anywhere (a
    user's settings, a dangling path). Refuse one that leads outside the workspace; the real
    path, given itself, is written as any other. `workspace_folders` are the folder names the
    clients keep such files in, whichever client this export is for."""
    path = Path(os.path.abspath(path))
    folder = path.parent
    if folder.name not in workspace_folders:
        return
    workspace = folder.parent
    inside = Path(os.path.realpath(workspace))
    real = Path(os.path.realpath(path))
    if real.is_relative_to(inside):
        return
    folder_real = Path(os.path.realpath(folder))
    link = path if folder_real.is_relative_to(inside) else folder
    raise InvalidInput(
        f"{link} is a symlink to {os.path.realpath(link)}, outside the workspace {workspace}; "
        "nothing was written (to write there, give that path itself)"
    )


def check_target(path: Path, target: Path, create_parent: bool) -> None:
    """Refuse, before reading anything, a target that is not a regular file (a device never
    ends, a pipe blocks) or, unless it may be created, whose directory does not exist."""
    try:
        mode = os.stat(path).st_mode  # through a symlink
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise InvalidInput(f"{path} is a directory, not a config file")
        if not stat.S_ISREG(mode):
            raise InvalidInput(
                f"{path} is not a regular file (a device, a pipe or a socket); nothing was written"
            )
        return
    parent = Path(os.path.realpath(target)).parent
    if not create_parent and not parent.is_dir():
        raise InvalidInput(f"no directory {parent}: create it first; nothing was written")


def file_identity(path: Path) -> list[int] | None:
    """Which file is at `path` now (device and inode, through a symlink): a rename keeps the
    inode, so this tells whether a given temporary file became the file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_dev, st.st_ino]


def mode_of(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o644


def min_mode(a: int, b: int) -> int:
    """The stricter of two permission sets (what both allow)."""
    return a & b


# --- reading ---------------------------------------------------------------------------------


@dataclass
class ConfigText:
    """A config file as read: its object, and whether writing it back drops comments."""

    document: dict[str, Any]
    comments: bool = False  # JSONC comments, which a rewrite does not keep


def read_config(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a directory, not a config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def parse_config(path: Path, text: str, jsonc: bool = False) -> ConfigText:
    """A config's object. A BOM is allowed (and kept by the writer); duplicate keys, NaN and
    Infinity are refused with one line, as the server.json reader does (merging would keep
    only the last of two blocks with one key). With `jsonc` (VS Code), comments and trailing
    commas are read too; a rewrite does not keep the comments (`ConfigText.comments`)."""
    body = text.removeprefix(BOM)
    if not body.strip():
        return ConfigText({})
    try:
        data = loads_strict(text, str(path))
        comments = False
    except ValueError as exc:
        if not jsonc or _is_json_syntax(body):  # plain JSON refused for what it holds
            raise InvalidInput(f"{exc}: fix or move it; nothing was written") from None
        data = _loads_jsonc(path, body, exc)
        comments = has_comments(body)
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} does not hold a JSON object; nothing was written")
    return ConfigText(data, comments)


def _is_json_syntax(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    except RecursionError:  # deep, but JSON: the strict reader's refusal stands
        return True
    return True


class _Refused(Exception):
    """Plain JSON refuses this. Not a ValueError: the JSON5 reader would turn that into its own
    syntax error message."""


def _refuse_constant(text: str) -> Any:
    raise _Refused(f"{text} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused(f"the number {text[:40]} is out of range")
    return value


def _no_duplicates(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Refused(f"the key {key[:60]!r} appears twice in one object")
        seen[key] = value
    return seen


def _loads_jsonc(path: Path, body: str, strict_error: ValueError) -> Any:
    """JSON with comments and trailing commas (a JSON5 reader: JSONC is a subset of it), with
    the plain reader's refusals. A text neither reads gets the plain reader's message."""
    try:
        return json5.loads(
            body,
            object_pairs_hook=_no_duplicates,
            parse_constant=_refuse_constant,
            parse_float=_finite,
        )
    except _Refused as exc:
        raise InvalidInput(f"{path} is not valid JSON: {exc}; nothing was written") from None
    except RecursionError:  # the JSON5 reader recurses deeper per level than json does
        raise InvalidInput(f"{path} is nested too deeply; nothing was written") from None
    except ValueError:
        raise InvalidInput(f"{strict_error}: fix or move it; nothing was written") from None


def has_comments(text: str) -> bool:
    """Whether a JSON5/JSONC text holds a `//` or `/* */` comment outside its strings."""
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "/" and text[i + 1 : i + 2] in ("/", "*"):
            return True
        i += 1
    return False


def bom_of(text: str | None) -> str:
    """The BOM a file starts with, to write it back the same way."""
    return BOM if text and text.startswith(BOM) else ""


# --- writing ---------------------------------------------------------------------------------


def write_config(
    path: Path,
    text: str,
    mode: int,
    shown: Path | None = None,
    before_replace: Callable[[Path], None] | None = None,
) -> None:
    """`write_atomic`, creating the directory (the caller refused a missing one unless it is
    the client's usual place); an OS error is one line naming the file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text, mode=mode, _before_replace=before_replace)
    except OSError as exc:
        raise InvalidInput(f"cannot write {shown or path}: {exc.strerror or exc}") from None


# --- the masked diff -------------------------------------------------------------------------

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
MASK_IN_FILE = f"{MASK} (in the file)"  # a masked value the new file no longer holds there
_MISSING: Any = object()


class SecretMatcher:
    """Finds any of many secret values inside strings, in time that follows the string's length
    rather than the number of secrets (an export inlining 500 servers' secrets masks thousands
    of strings against a thousand values): a secret is tried only where its first characters
    occur. Masks longer secrets first, as replacing them one by one would."""

    HEAD = 4

    def __init__(self, secrets: Iterable[str]) -> None:
        self.ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
        rank = {secret: i for i, secret in enumerate(self.ordered)}
        self._rank = rank
        # too short to index, or holding the mask itself (could match only once masked)
        self._always = [s for s in self.ordered if len(s) < self.HEAD or MASK[0] in s]
        self._shortest = min(map(len, self.ordered), default=0)
        self._masked: dict[str, str] = {}
        self._by_head: dict[str, list[str]] = {}
        for secret in self.ordered:
            if len(secret) >= self.HEAD and MASK[0] not in secret:
                self._by_head.setdefault(secret[: self.HEAD], []).append(secret)

    def __bool__(self) -> bool:
        return bool(self.ordered)

    def _candidates(self, value: str) -> list[str]:
        if len(value) < self._shortest:
            return []
        found = set(self._always)
        heads = self._by_head
        for i in range(len(value) - self.HEAD + 1):
            hit = heads.get(value[i : i + self.HEAD])
            if hit:
                found.update(s for s in hit if s in value)
        return sorted(found, key=self._rank.__getitem__)

    def holds(self, value: str) -> bool:
        """Whether any secret occurs in `value`."""
        return self.mask(value) != value

    def mask(self, value: str) -> str:
        masked = self._masked.get(value)
        if masked is None:  # a config repeats its strings (names, commands): each once
            masked = value
            for secret in self._candidates(value):
                masked = masked.replace(secret, MASK)
            self._masked[value] = masked
        return masked


def mask_json(
    text: str,
    secrets: list[str] | SecretMatcher,
    hidden: set[str],
    document: Any = _MISSING,
    new_document: Any = _MISSING,
) -> str:
    """JSON text with every one of `secrets` masked wherever a string holds it, and every
    string equal to one of `hidden` masked whole. Strings are compared decoded, so the way
    one is escaped (`\\u00e9` or `é`) does not matter; line breaks stay where they are.

    For the old side of a diff, give the text's `document` and the `new_document`: a masked
    string the new document does not hold at the same place becomes MASK_IN_FILE, so that a
    changed secret still shows as a change."""
    matcher = secrets if isinstance(secrets, SecretMatcher) else SecretMatcher(secrets)
    if not matcher and not hidden:
        return text
    matches = list(_JSON_STRING.finditer(text))
    values = [_decoded(m.group(0)) for m in matches]
    places: list[tuple[Any, ...] | None] | None = None
    if document is not _MISSING:
        strings = list(_strings(document))
        aligned = len(strings) == len(values) and all(
            s == v for (s, _), v in zip(strings, values, strict=True)
        )
        # duplicate keys or comments, say: the places are unknown, every masked string
        # counts as changed
        places = [place for _, place in strings] if aligned else [()] * len(values)
    out: list[str] = []
    last = 0
    for i, match in enumerate(matches):
        value = values[i]
        if not isinstance(value, str):
            continue
        masked = MASK if value in hidden else matcher.mask(value)
        if masked == value:
            continue
        place = places[i] if places is not None else None
        if place is not None and _at(new_document, place) != value:
            masked = MASK_IN_FILE
        out += [text[last : match.start()], json.dumps(masked, ensure_ascii=False)]
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def _decoded(token: str) -> Any:
    if "\\" not in token:  # nothing escaped (most strings): the text between the quotes
        return token[1:-1]
    try:
        return json.loads(token)
    except ValueError:
        return None


def _strings(value: Any, place: tuple[Any, ...] = ()) -> Iterator[tuple[str, Any]]:
    """The strings of a parsed JSON document in the order its text holds them, each with its
    place (None for an object key)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, None
            yield from _strings(item, (*place, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*place, index))
    elif isinstance(value, str):
        yield value, place


def _at(document: Any, place: tuple[Any, ...]) -> Any:
    for step in place:
        try:
            document = document[step]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return document


def diff_lines(text: str) -> list[str]:
    """Lines for a diff; a last line without its newline still ends one."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def mask_everywhere(text: str, values: list[str] | set[str]) -> str:
    """Every occurrence of `values` masked, strings or not: for a text with comments, whose
    strings a pattern cannot find for sure (a comment may hold a lone quote)."""
    for value in sorted(set(values), key=len, reverse=True):
        if value:
            for encoded in {
                value,
                json.dumps(value)[1:-1],
                json.dumps(value, ensure_ascii=False)[1:-1],
            }:
                text = text.replace(encoded, MASK)
    return text
