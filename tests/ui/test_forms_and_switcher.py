"""Screens and forms take keys as typed, even while they open; forms and dialogs behave alike."""

from __future__ import annotations

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.widgets import Button, DataTable, Input

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.choice import confirm, info
from pylee_tui.dialogs.form import FormField, FormScreen
from pylee_tui.dialogs.help import HelpScreen
from pylee_tui.dialogs.org_switcher import OrgSwitcherScreen
from pylee_tui.dialogs.type_to_confirm import TypeToConfirmScreen
from pylee_tui.screens.org import OrgScreen
from pylee_tui.services import Services
from pylee_tui.store import Store
from pylee_tui.widgets.row_table import VirtualTable
from tests.ui.pilot import settle

ANN = "ann@example.com"


def burst(app, *keys: str) -> None:
    """Queue key presses all at once, as a terminal delivers fast typing: nothing runs between
    them, so a screen opened by the first key is still opening while the others arrive."""
    for key in keys:
        if len(key) == 1:
            event = events.Key(key if key.isalnum() else _character_to_key(key), key)
        else:
            event = events.Key(key, None)
        app.post_message(event)


def typed(text: str) -> list[str]:
    return list(text)


@pytest.fixture
def two_orgs(db_path):
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme")
    services.orgs.create(ANN, "Second Org")
    services.orgs.create(ANN, "Nimbus")
    store.close()
    return db_path


def app_for(db_path) -> PyleeApp:
    return PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_keys_typed_right_after_o_all_reach_the_switcher_filter(two_orgs, size):
    app = app_for(two_orgs)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrgScreen) and screen.slug == "acme"
        burst(app, "o", *typed("second-org"))
        await settle(pilot)
        assert isinstance(app.screen, OrgSwitcherScreen)
        assert app.screen.query_one("#switcher-filter", Input).value == "second-org"
        burst(app, "enter")
        await settle(pilot)
        assert app.screen is screen and screen.slug == "second-org"


@pytest.mark.parametrize("first", ["n", "/"])
async def test_a_switcher_filter_may_start_with_any_character(two_orgs, first):
    app = app_for(two_orgs)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OrgSwitcherScreen)
        await pilot.press(first, "i")
        await settle(pilot)
        assert isinstance(app.screen, OrgSwitcherScreen)
        assert app.screen.query_one("#switcher-filter", Input).value == first + "i"


async def open_members(pilot) -> None:
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_keys_typed_while_the_invite_form_opens_land_in_its_first_field(two_orgs, size):
    app = app_for(two_orgs)
    async with app.run_test(size=size) as pilot:
        await open_members(pilot)
        # '?' is the app's help key, 'e' and 's' are org screen keys: all typed into the field
        burst(app, "i", *typed("es?dana@example.com"))
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert app.screen.query_one("#field-email", Input).value == "es?dana@example.com"


async def test_a_prefilled_field_is_not_replaced_by_the_first_key(db_path):
    app = app_for(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = FormScreen(
            "Rename", [FormField("name", "Name", None, value="io.github.acme/weather")], print
        )
        app.push_screen(form)
        burst(app, *typed("-2"))
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#field-name", Input).value == "io.github.acme/weather-2"


# --- help lists every live binding ----------------------------------------------------------------


def help_rows(app) -> dict[str, tuple[str, str]]:
    table = app.screen.query_one("#help-table", DataTable)
    rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
    return {keys: (action, note) for keys, action, note in rows}


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_help_lists_the_bindings_hidden_from_the_footer_and_why_keys_are_off(db_path, size):
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme")
    services.members.invite(ANN, "acme", "bea@example.com")
    services.members.accept("bea@example.com", "acme")
    store.close()
    app = PyleeApp(db_path=db_path, user="bea@example.com", watch_interval=3600)
    async with app.run_test(size=size) as pilot:
        await open_members(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = help_rows(app)
        # the table's own keys, this section's, the screen's and the app's, shown or not
        assert rows["j"][0] == "Down" and rows["k"][0] == "Up"
        assert rows["⏎"][0] == "Details"
        assert rows["o, ^o"][0] == "Orgs"  # keys doing one thing share a row
        assert rows["3"][0] == "Members"  # section keys are hidden from the footer
        assert rows["^l"][0] == "Lock vault"  # a hidden priority key of the app
        assert rows["/"][0] == "Filter"
        for key, action in (("i", "Invite"), ("r", "Role"), ("g", "Grants"), ("x", "Remove")):
            assert rows[key][0] == action
            assert "(admins only)" in rows[key][1], rows[key]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, OrgScreen)


async def test_help_in_a_filter_lists_escape(two_orgs):
    app = app_for(two_orgs)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_members(pilot)
        await pilot.press("slash")
        await settle(pilot)
        app.action_help()  # in a text field ? is typed; the palette or a binding opens help
        await settle(pilot)
        rows = help_rows(app)
        assert rows["esc"][0] == "Clear filter", rows


# --- dialogs opened and answered at once ----------------------------------------------------------


async def test_enter_typed_as_a_confirmation_opens_answers_its_default(two_orgs):
    app = app_for(two_orgs)
    answers: list[str | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(confirm("Remove bea?", "She loses access.", yes="Remove"), answers.append)
        burst(app, "enter")
        await settle(pilot)
    assert answers == ["no"]  # Cancel has focus from the first key, never Remove


async def test_the_word_typed_as_a_type_to_confirm_dialog_opens_is_kept(two_orgs):
    app = app_for(two_orgs)
    answers: list[bool | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(TypeToConfirmScreen("Delete Acme?", "All of it.", "acme"), answers.append)
        burst(app, *typed("acme"), "enter")
        await settle(pilot)
    assert answers == [True]


async def test_an_information_dialog_has_one_ok_and_enter_closes_it(two_orgs):
    app = app_for(two_orgs)
    answers: list[str | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(info("bea@example.com", "Role: member\nStatus: active"), answers.append)
        await settle(pilot)
        assert [b.label.plain for b in app.screen.query(Button)] == ["OK"]
        await pilot.press("enter")
        await settle(pilot)
    assert answers == ["ok"]


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_keys_typed_right_after_a_section_key_reach_its_list(two_orgs, size):
    app = app_for(two_orgs)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        burst(app, "3", "i", *typed("dana@example.com"))  # members is built by the 3
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert app.screen.query_one("#field-email", Input).value == "dana@example.com"
        await pilot.press("enter")  # invited
        await settle(pilot)
        assert isinstance(app.screen, OrgScreen)
        await pilot.press("5")  # audit is built (its rows come from a worker)
        await settle(pilot)
        # built already: each list takes focus again (two rows each: ann and dana, the org's
        # creation and dana's invitation)
        burst(app, "3", "j", "5", "j")
        await settle(pilot)
        table = app.screen.query_one("#audit-table", VirtualTable)
        assert table.has_focus and table.cursor_row == 1
        assert app.screen.query_one("#members-table", VirtualTable).cursor_row == 1


@pytest.mark.parametrize("section", ["2", "3", "4", "5"])
async def test_keys_typed_right_after_o_reach_the_filter_from_every_section(two_orgs, section):
    """The section's own keys (e edit, r rename, d delete…) must not take letters meant for the
    switcher's filter."""
    app = app_for(two_orgs)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(section)
        await settle(pilot)
        burst(app, "o", *typed("second-org"))
        await settle(pilot)
        assert isinstance(app.screen, OrgSwitcherScreen)
        assert app.screen.query_one("#switcher-filter", Input).value == "second-org"
