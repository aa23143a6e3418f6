"""A server's raw server.json in a code editor, validated on save; each problem names its JSON path
and selecting it puts the cursor on that place. Nothing invalid is saved."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from pylee_tui.dialogs.choice import save_discard_cancel
from pylee_tui.safe_text import escape, escape_json
from pylee_tui.server_json import Problem, json_path, to_current, validate
from pylee_tui.widgets.footer import PyleeFooter
from pylee_tui.widgets.pylee_app import pylee_app


def locate_paths(text: str) -> dict[str, tuple[int, int]]:
    """Where each JSON path starts in `text`, as (row, column), for a well-formed document."""
    positions: dict[str, tuple[int, int]] = {}
    decoder = json.JSONDecoder()
    line_starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            line_starts.append(i + 1)

    def where(offset: int) -> tuple[int, int]:
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo, offset - line_starts[lo]

    def skip(i: int) -> int:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        return i

    def value(i: int, parts: list) -> int:
        i = skip(i)
        positions[json_path(parts)] = where(i)
        if i >= len(text):
            return i
        if text[i] == "{":
            i = skip(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                i = skip(i)
                key, end = decoder.raw_decode(text, i)
                key_pos = where(i)
                i = skip(end)
                i = skip(i + 1)  # the colon
                i = value(i, [*parts, key])
                positions.setdefault(json_path([*parts, key]), key_pos)
                positions[json_path([*parts, key])] = key_pos
                i = skip(i)
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1
        if text[i] == "[":
            i = skip(i + 1)
            if text[i] == "]":
                return i + 1
            index = 0
            while True:
                i = value(i, [*parts, index])
                i = skip(i)
                index += 1
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1
        _, end = decoder.raw_decode(text, i)
        return end

    with contextlib.suppress(ValueError, IndexError):  # a broken document: what was found so far
        value(0, [])
    return positions


def nearest_position(positions: dict[str, tuple[int, int]], path: str) -> tuple[int, int]:
    """The place of `path`, or of its closest ancestor that exists (a missing field's parent)."""
    while path:
        if path in positions:
            return positions[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else "$" if path != "$" else ""
    return (0, 0)


class RawJsonScreen(Screen[Any]):
    """Dismisses with whatever `save(document)` returned, or None when closed unsaved."""

    HELP_TITLE = "raw server.json"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="raw.save", priority=True),
        Binding("escape", "close", "Close", id="raw.close", priority=True),
        # f8/shift+f8 as in VS Code: keys the text area does not own (its f5-f7 select)
        Binding(
            "f8",
            "next_problem",
            "Next problem",
            id="raw.next_problem",
            tooltip="Put the cursor on the next problem",
        ),
        Binding(
            "shift+f8",
            "next_problem(-1)",
            "Previous problem",
            show=False,
            id="raw.previous_problem",
            tooltip="Put the cursor on the previous problem",
        ),
    ]

    def __init__(self, title: str, document: dict[str, Any], save: Callable[[dict], Any]) -> None:
        super().__init__()
        self.title_text = title
        # control, bidi and separator characters inside strings as \uXXXX: the same JSON, and
        # the text area neither shows them raw nor splits a line at them
        self.original = escape_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
        self.save_fn = save
        self.problems: list[Problem] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="raw"):
            yield Static(escape(self.title_text), classes="dialog-title", markup=False)
            yield TextArea.code_editor(self.original, language="json", id="raw-editor")
            yield Static("", id="raw-status")
            yield OptionList(id="raw-problems")
        yield PyleeFooter()

    def on_mount(self) -> None:
        self.query_one("#raw-problems").display = False
        self.query_one(TextArea).focus()
        self._check(quiet=True)

    @property
    def editor(self) -> TextArea:
        return self.query_one(TextArea)

    def _parse(self) -> tuple[Any, list[Problem]]:
        text = self.editor.text
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, [Problem(f"line {exc.lineno}, column {exc.colno}", exc.msg)]
        except RecursionError:  # thousands of nested brackets: a problem, not a crash
            return None, [Problem("line 1, column 1", "nested too deeply")]
        document, _notes = to_current(document)
        return document, validate(document)

    def _check(self, *, quiet: bool = False) -> Any:
        document, problems = self._parse()
        self.problems = problems
        status = self.query_one("#raw-status", Static)
        listing = self.query_one("#raw-problems", OptionList)
        listing.clear_options()
        if not problems:
            status.update(Text("✔ valid server.json", style="green"))
            listing.display = False
            return document
        status.update(
            Text(
                f"⚠ {len(problems)} problem(s): fix them to save (f8 goes to the next one)",
                style="yellow",
            )
        )
        for problem in problems:
            listing.add_option(Option(Text(str(problem)), id=problem.path))
        listing.display = True
        if not quiet:
            self._goto(problems[0])
        return None

    def _position(
        self, problem: Problem, positions: Callable[[], dict[str, tuple[int, int]]]
    ) -> tuple[int, int]:
        if problem.path.startswith("line "):  # a syntax error: the document has no paths
            row, col = (int(x.split()[-1]) - 1 for x in problem.path.split(","))
            return row, col
        return nearest_position(positions(), problem.path)

    def _paths(self) -> Callable[[], dict[str, tuple[int, int]]]:
        """Where each JSON path is, worked out once and only when a problem needs it."""
        found: list[dict[str, tuple[int, int]]] = []

        def positions() -> dict[str, tuple[int, int]]:
            if not found:
                found.append(locate_paths(self.editor.text))
            return found[0]

        return positions

    def _goto(self, problem: Problem) -> None:
        row, col = self._position(problem, self._paths())
        self.editor.move_cursor((row, col), center=True)
        self.editor.focus()

    @on(OptionList.OptionSelected, "#raw-problems")
    def _problem_chosen(self, event: OptionList.OptionSelected) -> None:
        problem = next((p for p in self.problems if p.path == event.option.id), None)
        if problem:
            self._goto(problem)

    def action_next_problem(self, step: int = 1) -> None:
        """The problem after (or, with -1, before) the cursor, going round; the text is
        checked again first, so the list is of the text as it is now."""
        self._check(quiet=True)
        if not self.problems:
            self.notify("No problems: ctrl+s saves.", timeout=3)
            return
        positions = self._paths()
        places = sorted(
            (self._position(p, positions), index) for index, p in enumerate(self.problems)
        )
        cursor = self.editor.cursor_location
        if step > 0:
            after = [place for place in places if place[0] > cursor]
            chosen = after[0] if after else places[0]
        else:
            before = [place for place in places if place[0] < cursor]
            chosen = before[-1] if before else places[-1]
        (row, col), index = chosen
        self.query_one("#raw-problems", OptionList).highlighted = index
        self.editor.move_cursor((row, col), center=True)
        self.editor.focus()

    def action_save(self, then: Callable[[], object] | None = None) -> None:
        """Validate, then store; `then` (the way out that asked for the save) runs once stored."""
        document = self._check()
        if document is None:
            return

        def saved(result: Any) -> None:
            self.dismiss(result)
            if then is not None:
                then()

        pylee_app(self).call(self.save_fn, document, done=saved, failed=self._save_failed)

    def _save_failed(self, exc: Exception) -> None:
        if type(exc).__name__ == "ChangeRequested":
            # kept for an approver: nothing is lost by leaving now, and nothing changed yet
            self.original = self.editor.text
            self.query_one("#raw-status", Static).update(
                Text(f"{exc}; the server is unchanged until it is approved", style="green")
            )
            return
        self.query_one("#raw-status", Static).update(Text(f"Not saved: {exc}", style="red"))

    # --- the unsaved-changes guard (the app's UnsavedWork protocol) ---------------------------

    @property
    def has_unsaved_changes(self) -> bool:
        return self.is_mounted and bool(self.query(TextArea)) and self.editor.text != self.original

    def ask_before_leaving(self, then: Callable[[], object]) -> None:
        """Save / Discard / Cancel; an invalid document is not saved, and the screen stays."""
        self.app.push_screen(
            save_discard_cancel(
                "The raw server.json has changes that are not saved. Save checks it first: "
                "a document with problems is not saved and the editor stays open."
            ),
            callback=lambda answer: self._leave_answer(answer, then),
        )

    def _leave_answer(self, answer: str | None, then: Callable[[], object]) -> None:
        if answer == "save":
            self.action_save(then)
        elif answer == "discard":
            self.dismiss(None)
            then()

    def action_close(self) -> None:
        if not self.has_unsaved_changes:
            self.dismiss(None)
            return
        self.ask_before_leaving(lambda: None)
