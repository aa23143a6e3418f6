"""Pilot flows of section 4 around deleting (issue 12): the keys deleted at a scope (D) and
bringing one back from its history, undo right after a delete (u), the history that `h` shows in
the effective view, the scope picker's filter, j/k, and keys that say why they do nothing."""

from __future__ import annotations

from textual.widgets import DataTable, Input, OptionList

from pylee_tui.dialogs.choice import ChoiceScreen
from pylee_tui.dialogs.pick import PickScreen
from pylee_tui.dialogs.variable_history import VariableHistoryScreen
from pylee_tui.services import Scope
from pylee_tui.services.resolver import MASK
from tests.ui import test_vault_ui
from tests.ui.pilot import settle, type_text
from tests.ui.test_vault_ui import (
    ANN,
    BEA,
    FAKE,
    PASSPHRASE,
    SIZE,
    WEATHER,
    app_for,
    by_key,
    cursor_to,
    notes,
    open_vault,
    rows,
    table_of,
    unlock,
)

seed = test_vault_ui.seed  # the same fixtures: Acme with a server, LOG_LEVEL, bea a member
with_secret = test_vault_ui.with_secret


async def delete_selected(pilot, pane, key: str) -> None:
    cursor_to(pane, key)
    await pilot.press("d")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ChoiceScreen)
    await pilot.click("#choice-yes")
    await settle(pilot)


async def test_a_deleted_key_is_listed_and_rolled_back_from_the_app(db_path, seed):
    seed.variables.set_key(ANN, Scope("acme"), "LOG_LEVEL", "debug")
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        cursor_to(pane, "LOG_LEVEL")
        await pilot.press("d")
        await settle(pilot)
        message = str(pilot.app.screen.query_one(".dialog-message").render())
        assert "u right after undoes the delete" in message and "D lists" in message
        await pilot.click("#choice-yes")
        await settle(pilot)
        assert table_of(pane).row_count == 0  # gone from "defined here"
        assert "D lists the 1 key deleted here" in str(pane.query_one("#vault-empty").render())

        await pilot.press("D")
        await settle(pilot)
        assert pane.mode == "deleted"
        assert by_key(table_of(pane))["LOG_LEVEL"][:3] == ["LOG_LEVEL", "variable", "debug"]
        assert "1 deleted key" in str(pane.query_one("#vault-mode").render())
        await pilot.press("h")
        await settle(pilot)
        history = pilot.app.screen
        assert isinstance(history, VariableHistoryScreen)
        assert "LOG_LEVEL is deleted here" in str(history.query_one("#history-deleted").render())
        table = history.query_one(DataTable)
        assert [r[:2] for r in rows(table)] == [["3", "unset"], ["2", "set"], ["1", "set"]]
        assert table.cursor_row == 1  # on the value it had, ready to roll back
        await pilot.press("r")
        await settle(pilot)
        await pilot.click("#choice-yes")
        await settle(pilot)
        assert seed.variables.get_key(ANN, Scope("acme"), "LOG_LEVEL").value == "debug"
        await pilot.press("escape")
        await settle(pilot)
        assert pane.mode == "defined"  # back where the key lives, the cursor on it
        assert pane.selected is not None and pane.selected.key == "LOG_LEVEL"
        assert by_key(table_of(pane))["LOG_LEVEL"][2] == "debug"
        assert seed.variables.deleted(ANN, Scope("acme")) == []


async def test_a_deleted_secret_comes_back_with_the_vault_key(db_path, with_secret):
    with_secret.vault.unlock(PASSPHRASE)
    with_secret.variables.unset(ANN, Scope("acme"), "API_TOKEN")
    with_secret.vault.lock()
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        await pilot.press("D")
        await settle(pilot)
        row = by_key(table_of(pane))["API_TOKEN"]
        assert row[1:3] == ["secret", MASK]
        await pilot.press("enter")  # enter on a deleted key opens its history
        await settle(pilot)
        assert isinstance(pilot.app.screen, VariableHistoryScreen)
        await pilot.press("r")
        await settle(pilot)
        await pilot.click("#choice-yes")
        await settle(pilot)
        await unlock(pilot)
        await pilot.press("escape")
        await settle(pilot)
    with_secret.vault.unlock(PASSPHRASE)
    assert with_secret.variables.reveal(ANN, Scope("acme"), "API_TOKEN") == FAKE


async def test_u_right_after_a_delete_brings_the_key_back(db_path, seed):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        assert pane.check_action("undo", ()) is False  # nothing to undo: not in the footer
        await delete_selected(pilot, pane, "LOG_LEVEL")
        assert "Deleted LOG_LEVEL at org acme. u undoes it; D lists deleted keys." in notes(
            pilot.app
        )
        assert pane.check_action("undo", ()) is True
        await pilot.press("u")
        await settle(pilot)
        assert seed.variables.get_key(ANN, Scope("acme"), "LOG_LEVEL").value == "info"
        assert by_key(table_of(pane))["LOG_LEVEL"][2] == "info"
        assert any("Restored LOG_LEVEL at org acme" in n for n in notes(pilot.app))
        await pilot.press("u")  # once only
        await settle(pilot)
        assert "Nothing to undo: u takes back a delete made here." in notes(pilot.app)
        assert len(seed.variables.history(ANN, Scope("acme"), "LOG_LEVEL")) == 3


async def test_undo_refuses_after_someone_else_changed_the_key(db_path, seed):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        await delete_selected(pilot, pane, "LOG_LEVEL")
        seed.variables.set_key(ANN, Scope("acme"), "LOG_LEVEL", "theirs")  # another terminal
        seed.variables.unset(ANN, Scope("acme"), "LOG_LEVEL")
        await pilot.press("u")
        await settle(pilot)
        assert any("has changed since it was deleted" in n for n in notes(pilot.app))
        assert [d.key for d in seed.variables.deleted(ANN, Scope("acme"))] == ["LOG_LEVEL"]


async def test_history_in_effective_says_which_scope_it_shows(db_path, seed):
    """h on an inherited row shows the history where it is defined, and says so; a key deleted
    here is pointed to."""
    seed.variables.set_key(ANN, Scope("acme", "core-tools"), "LOG_LEVEL", "warn", kind="variable")
    seed.variables.unset(ANN, Scope("acme", "core-tools"), "LOG_LEVEL")
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        pane.action_scope("registry/core-tools")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        cursor_to(pane, "LOG_LEVEL")
        await pilot.press("h")
        await settle(pilot)
        history = pilot.app.screen
        assert isinstance(history, VariableHistoryScreen)
        assert history.where == "org acme"
        said = " ".join(str(s.render()) for s in history.query(".dialog-message"))
        assert "LOG_LEVEL is not defined at registry core-tools" in said
        assert "its versions at org acme" in said
        assert "It was deleted at registry core-tools: D lists it there." in said
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        assert list(by_key(table_of(pane))) == ["LOG_LEVEL"]
        await pilot.press("h")
        await settle(pilot)
        assert pilot.app.screen.where == "registry core-tools"


async def test_the_scope_picker_filters_as_you_type(db_path, seed):
    for n in range(12):
        seed.registries.create(ANN, "acme", f"Team {n:02d}")
    async with app_for(db_path).run_test(size=(80, 24)) as pilot:
        pane = await open_vault(pilot)
        await pilot.press("p")
        await settle(pilot)
        picker = pilot.app.screen
        assert isinstance(picker, PickScreen)
        field = picker.query_one("#pick-filter", Input)
        assert field.has_focus
        await type_text(pilot, "weath")
        options = picker.query_one(OptionList)
        assert picker.shown == [f"server/core-tools/{WEATHER}"]
        assert options.option_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert pane.scope == Scope("acme", "core-tools", WEATHER)

        await pilot.press("p")
        await settle(pilot)
        picker = pilot.app.screen
        assert picker.shown[picker.query_one(OptionList).highlighted] == (
            f"server/core-tools/{WEATHER}"
        )  # it opens on the scope shown
        await type_text(pilot, "team 1")
        assert picker.shown[:2] == ["registry/team-10", "registry/team-11"]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert pane.scope == Scope("acme", "team-11")

        await pilot.press("p")
        await settle(pilot)
        await type_text(pilot, "zzzz")
        assert pilot.app.screen.shown == []
        await pilot.press("enter")  # nothing to pick: stays open
        assert isinstance(pilot.app.screen, PickScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert pane.scope == Scope("acme", "team-11")

        # from the list, j/k move and a letter goes to the filter
        await pilot.press("p")
        await settle(pilot)
        picker = pilot.app.screen
        options = picker.query_one(OptionList)
        await type_text(pilot, "core")
        assert len(picker.shown) == 2  # the registry and its server
        await pilot.press("tab")
        assert options.has_focus
        await pilot.press("j", "k", "j")
        assert options.highlighted == 1
        await pilot.press("x")
        assert picker.query_one("#pick-filter", Input).value == "corex"


async def test_a_short_pick_list_has_no_filter(db_path, seed):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await settle(pilot)
        choices: list[str | None] = []
        pilot.app.push_screen(
            PickScreen("Role", [("admin", "admin"), ("member", "member")]), choices.append
        )
        await settle(pilot)
        assert not pilot.app.screen.query("#pick-filter")
        await pilot.press("j", "enter")
        await settle(pilot)
        assert choices == ["member"]


async def test_j_and_k_move_in_the_vault_table(db_path, seed):
    seed.variables.set_key(ANN, Scope("acme"), "REGION", "eu")
    seed.variables.set_key(ANN, Scope("acme"), "ZONE", "b")
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        table = table_of(pane)
        assert table.cursor_row == 0
        await pilot.press("j", "j")
        assert pane.selected.key == "ZONE"
        await pilot.press("k")
        assert pane.selected.key == "REGION"


async def test_a_key_that_does_nothing_says_why(db_path, with_secret):
    async with app_for(db_path, user=BEA).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        cursor_to(pane, "API_TOKEN")
        await pilot.pause()
        for key, said in (
            ("v", "Revealing secrets: admins only."),
            ("c", "Copying secrets: admins only."),
            ("d", "Deleting a secret: admins, or members granted secrets:write."),
            ("e", "Changing a secret: admins, or members granted secrets:write."),
            ("n", "Adding a variable: admins only; a secret: admins, or members granted"),
        ):
            await pilot.press(key)
            await settle(pilot)
            assert any(said in n for n in notes(pilot.app)), (key, notes(pilot.app))
        assert not isinstance(pilot.app.screen, (ChoiceScreen, PickScreen))
        await pilot.press("h")  # history is for everyone; rolling back is not
        await settle(pilot)
        history = pilot.app.screen
        assert isinstance(history, VariableHistoryScreen)
        history.query_one(DataTable).move_cursor(row=1)
        await pilot.press("r")
        await settle(pilot)
        error = str(history.query_one("#history-error").render())
        assert error == "Rolling back a secret: admins, or members granted secrets:write."
        assert not isinstance(pilot.app.screen, ChoiceScreen)
        await pilot.press("escape")
        await settle(pilot)
        # an inherited row cannot be deleted here; a missing one has no history
        pane.action_scope(f"server/core-tools/{WEATHER}")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        cursor_to(pane, "WEATHER_API_KEY")
        await pilot.press("h")
        await settle(pilot)
        assert any("defined nowhere yet, so it has no history" in n for n in notes(pilot.app))


async def test_an_admin_is_told_where_an_inherited_key_can_be_deleted(db_path, seed):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        pane.action_scope("registry/core-tools")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        cursor_to(pane, "LOG_LEVEL")
        await pilot.press("d")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ChoiceScreen)
        said = "LOG_LEVEL comes from org acme, not registry core-tools: delete it there"
        assert any(said in n for n in notes(pilot.app)), notes(pilot.app)
        assert all("--" not in n for n in notes(pilot.app))  # the app's words, not CLI flags


async def test_after_a_delete_the_cursor_stays_in_place(db_path, seed):
    seed.variables.set_key(ANN, Scope("acme"), "REGION", "eu")
    seed.variables.set_key(ANN, Scope("acme"), "ZONE", "b")
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        await delete_selected(pilot, pane, "REGION")
        assert pane.selected is not None and pane.selected.key == "ZONE"  # its neighbour
        await delete_selected(pilot, pane, "ZONE")
        assert pane.selected is not None and pane.selected.key == "LOG_LEVEL"
        pane.action_scope(f"server/core-tools/{WEATHER}")  # another list starts at the top
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert table_of(pane).cursor_row == 0


async def test_escape_from_a_typed_form_asks_before_losing_it(db_path, seed):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await open_vault(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = pilot.app.screen
        await pilot.press("escape")  # nothing typed: closes at once
        await settle(pilot)
        assert pilot.app.screen is not form and not isinstance(pilot.app.screen, ChoiceScreen)
        await pilot.press("n")
        await settle(pilot)
        form = pilot.app.screen
        await type_text(pilot, "REGION")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ChoiceScreen)
        await pilot.press("enter")  # Keep editing is the default
        await settle(pilot)
        assert pilot.app.screen is form
        assert form.query_one("#field-key", Input).value == "REGION"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.click("#choice-discard")
        await settle(pilot)
        assert pilot.app.screen is not form
        assert [v.key for v in seed.variables.list_keys(ANN, Scope("acme"))] == ["LOG_LEVEL"]
