"""The registry form saves its fields and the approval setting as one change: when the setting
is refused (the admin was made a writer while the form was open), the rename is not kept
either, and the form says why. At 80x24."""

from __future__ import annotations

import pytest
from textual.widgets import Select

from pylee_tui.app import PyleeApp
from pylee_tui.services import Services
from pylee_tui.store import Store
from tests.ui.pilot import settle, wait_until
from tests.ui.test_registry_approval_form import ANN, CORE, SIZE, open_form, required

CARL = "carl@example.com"


@pytest.fixture
def acme(db_path):
    """Acme with Core Tools (no approval); carl a second admin."""
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Core Tools")
    services.members.invite(ANN, "acme", CARL)
    services.members.accept(CARL, "acme")
    services.members.change_role(ANN, "acme", CARL, "admin")
    yield services
    store.close()


async def test_a_refused_approval_setting_keeps_the_rename_out_too(db_path, acme):
    async with PyleeApp(db_path=db_path, user=ANN, watch_interval=3600).run_test(
        size=SIZE
    ) as pilot:
        form = await open_form(pilot)
        form.query_one("#field-name").value = "Renamed"  # type: ignore[attr-defined]
        form.query_one("#field-approval", Select).value = "yes"
        await settle(pilot)
        # meanwhile carl makes ann a member who may write registries, not manage the org
        acme.members.change_role(CARL, "acme", ANN, "member")
        acme.members.grant(CARL, "acme", ANN, "registries:write")
        await pilot.click("#form-submit")
        error = form.query_one("#form-error")
        await wait_until(pilot, lambda: error.display, "the refusal on the form")
        assert "change whether a registry requires approval" in str(error.render())
        assert pilot.app.screen is form
    assert not required(db_path, CORE)
    assert acme.registries.get_registry(CARL, CORE).name == "Core Tools"
