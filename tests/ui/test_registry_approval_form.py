"""The registry form's "Changes need approval" choice: an admin sees the registry's setting and
changes it with the rest of the form; a member who may write sees no such field. At 80x24."""

from __future__ import annotations

import pytest
from textual.widgets import Select

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.form import FormScreen
from pylee_tui.sections.registries.tree import NodeData, RegistryTree
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from tests.ui.pilot import settle, wait_until

ANN = "ann@example.com"
BOB = "bob@example.com"
SIZE = (80, 24)
CORE = Scope("acme", "core-tools")


@pytest.fixture
def acme(db_path):
    """Acme with Core Tools (no approval yet); bob a member who may write registries."""
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Core Tools")
    services.members.invite(ANN, "acme", BOB)
    services.members.accept(BOB, "acme")
    services.members.grant(ANN, "acme", BOB, "registries:write")
    yield services
    store.close()


def required(db_path, scope: Scope) -> bool:
    store = Store(db_path)
    try:
        return Services(store).approvals.requires_approval(ANN, scope)
    finally:
        store.close()


async def open_form(pilot, slug: str = "core-tools") -> FormScreen:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    tree = pilot.app.screen.query_one(RegistryTree)
    tree.select_data(NodeData("registry", slug))
    await settle(pilot)
    await pilot.press("r")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, FormScreen), "the form")
    await settle(pilot)
    return pilot.app.screen


async def save(pilot, form: FormScreen) -> None:
    await pilot.click("#form-submit")
    await wait_until(pilot, lambda: pilot.app.screen is not form, "the form saved")
    await settle(pilot)


async def test_an_admin_turns_approval_on_and_off_from_the_registry_form(db_path, acme):
    async with PyleeApp(db_path=db_path, user=ANN, watch_interval=3600).run_test(
        size=SIZE
    ) as pilot:
        form = await open_form(pilot)
        choice = form.query_one("#field-approval", Select)
        assert choice.value == "no"
        assert choice.region.height == 3  # on screen as the form opens, at 80x24
        choice.value = "yes"
        await settle(pilot)
        await save(pilot, form)
        assert required(db_path, CORE)
        assert any("Changes now need approval" in str(n.message) for n in pilot.app._notifications)

        # opened again, the form reads the setting now stored; renaming and turning it off in
        # one save act on the registry under its new slug
        form = await open_form(pilot)
        choice = form.query_one("#field-approval", Select)
        assert choice.value == "yes"
        form.query_one("#field-slug").value = "tools"  # type: ignore[attr-defined]
        choice.value = "no"
        await settle(pilot)
        await save(pilot, form)
        assert not required(db_path, Scope("acme", "tools"))


async def test_saving_without_touching_it_leaves_the_setting_and_the_audit_alone(db_path, acme):
    acme.approvals.set_required(ANN, CORE, True)
    async with PyleeApp(db_path=db_path, user=ANN, watch_interval=3600).run_test(
        size=SIZE
    ) as pilot:
        form = await open_form(pilot)
        assert form.query_one("#field-approval", Select).value == "yes"
        form.query_one("#field-name").value = "Core"  # type: ignore[attr-defined]
        await save(pilot, form)
    assert required(db_path, CORE)
    actions = [e.action for e in acme.audit.list_for_org(ANN, "acme")]
    assert actions.count("registry.approval") == 1


async def test_a_writer_sees_no_approval_field(db_path, acme):
    async with PyleeApp(db_path=db_path, user=BOB, watch_interval=3600).run_test(
        size=SIZE
    ) as pilot:
        form = await open_form(pilot)
        assert not form.query("#field-approval")
        form.query_one("#field-name").value = "Core"  # type: ignore[attr-defined]
        await save(pilot, form)
    assert not required(db_path, CORE)
