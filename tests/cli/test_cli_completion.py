"""`pylee-tui completion bash|zsh|fish`: the script each shell gets, driven by the shell itself
where it is installed (bash always is), the way TAB would."""

from __future__ import annotations

import os
import pty
import select
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from pylee_tui.cli import build_parser
from pylee_tui.cli.command_tree import command_tree
from pylee_tui.services.export import CLIENTS
from tests.cli.expect import ok
from tests.support import CliRunner

TREE = command_tree(build_parser())
TOP = sorted(c.path[0] for c in TREE.subcommands)


@pytest.fixture
def scripts(cli: CliRunner, tmp_path: Path) -> dict[str, Path]:
    """The three scripts, as a user would save them."""
    saved = {}
    for shell in ("bash", "zsh", "fish"):
        saved[shell] = tmp_path / f"completion.{shell}"
        saved[shell].write_text(ok(cli("completion", shell)), encoding="utf-8")
    return saved


# --- the command -----------------------------------------------------------------------------


def test_completion_opens_no_store_and_needs_no_user(cli: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "never" / "pylee.db"
    result = cli("completion", "bash", db=db, user=None)
    assert result.code == 0, result.err
    assert "complete -F _pylee_tui pylee-tui" in result.out
    assert not db.exists() and not db.parent.exists()


def test_an_unknown_shell_is_bad_usage(cli: CliRunner) -> None:
    result = cli("completion", "tcsh")
    assert result.code == 2
    assert "invalid choice: 'tcsh'" in result.err


def test_an_option_takes_a_value_everywhere_or_nowhere() -> None:
    """The scripts skip the word after a valued option to find the command; one option that
    were a flag in one command and valued in another would throw that off."""
    valued: dict[str, set[bool]] = {}
    for command in TREE.walk():
        for option in command.options:
            for flag in option.flags:
                valued.setdefault(flag, set()).add(option.value is not None)
    assert {flag: kinds for flag, kinds in valued.items() if len(kinds) > 1} == {}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_every_command_option_and_choice_is_in_each_script(
    scripts: dict[str, Path], shell: str
) -> None:
    text = scripts[shell].read_text(encoding="utf-8")
    for command in TREE.walk():
        for part in command.path:
            assert part in text, (shell, command.name)
        for option in command.options:
            for flag in option.flags:
                assert flag.lstrip("-") in text, (shell, command.name, flag)
    for choice in ("claude", "vscode", "cursor", "dotenv"):
        assert choice in text


# --- bash ------------------------------------------------------------------------------------


def bash_offers(script: Path, line: str, cwd: Path | None = None) -> list[str]:
    """What bash offers for TAB at the end of `line`, split into words as readline does."""
    words = line.replace("=", " = ").split(" ") if "=" in line else line.split(" ")
    program = "\n".join(
        [
            f"source {shlex.quote(str(script))}",
            f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})",
            f"COMP_CWORD={len(words) - 1}",
            f"COMP_LINE={shlex.quote(line)}",
            f"COMP_POINT={len(line)}",
            "_pylee_tui",
            'printf "%s\\n" "${COMPREPLY[@]}"',
        ]
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return sorted(w for w in done.stdout.split("\n") if w)


@pytest.mark.parametrize(
    ("line", "offered"),
    [
        ("pylee-tui reg", ["registry"]),
        ("pylee-tui se", ["secret", "serve", "server"]),
        ("pylee-tui --db my.db --as ann@example.com se", ["secret", "serve", "server"]),
        ("pylee-tui registry ", ["create", "delete", "edit", "fork", "list", "show"]),
        ("pylee-tui export --cl", ["--client"]),
        ("pylee-tui export --org acme --registry core --client ", sorted(CLIENTS)),
        ("pylee-tui export --client=v", ["vscode"]),
        ("pylee-tui env --format ", ["dotenv", "json", "table"]),
        ("pylee-tui completion ", ["bash", "fish", "zsh"]),
        ("pylee-tui var set --org acme --reg", ["--registry"]),
        ("pylee-tui export --org ", []),  # a slug: nothing to guess
    ],
)
def test_bash_offers(scripts: dict[str, Path], line: str, offered: list[str]) -> None:
    assert bash_offers(scripts["bash"], line) == offered


def test_bash_offers_every_command_and_each_commands_own_flags(scripts: dict[str, Path]) -> None:
    assert bash_offers(scripts["bash"], "pylee-tui ") == TOP
    flags = bash_offers(scripts["bash"], "pylee-tui secret set --")
    assert {"--org", "--registry", "--server", "--value", "--db", "--as"} <= set(flags)
    assert "--client" not in flags and "--reveal" not in flags


def test_bash_offers_files_where_a_file_is_asked_for(
    scripts: dict[str, Path], tmp_path: Path
) -> None:
    here = tmp_path / "work"
    here.mkdir()
    (here / "my server.json").write_text("{}", encoding="utf-8")
    (here / "other.json").write_text("{}", encoding="utf-8")
    offers = bash_offers(scripts["bash"], "pylee-tui server add my", cwd=here)
    assert offers == ["my server.json"]
    assert bash_offers(scripts["bash"], "pylee-tui --db ot", cwd=here) == ["other.json"]


# --- fish ------------------------------------------------------------------------------------

needs_fish = pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")


def fish_offers(script: Path, line: str) -> list[str]:
    done = subprocess.run(
        ["fish", "--no-config", "-c", f"source {script}; complete -C {shlex.quote(line)}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return sorted(row.split("\t")[0] for row in done.stdout.splitlines())


@needs_fish
def test_fish_script_parses(scripts: dict[str, Path]) -> None:
    done = subprocess.run(["fish", "--no-config", "-n", str(scripts["fish"])], timeout=30)
    assert done.returncode == 0


@needs_fish
@pytest.mark.parametrize(
    ("line", "offered"),
    [
        ("pylee-tui reg", ["registry"]),
        ("pylee-tui --db my.db se", ["secret", "serve", "server"]),
        ("pylee-tui registry ", ["create", "delete", "edit", "fork", "list", "show"]),
        ("pylee-tui export --cl", ["--client"]),
        ("pylee-tui export --org acme --client ", sorted(CLIENTS)),
        ("pylee-tui completion ", ["bash", "fish", "zsh"]),
    ],
)
def test_fish_offers(scripts: dict[str, Path], line: str, offered: list[str]) -> None:
    assert fish_offers(scripts["fish"], line) == offered


@needs_fish
def test_fish_offers_each_commands_own_flags(scripts: dict[str, Path]) -> None:
    flags = fish_offers(scripts["fish"], "pylee-tui secret set --")
    assert {"--org", "--registry", "--server", "--value", "--db", "--as"} <= set(flags)
    assert "--client" not in flags and "--reveal" not in flags


# --- zsh -------------------------------------------------------------------------------------

needs_zsh = pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")


@needs_zsh
def test_zsh_script_parses(scripts: dict[str, Path]) -> None:
    done = subprocess.run(["zsh", "-n", str(scripts["zsh"])], timeout=30)
    assert done.returncode == 0


class Zsh:
    """An interactive zsh on a pseudo-terminal with completion on and the script installed
    either way the README says: sourced, or as `_pylee-tui` in a directory of `fpath`."""

    PROMPT = "READY>"

    def __init__(self, script: Path, home: Path, autoload: bool):
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "TERM": "dumb", "ZDOTDIR": str(home)}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes zsh
            os.execvpe("zsh", ["zsh", "-f", "-i"], env)
        if autoload:
            functions = home / "zfunc"
            functions.mkdir()
            shutil.copy(script, functions / "_pylee-tui")
            install = f"fpath=({shlex.quote(str(functions))} $fpath); compinit -u -D"
        else:
            install = f"compinit -u -D; source {shlex.quote(str(script))}"
        self.type(f"PS1='{self.PROMPT} '; autoload -U compinit; {install}; print IN''STALLED\n")
        self.read_until("INSTALLED")  # the quotes keep the typed command from matching

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def read_until(self, *wanted: str, deadline: float = 20.0) -> str:
        """Output until every `wanted` text has appeared (fails after `deadline` seconds)."""
        seen = ""
        end = time.monotonic() + deadline
        while not all(w in seen for w in wanted):
            left = end - time.monotonic()
            assert left > 0, f"zsh never showed {wanted!r}; it showed {seen!r}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                seen += os.read(self.fd, 65536).decode(errors="replace")
        return seen

    def close(self) -> None:
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


@needs_zsh
@pytest.mark.parametrize("autoload", [False, True], ids=["sourced", "fpath"])
def test_zsh_completes_commands_flags_and_choices(
    scripts: dict[str, Path], tmp_path: Path, autoload: bool
) -> None:
    zsh = Zsh(scripts["zsh"], tmp_path, autoload)
    try:
        zsh.type("pylee-tui reg\t")
        zsh.read_until("pylee-tui registry ")
        zsh.type("\x15")  # ^U: clear the line
        zsh.type("pylee-tui export --cl\t")
        zsh.read_until("--client ")
        zsh.type("\x15pylee-tui export --client \t")
        zsh.read_until("claude", "cursor", "vscode")
    finally:
        zsh.close()
