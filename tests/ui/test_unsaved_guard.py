"""Every way out of a modified editor asks Save / Discard / Cancel first: quitting (ctrl+q, q,
the palette's Quit), jumping from the palette to another org or section; and the raw editor's
own hint names a key that does not edit the text."""

from __future__ import annotations

import re

import pytest
from textual.command import CommandPalette
from textual.widgets import Input, OptionList, Static, TextArea

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.choice import ChoiceScreen
from pylee_tui.screens.org import OrgScreen
from pylee_tui.screens.overview_editor import OverviewEditorScreen
from pylee_tui.screens.raw_json_editor import RawJsonScreen
from pylee_tui.screens.server_detail import ServerScreen
from pylee_tui.sections.registries.browser import RegistryBrowser
from pylee_tui.sections.vault.pane import VaultPane
from pylee_tui.sections.vault.rows import EFFECTIVE
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from pylee_tui.widgets.markdown_editor import MarkdownSplitEditor
from tests.support import ANN, server_doc
from tests.ui.pilot import settle, type_text

SIZE = (100, 30)
SERVER = "io.github.acme/weather"


@pytest.fixture
def other(db_path):
    """Another connection to the same store: seeds two orgs and reads what the app wrote."""
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Alpha", overview="# Alpha\n")
    services.orgs.create(ANN, "Beta")
    services.registries.create(ANN, "alpha", "Tools")
    services.registries.add_server(ANN, Scope("alpha", "tools"), server_doc(SERVER))
    yield services
    store.close()


def app_for(db_path) -> PyleeApp:
    return PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)


async def open_overview_editor(pilot, text: str = " and more") -> MarkdownSplitEditor:
    await settle(pilot)
    assert isinstance(pilot.app.screen, OrgScreen)
    await pilot.press("e")
    await settle(pilot)
    assert isinstance(pilot.app.screen, OverviewEditorScreen)
    area = pilot.app.screen.query_one(TextArea)
    area.move_cursor(area.document.end)
    await type_text(pilot, text)
    editor = pilot.app.screen.query_one(MarkdownSplitEditor)
    assert editor.modified
    return editor


async def open_raw_editor(pilot) -> RawJsonScreen:
    await settle(pilot)
    pilot.app.push_screen(ServerScreen("alpha", "tools", SERVER, "admin"))
    await settle(pilot)
    await pilot.press("j")
    await settle(pilot)
    raw = pilot.app.screen
    assert isinstance(raw, RawJsonScreen)
    return raw


async def from_palette(pilot, query: str) -> None:
    """Open the command palette, type `query`, choose the first match: as a person would."""
    await pilot.press("ctrl+p")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CommandPalette)
    await type_text(pilot, query)
    await settle(pilot)
    await pilot.press("enter")  # the palette highlights the best match
    await settle(pilot)


def stored_overview(other: Services, slug: str = "alpha") -> str:
    return other.orgs.get_org(ANN, slug).overview


def shown_org(app) -> str | None:
    return app.screen_stack[0].slug


# --- quitting --------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["cancel", "discard", "save"])
async def test_ctrl_q_in_a_modified_overview_editor_asks_first(db_path, other, answer):
    app = app_for(db_path)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_overview_editor(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert app.return_code is None, "quit at once: the edit is gone"
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.click(f"#choice-{answer}")
        await settle(pilot)
        if answer == "cancel":
            assert app.return_code is None
            assert isinstance(app.screen, OverviewEditorScreen)
            assert editor.text == "# Alpha\n and more" and editor.modified
        else:
            assert app.return_code == 0
    expected = "# Alpha\n and more" if answer == "save" else "# Alpha\n"
    assert stored_overview(other) == expected


async def test_ctrl_q_without_unsaved_work_quits_at_once(db_path, other):
    app = app_for(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, OverviewEditorScreen)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert app.return_code == 0


async def test_ctrl_q_in_a_modified_raw_editor_asks_and_an_invalid_save_stays(db_path, other):
    before = other.registries.get_server(ANN, Scope("alpha", "tools", SERVER)).document
    app = app_for(db_path)
    async with app.run_test(size=SIZE) as pilot:
        raw = await open_raw_editor(pilot)
        raw.editor.text = raw.editor.text.replace('"version": "1.0.0"', '"version": ""', 1)
        await pilot.pause()
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert app.return_code is None
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.click("#choice-save")  # a draft is not saved: the editor stays
        await settle(pilot)
        assert app.return_code is None
        assert app.screen is raw
        assert "problem" in str(raw.query_one("#raw-status", Static).render())
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.click("#choice-discard")
        await settle(pilot)
        assert app.return_code == 0
    assert other.registries.get_server(ANN, Scope("alpha", "tools", SERVER)).document == before


async def test_the_palettes_quit_asks_too(db_path, other):
    app = app_for(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_overview_editor(pilot)
        await from_palette(pilot, "quit")
        assert app.return_code is None
        assert isinstance(app.screen, ChoiceScreen)


async def test_q_quits_from_the_org_screen_but_types_in_a_filter(db_path, other):
    app = app_for(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        browser = app.screen.query_one(RegistryBrowser)
        await pilot.press("slash")
        await settle(pilot)
        assert isinstance(app.focused, Input), app.focused
        await pilot.press("q")
        await settle(pilot)
        assert app.return_code is None
        assert browser.query_one(Input).value == "q"
        await pilot.press("escape")
        await settle(pilot)
        app.screen.query_one("RegistryTree").focus()
        await pilot.pause()
        await pilot.press("q")
        await settle(pilot)
        assert app.return_code == 0


# --- palette jumps ---------------------------------------------------------------------------


async def test_going_to_another_org_from_the_palette_asks_then_goes(db_path, other):
    app = app_for(db_path)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_overview_editor(pilot)
        await from_palette(pilot, "go to org beta")
        assert isinstance(app.screen, ChoiceScreen), app.screen
        assert shown_org(app) == "alpha"  # nothing moved under the question
        await pilot.click("#choice-cancel")
        await settle(pilot)
        assert isinstance(app.screen, OverviewEditorScreen)
        assert editor.modified and shown_org(app) == "alpha"
        await from_palette(pilot, "go to org beta")
        await pilot.click("#choice-discard")
        await settle(pilot)
        assert isinstance(app.screen, OrgScreen)
        assert shown_org(app) == "beta"
        assert app.screen.view is not None and app.screen.view.org.slug == "beta"
    assert stored_overview(other) == "# Alpha\n"


async def test_going_to_a_section_from_the_raw_editor_asks_then_goes(db_path, other):
    app = app_for(db_path)
    async with app.run_test(size=SIZE) as pilot:
        raw = await open_raw_editor(pilot)
        raw.editor.text = raw.editor.text.replace("An MCP server", "Weather for agents", 1)
        await pilot.pause()
        await from_palette(pilot, "go to members")
        assert isinstance(app.screen, ChoiceScreen), app.screen
        await pilot.click("#choice-save")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrgScreen), screen  # the raw editor and the detail closed
        assert screen.section == "members"
    server = other.registries.get_server(ANN, Scope("alpha", "tools", SERVER))
    assert server.document["description"] == "Weather for agents"


async def test_palette_jumps_close_screens_with_nothing_unsaved_without_asking(db_path, other):
    app = app_for(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_raw_editor(pilot)
        await from_palette(pilot, "go to vault")
        assert isinstance(app.screen, OrgScreen), app.screen
        assert app.screen.section == "vault"


# --- the raw editor's hint -------------------------------------------------------------------


async def test_the_raw_editors_hint_names_keys_that_do_not_edit_the_text(db_path, other):
    app = app_for(db_path)
    async with app.run_test(size=SIZE) as pilot:
        raw = await open_raw_editor(pilot)
        broken = raw.editor.text.replace('"description": "An MCP server"', '"description": ""')
        cut = broken.rindex('"version": "1.0.0"')  # the package's version, further down
        broken = broken[:cut] + '"version": ""' + broken[cut + len('"version": "1.0.0"') :]
        raw.editor.text = broken
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is raw
        problems = raw.query_one("#raw-problems", OptionList)
        assert problems.option_count == 2
        first_row = raw.editor.cursor_location[0]
        assert '"description": ""' in raw.editor.document.get_line(first_row)
        hint = str(raw.query_one("#raw-status", Static).render())
        # the hint's steps, exactly as it says them: its keys, then enter if it says so
        keys = re.findall(r"\b((?:shift\+|ctrl\+)?f\d{1,2})\b", hint)
        assert keys, hint
        steps = [keys[0], *(["enter"] if "enter" in hint else [])]
        await pilot.press(*steps)
        await settle(pilot)
        assert raw.editor.text == broken, f"following {steps} changed the text"
        row = raw.editor.cursor_location[0]
        assert row > first_row and '"version": ""' in raw.editor.document.get_line(row)
        # and round again to the first
        await pilot.press(keys[0])
        assert raw.editor.cursor_location[0] == first_row
        assert raw.editor.text == broken
        footer_keys = {key for key, active in raw.active_bindings.items() if active.binding.show}
        assert keys[0] in footer_keys


async def test_a_vault_action_from_the_palette_asks_first_too(db_path, other):
    app = app_for(db_path)
    async with app.run_test(size=SIZE) as pilot:
        # short text typed: each key costs a frame or more
        await open_overview_editor(pilot, "!")
        await from_palette(pilot, "vault: def")  # "Vault: defined here / effective"
        assert isinstance(app.screen, ChoiceScreen), app.screen
        await pilot.click("#choice-discard")
        await settle(pilot)
        assert isinstance(app.screen, OrgScreen) and app.screen.section == "vault"
        # and the action chosen ran: the table switched from defined here to effective
        assert app.screen.query_one(VaultPane).mode == EFFECTIVE
    assert stored_overview(other) == "# Alpha\n"  # discarded
