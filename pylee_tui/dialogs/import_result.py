"""What an import did: the counts, the reasons grouped, and every entry to look at (rejected,
or kept as a draft) by name, or by its position in the file when it has no usable name.

Dismisses with None (closed), `REPLACE` (import again, replacing the servers already there) or
the name of a draft to go to."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from pylee_tui.models import plural
from pylee_tui.safe_text import escape
from pylee_tui.services.import_report import OUTCOME_LABELS, ImportReport

REPLACE = "\0replace"  # no server name holds a NUL


class ImportResultScreen(ModalScreen[str | None]):
    CSS_PATH = "import_result.tcss"
    BINDINGS = [Binding("escape", "close", "Close", id="import_result.close")]

    def __init__(self, registry: str, report: ImportReport, *, replaced: bool = False) -> None:
        """`replaced`: this import replaced servers already there (no second offer to)."""
        super().__init__()
        self.registry = registry
        self.report = report
        self.replaced = replaced
        self.entries = report.to_review()
        several_files = len({o.file for o in report.outcomes}) > 1
        self.labels = [o.label(several_files) for o in self.entries]

    @property
    def text(self) -> str:
        """Everything the dialog says, as plain text (summary, then one line per entry)."""
        return "\n".join([self.report.summary(), *self.report.entry_lines()])

    def compose(self) -> ComposeResult:
        classes = "dialog import-result" + (" -entries" if self.entries else "")
        with Vertical(classes=classes):
            yield Static(
                f"Import into {escape(self.registry)} finished",
                classes="dialog-title",
                markup=False,
            )
            # the grouped reasons can be long: they scroll (tab reaches them), the list stays
            with VerticalScroll(id="import-summary-scroll", can_focus=True):
                yield Static(
                    escape(self.report.summary(), multiline=True),
                    id="import-summary",
                    markup=False,
                )
            if self.entries:
                yield Static(
                    f"To look at: {plural(len(self.entries), 'entry')} "
                    "(enter on a draft goes to it)",
                    classes="import-heading",
                )
                yield OptionList(
                    *(self._option(i) for i in range(len(self.entries))), id="import-entries"
                )
            with Horizontal(classes="dialog-buttons"):
                if self.report.skipped and not self.replaced:
                    yield Button(
                        f"Replace the {plural(self.report.skipped, 'server')} already there",
                        id="import-replace",
                        variant="warning",
                    )
                yield Button("OK", id="import-ok", variant="primary")

    def _option(self, index: int) -> Option:
        entry = self.entries[index]
        style = "red" if entry.outcome == "rejected" else "yellow"
        prompt = Text()
        prompt.append(f"{OUTCOME_LABELS[entry.outcome]}  ", style=style)
        prompt.append(escape(self.labels[index]), style="bold")
        prompt.append(": ")
        prompt.append(escape("; ".join(entry.why())), style="dim")
        return Option(prompt, id=str(index))

    def on_mount(self) -> None:
        entries = self.query("#import-entries")
        (entries.first() if entries else self.query_one("#import-ok")).focus()

    @on(OptionList.OptionSelected, "#import-entries")
    def _go(self, event: OptionList.OptionSelected) -> None:
        entry = self.entries[int(event.option.id or 0)]
        if entry.outcome == "rejected":
            self.notify(
                f"{self.labels[int(event.option.id or 0)]} was rejected, so it is not stored: "
                "fix it in the file and import again.",
                severity="warning",
            )
            return
        self.dismiss(entry.name)

    @on(Button.Pressed, "#import-replace")
    def _replace(self) -> None:
        self.dismiss(REPLACE)

    @on(Button.Pressed, "#import-ok")
    def action_close(self) -> None:
        self.dismiss(None)
