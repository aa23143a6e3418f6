"""Pilot flow tests: first launch, moving between orgs, the overview editor, onboarding updates."""

from __future__ import annotations

import pytest
from textual.widgets import Input, MarkdownViewer, OptionList, TextArea

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.choice import ChoiceScreen
from pylee_tui.dialogs.form import FormScreen
from pylee_tui.dialogs.help import HelpScreen
from pylee_tui.dialogs.org_switcher import OrgSwitcherScreen
from pylee_tui.screens.org import OrgScreen
from pylee_tui.screens.overview_editor import OverviewEditorScreen
from pylee_tui.screens.welcome import WelcomeScreen
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from pylee_tui.widgets.markdown_editor import MarkdownSplitEditor
from pylee_tui.widgets.onboarding_timeline import OnboardingTimeline
from pylee_tui.widgets.org_bar import OrgBar
from tests.ui.pilot import settle, type_text

ANN = "ann@example.com"


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    monkeypatch.delenv("PYLEE_USER", raising=False)
    monkeypatch.delenv("PYLEE_DB", raising=False)
    return tmp_path / "pylee.db"


@pytest.fixture
def other(db_path):
    """Another process's view of the same database: its own connection and services."""
    store = Store(db_path)
    yield Services(store)
    store.close()


def org_screen(app) -> OrgScreen:
    assert isinstance(app.screen, OrgScreen), app.screen
    return app.screen


async def test_first_launch_asks_email_then_first_org_and_lands_on_overview(db_path):
    app = PyleeApp(db_path=db_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        # an invalid email is refused inline and nothing is saved
        app.screen.query_one("#welcome-email", Input).focus()
        await type_text(pilot, "not-an-email")
        await pilot.press("enter")
        await settle(pilot)
        assert "not a valid email" in str(app.screen.query_one("#welcome-email-error").render())
        assert isinstance(app.screen, WelcomeScreen)
        app.screen.query_one("#welcome-email", Input).value = ""
        await type_text(pilot, "Ann@Example.com")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)  # create an org, or load the demo
        await pilot.press("enter")  # "Create organization" has the focus
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)  # the first-org form
        await type_text(pilot, "Acme Production")
        assert "acme-production" in str(app.screen.query_one("#slug-preview").render())
        await pilot.press("enter")
        await settle(pilot)
        screen = org_screen(app)
        assert screen.view is not None
        assert screen.view.org.slug == "acme-production"
        bar = screen.query_one(OrgBar)
        assert (bar.org_name, bar.user, bar.role) == ("Acme Production", ANN, "admin")
        timeline = screen.query_one(OnboardingTimeline)
        assert timeline.state.done_count == 0
        assert timeline.state.current.key == "describe"
    # the email is asked once: it is saved for the next launch
    store = Store(db_path)
    assert Services(store).identity.saved() == ANN
    store.close()


async def test_next_previous_and_switcher_filter_move_between_orgs(db_path, other):
    for name in ("Acme Production", "Acme Staging", "Personal Lab"):
        other.orgs.create(ANN, name)
    app = PyleeApp(db_path=db_path, user=ANN)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert org_screen(app).view.org.slug == "acme-production"
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert org_screen(app).view.org.slug == "acme-staging"
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert org_screen(app).view.org.slug == "acme-production"  # wraps around
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert org_screen(app).view.org.slug == "personal-lab"
        assert org_screen(app).query_one(OrgBar).position == "3/3"

        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OrgSwitcherScreen)
        await type_text(pilot, "stg")  # fuzzy: s..t..g of "Acme Staging"
        assert app.screen.query_one("#switcher-filter", Input).value == "stg"
        options = app.screen.query_one(OptionList)
        assert options.option_count == 1
        assert options.get_option_at_index(0).id == "acme-staging"
        await pilot.press("enter")
        await settle(pilot)
        assert org_screen(app).view.org.slug == "acme-staging"

    # the last org is remembered across launches
    app = PyleeApp(db_path=db_path, user=ANN)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert org_screen(app).view.org.slug == "acme-staging"


async def test_switcher_arrows_escape_and_new_org(db_path, other):
    other.orgs.create(ANN, "Alpha")
    other.orgs.create(ANN, "Beta")
    app = PyleeApp(db_path=db_path, user=ANN)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert org_screen(app).view.org.slug == "beta"
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert org_screen(app).view.org.slug == "beta"
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("ctrl+n")  # n would be typed into the switcher's filter
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await type_text(pilot, "Gamma Team")
        await pilot.press("enter")
        await settle(pilot)
        assert org_screen(app).view.org.slug == "gamma-team"
        assert [o.slug for o in other.orgs.list_orgs(ANN)] == ["alpha", "beta", "gamma-team"]


async def test_org_form_shows_model_and_service_errors_inline(db_path, other):
    other.orgs.create(ANN, "Alpha")
    app = PyleeApp(db_path=db_path, user=ANN)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("o", "ctrl+n")
        await settle(pilot)
        form = app.screen
        await type_text(pilot, "Beta")
        form.query_one("#field-slug", Input).value = "Bad Slug"
        await pilot.pause()
        assert "not valid" in str(form.query_one("#error-slug").render())
        form.query_one("#field-slug", Input).value = "alpha"  # taken: the service says so
        await pilot.click("#form-submit")
        await settle(pilot)
        assert app.screen is form
        assert "already taken" in str(form.query_one("#form-error").render())
        assert [o.slug for o in other.orgs.list_orgs(ANN)] == ["alpha"]


async def test_sections_by_number_keys_and_help_from_bindings(db_path, other):
    other.orgs.create(ANN, "Alpha")
    app = PyleeApp(db_path=db_path, user=ANN)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = org_screen(app)
        for key, section in (("2", "registries"), ("3", "members"), ("4", "vault"), ("5", "audit")):
            await pilot.press(key)
            assert screen.query_one("#sections").current == section
        await pilot.press("1")
        assert screen.query_one("#sections").current == "overview"
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = {row[1]: row[2] for row in app.screen.rows}
        assert {"Orgs", "Next", "Prev", "Edit", "Settings", "Help"} <= set(rows)
        assert rows["Next"] == "Next organization"  # the tooltip explains the short label
        await pilot.press("escape")
        assert isinstance(app.screen, OrgScreen)


async def edit_overview(pilot, text: str) -> MarkdownSplitEditor:
    await pilot.press("e")
    await settle(pilot)
    assert isinstance(pilot.app.screen, OverviewEditorScreen)
    editor = pilot.app.screen.query_one(MarkdownSplitEditor)
    area = editor.query_one(TextArea)
    area.focus()
    area.move_cursor(area.document.end)
    area.insert(text)
    await pilot.pause()
    return editor


async def test_edit_and_save_overview_renders_on_home(db_path, other):
    other.orgs.create(ANN, "Alpha")
    app = PyleeApp(db_path=db_path, user=ANN)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        editor = await edit_overview(pilot, "# Runbook\n\nRotate keys monthly.\n")
        assert editor.modified
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not editor.modified
        assert other.orgs.get_org(ANN, "alpha").overview == "# Runbook\n\nRotate keys monthly.\n"
        await pilot.press("escape")  # nothing unsaved: closes at once
        await settle(pilot)
        screen = org_screen(app)
        viewer = screen.query_one("#org-overview", MarkdownViewer)
        assert "Runbook" in viewer.document.source
        events = [e.action for e in other.audit.list_for_org(ANN, "alpha")]
        assert events[0] == "org.overview"


@pytest.mark.parametrize(
    ("answer", "closes", "saved"),
    [("discard", True, False), ("cancel", False, False), ("save", True, True)],
)
async def test_unsaved_changes_guard(db_path, other, answer, closes, saved):
    other.orgs.create(ANN, "Alpha")
    app = PyleeApp(db_path=db_path, user=ANN)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await edit_overview(pilot, "draft text")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.click(f"#choice-{answer}")
        await settle(pilot)
        assert isinstance(app.screen, OrgScreen) is closes
        assert isinstance(app.screen, OverviewEditorScreen) is not closes
        assert (other.orgs.get_org(ANN, "alpha").overview == "draft text") is saved


@pytest.mark.parametrize("answer", ["overwrite", "reload"])
async def test_conflict_when_overview_saved_elsewhere(db_path, other, answer):
    other.orgs.create(ANN, "Alpha", overview="original")
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=60)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        editor = await edit_overview(pilot, " + mine")
        other.orgs.edit("ann@example.com", "alpha", overview="theirs")  # another process saves
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)  # never silently loses either text
        assert other.orgs.get_org(ANN, "alpha").overview == "theirs"
        await pilot.click(f"#choice-{answer}")
        await settle(pilot)
        stored = other.orgs.get_org(ANN, "alpha").overview
        if answer == "overwrite":
            assert stored == "original + mine"
            assert not editor.modified
        else:
            assert stored == "theirs"
            assert editor.text == "theirs"
            assert not editor.modified


async def test_onboarding_steps_flip_as_state_changes_elsewhere(db_path, other):
    other.orgs.create(ANN, "Alpha")
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=0.05)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        timeline = org_screen(app).query_one(OnboardingTimeline)
        assert timeline.state.done_count == 0

        async def wait_for(count: int) -> None:
            for _ in range(40):
                await pilot.pause(0.05)
                await settle(pilot, 1)
                if timeline.state.done_count == count:
                    return
            raise AssertionError(f"timeline stuck at {timeline.state.progress}")

        other.orgs.edit(ANN, "alpha", description="Ours", overview="# Hi")
        await wait_for(1)
        other.registries.create(ANN, "alpha", "Core Tools")
        await wait_for(2)
        other.members.invite(ANN, "alpha", "bea@example.com")
        await wait_for(3)
        other.variables.set_key(ANN, Scope("alpha"), "LOG_LEVEL", "info")
        await wait_for(4)
        assert timeline.collapsed
        assert "Setup complete" in str(timeline.query_one(OptionList).get_option_at_index(0).prompt)


async def test_onboarding_completed_from_the_tui(db_path, other):
    other.orgs.create(ANN, "Alpha", description="Team tools", overview="# Alpha")
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=60)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = org_screen(app)
        timeline = screen.query_one(OnboardingTimeline)
        assert timeline.state.current.key == "registry"
        timeline.query_one(OptionList).focus()
        timeline.query_one(OptionList).highlighted = 1
        await pilot.press("enter")  # the step opens the new-registry form in its section
        await settle(pilot)
        assert screen.section == "registries"
        assert isinstance(app.screen, FormScreen)
        await type_text(pilot, "Core Tools")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("3", "i")
        await settle(pilot)
        await type_text(pilot, "bea@example.com")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("4", "n")
        await settle(pilot)
        await type_text(pilot, "LOG_LEVEL")
        await pilot.press("tab")
        await type_text(pilot, "info")
        await pilot.press("enter")
        await settle(pilot)
        assert timeline.state.complete
        assert [r.slug for r in other.registries.list_registries(ANN, "alpha")] == ["core-tools"]


async def test_settings_rename_and_delete_with_typed_slug(db_path, other):
    other.orgs.create(ANN, "Alpha")
    other.orgs.create(ANN, "Beta")
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=60)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        name = app.screen.query_one("#field-name", Input)
        name.value = "Alpha Team"
        await pilot.click("#form-submit")
        await settle(pilot)
        assert org_screen(app).view.org.name == "Alpha Team"
        await pilot.press("s")
        await settle(pilot)
        await pilot.click("#org-delete")
        await settle(pilot)
        confirm = app.screen
        assert "1 member" in str(confirm.query_one(".dialog-message").render())
        await type_text(pilot, "alph")
        assert confirm.query_one("#confirm-yes").disabled  # not the slug yet
        await type_text(pilot, "a")
        await pilot.press("enter")
        await settle(pilot)
        assert [o.slug for o in other.orgs.list_orgs(ANN)] == ["beta"]
        assert org_screen(app).view.org.slug == "beta"


async def test_member_sees_disabled_admin_actions_and_refusal_is_shown(db_path, other):
    other.orgs.create(ANN, "Alpha")
    other.members.invite(ANN, "alpha", "bob@example.com")
    other.members.accept("bob@example.com", "alpha")
    app = PyleeApp(db_path=db_path, user="bob@example.com", watch_interval=60)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = org_screen(app)
        assert screen.query_one(OrgBar).role == "member"
        assert screen.check_action("settings", ()) is None  # shown, disabled
        assert screen.check_action("edit_overview", ()) is None
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, OrgScreen)  # nothing opened


async def test_unopenable_store_shows_message_and_changes_nothing(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database")
    app = PyleeApp(db_path=path, user=ANN)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert "not a SQLite database" in str(app.screen.query_one(".dialog-message").render())
    assert path.read_bytes() == b"these are my notes, not a database"


async def test_palette_provider_lists_orgs_and_actions(db_path, other):
    other.orgs.create(ANN, "Alpha")
    other.orgs.create(ANN, "Beta")
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=60)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        from pylee_tui.commands import PyleeCommands

        provider = PyleeCommands(app.screen)
        titles = [title for title, _help, _cb in provider._commands()]
        assert "Go to org: Beta (beta)" in titles
        assert "New organization" in titles and "Edit overview" in titles
        callback = next(cb for title, _h, cb in provider._commands() if "Beta" in title)
        callback()
        await settle(pilot)
        assert org_screen(app).view.org.slug == "beta"


async def test_a_relative_link_in_the_overview_does_not_replace_it_or_crash(db_path, other):
    from textual.widgets import Markdown

    other.orgs.create(ANN, "Alpha", overview="# Alpha\n\nSee [notes](missing-notes.md).\n")
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=60)
    opened: list[str] = []
    app.open_url = lambda url, **_kw: opened.append(url)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        viewer = org_screen(app).query_one("#org-overview", MarkdownViewer)
        viewer.document.post_message(Markdown.LinkClicked(viewer.document, "missing-notes.md"))
        await settle(pilot)
        assert app.is_running
        assert "See" in viewer.document.source
        assert opened == ["missing-notes.md"]


async def test_a_confirm_dialog_starts_on_cancel_and_the_arrows_move_along_its_answers() -> None:
    from textual.app import App

    from pylee_tui.dialogs.choice import confirm

    answers: list[str | None] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(
                confirm("Sync mcp.json?", "overwrites weather\n" * 30, "Sync", "warning"),
                callback=answers.append,
            )

    async with Host().run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert pilot.app.focused is not None and pilot.app.focused.id == "choice-no"
        await pilot.press("left")  # from Cancel to Sync: enter presses it
        assert pilot.app.focused.id == "choice-yes"
        await pilot.press("right", "right")  # around the row
        assert pilot.app.focused.id == "choice-yes"
        await pilot.press("enter")
        await pilot.pause()
    assert answers == ["yes"]


async def test_an_org_asked_for_while_start_up_loads_the_first_one_is_the_one_shown(
    db_path, other, monkeypatch
):
    import threading

    import pylee_tui.app as app_module

    for name in ("Acme Production", "Acme Staging"):
        other.orgs.create(ANN, name)
    released = threading.Event()
    load = app_module.load_org_view

    def slow_first_load(*args):  # start-up's load of the first org, held until released
        released.wait(timeout=10)
        return load(*args)

    monkeypatch.setattr(app_module, "load_org_view", slow_first_load)
    app = PyleeApp(db_path=db_path, user=ANN)

    async def until(pilot, condition, what: str) -> None:
        # (not pilot.wait_until: it waits for every worker, start-up's held one too)
        for _ in range(200):
            if condition():
                return
            await pilot.pause(0.05)
        raise AssertionError(f"never: {what}")

    async with app.run_test(size=(120, 36)) as pilot:
        # the first frame (bar and tabs) is up while the first org's view is still loading
        await until(pilot, lambda: app.services is not None, "the first frame")
        # the next org, asked for at once (keys wait for start-up; a click or the switcher's
        # own path may not)
        app.switch_to_org("acme-staging")
        await until(
            pilot,
            lambda: (
                org_screen(app).view is not None and org_screen(app).view.org.slug == "acme-staging"
            ),
            "the org asked for is shown",
        )
        released.set()  # start-up's older answer lands now: it must not bring the first back
        await until(pilot, lambda: app._booted, "start-up finished")
        await settle(pilot)
        assert org_screen(app).view.org.slug == "acme-staging"
        assert org_screen(app).query_one(OrgBar).org_slug == "acme-staging"
