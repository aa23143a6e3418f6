"""The Clients section's `i` import by a member who may write but not approve, into a registry
that requires approval: the one-line refusal is shown at once (no passphrase asked, no change
request announced that was never kept), and nothing is written."""

from __future__ import annotations

from pathlib import Path

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.client_import import ClientImportScreen
from pylee_tui.sections.clients.pane import NodeRef
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from tests.support import ANN, BOB, table_rows, with_services
from tests.ui.pilot import settle, wait_until
from tests.ui.test_clients_section import machine, open_clients, select, world

__all__ = ["machine", "world"]  # the fixtures, shared with the section's own tests


def gate(db: Path) -> None:
    def run(s: Services) -> None:
        s.members.invite(ANN, "acme", BOB)
        s.members.accept(BOB, "acme")
        s.members.grant(ANN, "acme", BOB, "registries:write")
        s.approvals.set_required(ANN, Scope("acme", "imported"), True)

    with_services(db, run)


def rows(db: Path) -> dict[str, list[tuple]]:
    store = Store(db)
    try:
        return table_rows(store)
    finally:
        store.close()


async def test_a_writers_import_is_refused_in_one_line(world: Path, machine) -> None:
    home, _project = machine
    gate(world)
    claude = home / ".config" / "Claude" / "claude_desktop_config.json"
    before, text = rows(world), claude.read_bytes()
    app = PyleeApp(db_path=world, user=BOB, watch_interval=3600)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_clients(pilot)
        await select(pilot, pane, NodeRef("file", "claude", claude))
        await pilot.press("i")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ClientImportScreen)
        dialog.query_one("#import-registry").value = "imported"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        await wait_until(
            pilot,
            lambda: any(n.title == "Refused" for n in pilot.app._notifications),
            "the refusal shown",
        )
        said = [n.message for n in pilot.app._notifications]
        assert any(
            m.startswith("registry acme/imported requires approval: ")
            and m.endswith("nothing was imported")
            for m in said
        ), said
        assert not any("Change request" in m for m in said)
        assert pilot.app.screen is pane.screen  # no passphrase asked for
    assert rows(world) == before
    assert claude.read_bytes() == text
