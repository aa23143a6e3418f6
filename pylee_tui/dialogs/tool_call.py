"""Calling one tool of a server: a field per property of its input schema (type and required
marker in the label, the description as a hint), the argument problems under the fields one a
line, and what the tool answered (text as text, the rest as JSON, an error marked). The tool's
name, descriptions and answer come from a server: all escaped."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from pylee_tui.safe_text import escape

if TYPE_CHECKING:
    from pylee_tui.services.checks import CallResult

# caller(text arguments, done(CallResult), failed(exception)): the opener runs the call
Caller = Callable[..., None]


def fields_of(schema: Any) -> list[tuple[str, str, bool, str]]:
    """(name, type, required, description) per property of an input schema."""
    if not isinstance(schema, dict):
        return []
    properties = schema.get("properties")
    required = set(schema.get("required") or [])
    fields = []
    for name, prop in (properties if isinstance(properties, dict) else {}).items():
        prop = prop if isinstance(prop, dict) else {}
        kind = prop.get("type")
        if isinstance(kind, list):
            kind = " | ".join(map(str, kind))
        if not kind:
            options = prop.get("anyOf") or prop.get("oneOf") or []
            kind = " | ".join(str(o.get("type")) for o in options if isinstance(o, dict)) or "any"
        hint = str(prop.get("description") or "")
        if "default" in prop:
            hint = f"{hint} (default {json.dumps(prop['default'])})".strip()
        fields.append((str(name), str(kind), name in required, hint))
    return fields


def result_text(result: CallResult) -> Text:
    """Text content as text, other content and structured content (without text) as JSON."""
    text = Text()
    if result.is_error:
        text.append("The tool reported an error:\n", style="bold red")
    if result.text:
        text.append(escape(result.text, multiline=True))
    rest: Any = list(result.content) or (None if result.text else result.structured)
    if rest:
        if result.text:
            text.append("\n")
        text.append(escape(json.dumps(rest, indent=2, ensure_ascii=False), multiline=True))
    if not text.plain:
        text.append("(no content)", style="dim")
    return text


class ToolCallScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "Close", id="tool_call.close")]
    DEFAULT_CSS = """
    ToolCallScreen #tool-call { width: 90; }
    ToolCallScreen #tool-call-body { height: auto; max-height: 60vh; }
    ToolCallScreen .tool-arg-label { margin-top: 1; }
    ToolCallScreen .tool-arg-hint { color: $text-muted; }
    ToolCallScreen #tool-call-problems { color: $error; }
    ToolCallScreen #tool-call-result { margin-top: 1; }
    ToolCallScreen #tool-call-result.-error { color: $error; }
    """

    def __init__(self, server: str, tool: dict[str, Any], call: Caller) -> None:
        super().__init__()
        self.server, self.tool, self.caller = server, tool, call
        self.fields = fields_of(tool.get("input_schema"))
        self.result: CallResult | None = None
        self.problems: list[str] = []

    @property
    def tool_name(self) -> str:
        return str(self.tool.get("name") or "")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="tool-call"):
            yield Static(
                Text(escape(f"Call {self.tool_name} · {self.server}")), classes="dialog-title"
            )
            with VerticalScroll(id="tool-call-body"):
                description = str(self.tool.get("description") or "")
                if description:
                    yield Static(Text(escape(description, multiline=True)), classes="dialog-hint")
                if not self.fields:
                    yield Static("It takes no arguments.", classes="dialog-hint")
                for i, (name, kind, required, hint) in enumerate(self.fields):
                    label = Text(escape(name), style="bold")
                    label.append(f"  {escape(kind)}", style="dim")
                    if required:
                        label.append("  * required", style="yellow")
                    yield Label(label, classes="tool-arg-label")
                    yield Input(id=f"tool-arg-{i}", placeholder=escape(kind))
                    if hint:
                        yield Static(Text(escape(hint)), classes="tool-arg-hint")
                yield Static("", id="tool-call-problems")
                yield Static("", id="tool-call-result")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Call", id="tool-call-run", variant="primary")
                yield Button("Close", id="tool-call-close")

    def on_mount(self) -> None:
        if self.fields:
            self.query_one("#tool-arg-0", Input).focus()
        else:
            self.query_one("#tool-call-run", Button).focus()

    def values(self) -> dict[str, str]:
        """The fields filled in (an empty one is not sent: the schema's default applies)."""
        return {
            name: self.query_one(f"#tool-arg-{i}", Input).value
            for i, (name, *_rest) in enumerate(self.fields)
            if self.query_one(f"#tool-arg-{i}", Input).value != ""
        }

    @on(Input.Submitted)
    @on(Button.Pressed, "#tool-call-run")
    def run_call(self) -> None:
        self._say([], None)
        self.query_one("#tool-call-result", Static).update(Text("Calling…", style="dim"))
        self.caller(self.values(), self._answered, self._refused)

    @on(Button.Pressed, "#tool-call-close")
    def action_close(self) -> None:
        self.dismiss()

    def _answered(self, result: CallResult) -> None:
        if self.is_attached:
            self._say([], result)

    def _refused(self, exc: Exception) -> None:
        if not self.is_attached:
            return
        from pylee_tui.services.checks import CallFailed

        if isinstance(exc, CallFailed):
            lines = [f"{exc.state}: {exc.detail}"]
        else:
            prefix = f"{self.tool_name}: "
            lines = [line.removeprefix(prefix) for line in str(exc).splitlines() if line.strip()]
        self._say(lines, None)

    def _say(self, problems: list[str], result: CallResult | None) -> None:
        self.problems, self.result = problems, result
        text = Text()
        for i, line in enumerate(problems):
            text.append(("\n" if i else "") + "✗ " + escape(line))
        self.query_one("#tool-call-problems", Static).update(text)
        shown = self.query_one("#tool-call-result", Static)
        shown.set_class(result is not None and result.is_error, "-error")
        shown.update(result_text(result) if result is not None else "")
