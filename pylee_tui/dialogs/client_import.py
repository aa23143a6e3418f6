"""Import a client file's servers: choose the registry of this org they go into, which entries,
and which of their environment values or headers to treat as secrets besides those whose names
say so (TOKEN, KEY, SECRET, …). The import itself is the clients service's."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Select, SelectionList, Static

from pylee_tui.safe_text import escape


@dataclass(frozen=True)
class ImportChoice:
    registry: str
    entries: tuple[str, ...]  # empty: every entry
    secret_names: tuple[str, ...] = ()


def split_names(text: str) -> tuple[str, ...]:
    """`A, B C` → ("A", "B", "C"): the names typed, in order, once each."""
    names = [n.strip() for n in text.replace(",", " ").split()]
    return tuple(dict.fromkeys(n for n in names if n))


class ClientImportScreen(ModalScreen[ImportChoice | None]):
    """Dismisses with the choices made (ctrl+s), or None (escape)."""

    HELP_TITLE = "import from a client"
    DEFAULT_CSS = """
    ClientImportScreen { align: center middle; }
    ClientImportScreen > Vertical {
        width: 90%; max-width: 90; height: auto; max-height: 95%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    ClientImportScreen SelectionList { height: auto; max-height: 8; }
    ClientImportScreen Select { width: 1fr; }
    ClientImportScreen .import-label { margin-top: 1; }
    ClientImportScreen #import-message { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="client_import.cancel"),
        Binding("ctrl+s", "submit", "Import", id="client_import.submit", priority=True),
    ]

    def __init__(
        self,
        client: str,
        path: str,
        registries: list[tuple[str, str]],
        entries: list[str],
    ) -> None:
        """`registries`: (slug, name) of this org; `entries`: the file's entry names."""
        super().__init__()
        self.client = client
        self.path = path
        self.registries = registries
        self.entries = entries

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text.assemble(
                    ("Import from ", "bold"),
                    (escape(self.client), "bold"),
                    ("\n" + escape(self.path), "dim"),
                ),
                classes="dialog-title",
            )
            yield Static("Into registry", classes="import-label")
            yield Select(
                [(escape(f"{name}  ({slug})"), slug) for slug, name in self.registries],
                value=self.registries[0][0],
                allow_blank=False,
                compact=True,
                id="import-registry",
            )
            yield Static("Entries (space toggles)", classes="import-label")
            yield SelectionList[str](
                *[(escape(name), name, True) for name in self.entries], id="import-entries"
            )
            yield Static("Also secret (names, comma separated)", classes="import-label")
            yield Input(placeholder="e.g. API_BASE, X_CUSTOM", id="import-secrets", compact=True)
            yield Static("", id="import-message")
            yield Static(
                "Values named TOKEN, KEY, SECRET, PASSWORD, AUTH go to the vault · "
                "ctrl+s import · esc cancel",
                classes="dialog-hint",
            )

    def choice(self) -> ImportChoice | None:
        registry = self.query_one("#import-registry", Select).value
        chosen = tuple(self.query_one("#import-entries", SelectionList).selected)
        if not isinstance(registry, str) or not chosen:
            return None
        every = len(chosen) == len(self.entries)
        secrets = split_names(self.query_one("#import-secrets", Input).value)
        return ImportChoice(registry, () if every else chosen, secrets)

    def action_submit(self) -> None:
        choice = self.choice()
        if choice is None:
            self.query_one("#import-message", Static).update("Choose at least one entry.")
            return
        self.dismiss(choice)

    def on_input_submitted(self) -> None:
        self.action_submit()

    def action_cancel(self) -> None:
        self.dismiss(None)
