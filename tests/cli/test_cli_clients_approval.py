"""`clients import` by a member who may write but not approve, into a registry that requires
approval: one line, exit 1, nothing written (no server, key, change request or vault), and
`--rewrite` leaves the client's file as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.expect import ok, one_error_line, rows
from tests.clients.machine import PASSPHRASE, copy_machine
from tests.support import ANN, BOB, CliRunner, with_services

ARGS = ("clients", "import", "claude", "--org", "acme", "--registry", "tools")


@pytest.fixture
def gated(cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """acme/tools requires approval; bob may write but not approve. Returns Claude's file."""
    home, project = copy_machine(tmp_path, monkeypatch)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(project)
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: home))
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASSPHRASE)
    ok(cli("org", "create", "Acme"))
    ok(cli("registry", "create", "Tools", "--org", "acme"))

    def bob(s) -> None:
        s.members.invite(ANN, "acme", BOB)
        s.members.accept(BOB, "acme")
        s.members.grant(ANN, "acme", BOB, "registries:write")

    with_services(cli.db, bob)
    ok(cli("registry", "edit", "tools", "--org", "acme", "--require-approval", "on"))
    return home / ".config" / "Claude" / "claude_desktop_config.json"


@pytest.mark.parametrize("rewrite", [(), ("--rewrite", "launcher")])
def test_a_writer_is_refused_in_one_line_and_nothing_changes(
    cli: CliRunner, gated: Path, rewrite: tuple[str, ...]
) -> None:
    before, text = rows(cli.db), gated.read_bytes()
    result = cli(*ARGS, *rewrite, user=BOB)
    assert result.code == 1 and result.out == ""
    line = one_error_line(result)
    assert line.startswith("pylee-tui: registry acme/tools requires approval: ")
    assert line.endswith("nothing was imported")
    assert "Change request" not in result.out + result.err
    assert rows(cli.db) == before
    assert gated.read_bytes() == text
    assert not gated.with_name(gated.name + ".bak").exists()
    assert ok(cli("request", "list", "--org", "acme", "--state", "all", "--json")) == "[]\n"


def test_an_admin_imports_into_it(cli: CliRunner, gated: Path) -> None:
    result = cli(*ARGS)
    assert result.code == 0, result.err
    assert "Imported 6 servers into acme/tools" in result.out


def test_a_dry_run_is_refused_as_the_import_would_be(cli: CliRunner, gated: Path) -> None:
    before, text = rows(cli.db), gated.read_bytes()
    real = one_error_line(cli(*ARGS, user=BOB))
    result = cli(*ARGS, "--dry-run", user=BOB)
    assert result.code == 1 and result.out == ""
    assert one_error_line(result) == real
    assert rows(cli.db) == before and gated.read_bytes() == text
    # an approver's dry run shows the plan and imports nothing
    admin = cli(*ARGS, "--dry-run")
    assert admin.code == 0 and admin.out.endswith("Dry run: nothing imported.\n")
    assert rows(cli.db) == before
