"""The org screen shows the org asked for last, whatever order its loads finish in.

Closing the overview editor reloads the org shown while a palette jump ("go to org beta")
already loads the next one; both run in worker threads, so the older load may land last."""

from __future__ import annotations

import threading

import pytest

from pylee_tui.app import PyleeApp
from pylee_tui.screens import org as org_module
from pylee_tui.screens.org import OrgScreen
from pylee_tui.services import Services
from pylee_tui.store import Store
from tests.support import ANN
from tests.ui.pilot import settle


@pytest.fixture
def two_orgs(db_path):
    store = Store(db_path)
    services = Services(store)
    services.orgs.create(ANN, "Alpha")
    services.orgs.create(ANN, "Beta")
    yield services
    store.close()


async def test_an_older_load_landing_last_does_not_bring_the_previous_org_back(
    db_path, two_orgs, monkeypatch
):
    app = PyleeApp(db_path=db_path, user=ANN, watch_interval=3600)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrgScreen) and screen.slug == "alpha"

        # alpha's next load is held in its thread until beta has been shown
        real_load = org_module.load_org_view
        release = threading.Event()
        held = []

        def load(services, user, slug):
            if slug == "alpha" and not held:
                held.append(slug)
                release.wait(10)
            return real_load(services, user, slug)

        monkeypatch.setattr(org_module, "load_org_view", load)

        screen.reload()  # what closing the overview editor does
        for _ in range(100):  # alpha's load is in its thread (a newer load cannot stop it now)
            if held:
                break
            await pilot.pause()
        app.switch_to_org("beta")  # what the palette's "go to org beta" does

        for _ in range(100):
            if screen.view is not None and screen.view.org.slug == "beta":
                break
            await pilot.pause()
        assert held == ["alpha"]
        assert screen.view is not None and screen.view.org.slug == "beta"

        release.set()  # the older load of alpha lands now
        await settle(pilot)
        assert screen.slug == "beta"
        assert screen.view.org.slug == "beta"
        assert app.org_screen.query_one("#org-name").render().plain.startswith("Beta")
