"""The user's own settings on an entry an export wrote (Codex's `enabled = false` and timeouts,
Claude's and Cursor's `disabled` and auto-approved tools, Gemini's `trust`, Zed's `enabled`,
VS Code's `dev`...): a re-export or a sync keeps them, and drift does not count them as a hand
change. Only the keys an export writes (each client's `managed_keys`) are the export's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pylee_tui.services import Scope, Services
from pylee_tui.services.clients.model import CHANGED, IN_SYNC
from pylee_tui.services.export import CLIENTS
from pylee_tui.services.export.clients import client_format
from pylee_tui.services.export.codec import parse_document, rewrite
from tests.services import test_services_export
from tests.services.test_services_export import WEATHER
from tests.support import ANN

world = test_services_export.world  # acme / tools: its servers, variables and secrets
TOOLS = Scope("acme", "tools")
WEATHER_NAME = str(WEATHER["name"])

# what a user sets by hand on a server entry, per client (the clients' documented settings)
USER_KEYS: dict[str, dict[str, Any]] = {
    "claude": {"disabled": True, "alwaysAllow": ["get_forecast"]},
    "claude-code": {"disabled": True, "alwaysAllow": ["get_forecast"]},
    "vscode": {"dev": {"watch": "src/**/*.ts"}, "envFile": "${workspaceFolder}/.env"},
    "cursor": {"disabled": True, "autoApprove": ["get_forecast"]},
    "windsurf": {"disabled": True, "disabledTools": ["get_alerts"]},
    "zed": {"enabled": False},
    "codex": {"enabled": False, "startup_timeout_sec": 20, "tool_timeout_sec": 90},
    "gemini": {"trust": True, "timeout": 30000, "includeTools": ["get_forecast"]},
    "copilot": {"timeout": 60000},
}


def export(s: Services, target: Path, client: str) -> Any:
    """The weather server; values inlined where the client's default is the launcher (whose
    entries hold no value that could change)."""
    launcher = client_format(client).default_secrets == "launcher"
    _plan, result = s.export.install_with_names(
        ANN,
        TOOLS,
        client,
        target,
        servers=[WEATHER_NAME],
        allow_missing=True,
        secrets="inline" if launcher else None,
    )
    return result


def edit_entry(target: Path, client: str, change: Any) -> None:
    """Change the one entry of the file as a person would, in the client's own format."""
    fmt = client_format(client)
    text = target.read_text("utf-8")
    document = parse_document(fmt, target, text).document
    (entry,) = document[fmt.servers_key].values()
    change(entry)
    target.write_text(rewrite(fmt, text, document)[0], "utf-8")


def the_entry(target: Path, client: str) -> dict[str, Any]:
    fmt = client_format(client)
    document = parse_document(fmt, target, target.read_text("utf-8")).document
    (entry,) = document[fmt.servers_key].values()
    return dict(entry)


def states(s: Services, target: Path) -> list[str]:
    (found,) = s.drift.status(ANN, paths=[target])
    return [e.state for e in found.entries]


def test_every_client_has_user_keys_here() -> None:
    assert set(USER_KEYS) == set(CLIENTS)


@pytest.mark.parametrize("client", CLIENTS)
def test_a_re_export_keeps_the_users_own_settings_on_its_entry(
    world: Services, tmp_path: Path, client: str
) -> None:
    target = tmp_path / ("config.toml" if client == "codex" else "config.json")
    export(world, target, client)
    user = USER_KEYS[client]
    edit_entry(target, client, lambda entry: entry.update(user))
    assert states(world, target) == [IN_SYNC]  # the user's own settings are no hand change

    world.variables.set_key(ANN, Scope("acme"), "REGION", "us")  # the export changes now
    result = export(world, target, client)
    entry = the_entry(target, client)
    assert result.written and result.diff
    assert {k: entry.get(k) for k in user} == user
    assert "us.weather.example" in str(entry)  # the export's change is there too
    removed = [
        line
        for line in result.diff.splitlines()
        if line.startswith("-") and not line.startswith("---")
    ]
    assert not [line for line in removed if any(key in line for key in user)], result.diff
    assert states(world, target) == [IN_SYNC]


def test_sync_undoes_a_hand_change_and_keeps_the_users_own_settings(
    world: Services, tmp_path: Path
) -> None:
    target = tmp_path / "mcp.json"
    export(world, target, "cursor")

    def by_hand(entry: dict[str, Any]) -> None:
        entry["args"].append("--verbose")
        entry["disabled"] = True

    edit_entry(target, "cursor", by_hand)
    (found,) = world.drift.status(ANN, paths=[target])
    (changed,) = found.entries
    assert changed.state == CHANGED
    assert "--verbose" in changed.diff and "disabled" not in changed.diff
    world.drift.sync(ANN, target)
    entry = the_entry(target, "cursor")
    assert "--verbose" not in entry["args"]
    assert entry["disabled"] is True
    assert states(world, target) == [IN_SYNC]


def test_a_key_the_export_writes_added_by_hand_is_still_a_hand_change(
    world: Services, tmp_path: Path
) -> None:
    target = tmp_path / "mcp.json"
    export(world, target, "cursor")
    edit_entry(target, "cursor", lambda entry: entry.update(url="https://elsewhere.example/mcp"))
    assert states(world, target) == [CHANGED]


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("secrets", ["launcher", None])
def test_every_key_an_export_writes_is_among_the_clients_managed_keys(
    world: Services, client: str, secrets: str | None
) -> None:
    """Else a re-export would carry the old value of that key over the new one."""
    fmt = client_format(client)
    plan = world.export.plan(ANN, TOOLS, client, secrets=secrets, allow_missing=True)
    written = {key for entry in plan.entries.values() for key in entry}
    assert written and written <= fmt.managed_keys, written - fmt.managed_keys
