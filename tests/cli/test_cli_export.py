"""`pylee-tui export` end to end, including the issue's "done when" from the demo store."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from pylee_tui.services.demo import DEMO_SECRET
from tests.cli.expect import ok, one_error_line, rows
from tests.support import ANN, BOB, CliRunner, with_services

PASS = "correct horse battery"
DEMO = ("--org", "acme-production", "--registry", "core-tools")
OTHERS = {
    "globalShortcut": "Ctrl+Space",
    "mcpServers": {"filesystem": {"command": "npx", "args": ["-y", "server-filesystem", "/"]}},
    "servers": {"github": {"type": "http", "url": "https://api.githubcopilot.com/mcp/"}},
}


@pytest.fixture
def demo(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASS)
    result = cli("demo")
    assert result.code == 0
    assert "created the vault" in result.err
    assert "secrets were left out" not in result.out
    monkeypatch.delenv("PYLEE_PASSPHRASE")
    return cli


def succeeded(result) -> str:
    """Exit 0, and nothing on stderr but notes (what the client needs) and warnings."""
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    assert all(" note: " in line or " warning: " in line for line in result.err.splitlines())
    return result.out


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and the working directory, where --install finds each client's config."""
    home = tmp_path / "home"
    project = tmp_path / "project"
    home.mkdir(exist_ok=True)
    project.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.chdir(project)
    return home


def test_done_when_export_the_demo_for_each_client_into_configs_with_other_servers(
    demo: CliRunner, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    targets = {
        "claude": home / ".config/Claude/claude_desktop_config.json",
        "cursor": home / ".cursor/mcp.json",
        "vscode": Path.cwd() / ".vscode/mcp.json",
    }
    for path in targets.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(OTHERS, indent=2), "utf-8")

    # printed first, as a new user would look before installing
    printed = json.loads(succeeded(demo("export", *DEMO, "--client", "vscode")))
    assert set(printed["servers"]) == {"actors-mcp-server", "exa-mcp-server", "mcp-server"}
    assert DEMO_SECRET not in json.dumps(printed)

    for client in ("vscode", "cursor"):
        result = demo("export", *DEMO, "--client", client, "--install")
        assert result.code == 0, result.err
        assert f"Wrote {targets[client]}" in result.out
    refused = demo("export", *DEMO, "--client", "claude", "--install", "--secrets", "reference")
    assert refused.code == 1
    assert "Claude Desktop has no way to reference a secret" in one_error_line(refused)
    assert json.loads(targets["claude"].read_text("utf-8")) == OTHERS
    # Claude Desktop's default: entries start `pylee-tui run`, no value in the file, no vault
    launched = demo("export", *DEMO, "--client", "claude", "--install")
    assert launched.code == 0, launched.err
    assert "note: entries start through `pylee-tui run`" in launched.err
    written = targets["claude"].read_text("utf-8")
    assert DEMO_SECRET not in written
    assert all(
        Path(e["command"]).is_absolute() and "env" not in e
        for n, e in json.loads(written)["mcpServers"].items()
        if n != "filesystem"
    )

    monkeypatch.setenv("PYLEE_PASSPHRASE", PASS)
    result = demo("export", *DEMO, "--client", "claude", "--install", "--inline-secrets")
    assert result.code == 0, result.err
    assert "warning: 3 secret value(s) written in plain text" in result.err
    assert stat.S_IMODE(targets["claude"].stat().st_mode) == 0o600

    for client, path in targets.items():
        doc = json.loads(path.read_text("utf-8"))
        key = "servers" if client == "vscode" else "mcpServers"
        assert doc["globalShortcut"] == "Ctrl+Space"
        assert doc["mcpServers"]["filesystem"] == OTHERS["mcpServers"]["filesystem"]
        assert doc["servers"]["github"] == OTHERS["servers"]["github"]
        assert {"actors-mcp-server", "exa-mcp-server", "mcp-server"} <= set(doc[key])
        assert (DEMO_SECRET in path.read_text("utf-8")) == (client == "claude")
        # Claude Desktop's file was written twice: first with the launcher's entries
        before = written if client == "claude" else json.dumps(OTHERS)
        assert json.loads(path.with_name(path.name + ".bak").read_text("utf-8")) == json.loads(
            before
        )


def test_dry_run_prints_the_diff_and_changes_nothing(demo: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "mcp.json"
    target.write_text(json.dumps(OTHERS, indent=2), "utf-8")
    out = succeeded(demo("export", *DEMO, "--client", "cursor", "--out", str(target), "--dry-run"))
    assert out.startswith(f"--- {target}")
    assert '+      "command": "npx",' in out
    assert json.loads(target.read_text("utf-8")) == OTHERS
    assert not target.with_name("mcp.json.bak").exists()


def test_a_second_export_replaces_its_own_entries_only(demo: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "mcp.json"
    target.write_text(json.dumps(OTHERS, indent=2), "utf-8")
    succeeded(demo("export", *DEMO, "--client", "cursor", "--out", str(target)))
    # the exported entry edited by hand: the --server export puts it back
    doc = json.loads(target.read_text("utf-8"))
    doc["mcpServers"]["exa-mcp-server"]["args"].append("--debug")
    target.write_text(json.dumps(doc, indent=2), "utf-8")
    out = succeeded(
        demo(
            "export", *DEMO, "--client", "cursor", "--out", str(target),
            "--server", "io.github.exa-labs/exa-mcp-server",
        )
    )  # fmt: skip
    # a --server export replaces its entries and keeps the registry's others
    assert out == f"Wrote {target}: replaced exa-mcp-server; kept 3 other servers; " + (
        f"the previous file is {target}.bak\n"
    )
    doc = json.loads(target.read_text("utf-8"))
    assert set(doc["mcpServers"]) == {
        "filesystem", "exa-mcp-server", "actors-mcp-server", "mcp-server",
    }  # fmt: skip
    again = succeeded(
        demo(
            "export", *DEMO, "--client", "cursor", "--out", str(target),
            "--server", "io.github.exa-labs/exa-mcp-server",
        )
    )  # fmt: skip
    assert again.startswith("No change")


def test_allow_missing_writes_placeholders_and_warns(cli: CliRunner) -> None:
    ok(cli("demo"))  # no passphrase: the demo's secrets are left out
    refused = cli("export", *DEMO, "--client", "cursor")
    assert refused.code == 1
    assert "missing required variables" in one_error_line(refused)
    assert "pass --allow-missing for placeholders" in one_error_line(refused)
    result = cli("export", *DEMO, "--client", "cursor", "--allow-missing")
    assert result.code == 0
    # the demo's server-scope LOG_LEVEL goes with it; org variables it does not declare do not
    assert json.loads(result.out)["mcpServers"]["exa-mcp-server"]["env"] == {
        "EXA_API_KEY": "${env:EXA_API_KEY}",
        "LOG_LEVEL": "debug",
    }
    assert "warning: placeholders for missing required variables" in result.err


def test_a_member_cannot_inline_secrets(demo: CliRunner, monkeypatch) -> None:
    with_services(
        demo.db,
        lambda s: (
            s.members.invite(ANN, "acme-production", BOB),
            s.members.accept(BOB, "acme-production"),
        ),
    )
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASS)
    result = demo("export", *DEMO, "--client", "claude", "--inline-secrets", user=BOB)
    assert result.code == 1
    assert "reveal secrets" in one_error_line(result)
    assert succeeded(demo("export", *DEMO, "--client", "cursor", user=BOB))


def case(command, argv, user, code, says=""):
    return (command, argv, user, code, says)


BAD_INPUT = [
    case("export", ("export", *DEMO), ANN, 2),
    case("export", ("export", *DEMO, "--client", "emacs"), ANN, 2),
    case("export", ("export", "--registry", "core-tools", "--client", "vscode"), ANN, 2),
    case("export", ("export", *DEMO, "--client", "vscode", "--dry-run"), ANN, 2, "--dry-run"),
    case(
        "export",
        ("export", *DEMO, "--client", "vscode", "--install", "--out", "x.json"),
        ANN,
        2,
    ),
    case("export", ("export", "--org", "nope", "--registry", "x", "--client", "vscode"), ANN, 1),
    case("export", ("export", *DEMO[:2], "--registry", "nope", "--client", "vscode"), ANN, 1),
    case("export", ("export", *DEMO, "--client", "vscode", "--server", "a/b"), ANN, 1, "no server"),
    case(
        "export",
        ("export", *DEMO, "--client", "claude", "--secrets", "reference"),
        ANN,
        1,
        "Claude Desktop has no way to reference a secret: use --secrets launcher (the default) "
        "or --secrets inline",
    ),
    case(
        "export",
        ("export", *DEMO, "--client", "vscode", "--inline-secrets"),
        ANN,
        1,
        "--secrets inline is for Claude Desktop and Cursor",
    ),
    case(
        "export",
        ("export", *DEMO, "--client", "vscode", "--secrets", "inline"),
        ANN,
        1,
        "VS Code keeps secrets in its own prompt store",
    ),
    case(
        "export",
        ("export", *DEMO, "--client", "cursor", "--secrets", "inline"),
        ANN,
        1,
        "PYLEE_PASSPHRASE",
    ),
    case("export", ("export", *DEMO, "--client", "cursor", "--secrets", "both"), ANN, 2, "both"),
    case(
        "export",
        ("export", *DEMO, "--client", "cursor", "--secrets", "launcher", "--inline-secrets"),
        ANN,
        2,
        "not allowed with",
    ),
    case(
        "export",
        ("export", *DEMO, "--client", "cursor", "--inline-secrets"),
        ANN,
        1,
        "PYLEE_PASSPHRASE",
    ),
    case("export", ("export", *DEMO, "--client", "cursor", "--out", "{bad}"), ANN, 1, "not valid"),
    case("export", ("export", *DEMO, "--client", "cursor", "--out", "{dir}"), ANN, 1, "directory"),
    case("export", ("export", *DEMO, "--client", "cursor"), "nobody@example.com", 1),
    case(
        "export",
        ("export", *DEMO, "--client", "cursor", "--out", "/dev/zero"),
        ANN,
        1,
        "/dev/zero is not a regular file",
    ),
    case(
        "export",
        ("export", *DEMO, "--client", "cursor", "--out", "/dev/zero", "--dry-run"),
        ANN,
        1,
        "not a regular file",
    ),
    case(
        "export",
        ("export", *DEMO, "--client", "cursor", "--out", "{fifo}"),
        ANN,
        1,
        "pipe.json is not a regular file",
    ),
    case(
        "export",
        ("export", *DEMO, "--client", "cursor", "--out", "{dir}/nowhere/mcp.json"),
        ANN,
        1,
        "no directory",
    ),
    case(
        "export",
        ("export", *DEMO, "--client", "cursor", "--out", "/proc/x.json"),
        ANN,
        1,
        "pylee-tui: cannot write /proc/x.json: ",
    ),
    case("export", ("export", *DEMO, "--client", "cursor", "--out", ""), ANN, 2, "--out"),
]


@pytest.mark.parametrize(
    ("command", "argv", "user", "code", "says"),
    BAD_INPUT,
    ids=[f"{i:02d} {' '.join(argv)[:50]}" for i, (_, argv, *_) in enumerate(BAD_INPUT)],
)
def test_bad_input(
    demo: CliRunner, tmp_path: Path, monkeypatch, command, argv, user, code, says
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    argv = tuple(
        a.replace("{bad}", str(bad)).replace("{dir}", str(tmp_path)).replace("{fifo}", str(fifo))
        for a in argv
    )
    before = rows(demo.db)
    result = demo(*argv, user=user)
    assert result.code == code
    assert says in one_error_line(result)
    assert result.out == ""
    assert rows(demo.db) == before
    assert bad.read_text("utf-8") == "{not json"
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert not (tmp_path / "nowhere").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".bak"))]


def test_dry_run_masks_secrets_inlined_earlier_and_since_rotated(
    demo: CliRunner, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASS)
    target = home / "claude.json"
    args = ("export", *DEMO, "--client", "claude", "--out", str(target), "--inline-secrets")
    succeeded(demo(*args))
    assert DEMO_SECRET in target.read_text("utf-8")
    rotated = "démo-rotated-ключ"
    keys = [k for k in ("EXA_API_KEY", "APIFY_TOKEN") if k in target.read_text("utf-8")]
    assert keys
    for key in keys:
        succeeded(demo("secret", "set", key, "--org", "acme-production", "--value", rotated))
    out = succeeded(demo(*args, "--dry-run"))
    assert out.startswith(f"--- {target}")
    assert "••••••••" in out
    assert DEMO_SECRET not in out and rotated not in out
    assert json.dumps(rotated)[1:-1] not in out
    succeeded(demo(*args))
    assert rotated in target.read_text("utf-8")


def test_install_through_a_symlink_keeps_the_link(demo: CliRunner, home: Path) -> None:
    real = home / "dotfiles" / "mcp.json"
    real.parent.mkdir()
    real.write_text(json.dumps(OTHERS), "utf-8")
    (home / ".cursor").mkdir()
    (home / ".cursor" / "mcp.json").symlink_to(real)
    out = succeeded(demo("export", *DEMO, "--client", "cursor", "--install"))
    assert out.startswith(f"Wrote {home / '.cursor' / 'mcp.json'}")
    assert (home / ".cursor" / "mcp.json").is_symlink()
    assert "exa-mcp-server" in json.loads(real.read_text("utf-8"))["mcpServers"]
    assert json.loads(real.with_name("mcp.json.bak").read_text("utf-8")) == OTHERS
    assert [p.name for p in (home / ".cursor").iterdir()] == ["mcp.json"]
