"""Pilot flows of the Clients section (6): the files a scan finds with their entries, drift shown
and resolved (sync, adopt), an import whose secrets end in the vault, stored text escaped, the
empty state, and snapshots at 80x24 and 120x36. The machine is a tmp_path: HOME, the XDG and
Windows config dirs and the current directory point into it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.choice import ChoiceScreen
from pylee_tui.dialogs.client_import import ClientImportScreen
from pylee_tui.dialogs.unlock_vault import VaultUnlockScreen
from pylee_tui.sections.clients.pane import ClientsPane, NodeRef
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from tests.support import ANN, server_doc, with_services
from tests.ui.pilot import settle, type_text, wait_until

DATA = Path(__file__).parent.parent / "data" / "clients" / "section"
PASSPHRASE = "correct horse battery"
INLINE_TOKEN = "ghp_FAKEsection0123456789abcdef"  # in the Claude Desktop file of tests/data
HAND_SECRET = "sk-FAKE-typed-by-hand-4242"
WEATHER = "io.github.acme/weather"


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(home, project): a copy of tests/data/clients/section, the scan's whole world."""
    home, project = tmp_path / "home", tmp_path / "project"
    shutil.copytree(DATA / "home", home)
    shutil.copytree(DATA / "project", project)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("APPDATA", str(home / "AppData" / "Roaming"))
    monkeypatch.chdir(project)
    return home, project


@pytest.fixture
def world(db_path: Path) -> Path:
    """Org acme with registry tools (the weather server) and a second, empty registry."""
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Tools")
    services.registries.create(ANN, "acme", "Imported")
    services.registries.add_server(ANN, Scope("acme", "tools"), server_doc(WEATHER))
    services.vault.initialize(ANN, PASSPHRASE)
    store.close()
    return db_path


def export_weather(db: Path, home: Path) -> Path:
    """The tools registry exported to Cursor's user file (beside its foreign entry)."""
    path = home / ".cursor" / "mcp.json"

    def run(s: Services) -> None:
        s.export.install_with_names(ANN, Scope("acme", "tools"), "cursor", path)

    with_services(db, run)
    return path


def edit_by_hand(path: Path) -> None:
    """A person changes the exported entry: another package version, a token typed in."""
    doc = json.loads(path.read_text("utf-8"))
    entry = doc["mcpServers"]["weather"]
    entry["args"] = [a.replace("1.0.0", "9.9.9") for a in entry["args"]]
    entry.setdefault("env", {})["API_TOKEN"] = HAND_SECRET
    path.write_text(json.dumps(doc, indent=2), "utf-8")


def make_app(db: Path) -> PyleeApp:
    return PyleeApp(db_path=db, user=ANN, watch_interval=3600)


async def open_clients(pilot) -> ClientsPane:
    await settle(pilot)
    await pilot.press("6")
    await settle(pilot)
    pane = pilot.app.screen.query_one(ClientsPane)
    await wait_until(pilot, lambda: pane.data is not None, "the scan shown")
    await settle(pilot)
    return pane


def tree_text(pane: ClientsPane) -> str:
    lines = []
    for node in _nodes(pane.client_tree.root):
        lines.append(str(node.label))
    return "\n".join(lines)


def _nodes(node):
    for child in node.children:
        yield child
        yield from _nodes(child)


async def select(pilot, pane: ClientsPane, ref: NodeRef) -> None:
    node = next(n for n in _nodes(pane.client_tree.root) if n.data == ref)
    pane.client_tree.move_cursor(node)
    await settle(pilot)


def detail(pane: ClientsPane) -> str:
    return str(pane.query_one("#clients-detail-text", Static).render())


def cursor_entry(home: Path, name: str) -> NodeRef:
    return NodeRef("entry", "cursor", home / ".cursor" / "mcp.json", name)


async def test_files_are_listed_with_their_entries(world: Path, machine) -> None:
    home, project = machine
    async with make_app(world).run_test(size=(120, 36)) as pilot:
        pane = await open_clients(pilot)
        shown = tree_text(pane)
    assert "Claude Desktop" in shown and "Cursor" in shown and "VS Code" in shown
    assert "~/.config/Claude/claude_desktop_config.json" in shown
    for entry in ("github", "fetch", "filesystem", "docs"):
        assert entry in shown
    assert "[foreign]" in shown  # nothing of these was exported by pylee-tui
    assert "not found" in shown  # VS Code's user file is not on this machine
    assert INLINE_TOKEN not in shown


async def test_a_hand_edit_shows_as_changed_with_its_diff_masked(world: Path, machine) -> None:
    home, _project = machine
    path = export_weather(world, home)
    edit_by_hand(path)
    async with make_app(world).run_test(size=(120, 36)) as pilot:
        pane = await open_clients(pilot)
        await select(pilot, pane, cursor_entry(home, "weather"))
        text = detail(pane)
        assert "[changed by hand]" in tree_text(pane)
    assert "changed by hand" in text and "acme/tools" in text
    assert "9.9.9" in text and "1.0.0" in text  # the diff: as written → the file now
    assert HAND_SECRET not in text
    assert "API_TOKEN" in text


async def test_sync_puts_the_export_back_after_asking(world: Path, machine) -> None:
    home, _project = machine
    path = export_weather(world, home)
    written = json.loads(path.read_text("utf-8"))["mcpServers"]["weather"]
    edit_by_hand(path)
    async with make_app(world).run_test(size=(120, 36)) as pilot:
        pane = await open_clients(pilot)
        await select(pilot, pane, cursor_entry(home, "weather"))
        await pilot.press("s")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ChoiceScreen)
        said = str(dialog.message)
        assert "weather" in said and "mcp.json.bak" in said and "acme/tools" in said
        assert json.loads(path.read_text("utf-8"))["mcpServers"]["weather"] != written
        await pilot.click("#choice-yes")
        await settle(pilot)
        await wait_until(pilot, lambda: "[in sync]" in tree_text(pane), "the entry in sync")
    doc = json.loads(path.read_text("utf-8"))
    assert doc["mcpServers"]["weather"] == written
    assert "filesystem" in doc["mcpServers"]  # the foreign entry stays
    assert HAND_SECRET in path.with_name("mcp.json.bak").read_text("utf-8")


async def test_sync_refuses_when_the_file_changed_since_it_was_shown(world: Path, machine) -> None:
    home, _project = machine
    path = export_weather(world, home)
    edit_by_hand(path)
    async with make_app(world).run_test(size=(120, 36)) as pilot:
        pane = await open_clients(pilot)
        await select(pilot, pane, cursor_entry(home, "weather"))
        # the file changes again behind the screen's back
        doc = json.loads(path.read_text("utf-8"))
        doc["mcpServers"]["weather"]["args"].append("--more")
        path.write_text(json.dumps(doc), "utf-8")
        before = path.read_text("utf-8")
        await pilot.press("s")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ChoiceScreen)
        await wait_until(pilot, lambda: "--more" in detail(pane), "the new change shown")
    assert path.read_text("utf-8") == before


async def test_adopt_takes_the_hand_edit_into_the_server(world: Path, machine) -> None:
    home, _project = machine
    path = export_weather(world, home)
    doc = json.loads(path.read_text("utf-8"))
    entry = doc["mcpServers"]["weather"]
    entry["args"] = [a.replace("1.0.0", "1.1.0") for a in entry["args"]]
    path.write_text(json.dumps(doc, indent=2), "utf-8")
    async with make_app(world).run_test(size=(120, 36)) as pilot:
        pane = await open_clients(pilot)
        await select(pilot, pane, cursor_entry(home, "weather"))
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ChoiceScreen)
        await pilot.click("#choice-yes")
        await settle(pilot)
        await wait_until(pilot, lambda: "[in sync]" in tree_text(pane), "adopted, in sync")
    store = Store(world)
    try:
        server = Services(store).registries.get_server(ANN, Scope("acme", "tools", WEATHER))
        assert "1.1.0" in json.dumps(server.document)
    finally:
        store.close()


async def test_import_puts_the_inline_token_in_the_vault(world: Path, machine) -> None:
    home, _project = machine
    claude = home / ".config" / "Claude" / "claude_desktop_config.json"
    # and a command that is no package: a draft, which a rewrite cannot take the value out of
    doc = json.loads(claude.read_text("utf-8"))
    doc["mcpServers"]["notes"] = {"command": "/opt/notes/serve", "env": {"NOTES_TOKEN": "t-FAKE"}}
    claude.write_text(json.dumps(doc, indent=2), "utf-8")
    async with make_app(world).run_test(size=(120, 36)) as pilot:
        pane = await open_clients(pilot)
        await select(pilot, pane, NodeRef("file", "claude", claude))
        await pilot.press("i")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ClientImportScreen)
        dialog.query_one("#import-registry").value = "imported"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, VaultUnlockScreen)  # secrets need the vault
        field = pilot.app.screen.query_one("#vault-passphrase", Input)
        field.value = PASSPHRASE  # the unlock is not under test here: given, not typed
        field.focus()
        await pilot.press("enter")
        await settle(pilot)
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen), "the rewrite offered"
        )
        offer = str(pilot.app.screen.message)  # type: ignore[attr-defined]
        assert "claude_desktop_config.json.bak" in offer
        await pilot.click("#choice-launcher")
        await settle(pilot)
        await wait_until(
            pilot,
            lambda: any(
                n.title == "Still in the file"
                and "notes (a draft) still holds NOTES_TOKEN" in n.message
                for n in pilot.app._notifications
            ),
            "the draft's value left in the file is said",
        )
    store = Store(world)
    try:
        services = Services(store)
        services.vault.unlock(PASSPHRASE)
        servers = services.registries.list_servers(ANN, Scope("acme", "imported"))
        github = next(s for s in servers if "github" in s.name)
        where = Scope("acme", "imported", github.name)
        key = "GITHUB_PERSONAL_ACCESS_TOKEN"
        found = {v.key: v for v in services.variables.list_keys(ANN, where)}
        assert found[key].kind == "secret"
    finally:
        store.close()
    assert INLINE_TOKEN.encode() not in world.read_bytes()
    # the file rewritten to the launcher form: the token left it, the old file kept beside it
    assert INLINE_TOKEN not in claude.read_text("utf-8")
    assert "run" in json.loads(claude.read_text("utf-8"))["mcpServers"]["github"]["args"]
    assert INLINE_TOKEN in claude.with_name(claude.name + ".bak").read_text("utf-8")


async def test_export_opens_the_export_dialog_on_the_file_chosen(world: Path, machine) -> None:
    from textual.widgets import Select

    from pylee_tui.dialogs.export_preview import ExportScreen
    from pylee_tui.dialogs.pick import PickScreen

    home, project = machine
    cursor_project = project / ".cursor" / "mcp.json"  # not there yet
    async with make_app(world).run_test(size=(120, 36)) as pilot:
        pane = await open_clients(pilot)
        await select(pilot, pane, NodeRef("file", "cursor", cursor_project))
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PickScreen)  # two registries: which one
        await type_text(pilot, "tools")
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ExportScreen)
        assert screen.client == "cursor"
        assert screen.query_one("#export-scope", Select).value == "project"
        assert screen.query_one("#export-path", Input).value == str(cursor_project)


async def test_a_key_that_does_not_apply_says_why(world: Path, machine) -> None:
    home, _project = machine
    async with make_app(world).run_test(size=(120, 36)) as pilot:
        pane = await open_clients(pilot)
        await select(pilot, pane, cursor_entry(home, "filesystem"))
        await pilot.press("s")
        await pilot.press("a")
        await settle(pilot)
        assert pilot.app.screen is pane.screen  # neither a sync nor the org settings
        said = [n.message for n in pilot.app._notifications]
    assert any("no pylee-tui export wrote this entry" in m for m in said)
    assert any("Only an entry changed by hand" in m for m in said)


async def test_an_entry_name_with_control_characters_is_shown_escaped(world: Path, machine) -> None:
    home, _project = machine
    evil = "evil\x1b]0;pwned\x07\u202egnp.exe"
    path = home / ".cursor" / "mcp.json"
    path.write_text(json.dumps({"mcpServers": {evil: {"command": "npx\x1b[2J"}}}), "utf-8")
    async with make_app(world).run_test(size=(120, 36)) as pilot:
        pane = await open_clients(pilot)
        await select(pilot, pane, cursor_entry(home, evil))
        shown = tree_text(pane) + detail(pane)
    assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
    assert "evil\\x1b]0;pwned\\x07⟨U+202E⟩gnp.exe" in shown
    assert "npx\\x1b[2J" in shown


async def test_no_client_config_says_so(world: Path, tmp_path: Path, monkeypatch) -> None:
    empty = tmp_path / "nobody"
    (empty / "project").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(empty))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(empty / ".config"))
    monkeypatch.setenv("APPDATA", str(empty / "AppData"))
    monkeypatch.chdir(empty / "project")
    async with make_app(world).run_test(size=(80, 24)) as pilot:
        pane = await open_clients(pilot)
        assert pane.has_class("-empty")
        message = str(pane.query_one("#clients-empty", Static).render())
    assert "No MCP client config found on this machine" in message


# --- snapshots ------------------------------------------------------------------------------


def test_clients_with_a_hand_edit_at_80x24(snap_compare, world: Path, machine) -> None:
    home, _project = machine
    edit_by_hand(export_weather(world, home))

    async def run_before(pilot) -> None:
        pane = await open_clients(pilot)
        await select(pilot, pane, cursor_entry(home, "weather"))

    assert snap_compare(make_app(world), run_before=run_before, terminal_size=(80, 24))


def test_clients_file_detail_at_120x36(snap_compare, world: Path, machine) -> None:
    home, _project = machine
    edit_by_hand(export_weather(world, home))

    async def run_before(pilot) -> None:
        pane = await open_clients(pilot)
        await select(pilot, pane, NodeRef("file", "cursor", home / ".cursor" / "mcp.json"))

    assert snap_compare(make_app(world), run_before=run_before, terminal_size=(120, 36))
