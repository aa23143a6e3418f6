"""The app against a real team server (uvicorn on 127.0.0.1, port 0): the org and its sections
show the server's data, another member's change appears after the change poll, and a server
gone quiet is one line while an open form keeps its text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import Input, Static

from pylee_tui.app import UNREACHABLE, PyleeApp
from pylee_tui.dialogs.form import FormScreen
from pylee_tui.dialogs.unlock_vault import VaultUnlockScreen
from pylee_tui.screens.org import OrgScreen
from pylee_tui.sections.registries.tree import RegistryTree
from pylee_tui.sections.vault.pane import VaultPane
from pylee_tui.sections.vault.table import VaultTable
from pylee_tui.services import Scope, Services
from pylee_tui.team import sealing
from pylee_tui.team.api import create_app
from pylee_tui.team.remote import RemoteServices
from pylee_tui.widgets.org_bar import OrgBar
from pylee_tui.widgets.row_table import VirtualTable
from tests.support import ANN, BOB
from tests.team.conftest import TeamServer, serve_in_thread
from tests.ui.pilot import settle, type_text, wait_until
from tests.ui.test_clients_section import machine

__all__ = ["machine"]  # a fixture, used by name

SIZE = (120, 36)
PASSPHRASE = "ann's team passphrase"
FAKE = "sk-test-FAKE-team-0001"


@pytest.fixture
def server(services: Services, clock) -> Iterator[tuple[TeamServer, Iterator[str]]]:
    """A team server the test may stop (close the generator), with Ann its first admin."""
    code = services.tokens.init_server(ANN)
    keys = sealing.new_key_pair()
    issued = services.tokens.enrol(code, keys.public)
    running = serve_in_thread(create_app(services))
    url = next(running)
    team = TeamServer(url, services, clock, {ANN: issued.token})
    team.keys = keys  # type: ignore[attr-defined]
    yield team, running
    running.close()


@pytest.fixture
def team(server) -> TeamServer:
    return server[0]


def ann_remote(team: TeamServer) -> RemoteServices:
    """Ann's client, with her key protected by her passphrase (as `join` saves it)."""
    keys = team.keys  # type: ignore[attr-defined]
    return RemoteServices(
        team.url,
        team.tokens[ANN],
        protected_key=sealing.protect(keys.private, PASSPHRASE),
        public_key=keys.public,
    )


@pytest.fixture
def other(team: TeamServer) -> Iterator[RemoteServices]:
    """Ann's other machine: a second client of the same server."""
    remote = ann_remote(team)
    remote.orgs.create(ANN, "Acme", slug="acme")
    remote.registries.create(ANN, "acme", "Core Tools")
    yield remote
    remote.close()


def app_for(team: TeamServer) -> PyleeApp:
    # the poll is driven by the test (poll_changes), never by a timer
    return PyleeApp(remote=ann_remote(team), watch_interval=3600)


def registries_shown(app: PyleeApp) -> list[str]:
    tree = app.screen.query_one(RegistryTree)
    return [n.data.registry for n in tree.root.children if n.data.kind == "registry"]


def messages(app: PyleeApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def form_message(form: FormScreen) -> str:
    return " ".join(str(w.render()) for w in form.query(".field-error, #form-error"))


async def open_registries(pilot) -> None:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)


async def test_the_org_and_its_registries_come_from_the_server(team, other):
    app = app_for(team)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrgScreen)
        assert screen.view is not None and screen.view.org.slug == "acme"
        bar = screen.query_one(OrgBar)
        assert (bar.org_name, bar.user, bar.role) == ("Acme", ANN, "admin")
        await open_registries(pilot)
        assert registries_shown(app) == ["core-tools"]
        await pilot.press("5")  # the audit log, paged by the server
        await wait_until(
            pilot,
            lambda: "registry.create" in str(table_rows(app.screen.query_one("#audit-table"))),
            "the audit log shown",
        )
        assert not [m for m in messages(app) if "audit" in m.lower()]


async def test_another_members_change_appears_after_the_poll(team, other):
    other.members.invite(ANN, "acme", BOB)
    app = app_for(team)
    async with app.run_test(size=SIZE) as pilot:
        await open_registries(pilot)
        app.poll_changes()  # the first answer is where changes are counted from
        await settle(pilot)
        other.registries.create(ANN, "acme", "Data Sources")
        assert registries_shown(app) == ["core-tools"]
        app.poll_changes()
        await wait_until(
            pilot,
            lambda: registries_shown(app) == ["core-tools", "data-sources"],
            "the other client's registry shown",
        )


async def test_a_stopped_server_is_one_line_and_the_open_form_keeps_its_text(server, other):
    team, running = server
    app = app_for(team)
    async with app.run_test(size=SIZE) as pilot:
        await open_registries(pilot)
        await pilot.press("n")  # a new registry
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        await type_text(pilot, "Data Sources")
        running.close()  # the server stops
        app.poll_changes()
        await settle(pilot)
        assert app.server_status == UNREACHABLE
        assert app.org_screen.query_one(OrgBar).server == UNREACHABLE
        assert sum(UNREACHABLE in m for m in messages(app)) == 1
        # saving against the stopped server: refused in place, the text kept
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#field-name", Input).value == "Data Sources"
        assert "cannot reach the team server" in form_message(form)
        app.poll_changes()  # still down: said once, not once per poll
        await settle(pilot)
        assert sum(UNREACHABLE in m for m in messages(app)) == 1


async def test_the_server_back_clears_the_line(team, other, monkeypatch):
    app = app_for(team)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        remote = app.services.remote  # type: ignore[union-attr]
        real = remote.connection.request

        def down(*args, **kwargs):
            from pylee_tui.team.remote import Unreachable

            raise Unreachable(f"cannot reach the team server at {team.url}: connection refused")

        monkeypatch.setattr(remote.connection, "request", down)
        app.poll_changes()
        await settle(pilot)
        assert app.server_status == UNREACHABLE
        await open_registries(pilot)  # its list cannot load meanwhile
        assert registries_shown(app) == []
        # an empty tree must not read as "no registries": the section says why, above it
        banner = app.org_screen.query_one("#server-trouble", Static)
        assert banner.display and str(banner.render()).startswith(UNREACHABLE)
        assert "may be out of date or missing" in str(banner.render())
        monkeypatch.setattr(remote.connection, "request", real)
        app.poll_changes()
        await settle(pilot)
        assert app.server_status == ""
        assert app.org_screen.query_one(OrgBar).server == ""
        assert messages(app)[-1] == "The team server answers again."
        assert not banner.display
        # nothing changed on the server, yet what failed to load is loaded now
        await wait_until(
            pilot, lambda: registries_shown(app) == ["core-tools"], "the registries loaded"
        )


async def test_a_secret_opens_with_the_members_passphrase(team, other):
    other.variables.set_key(ANN, Scope("acme"), "API_KEY", FAKE, kind="secret")
    app = app_for(team)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        pane = app.screen.query_one(VaultPane)
        pane.reveal_seconds = 3600
        table = pane.query_one("#vault-table", VaultTable)
        assert FAKE not in str(table_rows(table))
        table.move_cursor(row=table.get_row_index("API_KEY"))
        await pilot.press("v")
        await wait_until(
            pilot, lambda: isinstance(app.screen, VaultUnlockScreen), "the passphrase asked"
        )
        assert "pylee-tui join" in str(app.screen.query_one(".dialog-message").render())
        field = app.screen.query_one("#vault-passphrase", Input)
        assert field.has_focus
        field.value = PASSPHRASE  # the member's team passphrase: given, not typed
        await pilot.press("enter")
        await wait_until(pilot, lambda: FAKE in str(table_rows(table)), "the secret revealed")
        assert app.services is not None and app.services.vault.unlocked


def table_rows(table: VaultTable | VirtualTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_what_a_role_change_left_to_do_to_the_secrets_key_is_said(team, other):
    other.variables.set_key(ANN, Scope("acme"), "API_KEY", FAKE, kind="secret")  # the org's key
    other.members.invite(ANN, "acme", BOB)
    with RemoteServices(team.url, team.enrol(BOB)) as bob:
        bob.members.accept(BOB, "acme")
    app = app_for(team)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        services = app.services
        assert services is not None
        # Bob made an admin, with Ann's team key locked: sharing the org's key is left to do
        app.call(services.members.change_role, ANN, "acme", BOB, "admin")
        await wait_until(
            pilot,
            lambda: any("vault share --org acme" in m for m in messages(app)),
            "the secrets key's note",
        )


async def test_the_clients_section_imports_a_file_into_the_servers_registry(team, other, machine):
    """Section 6 against a team server: the import's secrets are sealed on this machine (no
    passphrase asked: sealing needs only the org's public key), the servers land on the server."""
    from pylee_tui.dialogs.client_import import ClientImportScreen
    from pylee_tui.sections.clients.pane import NodeRef
    from tests.team.shell import on_disk
    from tests.ui.test_clients_section import INLINE_TOKEN, open_clients, select

    home, _project = machine
    claude = home / ".config" / "Claude" / "claude_desktop_config.json"
    app = app_for(team)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_clients(pilot)
        await select(pilot, pane, NodeRef("file", "claude", claude))
        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ClientImportScreen)
        dialog.query_one("#import-registry").value = "core-tools"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: bool(other.registries.list_servers(ANN, Scope("acme", "core-tools"))),
            "the servers on the team server",
        )
        assert not isinstance(app.screen, VaultUnlockScreen)
    servers = other.registries.list_servers(ANN, Scope("acme", "core-tools"))
    github = next(s.name for s in servers if "github" in s.name)
    other.vault.unlock(PASSPHRASE)
    where = Scope("acme", "core-tools", github)
    assert other.variables.reveal(ANN, where, "GITHUB_PERSONAL_ACCESS_TOKEN") == INLINE_TOKEN
    assert INLINE_TOKEN.encode() not in on_disk(team)
