"""Snapshot tests of the app at a pinned terminal size (120x36). Review new SVGs by eye."""

from __future__ import annotations

import pytest

from pylee_tui.app import PyleeApp
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from tests.ui.pilot import settle, wait_until

ANN = "ann@example.com"
SIZE = (120, 36)


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    monkeypatch.delenv("PYLEE_USER", raising=False)
    return tmp_path / "pylee.db"


@pytest.fixture
def seed(db_path):
    store = Store(db_path)
    yield Services(store)
    store.close()


def make_app(db_path, user=ANN) -> PyleeApp:
    return PyleeApp(db_path=db_path, user=user, watch_interval=3600)


def test_welcome(snap_compare, db_path):
    assert snap_compare(make_app(db_path, user=None), run_before=settle, terminal_size=SIZE)


def test_org_home_timeline_zero_of_four(snap_compare, db_path, seed):
    seed.orgs.create(ANN, "Acme Production")
    assert snap_compare(make_app(db_path), run_before=settle, terminal_size=SIZE)


def test_org_home_timeline_complete(snap_compare, db_path, seed):
    seed.orgs.create(
        ANN,
        "Acme Production",
        description="Production MCP servers for Acme's agents",
        overview="# Acme Production\n\nReviewed servers only.\n\n- Secrets live in the vault\n",
    )
    seed.registries.create(ANN, "acme-production", "Core Tools")
    seed.members.invite(ANN, "acme-production", "bea@example.com")
    seed.variables.set_key(ANN, Scope("acme-production"), "LOG_LEVEL", "info")
    assert snap_compare(make_app(db_path), run_before=settle, terminal_size=SIZE)


def test_switcher_with_filter(snap_compare, db_path, seed):
    for name in ("Acme Production", "Acme Staging", "Personal Lab"):
        seed.orgs.create(ANN, name)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("a", "c", "s")
        await settle(pilot)

    assert snap_compare(make_app(db_path), run_before=run_before, terminal_size=SIZE)


def test_split_editor(snap_compare, db_path, seed):
    seed.orgs.create(
        ANN,
        "Acme Production",
        description="Production MCP servers",
        overview=(
            "# Acme Production\n\n## Rules\n\n- Reviewed servers only\n- Secrets in the vault\n"
        ),
    )

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("e")
        await wait_until(
            pilot, lambda: pilot.app.screen.query("#md-preview MarkdownBulletList"), "the preview"
        )
        await settle(pilot)

    assert snap_compare(make_app(db_path), run_before=run_before, terminal_size=SIZE)
