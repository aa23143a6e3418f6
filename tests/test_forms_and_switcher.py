"""Screens and forms take keys as typed, even while they open; forms and dialogs behave alike."""

from __future__ import annotations

import pytest
from conftest import settle
from textual import events
from textual.keys import _character_to_key
from textual.widgets import Input

from pylee_tui.app import PyleeApp
from pylee_tui.screens.form import FormField, FormScreen
from pylee_tui.screens.org_home import OrgScreen
from pylee_tui.screens.org_switcher import OrgSwitcherScreen
from pylee_tui.services import Services
from pylee_tui.store import Store

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
