"""Start-up shows the real org screen at once: the org bar names the org and the tabs are there
before the org's view (overview, onboarding) has loaded; the view is loaded once."""

from __future__ import annotations

import threading

import pytest

from pylee_tui import app as app_module
from pylee_tui.app import PyleeApp
from pylee_tui.screens import org as org_module
from pylee_tui.services import Services
from pylee_tui.store import Store
from pylee_tui.widgets.org_bar import OrgBar
from pylee_tui.widgets.section_bar import SectionBar
from tests.support import ANN
from tests.ui.pilot import settle


@pytest.fixture
def two_orgs(db_path):
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Acme", overview="# Acme\n\nThe servers we run.")
    services.orgs.create(ANN, "Beta")
    store.close()
    return db_path


async def test_the_org_bar_names_the_org_before_its_view_has_loaded(two_orgs, monkeypatch):
    release = threading.Event()
    real_load = app_module.load_org_view

    def held_load(services, user, slug):
        release.wait(10)  # the org's view (overview, onboarding) is slow to come
        return real_load(services, user, slug)

    monkeypatch.setattr(app_module, "load_org_view", held_load)
    app = PyleeApp(db_path=two_orgs, user=ANN, watch_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):  # frames, not the workers: the start-up worker is held
            bars = app.org_screen.query(OrgBar)
            if bars and bars.first().org_name:
                break
            await pilot.pause()
        bar = app.org_screen.query_one(OrgBar)
        try:
            assert (bar.org_name, bar.org_slug, bar.role, bar.position) == (
                "Acme",
                "acme",
                "admin",
                "1/2",
            )
            assert "Acme" in bar.render().plain
            assert "2 Registries" in app.org_screen.query_one(SectionBar).render().plain
            assert app.org_screen.view is None  # still loading
        finally:
            release.set()
        await settle(pilot)
        assert app.org_screen.view is not None and app.org_screen.view.org.slug == "acme"
        assert str(app.org_screen.query_one("#org-name").render()).startswith("Acme")


async def test_start_up_loads_the_org_once(two_orgs, monkeypatch):
    loads: list[str] = []

    def counted(real):
        def load(services, user, slug):
            loads.append(slug)
            return real(services, user, slug)

        return load

    monkeypatch.setattr(app_module, "load_org_view", counted(app_module.load_org_view))
    monkeypatch.setattr(org_module, "load_org_view", counted(org_module.load_org_view))
    app = PyleeApp(db_path=two_orgs, user=ANN, watch_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.org_screen.view is not None
    assert loads == ["acme"]
