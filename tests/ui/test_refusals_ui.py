"""In the app, an action the user may not take is refused before it asks anything: deleting a
registry that holds secrets with only registries:write, and changing the vault passphrase as an
admin of one org among several that hold secrets."""

from __future__ import annotations

import pytest

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.change_passphrase import ChangePassphraseScreen
from pylee_tui.dialogs.choice import ChoiceScreen
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from tests.support import server_doc
from tests.ui.pilot import settle

ANN = "ann@example.com"
CARL = "carl@example.com"
PASSPHRASE = "correct horse battery"
SIZE = (120, 36)


@pytest.fixture
def world(db_path):
    """Acme holds a secret on its registry; carl may write registries but not secrets."""
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Core Tools")
    services.registries.add_server(
        ANN, Scope("acme", "core-tools"), server_doc("io.github.acme/weather")
    )
    services.vault.initialize(ANN, PASSPHRASE)
    services.variables.set_key(
        ANN, Scope("acme", "core-tools"), "API_TOKEN", "sk-FAKE", kind="secret"
    )
    services.vault.lock()
    services.members.invite(ANN, "acme", CARL)
    services.members.accept(CARL, "acme")
    services.members.grant(ANN, "acme", CARL, "registries:write")
    yield services
    store.close()


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_deleting_a_registry_holding_secrets_is_refused_before_the_question(db_path, world):
    app = PyleeApp(db_path=db_path, user=CARL, watch_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        tree = app.screen.query_one(RegistryTree)
        tree.select_data(NodeData("registry", "core-tools"))
        tree.focus()
        await pilot.press("d")
        await settle(pilot)
        assert not isinstance(app.screen, ChoiceScreen)
        assert any("secrets:write" in m for m in messages(app)), messages(app)
    assert [r.slug for r in world.registries.list_registries(ANN, "acme")] == ["core-tools"]


async def test_an_admin_of_another_org_cannot_start_a_passphrase_change(db_path, world):
    world.orgs.create(CARL, "Mine")  # carl is admin here, but not of acme, which holds secrets
    app = PyleeApp(db_path=db_path, user=CARL, watch_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_vault_passwd()
        await settle(pilot)
        assert not isinstance(app.screen, ChangePassphraseScreen)
        assert any("vault passphrase" in m for m in messages(app)), messages(app)
