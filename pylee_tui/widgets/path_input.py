"""A field for a file path a person types or pastes: `~` expanded, spaces kept, one pair of
surrounding quotes taken off, and `tab` completing folders and files as a shell does."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input

# a folder with more entries than this is not listed for completion (a slow network mount,
# /usr/lib): typing on stays instant
MAX_ENTRIES = 5000
QUOTES = "'\""


def parse_path(text: str) -> Path | None:
    """The path in `text`, as a shell would read one argument: surrounding blanks and a pair
    of quotes removed (a path pasted from a terminal or a file manager; a quote still open
    while it is typed counts as one), a space escaped as `\\ ` unescaped, `~` expanded. None
    when nothing is left."""
    text = text.strip()
    if text and text[0] in QUOTES:
        text = text[1:-1] if len(text) >= 2 and text[-1] == text[0] else text[1:]
    elif os.sep == "/":
        text = text.replace("\\ ", " ")
    if not text.strip():
        return None
    return Path(text).expanduser()


def complete_path(value: str, *, directories_only: bool = False) -> str | None:
    """`value` completed as far as its folder's entries allow, or None: one match gives its
    whole name (a folder with a trailing `/`), several their common beginning, or the first
    of them when they share no more than what is typed. Dot files only for a typed dot."""
    quote = value[0] if value and value[0] in QUOTES else ""
    body = value[1:] if quote else value
    if quote and body.endswith(quote):
        return None  # a closed quote: the path is finished
    if body == "~":
        return value + "/"
    head, slash, fragment = body.rpartition("/")
    if not quote:
        if "\\ " in fragment:
            return None
        head = head.replace("\\ ", " ")
    folder = Path(os.path.expanduser(head + slash)) if slash else Path(".")
    matches: list[tuple[str, bool]] = []
    try:
        with os.scandir(folder) as entries:
            for count, entry in enumerate(entries):
                if count >= MAX_ENTRIES:
                    return None
                name = entry.name
                if not name.startswith(fragment):
                    continue
                if name.startswith(".") and not fragment.startswith("."):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if directories_only and not is_dir:
                    continue
                matches.append((name, is_dir))
    except OSError:
        return None
    if not matches:
        return None
    if len(matches) == 1:
        name, is_dir = matches[0]
        completion = name + ("/" if is_dir else "")
    else:
        names = sorted(name for name, _ in matches)
        common = os.path.commonprefix(names)
        completion = common if len(common) > len(fragment) else names[0]
    if completion == fragment:
        return None
    return value + completion[len(fragment) :]


class PathSuggester(Suggester):
    """Suggests the completion `tab` accepts; the folder is read in a thread, never cached
    (files come and go)."""

    def __init__(self, *, directories_only: bool = False) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.directories_only = directories_only

    async def get_suggestion(self, value: str) -> str | None:
        if not value.strip():
            return None
        return await asyncio.to_thread(complete_path, value, directories_only=self.directories_only)


class PathInput(Input):
    """An `Input` for a file (or, with `directories_only`, a folder) path.

    - `path` is what the text means: `~` expanded, one pair of quotes around it taken off, a
      `\\ `-escaped space unescaped (`parse_path`); spaces inside the name are kept as typed.
    - The completion of the last part of the path is shown greyed while typing; `tab` (or
      `right` at the end) accepts it, again and again down the folders. With nothing to
      complete, `tab` moves to the next field as usual.

    Use it where a dialog asks for a file: the export screen's target, an import's source.
    """

    BINDINGS = [
        Binding(
            "tab",
            "complete",
            "Complete",
            show=False,
            id="path_input.complete",
            tooltip="Complete the folder or file name",
        ),
    ]

    def __init__(
        self, value: str | None = None, *, directories_only: bool = False, **kwargs
    ) -> None:
        kwargs.setdefault("suggester", PathSuggester(directories_only=directories_only))
        kwargs.setdefault("placeholder", "a path; tab completes")
        super().__init__(value, **kwargs)

    @property
    def path(self) -> Path | None:
        """The path the field holds, or None when it is empty."""
        return parse_path(self.value)

    def action_complete(self) -> None:
        suggestion = self._suggestion
        if suggestion and len(suggestion) > len(self.value) and suggestion.startswith(self.value):
            self.value = suggestion
            self.cursor_position = len(self.value)
            return
        self.screen.focus_next()
