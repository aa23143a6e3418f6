"""`pylee-tui clients scan|import`: lines and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clients.machine import INLINE_SECRETS, PASSPHRASE, copy_machine
from tests.support import CliRunner


@pytest.fixture
def machine(cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    home, project = copy_machine(tmp_path, monkeypatch)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(project)
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: home))
    assert cli("org", "create", "Acme").code == 0
    assert cli("registry", "create", "Tools", "--org", "acme").code == 0
    return home, project


def test_scan_lists_each_file_and_its_servers(cli: CliRunner, machine) -> None:
    result = cli("clients", "scan")
    assert result.code == 0, result.err
    line = next(x for x in result.out.splitlines() if x.startswith("claude"))
    assert "github, fetch" in line and "pylee-weather [pylee-tui run]" in line
    rows = json.loads(cli("clients", "scan", "--json").out)
    cursor = next(r for r in rows if r["client"] == "cursor" and r["scope"] == "project")
    assert "not valid JSON" in cursor["problem"]
    assert INLINE_SECRETS[0] not in result.out + cli("clients", "scan", "--json").out


def test_import_says_what_each_entry_became(
    cli: CliRunner, machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASSPHRASE)
    result = cli("clients", "import", "claude", "--org", "acme", "--registry", "tools")
    assert result.code == 0, result.err
    out = result.out.splitlines()
    assert (
        "github -> npm com.npmjs.modelcontextprotocol/github; 1 variable; "
        "1 secret into the vault" in out
    )
    assert "fetch -> pypi org.pypi/fetch" in out  # nothing to store: nothing said
    assert any(x.startswith("pylee-weather: skipped (a pylee-tui launcher entry") for x in out)
    assert out[-2].startswith("Imported 6 servers into acme/tools; 2 drafts to fix: ")
    assert out[-1].startswith("3 secret values are still in plain text in ")
    assert out[-1].endswith(
        "run the import again with --replace --rewrite launcher (or reference) to replace "
        "them (a backup is kept)"
    )
    # which is what it says: the servers are there, so --replace is needed, and then the
    # file holds no secret value any more
    again = cli("clients", "import", "claude", "--org", "acme", "--registry", "tools")
    assert again.code == 1 and "(pass --replace to import over them)" in again.err
    rewritten = cli(
        "clients", "import", "claude", "--org", "acme", "--registry", "tools",
        "--replace", "--rewrite", "launcher",
    )  # fmt: skip
    assert rewritten.code == 0, rewritten.err
    home, _project = machine
    text = (home / ".config" / "Claude" / "claude_desktop_config.json").read_text("utf-8")
    github, postgres, local_script = INLINE_SECRETS
    assert github not in text and postgres not in text
    # a draft has nothing to launch: its entry stays, and that is said
    assert local_script in text
    assert (
        "pylee-tui: warning: local-script (a draft) still holds OPENAI_API_KEY in plain text: "
        "fix it or remove the value from "
        f"{home / '.config' / 'Claude' / 'claude_desktop_config.json'} by hand"
    ) in rewritten.err_lines


def test_import_with_rewrite_and_dry_run(
    cli: CliRunner, machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, _project = machine
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASSPHRASE)
    path = home / ".cursor" / "mcp.json"
    dry = cli("clients", "import", "cursor", "--org", "acme", "--registry", "tools", "--dry-run")
    assert dry.code == 0 and dry.out.endswith("Dry run: nothing imported.\n")
    args = ("clients", "import", "cursor", "--org", "acme", "--registry", "tools")
    result = cli(*args, "--rewrite", "reference")
    assert result.code == 0, result.err
    assert f"Rewrote {path}" in result.out
    assert "lin_api_FAKE" not in path.read_text()
    again = cli(*args)
    assert again.code == 1 and "every entry was skipped" in again.err  # ours now


def test_a_locked_vault_is_one_line(cli: CliRunner, machine) -> None:
    result = cli("clients", "import", "claude", "--org", "acme", "--registry", "tools")
    assert result.code == 1
    assert len(result.err_lines) == 1 and result.out == ""
