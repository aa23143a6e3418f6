"""Section 5 (the audit log) as a plain member: another member's personal (user-scope) keys are
not listed, nor found by the filter; the member who set them sees them."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from pylee_tui.app import PyleeApp
from pylee_tui.services import Scope, Services
from pylee_tui.widgets.row_table import VirtualTable
from tests.support import ANN, BOB, with_services
from tests.ui.pilot import settle, type_text, wait_until
from tests.ui.test_audit_paging import open_audit

CY = "cy@example.com"
PRIVATE = "BOB_PRIVATE_REGION"


@pytest.fixture
def world(db_path: Path) -> Path:
    def fill(s: Services) -> None:
        s.orgs.create(ANN, "Acme")
        for email in (BOB, CY):
            s.members.invite(ANN, "acme", email)
            s.members.accept(email, "acme")
        s.variables.set_key(ANN, Scope("acme"), "REGION", "eu")
        s.variables.set_key(BOB, Scope("acme", user=True), PRIVATE, "bob-eu")

    with_services(db_path, fill)
    return db_path


def shown(pilot) -> str:
    table = pilot.app.screen.query_one("#audit-table", VirtualTable)
    return "\n".join(" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count))


@pytest.mark.parametrize(("viewer", "sees"), [(CY, False), (BOB, True)])
async def test_personal_keys_are_their_members_alone(world: Path, viewer: str, sees: bool):
    app = PyleeApp(db_path=world, user=viewer, watch_interval=3600)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_audit(pilot)
        assert "REGION" in shown(pilot)
        assert (PRIVATE in shown(pilot)) is sees
        pilot.app.screen.query_one("#audit-filter", Input).focus()
        await type_text(pilot, "PRIVATE")
        await settle(pilot)
        filtered = ("acme", "PRIVATE")
        await wait_until(pilot, lambda: pane.settled and pane.shown == filtered, "filtered")
        assert (PRIVATE in shown(pilot)) is sees
        assert "variable REGION" not in shown(pilot)


@pytest.fixture
def chained(world: Path) -> Path:
    """ann keeps ANN_TOKEN for herself and reveals the org's URL, made of it and SHARED_TOKEN:
    one read of each token, through URL."""

    def fill(s: Services) -> None:
        s.vault.initialize(ANN, "correct horse battery")
        v = s.variables
        v.set_key(ANN, Scope("acme"), "SHARED_TOKEN", "org-FAKE", kind="secret")
        v.set_key(ANN, Scope("acme"), "URL", "https://x.example/${ANN_TOKEN}/${SHARED_TOKEN}")
        v.set_key(ANN, Scope("acme", user=True), "ANN_TOKEN", "ann-FAKE", kind="secret")
        v.reveal_effective(ANN, Scope("acme"), "URL")

    with_services(world, fill)
    return world


@pytest.mark.parametrize(("viewer", "sees"), [(CY, False), (ANN, True)])
async def test_a_chain_read_is_listed_without_the_actors_personal_key(
    chained: Path, viewer: str, sees: bool
):
    app = PyleeApp(db_path=chained, user=viewer, watch_interval=3600)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_audit(pilot)
        assert "variable SHARED_TOKEN" in shown(pilot)
        assert ("variable ANN_TOKEN" in shown(pilot)) is sees
        assert ("variable (a personal key)" in shown(pilot)) is not sees
        pilot.app.screen.query_one("#audit-filter", Input).focus()
        await type_text(pilot, "ANN_T")
        await settle(pilot)
        await wait_until(pilot, lambda: pane.settled and pane.shown == ("acme", "ANN_T"), "found")
        assert ("ANN_TOKEN" in shown(pilot)) is sees
        assert "SHARED_TOKEN" not in shown(pilot)
