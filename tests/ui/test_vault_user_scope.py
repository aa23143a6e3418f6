"""The vault section's personal scope: a member adds their own override under "You (personal)",
sees it win (source "you") at the shared scopes, and an admin opening the same org sees none of
it."""

from __future__ import annotations

from pylee_tui.dialogs.variable_form import VariableFormScreen
from pylee_tui.services import Scope
from tests.ui.pilot import settle, type_text
from tests.ui.test_vault_ui import (
    ANN,
    BEA,
    SIZE,
    app_for,
    by_key,
    open_vault,
    seed,  # noqa: F401  (the fixture)
    table_of,
)


async def test_a_member_overrides_a_key_for_themselves_alone(db_path, seed) -> None:  # noqa: F811
    async with app_for(db_path, user=BEA).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        assert ("user", "  You (personal)") in pane.scope_items()
        pane.action_scope("user")
        await settle(pilot)
        assert pane.scope == Scope("acme", user=True)
        # bea has no grant, yet her own scope takes a new key
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, VariableFormScreen)
        await type_text(pilot, "LOG_LEVEL")
        await pilot.press("tab")
        await type_text(pilot, "debug-bea")
        await pilot.press("enter")
        await settle(pilot)
        assert [v.key for v in seed.variables.list_keys(BEA, Scope("acme", user=True))] == [
            "LOG_LEVEL"
        ]
        # at the server, in the effective view, the value is hers and its source "you"
        pane.action_scope("server/core-tools/io.github.acme/weather")
        await settle(pilot)
        if pane.mode != "effective":
            pane.action_toggle_mode()
            await settle(pilot)
        row = by_key(table_of(pane))["LOG_LEVEL"]
        assert row[2] == "debug-bea" and row[3] == "you"

    # the admin: the org's value, and an empty personal scope of her own
    async with app_for(db_path, user=ANN).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        assert by_key(table_of(pane))["LOG_LEVEL"][2] == "info"
        pane.action_scope("user")
        await settle(pilot)
        assert "LOG_LEVEL" not in by_key(table_of(pane))
        assert not any("debug-bea" in " ".join(r) for r in by_key(table_of(pane)).values())
