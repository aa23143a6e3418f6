"""Pilot flows of section 4 (the vault): scopes, effective configuration, secrets behind the
vault passphrase, reveal/copy, lock and idle lock, delete, history and rollback; and snapshots,
masked and revealed, with a fake secret that must never reach the masked picture."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Tree

from pylee_tui.app import PyleeApp
from pylee_tui.dialogs.change_passphrase import ChangePassphraseScreen
from pylee_tui.dialogs.choice import ChoiceScreen
from pylee_tui.dialogs.choose_passphrase import ChoosePassphraseScreen
from pylee_tui.dialogs.pick import PickScreen
from pylee_tui.dialogs.unlock_vault import VaultUnlockScreen
from pylee_tui.dialogs.variable_form import VariableFormScreen
from pylee_tui.dialogs.variable_history import VariableHistoryScreen
from pylee_tui.sections.vault.pane import NARROW, VaultPane
from pylee_tui.sections.vault.table import VaultTable
from pylee_tui.services import Scope, Services
from pylee_tui.services.errors import WrongPassphrase
from pylee_tui.services.resolver import MASK
from pylee_tui.store import Store
from tests.support import server_doc
from tests.ui.pilot import settle, type_text, wait_until
from tests.ui.test_forms_and_switcher import burst

ANN = "ann@example.com"
BEA = "bea@example.com"
SIZE = (120, 36)
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
FAKE = "sk-test-FAKE-0000"
PASSPHRASE = "correct horse battery"
NEW_PASSPHRASE = "short ok!"  # typed, key by key, where a test chooses one
WEATHER = "io.github.acme/weather"
SNAPSHOTS = Path(__file__).parent / "__snapshots__" / "test_vault_ui"


def clock() -> datetime:
    return NOW


def weather_doc() -> dict:
    doc = server_doc(WEATHER, "1.0.0", "Weather")
    doc["packages"][0]["environmentVariables"] = [
        {
            "name": "WEATHER_API_KEY",
            "description": "The weather API key",
            "isRequired": True,
            "isSecret": True,
        },
        {"name": "UNITS", "isRequired": True, "default": "metric"},
    ]
    return doc


@pytest.fixture
def seed(db_path):
    """Acme with a registry, a server that declares a required secret, an org variable and a
    member (bea) who may read but not reveal."""
    store = Store(db_path)
    services = Services(store, clock=clock)
    services.orgs.create(ANN, "Acme")
    services.registries.create(ANN, "acme", "Core Tools")
    services.registries.add_server(ANN, Scope("acme", "core-tools"), weather_doc())
    services.variables.set_key(ANN, Scope("acme"), "LOG_LEVEL", "info")
    services.members.invite(ANN, "acme", BEA)
    services.members.accept(BEA, "acme")
    yield services
    store.close()


@pytest.fixture
def with_secret(seed):
    """The vault exists (its key is not in the app's memory: the app starts locked)."""
    seed.vault.initialize(ANN, PASSPHRASE)
    seed.variables.set_key(ANN, Scope("acme"), "API_TOKEN", FAKE, kind="secret")
    seed.vault.lock()
    return seed


def app_for(db_path, user=ANN, **kwargs) -> PyleeApp:
    return PyleeApp(db_path=db_path, user=user, watch_interval=3600, clock=clock, **kwargs)


def rows(table: DataTable | VaultTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def by_key(table: DataTable | VaultTable) -> dict[str, list[str]]:
    return {r[0].removeprefix("⚠ "): r for r in rows(table)}


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def open_vault(pilot) -> VaultPane:
    await settle(pilot)
    await pilot.press("4")
    await settle(pilot)
    await settle(pilot)
    return pilot.app.screen.query_one(VaultPane)


def table_of(pane: VaultPane) -> VaultTable:
    return pane.query_one("#vault-table", VaultTable)


def cursor_to(pane: VaultPane, key: str) -> None:
    table = table_of(pane)
    table.move_cursor(row=table.get_row_index(key))


async def unlock(pilot, passphrase: str = PASSPHRASE) -> None:
    """The unlock screen asks, its field focused; the passphrase is given there, not typed
    (21 keys at ~90 ms a key, and typing is not what the tests using this check), then enter."""
    assert isinstance(pilot.app.screen, VaultUnlockScreen), pilot.app.screen
    field = pilot.app.screen.query_one("#vault-passphrase", Input)
    assert field.has_focus
    field.value = passphrase
    await pilot.press("enter")
    await settle(pilot)


async def test_variable_at_org_override_on_server_and_effective_shows_the_source(db_path, seed):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        assert list(by_key(table_of(pane))) == ["LOG_LEVEL"]
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, VariableFormScreen)
        await type_text(pilot, "REGION")
        await pilot.press("tab")
        await type_text(pilot, "eu-west-1")
        await pilot.press("enter")
        await settle(pilot)
        assert [v.key for v in seed.variables.list_keys(ANN, Scope("acme"))] == [
            "LOG_LEVEL",
            "REGION",
        ]
        assert by_key(table_of(pane))["REGION"][:4] == ["REGION", "variable", "eu-west-1", "here"]

        # the server scope, through the picker
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PickScreen)
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert pane.scope == Scope("acme", "core-tools", WEATHER)
        assert f"server {WEATHER}" in str(pane.query_one("#vault-title").render())
        assert table_of(pane).row_count == 0
        assert "Nothing is defined at server" in str(pane.query_one("#vault-empty").render())
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "REGION")
        await pilot.press("tab")
        await type_text(pilot, "us-east-1")
        await pilot.press("enter")
        await settle(pilot)
        server_vars = seed.variables.list_keys(ANN, Scope("acme", "core-tools", WEATHER))
        assert [(v.key, v.value) for v in server_vars] == [("REGION", "us-east-1")]

        await pilot.press("t")
        await settle(pilot)
        effective = by_key(table_of(pane))
        assert effective["REGION"] == ["REGION", "variable", "us-east-1", "here", "org"]
        assert effective["LOG_LEVEL"] == ["LOG_LEVEL", "variable", "info", "org", ""]
        # the server's required secret is listed as missing (UNITS has a default: not missing)
        assert effective["WEATHER_API_KEY"][1:3] == ["secret", "missing (required)"]
        assert "UNITS" not in effective
        assert "1 required missing" in str(pane.query_one("#vault-mode").render())
        cursor_to(pane, "REGION")
        await pilot.pause()
        detail = str(pane.query_one("#vault-detail").render())
        assert f"server {WEATHER}" in detail and "overrides org acme" in detail


async def test_keys_typed_as_the_form_and_the_picker_open_reach_them(db_path, seed):
    """Keys typed while a form or the picker opens reach it, in order (screens/typeahead.py)."""
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        burst(pilot.app, "n", "R", "E", "G")  # typed at once, while the form opens
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, VariableFormScreen)
        assert form.query_one("#field-key", Input).value == "REG"
        form.query_one("#field-key", Input).value = ""  # nothing typed: escape just closes
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is not form
        burst(pilot.app, "p", "j", "enter")
        await settle(pilot)
        assert pane.scope == Scope("acme", "core-tools")


async def test_first_secret_asks_for_a_new_passphrase_twice_then_shows_masked(db_path, seed):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        assert "no passphrase yet" in str(pane.query_one("#vault-lock").render())
        await pilot.press("n")
        await settle(pilot)
        form = pilot.app.screen
        await type_text(pilot, "API_TOKEN")
        assert "ctrl+t makes it a secret" in str(form.query_one("#kind-hint").render())
        await pilot.press("ctrl+t")
        value = form.query_one("#field-value", Input)
        assert value.password  # a secret is typed masked
        await pilot.press("tab")
        await type_text(pilot, FAKE)
        await pilot.press("enter")
        await settle(pilot)
        choose = pilot.app.screen
        assert isinstance(choose, ChoosePassphraseScreen)
        # the rule is shown inline as it is typed, and goes once the passphrase is long enough
        # (short ones typed: each key costs a frame or more)
        await type_text(pilot, "short")
        assert "at least" in str(choose.query_one("#vault-new-error").render())
        await type_text(pilot, NEW_PASSPHRASE.removeprefix("short"))
        assert str(choose.query_one("#vault-new-error").render()) == ""
        await pilot.press("enter")  # on to the second field
        await type_text(pilot, NEW_PASSPHRASE[:-1])
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is choose
        assert "differ" in str(choose.query_one("#vault-again-error").render())
        assert not seed.vault.initialized()
        await type_text(pilot, NEW_PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert seed.vault.initialized()
        assert not isinstance(pilot.app.screen, VariableFormScreen)  # saved and closed
        secret = by_key(table_of(pane))["API_TOKEN"]
        assert secret[1:3] == ["secret", MASK]
        assert FAKE not in str(rows(table_of(pane)))
        assert "vault unlocked" in str(pane.query_one("#vault-lock").render())
        assert [
            (v.key, v.kind, v.value)
            for v in seed.variables.list_keys(ANN, Scope("acme"), kind="secret")
        ] == [("API_TOKEN", "secret", None)]
        assert all(FAKE not in n and NEW_PASSPHRASE not in n for n in notes(pilot.app))
    # the vault opens with the passphrase typed twice, and holds the value typed masked
    seed.vault.unlock(NEW_PASSPHRASE)
    assert seed.variables.reveal(ANN, Scope("acme"), "API_TOKEN") == FAKE


async def test_reveal_asks_the_passphrase_shows_the_value_then_masks_again(db_path, with_secret):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        pane.reveal_seconds = 1.5  # short, yet long enough to see it under load
        assert "vault locked" in str(pane.query_one("#vault-lock").render())
        cursor_to(pane, "API_TOKEN")
        await pilot.press("v")
        await settle(pilot)
        await unlock(pilot)
        assert by_key(table_of(pane))["API_TOKEN"][2] == FAKE
        assert "revealed" in str(pane.query_one("#vault-detail").render())
        await wait_until(pilot, lambda: not pane.revealed, "the reveal's end")
        assert by_key(table_of(pane))["API_TOKEN"][2] == MASK
        actions = [e.action for e in with_secret.audit.list_for_org(ANN, "acme")]
        assert actions[0] == "secret.reveal"
        assert all(FAKE not in n for n in notes(pilot.app))


async def test_ctrl_l_locks_and_a_wrong_passphrase_is_said_inline(db_path, with_secret):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        cursor_to(pane, "API_TOKEN")
        await pilot.press("v")
        await settle(pilot)
        await unlock(pilot)
        assert by_key(table_of(pane))["API_TOKEN"][2] == FAKE
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert not pilot.app.services.vault.unlocked
        assert by_key(table_of(pane))["API_TOKEN"][2] == MASK  # re-masked at once
        assert "Vault locked" in notes(pilot.app)
        assert "vault locked" in str(pane.query_one("#vault-lock").render())

        await pilot.press("v")
        await settle(pilot)
        screen = pilot.app.screen
        await unlock(pilot, "not the passphrase")
        assert pilot.app.screen is screen  # still asking
        assert "wrong vault passphrase" in str(screen.query_one("#vault-error").render())
        assert not pilot.app.services.vault.unlocked
        await pilot.press("escape")
        await settle(pilot)
        assert by_key(table_of(pane))["API_TOKEN"][2] == MASK


async def test_define_a_missing_secret_on_the_server_unlocking_the_vault_to_save(
    db_path, with_secret
):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        pane.action_scope(f"server/core-tools/{WEATHER}")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        cursor_to(pane, "WEATHER_API_KEY")
        await pilot.pause()
        assert "press e to define it here" in str(pane.query_one("#vault-detail").render())
        await pilot.press("e")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, VariableFormScreen)
        assert form.query_one("#field-key", Input).disabled  # the key is the declared one
        assert form.kind == "secret" and form.query_one("#field-value", Input).password
        await type_text(pilot, FAKE)
        await pilot.press("enter")
        await settle(pilot)
        await unlock(pilot)  # the vault is locked: saving asks for its passphrase first
        await settle(pilot)
        assert not isinstance(pilot.app.screen, VariableFormScreen)
        saved = with_secret.variables.list_keys(ANN, Scope("acme", "core-tools", WEATHER))
        assert [(v.key, v.kind) for v in saved] == [("WEATHER_API_KEY", "secret")]
        row = by_key(table_of(pane))["WEATHER_API_KEY"]
        assert row[1:4] == ["secret", MASK, "here"]
        assert "required missing" not in str(pane.query_one("#vault-mode").render())

        # editing a secret never shows its current value
        await pilot.press("e")
        await settle(pilot)
        assert pilot.app.screen.query_one("#field-value", Input).value == ""
        await pilot.press("escape")
        # an inherited variable is overridden here, prefilled with what it inherits
        cursor_to(pane, "LOG_LEVEL")
        await pilot.press("e")
        await settle(pilot)
        form = pilot.app.screen
        assert "Override LOG_LEVEL" in str(form.query_one(".dialog-title").render())
        assert form.query_one("#field-value", Input).value == "info"


async def test_copying_a_variable_that_embeds_a_secret_reads_only_that_secret(db_path, with_secret):
    """URL=${TOKEN} with two secrets in scope: the copy decrypts and records TOKEN alone."""
    with_secret.vault.unlock(PASSPHRASE)
    with_secret.variables.set_key(ANN, Scope("acme"), "TOKEN", "tok-1", kind="secret")
    with_secret.variables.set_key(ANN, Scope("acme"), "URL", "https://${TOKEN}@example.com")
    with_secret.vault.lock()
    seen = len(with_secret.audit.list_for_org(ANN, "acme"))
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        pilot.app.services.vault.unlock(PASSPHRASE)
        await pilot.press("t")  # the effective value, its reference expanded
        await settle(pilot)
        cursor_to(pane, "URL")
        await pilot.press("c")
        await settle(pilot)
        assert pilot.app.clipboard == "https://tok-1@example.com"
    events = with_secret.audit.list_for_org(ANN, "acme")
    new = [(e.action, e.target_label, e.metadata.get("keys")) for e in events[: len(events) - seen]]
    assert new == [("secret.copy", "TOKEN", None)]  # API_TOKEN is neither read nor named


async def test_copy_puts_the_value_on_the_clipboard_and_is_audited(db_path, with_secret):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        pilot.app.services.vault.unlock(PASSPHRASE)
        cursor_to(pane, "API_TOKEN")
        await pilot.press("c")
        await settle(pilot)
        assert pilot.app.clipboard == FAKE
        assert by_key(table_of(pane))["API_TOKEN"][2] == MASK  # copying reveals nothing
        assert [e.action for e in with_secret.audit.list_for_org(ANN, "acme")][0] == "secret.copy"
        assert "Copied API_TOKEN to the clipboard." in notes(pilot.app)
        assert all(FAKE not in n for n in notes(pilot.app))
        cursor_to(pane, "LOG_LEVEL")  # a plain variable: copied as is
        await pilot.press("c")
        await settle(pilot)
        assert pilot.app.clipboard == "info"
        # a copied secret does not outlive the unlock; a copied variable does
        cursor_to(pane, "API_TOKEN")
        await pilot.press("c")
        await settle(pilot)
        assert pilot.app.clipboard == FAKE
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert pilot.app.clipboard == ""
        pilot.app.services.vault.unlock(PASSPHRASE)
        cursor_to(pane, "LOG_LEVEL")
        await pilot.press("c")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert pilot.app.clipboard == "info"


async def test_a_scope_load_landing_after_a_newer_one_is_never_shown(db_path, seed, monkeypatch):
    """Scopes load in threads and may finish in any order: the registry picked, then at once its
    server, the registry's load landing last must not put the registry back."""
    from pylee_tui.sections.vault import pane as pane_module

    real_load = pane_module.load_vault_view
    release, finished = threading.Event(), threading.Event()
    held = []

    def load(services, user, scope):
        if scope == Scope("acme", "core-tools") and not held:
            held.append(scope)
            release.wait(10)
            try:
                return real_load(services, user, scope)
            finally:
                finished.set()
        return real_load(services, user, scope)

    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        monkeypatch.setattr(pane_module, "load_vault_view", load)
        pane.action_scope("registry/core-tools")
        for _ in range(100):  # the registry's load is in its thread
            if held:
                break
            await pilot.pause()
        pane.action_scope(f"server/core-tools/{WEATHER}")
        for _ in range(100):
            if pane.vault_view is not None and pane.vault_view.scope == Scope(
                "core-tools", WEATHER
            ):
                break
            await pilot.pause()
        assert held == [Scope("acme", "core-tools")]
        release.set()  # the older load lands now
        for _ in range(100):
            if finished.is_set():
                break
            await pilot.pause()
        await settle(pilot)
        assert pane.scope == Scope("acme", "core-tools", WEATHER)
        assert f"server {WEATHER}" in str(pane.query_one("#vault-title").render())


class Ticks:
    """The idle lock's clock, moved by the test; it counts how often the app has read it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


async def a_check_of_the_idle_time(pilot, ticks: Ticks) -> None:
    # the app checks a few times per limit (every 0.3 s for 1.5 s): wait for the next check
    reads = ticks.reads
    await wait_until(pilot, lambda: ticks.reads > reads, "a check of the idle time")


async def test_the_vault_locks_itself_after_idle_time(db_path, with_secret):
    ticks = Ticks()
    async with app_for(db_path, vault_idle_lock=1.5, idle_clock=ticks).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        cursor_to(pane, "API_TOKEN")
        await pilot.press("v")
        await settle(pilot)
        await unlock(pilot)
        assert by_key(table_of(pane))["API_TOKEN"][2] == FAKE
        ticks.now += 1.4
        await pilot.press("down")  # a key: the idle time starts again
        ticks.now += 1.4
        await a_check_of_the_idle_time(pilot, ticks)
        assert pilot.app.services.vault.unlocked  # 1.4 s since the last key
        ticks.now += 0.1  # no key, no mouse for 1.5 s
        await a_check_of_the_idle_time(pilot, ticks)
        await settle(pilot)
        assert not pilot.app.services.vault.unlocked
        assert by_key(table_of(pane))["API_TOKEN"][2] == MASK
        assert any("without input" in n for n in notes(pilot.app))


async def test_a_member_without_reveal_sees_reveal_and_copy_disabled(db_path, with_secret):
    async with app_for(db_path, user=BEA).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        cursor_to(pane, "API_TOKEN")
        await pilot.pause()
        for action in ("reveal", "copy", "new", "edit", "delete"):
            assert pane.check_action(action, ()) is None, action
        assert pane.check_action("history", ()) is True
        await pilot.press("v")
        await pilot.press("c")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, VaultUnlockScreen)
        assert pilot.app.clipboard == ""
        cursor_to(pane, "LOG_LEVEL")
        await pilot.pause()
        assert pane.check_action("copy", ()) is True  # a plain variable is no secret
        assert pane.check_action("reveal", ()) is None


async def test_delete_asks_for_confirmation(db_path, seed):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        cursor_to(pane, "LOG_LEVEL")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ChoiceScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert [v.key for v in seed.variables.list_keys(ANN, Scope("acme"))] == ["LOG_LEVEL"]
        await pilot.press("d")
        await settle(pilot)
        await pilot.click("#choice-yes")
        await settle(pilot)
        assert seed.variables.list_keys(ANN, Scope("acme")) == []
        assert table_of(pane).row_count == 0
        assert pane.query_one("#vault-empty").display


async def test_history_lists_versions_and_rolls_back(db_path, seed):
    seed.variables.set_key(ANN, Scope("acme"), "LOG_LEVEL", "debug")
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        cursor_to(pane, "LOG_LEVEL")
        await pilot.press("h")
        await settle(pilot)
        history = pilot.app.screen
        assert isinstance(history, VariableHistoryScreen)
        table = history.query_one(DataTable)
        assert [r[:2] for r in rows(table)] == [["2", "set  current"], ["1", "set"]]
        assert rows(table)[1][2:] == ["2026-11-20 09:30", ANN, "info"]
        assert history.check_action("rollback", ()) is None  # the current version
        table.move_cursor(row=1)
        await pilot.pause()
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ChoiceScreen)
        await pilot.click("#choice-yes")
        await settle(pilot)
        assert pilot.app.screen is history
        assert [r[:2] for r in rows(table)][0] == ["3", "rollback  current"]
        assert seed.variables.get_key(ANN, Scope("acme"), "LOG_LEVEL").value == "info"
        await pilot.press("escape")
        await settle(pilot)
        assert by_key(table_of(pane))["LOG_LEVEL"][2] == "info"


async def test_palette_lists_vault_scopes_and_actions(db_path, seed):
    from pylee_tui.commands import PyleeCommands

    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        titles = {t: cb for t, _h, cb in PyleeCommands(pilot.app.screen)._commands()}
        assert {"Vault: scope…", "Vault: lock", "Vault: auto-lock after…"} <= set(titles)
        titles[f"Vault: scope server {WEATHER}"]()
        await settle(pilot)
        assert pane.scope == Scope("acme", "core-tools", WEATHER)


async def test_narrow_terminal_hides_the_tree_and_keeps_the_table(db_path, with_secret):
    async with app_for(db_path).run_test(size=(80, 24)) as pilot:
        pane = await open_vault(pilot)
        assert pane.size.width < NARROW
        assert not pane.query_one("#vault-scopes").display
        assert set(by_key(table_of(pane))) == {"API_TOKEN", "LOG_LEVEL"}


# --- snapshots ---------------------------------------------------------------------------


async def server_effective(pilot, reveal: bool) -> None:
    pane = await open_vault(pilot)
    pane.reveal_seconds = 3600
    pane.action_scope(f"server/core-tools/{WEATHER}")
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    cursor_to(pane, "API_TOKEN")
    if reveal:
        pilot.app.services.vault.unlock(PASSPHRASE)
        await pilot.press("v")
        await settle(pilot)
    await pilot.pause()


def snapshot_seed(services: Services) -> None:
    services.variables.set_key(ANN, Scope("acme"), "REGION", "eu-west-1")
    services.variables.set_key(
        ANN, Scope("acme", "core-tools", WEATHER), "REGION", "us-east-1", kind="variable"
    )
    services.variables.set_key(ANN, Scope("acme"), "WEATHER_URL", "https://api.example/${REGION}")


def test_vault_masked_snapshot(snap_compare, db_path, with_secret):
    snapshot_seed(with_secret)

    async def run_before(pilot) -> None:
        await server_effective(pilot, reveal=False)

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=SIZE)


def test_vault_revealed_snapshot(snap_compare, db_path, with_secret):
    snapshot_seed(with_secret)

    async def run_before(pilot) -> None:
        await server_effective(pilot, reveal=True)

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=SIZE)


def test_vault_narrow_snapshot(snap_compare, db_path, with_secret):
    snapshot_seed(with_secret)

    async def run_before(pilot) -> None:
        await server_effective(pilot, reveal=False)

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=(80, 24))


def test_vault_deleted_snapshot(snap_compare, db_path, with_secret):
    """The keys deleted at the org, at 80x24: a variable with its last value, a secret masked."""
    snapshot_seed(with_secret)
    with_secret.variables.unset(ANN, Scope("acme"), "WEATHER_URL")
    with_secret.variables.unset(ANN, Scope("acme"), "API_TOKEN")

    async def run_before(pilot) -> None:
        await open_vault(pilot)
        await pilot.press("D")
        await settle(pilot)

    assert snap_compare(app_for(db_path), run_before=run_before, terminal_size=(80, 24))


@pytest.mark.parametrize(
    "name",
    ["test_vault_masked_snapshot", "test_vault_narrow_snapshot", "test_vault_deleted_snapshot"],
)
def test_masked_snapshots_hold_no_plaintext(name):
    svg = (SNAPSHOTS / f"{name}.svg").read_text(encoding="utf-8")
    assert MASK in svg.replace("&#160;", " ")
    assert "FAKE" not in svg and FAKE not in svg


def test_the_revealed_snapshot_does_show_the_fake_value():
    """The check above would pass vacuously if values never reached a snapshot."""
    svg = (SNAPSHOTS / "test_vault_revealed_snapshot.svg").read_text(encoding="utf-8")
    assert FAKE in svg


async def test_the_idle_lock_time_is_chosen_from_the_palette_and_remembered(db_path, seed):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert pilot.app.vault_idle_lock == 15 * 60
        await pilot.app.run_action("vault_idle_lock")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PickScreen)
        await pilot.press("home", "enter")  # 5 minutes
        await settle(pilot)
        assert pilot.app.vault_idle_lock == 300
    assert seed.settings.get_setting("vault_idle_lock") == "300"
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert pilot.app.vault_idle_lock == 300


async def test_a_failing_result_callback_is_said_not_swallowed(db_path, seed):
    """app.call used to lose an exception raised in `done` inside the worker, silently."""

    def broken(_result):
        raise ValueError(FAKE)

    async with app_for(db_path).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.call(lambda: 1, done=broken)
        await settle(pilot)
        said = notes(pilot.app)
        assert "unexpected error: ValueError (details in the log)" in said
        assert all(FAKE not in n for n in said)


async def test_change_the_passphrase_from_the_palette(db_path, with_secret):
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        pilot.app.action_vault_passwd()
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ChangePassphraseScreen)
        # a wrong current passphrase is said inline and changes nothing
        await type_text(pilot, "nope")
        await pilot.press("enter")
        await type_text(pilot, NEW_PASSPHRASE)
        await pilot.press("enter")
        await type_text(pilot, NEW_PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert "wrong vault passphrase" in str(screen.query_one("#vault-error").render())
        # the refused one is cleared and has the focus; the new one typed twice stays
        current = screen.query_one("#vault-current", Input)
        assert current.value == "" and current.has_focus
        assert screen.query_one("#vault-new", Input).value == NEW_PASSPHRASE
        assert screen.query_one("#vault-again", Input).value == NEW_PASSPHRASE
        current.value = PASSPHRASE  # typing it is shown above: given here
        await pilot.press("enter")
        await pilot.press("enter")
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is not screen
        assert any("passphrase changed" in n for n in notes(pilot.app))
        cursor_to(pane, "API_TOKEN")
        await pilot.press("ctrl+l")
        await settle(pilot)
    # the new passphrase opens the vault, the old one does not; the secret is intact
    store = Store(db_path)
    services = Services(store)
    with pytest.raises(WrongPassphrase):
        services.vault.unlock(PASSPHRASE)
    services.vault.unlock(NEW_PASSPHRASE)
    assert services.variables.reveal(ANN, Scope("acme"), "API_TOKEN") == FAKE
    store.close()


# --- columns keep their width (issue 12, wrong behaviour 6) --------------------------------


def drawn(table: VaultTable) -> list[str]:
    """The table's lines as the terminal gets them."""
    return [table.render_line(y).text.rstrip() for y in range(table.size.height)]


async def test_columns_keep_their_width_after_adding_and_deleting(db_path, seed):
    seed.variables.set_key(ANN, Scope("acme"), "AUTH_HEADER", "Bearer ${LOG_LEVEL}")
    seed.variables.set_key(ANN, Scope("acme"), "CYC_A", "a${CYC_B}")
    seed.variables.set_key(ANN, Scope("acme"), "CYC_B", "b${CYC_A}")
    for n in range(30):  # more than fit: the table's height stays the same after a change
        seed.variables.set_key(ANN, Scope("acme"), f"ZZ_{n:02d}", "filler")
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        table = table_of(pane)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "REGION")
        await pilot.press("tab")
        await type_text(pilot, "eu-west-1")
        await pilot.press("enter")
        await settle(pilot)
        lines = drawn(table)
        for key, value in (
            ("AUTH_HEADER", "Bearer ${LOG_LEVEL}"),
            ("CYC_A", "a${CYC_B}"),
            ("CYC_B", "b${CYC_A}"),
            ("REGION", "eu-west-1"),
        ):
            assert any(key in line and value in line for line in lines), (key, lines)
        assert any("Defined at" in line and "Overrides" in line for line in lines), lines

        cursor_to(pane, "REGION")
        await pilot.press("d")
        await settle(pilot)
        await pilot.click("#choice-yes")
        await settle(pilot)
        lines = drawn(table)
        assert not any("REGION" in line for line in lines)
        for key in ("AUTH_HEADER", "CYC_A", "CYC_B", "LOG_LEVEL"):
            assert any(f" {key} " in f"{line} " for line in lines), (key, lines)


# --- at any size: a window of rows, a filter and sorts in workers, a tree read on opening ----


async def test_every_key_of_a_long_scope_is_reached_though_the_table_holds_a_window(
    db_path, seed, monkeypatch
):
    from pylee_tui.sections.vault import table as table_module

    monkeypatch.setattr(table_module, "WINDOW", 8)
    for n in range(30):
        seed.variables.set_key(ANN, Scope("acme"), f"KEY_{n:02d}", f"value {n}")
    keys = sorted(["LOG_LEVEL", *(f"KEY_{n:02d}" for n in range(30))])
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        table = table_of(pane)
        assert table.row_count == 8  # a window of the 31 rows
        assert "31 keys" in str(pane.query_one("#vault-mode").render())
        seen = [pane.selected.key]
        for _ in range(len(keys) - 1):
            await pilot.press("down")
            seen.append(pane.selected.key)
        assert seen == keys  # every key, in order, past each edge of the window
        assert table.row_count == 8
        await pilot.press("ctrl+home")
        assert pane.selected.key == keys[0]
        await pilot.press("ctrl+end")
        assert pane.selected.key == keys[-1]
        assert str(pane.query_one("#vault-detail").render()).startswith(keys[-1])


async def test_the_filter_narrows_the_rows_and_escape_brings_them_back(db_path, seed):
    for key in ("GITHUB_TOKEN", "GITLAB_URL", "REGION"):
        seed.variables.set_key(ANN, Scope("acme"), key, "https://git.example")
    seed.variables.set_key(ANN, Scope("acme"), "MIRROR", "github.example")  # by its value
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        field = pane.query_one("#vault-filter", Input)
        assert not field.display
        await pilot.press("slash")
        assert field.display and field.has_focus
        await type_text(pilot, "github")
        await settle(pilot)
        assert list(by_key(table_of(pane))) == ["GITHUB_TOKEN", "MIRROR"]
        assert "2 of 5 keys match" in str(pane.query_one("#vault-mode").render())
        await type_text(pilot, "zz")
        await settle(pilot)
        assert table_of(pane).row_count == 0
        assert "No key matches “githubzz”" in str(pane.query_one("#vault-empty").render())
        await pilot.press("escape")
        await settle(pilot)
        assert not field.display and table_of(pane).has_focus
        assert list(by_key(table_of(pane))) == [
            "GITHUB_TOKEN",
            "GITLAB_URL",
            "LOG_LEVEL",
            "MIRROR",
            "REGION",
        ]


async def test_sorting_by_a_column_and_the_other_way(db_path, with_secret):
    seed_services = Services(Store(db_path), clock=clock)
    try:
        seed_services.variables.set_key(ANN, Scope("acme"), "A_URL", "https://z.example")
    finally:
        seed_services.store.close()
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        assert list(by_key(table_of(pane))) == ["API_TOKEN", "A_URL", "LOG_LEVEL"]
        await pilot.press("S")  # by kind
        await settle(pilot)
        assert [r[1] for r in rows(table_of(pane))] == ["secret", "variable", "variable"]
        assert "by kind" in str(pane.query_one("#vault-mode").render())
        await pilot.press("S")  # by value: the secret's is never read (it sorts first)
        await settle(pilot)
        assert list(by_key(table_of(pane))) == ["API_TOKEN", "A_URL", "LOG_LEVEL"]
        table = table_of(pane)
        await pilot.click(table, offset=(table.widths[0] + table.widths[1] + 6, 0))
        await settle(pilot)  # a click on the same column's header: the other way
        assert list(by_key(table_of(pane))) == ["LOG_LEVEL", "A_URL", "API_TOKEN"]
        assert "Value ▲" in drawn(table)[0]


async def test_a_large_orgs_registries_list_their_servers_when_opened(db_path, seed, monkeypatch):
    from pylee_tui.sections.vault import rows as rows_module
    from pylee_tui.sections.vault import scope_tree

    monkeypatch.setattr(rows_module, "LIST_SERVERS_UP_TO", 2)
    monkeypatch.setattr(scope_tree, "PAGE", 2)
    for n in range(4):
        seed.registries.add_server(
            ANN, Scope("acme", "core-tools"), server_doc(f"io.github.acme/extra-{n}")
        )
    async with app_for(db_path).run_test(size=SIZE) as pilot:
        pane = await open_vault(pilot)
        tree = pane.query_one("#vault-scopes", Tree)
        registry = tree.root.children[0]
        assert not registry.is_expanded and not registry.children  # not read yet
        registry.expand()
        await settle(pilot)
        shown = [str(n.label) for n in registry.children]
        assert shown == ["extra-0", "extra-1", "… 3 more (enter shows 2)"]
        tree.focus()
        tree.move_cursor(registry.children[-1])
        await pilot.press("enter")
        await settle(pilot)
        shown = [str(n.label) for n in registry.children]
        assert shown == ["extra-0", "extra-1", "extra-2", "extra-3", "… 1 more (enter shows 1)"]
        tree.move_cursor(registry.children[1])
        await settle(pilot)
        assert pane.scope == Scope("acme", "core-tools", "io.github.acme/extra-1")
