"""Stored text never drives the terminal from the CLI: a hostile value in every free-text field,
then every read command's stdout and stderr scanned for a raw control, C1 or bidi character."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from pylee_tui.cli import main
from pylee_tui.safe_text import escape, escape_json
from tests.support import ANN, CliRunner, server_doc

# colours, a window title, an OSC 52 clipboard write, a CSI in its one-byte C1 form, DEL, a bidi
# override, a line separator and a carriage return that would hide what came before it
HOSTILE = "ok\x1b[31mred\x1b]0;PWNED\x07\x1b]52;c;ZXZpbA==\x07\x9b2J\x7f\u202eevil\u2028x\rz"
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
PASS = "correct horse battery"
REG = ("--org", "hostile", "--registry", "tools")
WEATHER = ("--org", "hostile", "--registry", "tools", "--server", "io.github.acme/weather")


class Terminal(io.StringIO):
    """Standard output that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def run(db: Path, *argv: str, tty: bool = False) -> tuple[int, str, str]:
    out = Terminal() if tty else io.StringIO()
    err = io.StringIO()
    code = main(["--db", str(db), "--as", ANN, *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def hostile_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with HOSTILE in every free-text field a user or an imported file can fill."""
    monkeypatch.setenv("PYLEE_PASSPHRASE", PASS)
    db = tmp_path / "hostile.db"
    cli = CliRunner(db)

    def ok(*argv: str) -> None:
        result = cli(*argv)
        assert result.code == 0, result.err

    ok("org", "create", "Hostile", "--description", HOSTILE)
    overview = tmp_path / "overview.md"
    overview.write_text(f"# Title {HOSTILE}\n\n{HOSTILE}\n\n| a |\n|---|\n| {HOSTILE} |\n")
    ok("org", "edit", "hostile", "--overview-file", str(overview))
    ok("registry", "create", "--org", "hostile", "Tools", "--description", HOSTILE)
    ok("registry", "edit", "--org", "hostile", "tools", "--overview-file", str(overview))
    good = server_doc("io.github.acme/weather", "1.0.0", HOSTILE)
    good["packages"][0]["environmentVariables"] = [
        {"name": "API_TOKEN", "description": HOSTILE, "isRequired": True, "isSecret": True},
        {"name": "REGION", "description": HOSTILE, "default": HOSTILE},
    ]
    good["remotes"] = [{"type": "streamable-http", "url": "https://example.com/mcp"}]
    draft = server_doc(f"io.github.acme/draft{HOSTILE}", "2.0.0", HOSTILE)
    files = []
    for number, doc in enumerate((good, draft)):
        path = tmp_path / f"server{number}.json"
        path.write_text(json.dumps(doc))
        files.append(str(path))
    ok("server", "import", *REG, *files)
    ok("var", "set", "GREETING", HOSTILE, "--org", "hostile")
    ok("var", "set", "REGION", HOSTILE, "--org", "hostile", "--registry", "tools")
    ok("var", "set", "NOTE", "${GREETING}", *WEATHER)
    ok("secret", "set", "API_TOKEN", "--value", HOSTILE, *WEATHER)
    return db


def draft_name(db: Path) -> str:
    code, out, _ = run(db, "server", "list", *REG, "--json")
    assert code == 0
    names = [s["name"] for s in json.loads(out)]
    return next(n for n in names if n.startswith("io.github.acme/draft"))


READS = [
    ("org", "list"),
    ("org", "list", "--json"),
    ("org", "show", "hostile"),
    ("org", "show", "hostile", "--json"),
    ("registry", "list", "--org", "hostile"),
    ("registry", "list", "--org", "hostile", "--json"),
    ("registry", "show", "--org", "hostile", "tools"),
    ("registry", "show", "--org", "hostile", "tools", "--json"),
    ("server", "list", *REG),
    ("server", "list", *REG, "--json"),
    ("server", "list", *REG, "--filter", "draft"),
    ("server", "show", *REG, "io.github.acme/weather"),
    ("server", "show", *REG, "io.github.acme/weather", "--json"),
    ("server", "show", *REG, "DRAFT"),
    ("server", "show", *REG, "DRAFT", "--json"),
    ("server", "export", *REG),
    ("server", "export", *REG, "DRAFT"),
    ("member", "list", "--org", "hostile"),
    ("member", "list", "--org", "hostile", "--json"),
    ("audit", "--org", "hostile"),
    ("audit", "--org", "hostile", "--json"),
    ("audit",),
    ("var", "list", "--org", "hostile"),
    ("var", "list", "--org", "hostile", "--json"),
    ("var", "get", "GREETING", "--org", "hostile"),
    ("secret", "list", *WEATHER),
    ("secret", "get", "API_TOKEN", *WEATHER),
    ("secret", "get", "API_TOKEN", *WEATHER, "--reveal"),
    ("secret", "history", "API_TOKEN", *WEATHER),
    ("secret", "history", "API_TOKEN", *WEATHER, "--json"),
    ("env", *WEATHER),
    ("env", *WEATHER, "--reveal"),
    ("env", *WEATHER, "--json", "--reveal"),
    ("env", *WEATHER, "--format", "dotenv", "--reveal"),
    ("vault", "status"),
    ("export", *REG, "--client", "vscode"),
    ("export", *REG, "--client", "cursor"),
    ("export", *REG, "--client", "claude", "--inline-secrets"),
    # errors that quote stored text
    ("server", "show", *REG, f"io.github.acme/missing{HOSTILE}"),
    ("org", "show", f"missing{HOSTILE}"),
]


def test_the_hostile_store_really_holds_the_raw_bytes(hostile_db: Path) -> None:
    """The fixture is what the scan needs: the raw text is stored (shown only when asked for)."""
    code, out, _ = run(hostile_db, "var", "get", "GREETING", "--org", "hostile")  # a pipe
    assert code == 0
    assert out == HOSTILE + "\n"
    assert "\u202e" in draft_name(hostile_db) or "\\u202e" in draft_name(hostile_db)


@pytest.mark.parametrize("argv", READS, ids=lambda a: " ".join(a)[:60])
def test_no_read_command_prints_stored_control_characters_to_a_terminal(
    hostile_db: Path, argv: tuple[str, ...]
) -> None:
    argv = tuple(draft_name(hostile_db) if a == "DRAFT" else a for a in argv)
    code, out, err = run(hostile_db, *argv, tty=True)
    assert "internal error" not in err
    assert not RAW.search(out), f"raw control in stdout: {out!r}"
    assert not RAW.search(err), f"raw control in stderr: {err!r}"


@pytest.mark.parametrize(
    "argv, shown",
    [
        (("org", "show", "hostile"), escape(HOSTILE)),
        (("registry", "show", "--org", "hostile", "tools"), escape(HOSTILE)),
        (("var", "get", "GREETING", "--org", "hostile"), escape(HOSTILE)),
        (("env", *WEATHER, "--reveal"), "ok\\x1b[31mred\\x1b]0;PWNED\\x07"),  # a cut cell
        (("server", "show", *REG, "io.github.acme/weather"), "ok\\x1b[31mred\\x1b]0;PWNED\\x07"),
    ],
    ids=["org show", "registry show", "var get", "env", "server show"],
)
def test_stored_control_characters_are_shown_visibly(
    hostile_db: Path, argv: tuple[str, ...], shown: str
) -> None:
    """Escaped, not dropped: the reader sees that the value holds `\\x1b[31m` and `⟨U+202E⟩`."""
    code, out, _ = run(hostile_db, *argv, tty=True)
    assert code == 0
    assert shown in out


def test_json_output_escapes_as_unicode_escapes_and_keeps_the_value(hostile_db: Path) -> None:
    code, out, _ = run(hostile_db, "org", "show", "hostile", "--json", tty=True)
    assert code == 0
    assert "\\u001b[31m" in out and "\\u202e" in out and "\\u009b" in out
    assert json.loads(out)["description"] == HOSTILE


def test_printed_server_json_is_still_the_same_json(hostile_db: Path) -> None:
    code, out, _ = run(hostile_db, "server", "export", *REG, "io.github.acme/weather", tty=True)
    assert code == 0
    assert not RAW.search(out)
    assert json.loads(out)["description"] == HOSTILE


def test_values_stay_byte_exact_to_a_pipe_and_with_raw(hostile_db: Path) -> None:
    """Scripts (`$(pylee-tui var get …)`, `> .env`) get the value exactly as stored."""
    _, piped, _ = run(hostile_db, "var", "get", "GREETING", "--org", "hostile")
    _, raw, _ = run(hostile_db, "var", "get", "GREETING", "--org", "hostile", "--raw", tty=True)
    _, shown, _ = run(hostile_db, "var", "get", "GREETING", "--org", "hostile", tty=True)
    assert piped == raw == HOSTILE + "\n"
    assert shown == escape(HOSTILE) + "\n"
    secret = ("secret", "get", "API_TOKEN", *WEATHER, "--reveal")
    assert run(hostile_db, *secret)[1] == HOSTILE + "\n"
    assert run(hostile_db, *secret, "--raw", tty=True)[1] == HOSTILE + "\n"
    assert run(hostile_db, *secret, tty=True)[1] == escape(HOSTILE) + "\n"
    dotenv = ("env", *WEATHER, "--format", "dotenv", "--reveal")
    assert "\x1b]52;c;" in run(hostile_db, *dotenv)[1]
    assert "\x1b" not in run(hostile_db, *dotenv, tty=True)[1]


def test_escape_json_keeps_the_value_for_every_unsafe_character() -> None:
    every = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]) + "\u2028\u202e\u2066"
    text = escape_json(json.dumps({"v": every}, ensure_ascii=False))
    assert not RAW.search(text)
    assert json.loads(text) == {"v": every}
