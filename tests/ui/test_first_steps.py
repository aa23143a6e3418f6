"""The README's first steps, as a new user takes them: `make run` asks for an email and offers the
demo; the CLI's `demo` uses the saved user; and the path ends in a registry that exports."""

from __future__ import annotations

import json
from pathlib import Path

from pylee_tui.app import PyleeApp
from pylee_tui.screens.org import OrgScreen
from pylee_tui.screens.welcome import WelcomeScreen
from pylee_tui.services import Scope, Services
from pylee_tui.store import Store
from tests.support import CliRunner
from tests.ui.pilot import settle, type_text

YOU = "you@example.com"


async def test_the_welcome_screen_offers_the_demo_and_lands_in_a_living_app(db_path: Path):
    app = PyleeApp(db_path=db_path, watch_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        await type_text(pilot, YOU)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.click("#welcome-demo")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrgScreen)
        assert screen.view is not None and screen.view.org.slug == "acme-production"
        assert [o.slug for o in screen.view.orgs] == [
            "acme-production",
            "acme-staging",
            "personal-lab",
        ]
    store = Store(db_path)
    try:
        services = Services(store)
        assert services.identity.saved() == YOU
        # without a vault, the Personal Lab's registry still exports as it is
        plan = services.export.plan(YOU, Scope("personal-lab", "experiments"), "cursor")
        assert len(plan.entries) == 3
    finally:
        store.close()


def test_the_cli_demo_uses_the_saved_user_and_a_registry_exports(cli: CliRunner) -> None:
    assert cli("login", YOU, user=None).code == 0
    result = cli("demo", user=None)
    assert result.code == 0, result.err
    assert f"you ({YOU})" in result.out
    listed = cli("org", "list", "--json", user=None)
    assert [o["slug"] for o in json.loads(listed.out)] == [
        "acme-production",
        "acme-staging",
        "personal-lab",
    ]
    exported = cli(
        "export",
        *("--org", "personal-lab", "--registry", "experiments", "--client", "cursor"),
        user=None,
    )
    assert exported.code == 0, exported.err
    assert set(json.loads(exported.out)["mcpServers"]) == {
        "mongodb-mcp-server",
        "mcp-server-motherduck",
        "mcp-server-cloudflare",
    }


def test_with_a_passphrase_every_demo_registry_exports(cli: CliRunner, monkeypatch) -> None:
    monkeypatch.setenv("PYLEE_PASSPHRASE", "correct horse battery")
    assert cli("demo").code == 0
    for org, registry in [
        ("acme-production", "core-tools"),
        ("acme-production", "data-sources"),
        ("acme-staging", "staging-tools"),
        ("personal-lab", "experiments"),
    ]:
        result = cli("export", "--org", org, "--registry", registry, "--client", "vscode")
        assert result.code == 0, (org, registry, result.err)
