"""Stored text never drives the terminal from the app: a hostile value in every free-text field,
then every section and every screen that shows stored text is scanned, segment by segment, for a
raw control, C1 or bidi character. And the last line of defence: a widget that forgets to escape
still cannot send one to the terminal."""

from __future__ import annotations

import re

import pytest
from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import Static

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.export_preview import ExportScreen
from pylee_tui.screens.server_detail import ServerScreen
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.sections.vault.pane import VaultPane
from pylee_tui.sections.vault.table import VaultTable
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from pylee_tui.terminal_guard import install_terminal_guard
from tests.support import server_doc
from tests.ui.pilot import settle

ANN = "ann@example.com"
SIZE = (120, 40)
HOSTILE = "ok\x1b[31mred\x1b]0;PWNED\x07\x1b]52;c;ZXZpbA==\x07\x9b2J\x7f\u202eevil\u2028x\rz"
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
PASSPHRASE = "correct horse battery"
GOOD = "io.github.acme/weather"
DRAFT = f"io.github.acme/draft{HOSTILE}"


@pytest.fixture
def hostile(db_path):
    """An org whose every free-text field holds HOSTILE: description, overview, a registry's
    description and overview, a server's description and declared variables, a draft's name,
    variable and secret values (and so the audit log's labels)."""
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Hostile", description=HOSTILE)
    overview = f"# Title {HOSTILE}\n\n{HOSTILE}\n\n`{HOSTILE}`\n\n| a |\n|---|\n| {HOSTILE} |\n"
    services.orgs.edit(ANN, "hostile", overview=overview)
    services.registries.create(ANN, "hostile", "Tools", description=HOSTILE)
    services.registries.edit(ANN, Scope("hostile", "tools"), overview=overview)
    good = server_doc(GOOD, "1.0.0", HOSTILE)
    good["packages"][0]["environmentVariables"] = [
        {"name": "API_TOKEN", "description": HOSTILE, "isRequired": True, "isSecret": True},
        {"name": "REGION", "description": HOSTILE, "default": HOSTILE},
    ]
    good["packages"][0]["packageArguments"] = [{"type": "positional", "value": HOSTILE}]
    gone = f"io.github.acme/gone{HOSTILE}"
    report = services.registries.import_servers(
        ANN,
        Scope("hostile", "tools"),
        [good, server_doc(DRAFT, "2.0.0", HOSTILE), server_doc(gone, "1.0.0", HOSTILE)],
    )
    assert report.imported == 1 and report.drafts == 2
    services.registries.remove_server(
        ANN, Scope("hostile", "tools", gone)
    )  # its name in the audit log
    services.variables.set_key(ANN, Scope("hostile"), "GREETING", HOSTILE)
    services.variables.set_key(ANN, Scope("hostile", "tools"), "REGION", HOSTILE)
    services.variables.set_key(ANN, Scope("hostile"), "GREETING", HOSTILE + "2")  # a history
    services.vault.initialize(ANN, PASSPHRASE)
    services.variables.set_key(
        ANN, Scope("hostile", "tools", GOOD), "API_TOKEN", HOSTILE, kind="secret"
    )
    services.vault.lock()
    yield services
    store.close()


def raw_characters(app: App) -> list[str]:
    """Each line of every screen on the stack, as the compositor hands it to the terminal,
    that holds a raw unsafe character."""
    found = []
    for screen in app.screen_stack:
        update = screen._compositor.render_full_update()
        for line in update.strips:
            text = "".join(segment.text for strip in line for segment in strip)
            if RAW.search(text):
                found.append(text.strip())
    return found


class Scan:
    def __init__(self, pilot) -> None:
        self.pilot = pilot
        self.app = pilot.app
        self.leaks: dict[str, list[str]] = {}
        self.places: list[str] = []

    def __call__(self, place: str) -> None:
        self.places.append(place)
        found = raw_characters(self.app)
        if found:
            self.leaks[place] = found

    async def after(self, place: str, *keys: str) -> None:
        """Press `keys` (each let settle), then scan what the screen shows."""
        for key in keys:
            await self.pilot.press(key)
            await settle(self.pilot)
        self(place)


async def test_every_section_shows_stored_control_characters_escaped(db_path, hostile) -> None:
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        scan = Scan(pilot)
        await settle(pilot)
        scan("overview")
        description = str(app.screen.query_one("#org-description", Static).render())

        await pilot.press("2")
        await settle(pilot)
        tree = app.screen.query_one(RegistryTree)
        tree.select_data(NodeData("registry", "tools"))
        await pilot.press("right")
        await settle(pilot)
        scan("registries: a registry")
        for name in (DRAFT, GOOD):
            tree.select_data(NodeData("server", "tools", name))
            await settle(pilot)
            scan(f"registries: the server {name[:20]}")
        for name in (GOOD, DRAFT):
            app.push_screen(ServerScreen("hostile", "tools", name, "admin"))
            await scan.after(f"server detail {name[:20]}")
            await scan.after(f"raw server.json {name[:20]}", "j")  # the raw editor
            await scan.after("closed", "escape", "escape")
        app.push_screen(ExportScreen("hostile", "tools", "vscode"))
        await settle(pilot)
        scan("export preview")
        await pilot.press("escape")
        await settle(pilot)
        tree.select_data(NodeData("registry", "tools"))
        tree.focus()
        await scan.after("registry overview editor", "e")
        await scan.after("members", "escape", "3")
        await scan.after("vault: org, defined here", "4")
        pane = app.screen.query_one(VaultPane)
        for scope in (Scope("hostile", "tools"), Scope("hostile", "tools", GOOD)):
            pane.show_scope(scope)
            await settle(pilot)
            scan(f"vault: {scope}")
            pane.action_toggle_mode()
            await settle(pilot)
            scan(f"vault: {scope}, effective")
            pane.action_toggle_mode()
        pane.show_scope(Scope("hostile"))
        await settle(pilot)
        table = pane.query_one(VaultTable)
        table.focus()
        table.move_cursor(row=0)
        await scan.after("vault: history", "h")
        await scan.after("audit", "escape", "5")
        await scan.after("org overview editor", "1", "e")
        assert len(scan.places) >= 15
    assert scan.leaks == {}
    assert "\\x1b[31m" in description and "⟨U+202E⟩" in description  # shown, not dropped


def test_the_guard_escapes_what_a_widget_forgot() -> None:
    """A strip holding raw escapes reaches the terminal with them replaced, one cell each."""
    install_terminal_guard()
    from rich.console import Console

    strip = Strip([Segment("a\x1b]52;c;ZXZpbA==\x07b\x9b\u202ec")])
    rendered = strip.render(Console())
    assert not RAW.search(rendered)
    assert rendered.startswith("a") and "]52;c;" in rendered


async def test_a_widget_that_forgets_to_escape_cannot_reach_the_terminal() -> None:
    class Careless(App[None]):
        def compose(self) -> ComposeResult:
            yield Static(HOSTILE, markup=False)

    app = Careless()
    install_terminal_guard()
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        assert raw_characters(app)  # the widget did forget
        written = app.screen._compositor.render_full_update().render_segments(app.console)
    # the terminal output less Textual's own sequences (cursor moves, colours) holds no escape
    assert not RAW.search(re.sub(r"\x1b\[[0-9;]*[mH]", "", written))
    assert "ok\ufffd[31mred" in written
