"""Drift: what an export wrote against what the client's file holds (in sync, changed by hand,
missing, stale, foreign), `sync` bringing the file back, `adopt` taking a hand change into the
registry. Real files in tmp_path, exports through the service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pylee_tui.services import Scope, Services
from pylee_tui.services.clients.model import CHANGED, FOREIGN, IN_SYNC, MISSING, STALE, DriftFile
from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export import CLIENTS
from tests.services import test_services_export
from tests.services.test_services_export import SEARCH, SECRET_API, SECRET_TOKEN, WEATHER
from tests.support import ANN

world = test_services_export.world  # acme / tools: its servers, variables and secrets
TOOLS = Scope("acme", "tools")
SEARCH_NAME = SEARCH["name"]
WEATHER_NAME = WEATHER["name"]


def export(s: Services, target: Path, client: str = "cursor", **kw):
    return s.export.install_with_names(ANN, TOOLS, client, target, allow_missing=True, **kw)


def status(s: Services, target: Path) -> DriftFile:
    (found,) = s.drift.status(ANN, paths=[target])
    return found


def states(found: DriftFile) -> dict[str, str]:
    return {e.name: e.state for e in found.entries}


def entry_of(found: DriftFile, server: str) -> str:
    return next(e.name for e in found.entries if e.server == server)


def edit(target: Path, name: str, change) -> None:
    doc = json.loads(target.read_text("utf-8"))
    change(doc["mcpServers"][name])
    target.write_text(json.dumps(doc, indent=2), "utf-8")


@pytest.fixture
def target(world: Services, tmp_path: Path) -> Path:
    path = tmp_path / "mcp.json"
    export(world, path, servers=[WEATHER_NAME, SEARCH_NAME])
    return path


def test_every_entry_is_in_sync_after_an_export(world: Services, target: Path) -> None:
    found = status(world, target)
    assert found.problem is None and found.client == "cursor"
    assert sorted(states(found).values()) == [IN_SYNC, IN_SYNC]
    assert {e.server for e in found.entries} == {WEATHER_NAME, SEARCH_NAME}


def test_a_hand_edit_is_changed_with_a_diff(world: Services, target: Path) -> None:
    name = entry_of(status(world, target), WEATHER_NAME)
    edit(target, name, lambda e: e["args"].append("--verbose"))
    found = status(world, target)
    changed = next(e for e in found.entries if e.name == name)
    assert changed.state == CHANGED
    assert '+    "--verbose"' in changed.diff
    # only what the hand changed: a secret's reference, the same on both sides, is no change
    changes = [
        line
        for line in changed.diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("---", "+++"))
    ]
    assert changes and all("args" in line or '"' in line for line in changes)
    assert not any("${env:" in line or "•" in line for line in changes), changes
    assert states(found)[entry_of(found, SEARCH_NAME)] == IN_SYNC


def test_a_deleted_entry_is_missing_and_an_unknown_one_foreign(
    world: Services, target: Path
) -> None:
    name = entry_of(status(world, target), SEARCH_NAME)
    doc = json.loads(target.read_text("utf-8"))
    del doc["mcpServers"][name]
    doc["mcpServers"]["mine"] = {"command": "my-tool"}
    target.write_text(json.dumps(doc), "utf-8")
    found = states(status(world, target))
    assert found[name] == MISSING and found["mine"] == FOREIGN


def test_a_registry_change_makes_the_entry_stale(world: Services, target: Path) -> None:
    world.variables.set_key(ANN, Scope("acme"), "REGION", "us")  # WEATHER_URL uses it
    found = status(world, target)
    weather = next(e for e in found.entries if e.server == WEATHER_NAME)
    assert weather.state == STALE
    assert "+" in weather.diff and "https://us.weather.example" in weather.diff
    assert states(found)[entry_of(found, SEARCH_NAME)] == IN_SYNC


def test_a_server_edit_or_removal_makes_the_entry_stale(world: Services, target: Path) -> None:
    world.registries.edit_server(
        ANN,
        Scope("acme", "tools", SEARCH_NAME),
        {**SEARCH, "packages": [{**SEARCH["packages"][0], "version": "0.4.0"}]},
    )
    # an edit is the next version's draft: exports still write the published one
    assert states(status(world, target))[entry_of(status(world, target), SEARCH_NAME)] == IN_SYNC
    world.server_versions.publish(ANN, Scope("acme", "tools", SEARCH_NAME))
    world.registries.remove_server(ANN, Scope("acme", "tools", WEATHER_NAME))
    found = {e.server: e for e in status(world, target).entries}
    assert found[SEARCH_NAME].state == STALE and "acme-search-mcp==0.4.0" in found[SEARCH_NAME].diff
    assert found[WEATHER_NAME].state == STALE and "removed" in found[WEATHER_NAME].diff


def test_a_file_gone_is_one_line(world: Services, target: Path) -> None:
    target.unlink()
    found = status(world, target)
    assert found.problem == "the file is gone" and found.entries == ()


def test_inline_secrets_never_reach_the_database_and_diffs_are_masked(
    world: Services, tmp_path: Path, db_path: Path
) -> None:
    target = tmp_path / "inline.json"
    export(world, target, servers=[WEATHER_NAME, SEARCH_NAME], secrets="inline")
    assert SECRET_API in target.read_text("utf-8")  # asked for: the file holds it
    found = status(world, target)
    assert set(states(found).values()) == {IN_SYNC}
    name = entry_of(found, WEATHER_NAME)
    edit(target, name, lambda e: e["args"].append("--verbose"))
    changed = next(e for e in status(world, target).entries if e.name == name)
    assert changed.state == CHANGED and "--verbose" in changed.diff
    assert SECRET_API not in changed.diff and "••••" in changed.diff
    world.vault.lock()  # an inline entry goes stale without decrypting anything
    search = Scope("acme", "tools", SEARCH_NAME)
    world.registries.edit_server(ANN, search, {**SEARCH, "description": "Search, edited"})
    assert states(status(world, target))[entry_of(found, SEARCH_NAME)] == IN_SYNC
    world.variables.set_key(ANN, search, "SEARCH_LIMIT", "10")  # a key at its own scope
    stale = next(e for e in status(world, target).entries if e.server == SEARCH_NAME)
    assert stale.state == STALE and '"SEARCH_LIMIT": "10"' in stale.diff
    assert SECRET_TOKEN not in stale.diff
    world.store.close()
    data = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    for secret in (SECRET_API, SECRET_TOKEN):
        assert secret.encode() not in data


def test_a_secret_the_user_adds_by_hand_is_masked_in_the_diff(
    world: Services, target: Path
) -> None:
    name = entry_of(status(world, target), SEARCH_NAME)
    edit(target, name, lambda e: e.setdefault("env", {}).update(NEW_API_KEY="sk-FAKE-by-hand"))
    changed = next(e for e in status(world, target).entries if e.name == name)
    assert changed.state == CHANGED and "NEW_API_KEY" in changed.diff
    assert "sk-FAKE-by-hand" not in changed.diff


def test_a_secret_put_by_hand_in_any_map_of_a_codex_entry_is_masked(
    world: Services, tmp_path: Path
) -> None:
    from pylee_tui.services.export import client_format
    from pylee_tui.services.export.codec import parse_document, write_document

    fmt = client_format("codex")
    target = tmp_path / "config.toml"
    export(world, target, "codex", servers=[SEARCH_NAME])
    name = entry_of(status(world, target), SEARCH_NAME)
    text = target.read_text("utf-8")
    doc = parse_document(fmt, target, text).document
    entry = doc[fmt.servers_key][name]
    entry["http_headers"] = {"Authorization": "Bearer sk-FAKE-header", "X-Trace": "on"}
    entry["bearer_token"] = "sk-FAKE-bearer"
    entry["extra"] = {"nested": {"API_KEY": "sk-FAKE-nested"}}
    target.write_text(write_document(fmt, text, doc), "utf-8")
    changed = next(e for e in status(world, target).entries if e.name == name)
    assert changed.state == CHANGED
    assert "Authorization" in changed.diff and '"X-Trace": "on"' in changed.diff
    for secret in ("sk-FAKE-header", "sk-FAKE-bearer", "sk-FAKE-nested"):
        assert secret not in changed.diff


def test_sync_restores_the_file_and_keeps_the_hand_edit_in_the_backup(
    world: Services, target: Path
) -> None:
    found = status(world, target)
    weather, search = entry_of(found, WEATHER_NAME), entry_of(found, SEARCH_NAME)
    edit(target, weather, lambda e: e["args"].append("--verbose"))
    doc = json.loads(target.read_text("utf-8"))
    del doc["mcpServers"][search]
    target.write_text(json.dumps(doc), "utf-8")
    ((_plan, result),) = world.drift.sync(ANN, target)
    assert result.written and result.backup is not None
    assert "--verbose" in result.backup.read_text("utf-8")
    assert "--verbose" not in target.read_text("utf-8")
    assert set(states(status(world, target)).values()) == {IN_SYNC}


def test_sync_dry_run_writes_nothing(world: Services, target: Path) -> None:
    name = entry_of(status(world, target), WEATHER_NAME)
    edit(target, name, lambda e: e["args"].append("--verbose"))
    before = target.read_text("utf-8")
    ((_plan, result),) = world.drift.sync(ANN, target, dry_run=True)
    assert not result.written and "--verbose" in result.diff
    assert target.read_text("utf-8") == before


def test_sync_of_a_file_never_exported_is_refused(world: Services, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no export to .* is recorded"):
        world.drift.sync(ANN, tmp_path / "other.json")


def audit_actions(s: Services) -> list[str]:
    with s.store.reading() as db:
        return [r["action"] for r in db.query("SELECT action FROM audit_events ORDER BY id")]


def test_adopt_a_version_bump_edits_the_server(world: Services, target: Path) -> None:
    name = entry_of(status(world, target), SEARCH_NAME)
    edit(
        target,
        name,
        lambda e: e.update(args=[a.replace("==0.3.0", "==0.4.1") for a in e["args"]]),
    )
    result = world.drift.adopt(ANN, target, name)
    assert result.server == SEARCH_NAME and any("0.4.1" in c for c in result.changes)
    server = world.registries.get_server(ANN, Scope("acme", "tools", SEARCH_NAME))
    assert server.document["packages"][0]["version"] == "0.4.1"
    # an edit of the server, published as its next version: what exports write
    assert audit_actions(world)[-2:] == ["server.edit", "server.publish"]
    assert any(c.startswith("published as version ") for c in result.changes)
    assert set(states(status(world, target)).values()) == {IN_SYNC}


def test_adopt_an_env_value_sets_the_server_variable(world: Services, target: Path) -> None:
    name = entry_of(status(world, target), WEATHER_NAME)
    edit(target, name, lambda e: e["env"].update(LOG_LEVEL="debug"))
    result = world.drift.adopt(ANN, target, name)
    assert result.changes == ("LOG_LEVEL: changed",)
    key = world.variables.get_key(ANN, Scope("acme", "tools", WEATHER_NAME), "LOG_LEVEL")
    assert key.value == "debug"
    assert audit_actions(world)[-1] == "variable.set"
    assert set(states(status(world, target)).values()) == {IN_SYNC}


def test_adopt_refuses_an_entry_not_changed(world: Services, target: Path) -> None:
    name = entry_of(status(world, target), WEATHER_NAME)
    with pytest.raises(InvalidInput, match="is in sync: only an entry changed by hand"):
        world.drift.adopt(ANN, target, name)


def test_adopt_refuses_a_command_that_is_no_longer_the_package(
    world: Services, target: Path
) -> None:
    name = entry_of(status(world, target), SEARCH_NAME)
    edit(target, name, lambda e: e.update(command="node", args=["server.js"]))
    before = audit_actions(world)
    with pytest.raises(InvalidInput, match="no longer starts the package acme-search-mcp"):
        world.drift.adopt(ANN, target, name)
    assert audit_actions(world) == before  # nothing written
    assert states(status(world, target))[name] == CHANGED


@pytest.mark.parametrize("client", CLIENTS)
def test_each_client_in_sync_then_changed_then_synced(
    world: Services, tmp_path: Path, client: str
) -> None:
    from pylee_tui.services.export import client_format
    from pylee_tui.services.export.codec import parse_document, write_document

    fmt = client_format(client)
    target = tmp_path / f"{client}.{fmt.file_kind}"
    export(world, target, client)
    found = status(world, target)
    assert found.client == client and set(states(found).values()) == {IN_SYNC}
    name = entry_of(found, WEATHER_NAME)
    text = target.read_text("utf-8")
    doc = parse_document(fmt, target, text).document
    doc[fmt.servers_key][name]["args"].append("--by-hand")
    target.write_text(write_document(fmt, text, doc), "utf-8")
    assert states(status(world, target))[name] == CHANGED
    world.drift.sync(ANN, target, entries=[name])
    assert set(states(status(world, target)).values()) == {IN_SYNC}


def test_adopt_new_env_keys_declares_them_and_keeps_a_secret_in_the_vault(
    world: Services, target: Path
) -> None:
    name = entry_of(status(world, target), SEARCH_NAME)
    added = {"SEARCH_MODE": "fast", "EXTRA_TOKEN": "tok-FAKE-by-hand"}
    edit(target, name, lambda e: e["env"].update(added))
    result = world.drift.adopt(ANN, target, name)
    assert {"SEARCH_MODE: added", "EXTRA_TOKEN: a new secret in the vault"} < set(result.changes)
    server = Scope("acme", "tools", SEARCH_NAME)
    assert world.variables.get_key(ANN, server, "EXTRA_TOKEN").kind == "secret"
    assert world.variables.get_key(ANN, server, "SEARCH_MODE").value == "fast"
    declared = world.registries.get_server(ANN, server).document["packages"][0]
    assert {"EXTRA_TOKEN", "SEARCH_MODE"} <= {v["name"] for v in declared["environmentVariables"]}
    # the file still holds the value: stale until a sync writes the reference instead
    stale = next(e for e in status(world, target).entries if e.name == name)
    assert stale.state == STALE and "${env:EXTRA_TOKEN}" in stale.diff
    assert "tok-FAKE-by-hand" not in stale.diff
    with world.store.reading() as db:
        assert "tok-FAKE-by-hand" not in json.dumps(list(db.query("SELECT * FROM export_entries")))
    world.drift.sync(ANN, target)
    assert "tok-FAKE-by-hand" not in target.read_text("utf-8")
    assert set(states(status(world, target)).values()) == {IN_SYNC}


def bump_and_add(target: Path, name: str, **env: str) -> None:
    def change(entry):
        entry["args"] = [a.replace("==0.3.0", "==0.4.1") for a in entry["args"]]
        entry["env"].update(env)

    edit(target, name, change)


def published_version(s: Services) -> str:
    return s.registries.get_server(ANN, Scope("acme", "tools", SEARCH_NAME)).document["packages"][
        0
    ]["version"]


def test_adopt_with_a_new_secret_and_the_vault_locked_changes_nothing_and_can_be_retried(
    world: Services, target: Path
) -> None:
    from pylee_tui.services import VaultLocked

    name = entry_of(status(world, target), SEARCH_NAME)
    bump_and_add(target, name, EXTRA_TOKEN="tok-FAKE-by-hand")
    world.vault.lock()
    before = audit_actions(world)
    with pytest.raises(VaultLocked):
        world.drift.adopt(ANN, target, name)
    assert audit_actions(world) == before  # neither edited nor published
    assert published_version(world) == "0.3.0"
    assert states(status(world, target))[name] == CHANGED
    world.vault.unlock("correct horse battery")
    result = world.drift.adopt(ANN, target, name)  # the same adopt, again, whole
    assert "EXTRA_TOKEN: a new secret in the vault" in result.changes
    assert published_version(world) == "0.4.1"
    server = Scope("acme", "tools", SEARCH_NAME)
    assert world.variables.get_key(ANN, server, "EXTRA_TOKEN").kind == "secret"


def test_adopt_refused_halfway_leaves_the_server_unpublished(world: Services, target: Path) -> None:
    name = entry_of(status(world, target), SEARCH_NAME)
    # a value the variables refuse (over 64 KiB), after the edit and publication it goes with
    bump_and_add(target, name, SEARCH_MODE="x" * (65 * 1024))
    before = audit_actions(world)
    with pytest.raises(InvalidInput, match="64 KiB"):
        world.drift.adopt(ANN, target, name)
    assert audit_actions(world) == before
    assert published_version(world) == "0.3.0"
    assert states(status(world, target))[name] == CHANGED


def test_a_recorded_file_become_a_pipe_is_one_line_not_a_hang(
    world: Services, target: Path
) -> None:
    import os

    target.unlink()
    os.mkfifo(target)
    found = status(world, target)
    assert found.problem == f"{target} is not a regular file (a device, a pipe or a socket)"
    name = next(iter(states(found)), None)
    assert name is None
