"""`clients status|sync|adopt` and `export --scope` end to end, on the demo store's exports."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.expect import one_error_line
from tests.cli.test_cli_export import DEMO, demo, home, succeeded
from tests.support import ANN, CliRunner

__all__ = ["demo", "home"]  # the fixtures, used by name
EXA = "exa-mcp-server"


def export(cli: CliRunner, client: str = "cursor", *extra: str) -> str:
    return succeeded(cli("export", *DEMO, "--client", client, "--install", *extra, user=ANN))


def cursor_file(home: Path) -> Path:
    return home / ".cursor" / "mcp.json"


def edit(path: Path, change) -> None:
    doc = json.loads(path.read_text("utf-8"))
    change(doc["mcpServers"][EXA])
    path.write_text(json.dumps(doc, indent=2), "utf-8")


def status_lines(cli: CliRunner) -> list[str]:
    return succeeded(cli("clients", "status", user=ANN)).splitlines()


def test_status_lists_each_entry_then_a_hand_edit_with_its_diff(
    demo: CliRunner, home: Path
) -> None:
    export(demo)
    lines = status_lines(demo)
    assert lines[0] == f"{cursor_file(home)} (cursor)"
    exa = next(line for line in lines if EXA in line)
    assert exa.split() == [
        "in",
        "sync",
        EXA,
        "(acme-production/core-tools",
        "io.github.exa-labs/exa-mcp-server)",
    ]
    edit(cursor_file(home), lambda e: e["env"].update(LOG_LEVEL="trace"))
    out = succeeded(demo("clients", "status", user=ANN))
    assert f"  changed by hand  {EXA} (" in out
    assert '-    "LOG_LEVEL": "debug"' in out and '+    "LOG_LEVEL": "trace"' in out
    data = json.loads(succeeded(demo("clients", "status", "--json", user=ANN)))
    (found,) = data
    states = {e["name"]: e["state"] for e in found["entries"]}
    assert found["client"] == "cursor" and states[EXA] == "changed by hand"
    assert "trace" in next(e["diff"] for e in found["entries"] if e["name"] == EXA)
    vscode = succeeded(demo("clients", "status", "--client", "vscode", user=ANN))
    assert vscode == "No export to a vscode file is recorded.\n"


def test_sync_brings_the_file_back_and_keeps_the_edit_in_the_backup(
    demo: CliRunner, home: Path
) -> None:
    export(demo)
    edit(cursor_file(home), lambda e: e["env"].update(LOG_LEVEL="trace"))
    dry = succeeded(demo("clients", "sync", "cursor", "--dry-run", user=ANN))
    assert '+        "LOG_LEVEL": "debug"' in dry and "trace" in cursor_file(home).read_text(
        "utf-8"
    )
    out = succeeded(demo("clients", "sync", "cursor", user=ANN))
    assert "Synced" in out and "replaced" in out
    assert "trace" not in cursor_file(home).read_text("utf-8")
    assert "trace" in (cursor_file(home).parent / "mcp.json.bak").read_text("utf-8")
    assert all(not line.startswith("  ") or "in sync" in line for line in status_lines(demo))


def test_adopt_takes_a_version_bump_into_the_server(demo: CliRunner, home: Path) -> None:
    export(demo)
    edit(cursor_file(home), lambda e: e.update(args=["-y", "exa-mcp-server@0.4.0"]))
    out = succeeded(demo("clients", "adopt", "cursor", EXA, user=ANN))
    assert "Adopted exa-mcp-server into acme-production/core-tools" in out
    assert "0.3.10 -> 0.4.0" in out
    shown = succeeded(
        demo("server", "show", *DEMO, "io.github.exa-labs/exa-mcp-server", "--json", user=ANN)
    )
    assert "0.4.0" in shown
    assert all(not line.startswith("  ") or "in sync" in line for line in status_lines(demo))


def test_adopt_of_an_entry_in_sync_is_one_line(demo: CliRunner, home: Path) -> None:
    export(demo)
    result = demo("clients", "adopt", "cursor", EXA, user=ANN)
    assert result.code == 1
    assert "is in sync: only an entry changed by hand can be adopted" in one_error_line(result)


def test_export_scope_project_writes_the_projects_file(demo: CliRunner, home: Path) -> None:
    project = Path.cwd()
    export(demo, "cursor", "--scope", "project")
    export(demo, "vscode", "--scope", "project")
    assert EXA in json.loads((project / ".cursor" / "mcp.json").read_text("utf-8"))["mcpServers"]
    assert EXA in json.loads((project / ".vscode" / "mcp.json").read_text("utf-8"))["servers"]
    assert not cursor_file(home).exists()
    result = demo(
        "export", *DEMO, "--client", "claude", "--install", "--scope", "project", user=ANN
    )
    assert result.code == 1
    assert "has no project config file" in one_error_line(result)


def test_adopt_of_a_new_secret_asks_for_the_vault_first(
    demo: CliRunner, home: Path, monkeypatch
) -> None:
    from tests.cli.test_cli_export import PASS

    export(demo)

    def change(entry):
        entry.update(args=["-y", "exa-mcp-server@0.4.0"])
        entry["env"]["NEW_TOKEN"] = "tok-FAKE-by-hand"

    edit(cursor_file(home), change)
    locked = demo("clients", "adopt", "cursor", EXA, user=ANN)
    assert locked.code == 1
    assert "vault is locked" in one_error_line(locked)
    show = ("server", "show", *DEMO, "io.github.exa-labs/exa-mcp-server", "--json")
    assert "0.4.0" not in succeeded(demo(*show, user=ANN))  # nothing published
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASS)
    out = succeeded(demo("clients", "adopt", "cursor", EXA, user=ANN))
    assert "NEW_TOKEN: a new secret in the vault" in out and "0.3.10 -> 0.4.0" in out
    assert "0.4.0" in succeeded(demo(*show, user=ANN))
