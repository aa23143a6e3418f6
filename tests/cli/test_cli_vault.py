"""`pylee-tui var|secret|vault|env ...` end to end through `main(argv)` (and `sh` for dotenv)."""

from __future__ import annotations

import copy
import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pylee_tui.services import PermissionDenied, Scope
from tests.cli.conftest import Keyboard
from tests.cli.expect import as_json, ok, one_error_line, rows
from tests.support import (
    ANN,
    BOB,
    CARL,
    WEATHER,
    CliRunner,
    cli_template,
    copy_template,
    with_services,
)

ORG = ("--org", "acme")
PROD = ("--org", "acme", "--registry", "prod")
SERVER_NAME = "io.github.acme/weather"
SERVER = (*PROD, "--server", SERVER_NAME)
PASS = "correct horse battery"
NEW_PASS = "staple-and-glue"

# the shared weather server, declaring what it needs from the environment
FORECAST = copy.deepcopy(WEATHER)
FORECAST["packages"][0]["environmentVariables"] = [
    {"name": "WEATHER_KEY", "description": "API key", "isRequired": True, "isSecret": True},
    {"name": "REGION", "description": "where", "isRequired": True},
    {"name": "UNITS", "isRequired": True, "default": "metric"},
]


class Terminal(io.StringIO):
    """A stdin that is a terminal: values and passphrases are typed at prompts, not read."""

    def isatty(self) -> bool:
        return True


def piped(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def at_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(""))


def passphrase(monkeypatch: pytest.MonkeyPatch, value: str | None = PASS) -> None:
    if value is None:
        monkeypatch.delenv("PYLEE_PASSPHRASE", raising=False)
    else:
        monkeypatch.setenv("PYLEE_PASSPHRASE", value)


def set_secret(cli: CliRunner, monkeypatch, key: str, value: str, *scope: str) -> str:
    piped(monkeypatch, value + "\n")
    passphrase(monkeypatch)
    result = cli("secret", "set", key, *(scope or ORG))
    assert result.code == 0, result.err
    return result.err


def build_acme(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """acme: ann admin, bob an active member, carl invited; registry prod with the weather
    server; LOG_LEVEL=info at the org; the secret TOKEN (two versions) at the org; beta is bob's."""
    ok(cli("org", "create", "Acme"))
    ok(cli("org", "create", "Beta", user=BOB))
    ok(cli("registry", "create", "Prod", *ORG))

    def fill(s) -> None:
        s.members.invite(ANN, "acme", BOB)
        s.members.accept(BOB, "acme")
        s.members.invite(ANN, "acme", CARL)
        s.registries.add_server(ANN, Scope("acme", "prod"), FORECAST)

    with_services(cli.db, fill)
    ok(cli("var", "set", "LOG_LEVEL", "info", *ORG))
    set_secret(cli, monkeypatch, "TOKEN", "first-token")
    set_secret(cli, monkeypatch, "TOKEN", "tok-3f9a")


def build_quietly(cli: CliRunner, patch: pytest.MonkeyPatch) -> None:
    """`build_acme` with nothing on stdin and a keyboard nobody types at: it asks nothing."""
    patch.setattr("sys.stdin", io.StringIO(""))
    keyboard = Keyboard(patch)
    build_acme(cli, patch)
    assert keyboard.prompts == []


@pytest.fixture(scope="module")
def acme_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The acme store, built once for the module through the CLI; each test gets a copy."""
    return cli_template(tmp_path_factory, build_quietly)


@pytest.fixture
def acme(cli: CliRunner, keyboard: Keyboard, monkeypatch, acme_template: Path) -> CliRunner:
    """acme: ann admin, bob an active member, carl invited; registry prod with the weather
    server; LOG_LEVEL=info at the org; the secret TOKEN (two versions) at the org; beta is bob's.
    A fresh copy of the module's template (see acme_template), with passphrase PASS."""
    copy_template(acme_template, cli)
    passphrase(monkeypatch, None)
    piped(monkeypatch, "")
    return cli


def reveal(cli: CliRunner, monkeypatch, key: str, *scope: str, user: str = ANN) -> str:
    passphrase(monkeypatch)
    out = ok(cli("secret", "get", key, *(scope or ORG), "--reveal", user=user))
    assert out.endswith("\n")
    return out[:-1]


# --- the "done when" -----------------------------------------------------------------


def test_done_when(cli: CliRunner, keyboard: Keyboard, monkeypatch) -> None:
    ok(cli("org", "create", "Acme"))
    ok(cli("registry", "create", "Prod", *ORG))
    with_services(cli.db, lambda s: s.registries.add_server(ANN, Scope("acme", "prod"), FORECAST))

    # a variable at the org, overridden on one server
    assert ok(cli("var", "set", "LOG_LEVEL", "info", *ORG)) == "Set LOG_LEVEL at org acme.\n"
    said = ok(cli("var", "set", "LOG_LEVEL", "debug", *SERVER))
    assert "it overrides org acme" in said
    assert ok(cli("var", "get", "LOG_LEVEL", *ORG)) == "info\n"
    assert ok(cli("var", "get", "LOG_LEVEL", *SERVER)) == "debug\n"

    # the first secret, from stdin, creates the vault with PYLEE_PASSPHRASE
    assert as_json(cli("vault", "status", "--json")) == {"initialized": False}
    piped(monkeypatch, "s3cr3t-weather\n")
    passphrase(monkeypatch)
    result = cli("secret", "set", "WEATHER_KEY", *PROD)
    assert result.code == 0
    assert result.out == "Set secret WEATHER_KEY at registry prod of acme.\n"
    [note] = result.err_lines
    assert note.startswith("pylee-tui: created the vault")
    assert as_json(cli("vault", "status", "--json")) == {"initialized": True}

    # masked without --reveal (no passphrase needed), plaintext with it
    passphrase(monkeypatch, None)
    masked = ok(cli("secret", "get", "WEATHER_KEY", *PROD))
    assert masked.splitlines()[0] == "••••••••"
    assert "--reveal" in masked
    assert "s3cr3t-weather" not in masked
    assert reveal(cli, monkeypatch, "WEATHER_KEY", *PROD) == "s3cr3t-weather"

    # a new passphrase: the old one stops working, the new one works, the secret is intact
    monkeypatch.setenv("PYLEE_NEW_PASSPHRASE", NEW_PASS)
    assert "Changed the vault passphrase" in ok(cli("vault", "passwd"))
    refused = cli("secret", "get", "WEATHER_KEY", *PROD, "--reveal")
    assert refused.code == 1
    assert "wrong vault passphrase" in one_error_line(refused)
    passphrase(monkeypatch, NEW_PASS)
    assert ok(cli("secret", "get", "WEATHER_KEY", *PROD, "--reveal")) == "s3cr3t-weather\n"

    # the server's effective configuration says where each value comes from
    passphrase(monkeypatch, None)
    table = ok(cli("env", *SERVER)).splitlines()
    assert table[0].split() == ["KEY", "KIND", "VALUE", "SOURCE", "OVERRIDES"]
    assert table[1].split() == [
        "LOG_LEVEL",
        "variable",
        "debug",
        "server",
        SERVER_NAME,
        "org",
        "acme",
    ]
    assert table[2].split() == ["WEATHER_KEY", "secret", "••••••••", "registry", "prod", "-"]
    text = "\n".join(table)
    assert "Missing (1)" in text
    assert "REGION: where" in text
    assert "s3cr3t-weather" not in text
    data = as_json(cli("env", *SERVER, "--json"))
    log = next(e for e in data["entries"] if e["key"] == "LOG_LEVEL")
    assert (log["value"], log["source"], log["scope"], log["overrides"]) == (
        "debug",
        f"server {SERVER_NAME}",
        "server",
        ["org acme"],
    )
    assert data["missing"] == [{"name": "REGION", "description": "where", "secret": False}]

    # the vault's own events are in the org's log too: its admins see who holds the vault
    assert [e["action"] for e in reversed(as_json(cli("audit", *ORG, "--json")))][-9:] == [
        "registry.create",
        "server.add",
        "variable.set",
        "variable.set",
        "vault.create",
        "secret.set",
        "secret.reveal",
        "vault.passwd",
        "secret.reveal",
    ]


# --- the passphrase --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ("secret", "set", "TOKEN", *ORG),
        ("secret", "set", "NEW_ONE", *PROD),
        ("secret", "get", "TOKEN", *ORG, "--reveal"),
        ("secret", "rollback", "TOKEN", "1", *ORG),
        ("env", *SERVER, "--reveal"),
        ("env", *ORG, "--format", "dotenv", "--reveal"),
        ("vault", "passwd"),
    ],
)
@pytest.mark.parametrize("how", ["environment", "prompt"])
def test_a_wrong_passphrase_is_one_line_and_changes_nothing(
    acme: CliRunner, keyboard: Keyboard, monkeypatch, argv, how
) -> None:
    monkeypatch.setenv("PYLEE_NEW_PASSPHRASE", NEW_PASS)
    if how == "environment":
        passphrase(monkeypatch, "not the passphrase")
        piped(monkeypatch, "replacement\n")
    else:
        at_terminal(monkeypatch)
        typed = ["not the passphrase"]
        if argv[:2] == ("secret", "set"):
            typed = ["replacement", "replacement", *typed]
        keyboard.type(*typed)
    before = rows(acme.db)
    result = acme(*argv)
    assert result.code == 1
    assert result.out == ""
    assert one_error_line(result) == "pylee-tui: wrong vault passphrase; nothing was changed"
    assert rows(acme.db) == before
    assert keyboard.answers == []
    assert keyboard.unexpected == []
    assert reveal(acme, monkeypatch, "TOKEN") == "tok-3f9a"


@pytest.mark.parametrize(
    "argv",
    [
        ("secret", "set", "TOKEN", *ORG, "--value", "replacement"),
        ("secret", "get", "TOKEN", *ORG, "--reveal"),
        ("secret", "rollback", "TOKEN", "1", *ORG),
        ("env", *ORG, "--reveal"),
        ("vault", "passwd"),
    ],
)
def test_no_passphrase_and_no_terminal_says_to_set_the_variable(
    acme: CliRunner, keyboard: Keyboard, argv
) -> None:
    before = rows(acme.db)
    result = acme(*argv)
    assert result.code == 1
    line = one_error_line(result)
    assert "set PYLEE_PASSPHRASE" in line
    assert rows(acme.db) == before
    assert keyboard.prompts == []


def test_commands_that_need_no_key_never_ask_for_the_passphrase(
    acme: CliRunner, keyboard: Keyboard, monkeypatch
) -> None:
    at_terminal(monkeypatch)  # a prompt would be possible, and must not happen
    for argv in (
        ("secret", "list", *ORG),
        ("secret", "get", "TOKEN", *ORG),
        ("secret", "history", "TOKEN", *ORG),
        ("env", *SERVER),
        ("env", *SERVER, "--format", "dotenv"),
        ("env", *SERVER, "--json"),
        ("var", "list", *ORG),
        ("vault", "status"),
    ):
        ok(acme(*argv))
    assert keyboard.prompts == []


def test_env_reveal_without_secrets_needs_no_vault(cli: CliRunner, keyboard: Keyboard) -> None:
    ok(cli("org", "create", "Acme"))
    ok(cli("var", "set", "REGION", "eu", *ORG))
    assert ok(cli("env", *ORG, "--reveal", "--format", "dotenv")).endswith("REGION='eu'\n")
    assert keyboard.prompts == []


def test_first_secret_at_a_terminal_asks_value_and_new_passphrase_twice(
    cli: CliRunner, keyboard: Keyboard, monkeypatch
) -> None:
    ok(cli("org", "create", "Acme"))
    at_terminal(monkeypatch)
    keyboard.type("typed value", "typed value", PASS, PASS)
    result = cli("secret", "set", "API_KEY", *ORG)
    assert result.code == 0, result.err
    assert "created the vault" in result.err
    assert keyboard.prompts == [
        "Value of API_KEY (hidden): ",
        "Type it again: ",
        "The vault has no passphrase yet; choose one: ",
        "Type it again: ",
    ]
    # the vault opens with the passphrase typed, at a prompt too
    keyboard.type(PASS)
    assert ok(cli("secret", "get", "API_KEY", *ORG, "--reveal")) == "typed value\n"
    assert keyboard.prompts[-1] == "Vault passphrase: "
    # a second secret asks for the existing passphrase once
    keyboard.type("two", "two", PASS)
    assert ok(cli("secret", "set", "OTHER", *ORG)) == "Set secret OTHER at org acme.\n"
    assert keyboard.prompts[-1] == "Vault passphrase: "
    assert keyboard.unexpected == []


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (["one", "two"], "the two values typed do not match"),
        (["v", "v", PASS, PASS + "!"], "the two passphrases typed do not match"),
        (["v", "v", "short"], "at least 8 characters"),
        (["v", "v", " padded passphrase"], "cannot start or end with a space"),
        (["", ""], "empty value"),
        (["v", "v"], "nothing was typed"),
    ],
)
def test_first_secret_prompt_mistakes_create_nothing(
    cli: CliRunner, keyboard: Keyboard, monkeypatch, typed, message
) -> None:
    ok(cli("org", "create", "Acme"))
    at_terminal(monkeypatch)
    keyboard.type(*typed)
    before = rows(cli.db)
    result = cli("secret", "set", "API_KEY", *ORG)
    assert result.code == 1
    assert message in one_error_line(result)
    assert result.out == ""
    assert rows(cli.db) == before
    assert as_json(cli("vault", "status", "--json")) == {"initialized": False}
    assert keyboard.answers == []


def test_a_new_vault_passphrase_from_the_environment_follows_the_rule(
    cli: CliRunner, keyboard: Keyboard, monkeypatch
) -> None:
    ok(cli("org", "create", "Acme"))
    piped(monkeypatch, "value\n")
    passphrase(monkeypatch, "short")
    result = cli("secret", "set", "API_KEY", *ORG)
    assert result.code == 1
    assert "at least 8 characters" in one_error_line(result)
    assert as_json(cli("vault", "status", "--json")) == {"initialized": False}


def test_vault_passwd_at_a_terminal(acme: CliRunner, keyboard: Keyboard, monkeypatch) -> None:
    at_terminal(monkeypatch)
    keyboard.type(PASS, NEW_PASS, NEW_PASS)
    ok(acme("vault", "passwd"))
    assert keyboard.prompts == [
        "Current vault passphrase: ",
        "New vault passphrase: ",
        "Type it again: ",
    ]
    keyboard.type(NEW_PASS)
    assert ok(acme("secret", "get", "TOKEN", *ORG, "--reveal")) == "tok-3f9a\n"
    # a wrong current passphrase is refused before the new one is asked for
    keyboard.type(PASS)
    result = acme("vault", "passwd")
    assert "wrong vault passphrase" in one_error_line(result)
    assert keyboard.prompts[-1] == "Current vault passphrase: "
    assert keyboard.unexpected == []


def test_vault_without_a_passphrase_yet(cli: CliRunner, keyboard: Keyboard, monkeypatch) -> None:
    ok(cli("org", "create", "Acme"))
    assert "no passphrase yet" in ok(cli("vault", "status"))
    passphrase(monkeypatch)
    monkeypatch.setenv("PYLEE_NEW_PASSPHRASE", NEW_PASS)
    result = cli("vault", "passwd")
    assert result.code == 1
    assert "the first `pylee-tui secret set` creates it" in one_error_line(result)
    assert as_json(cli("vault", "status", "--json")) == {"initialized": False}
    assert "has a passphrase" not in ok(cli("vault", "status"))


# --- who may reveal --------------------------------------------------------------------------


def test_a_member_cannot_reveal_even_with_the_passphrase(
    acme: CliRunner, keyboard: Keyboard, monkeypatch
) -> None:
    with_services(acme.db, lambda s: s.members.grant(ANN, "acme", BOB, "secrets:write"))
    # bob may write a secret (with the passphrase), and see that it exists, masked
    piped(monkeypatch, "bob-secret\n")
    passphrase(monkeypatch)
    assert "Set secret BOB_KEY" in ok(acme("secret", "set", "BOB_KEY", *ORG, user=BOB))
    assert "••••••••" in ok(acme("secret", "get", "BOB_KEY", *ORG, user=BOB))
    assert "BOB_KEY" in ok(acme("secret", "list", *ORG, user=BOB))
    before = rows(acme.db)
    for argv in (
        ("secret", "get", "BOB_KEY", *ORG, "--reveal"),
        ("env", *ORG, "--reveal"),
        ("env", *ORG, "--format", "dotenv", "--reveal"),
    ):
        result = acme(*argv, user=BOB)
        assert result.code == 1
        assert result.out == ""
        assert "cannot reveal secrets in 'acme'" in one_error_line(result)
    # not even asked for the passphrase at a terminal: the refusal comes first
    passphrase(monkeypatch, None)
    at_terminal(monkeypatch)
    result = acme("secret", "get", "TOKEN", *ORG, "--reveal", user=BOB)
    assert "cannot reveal secrets" in one_error_line(result)
    assert keyboard.prompts == []
    assert rows(acme.db) == before
    # the admin can
    assert reveal(acme, monkeypatch, "BOB_KEY") == "bob-secret"


# --- secret set: where the value comes from --------------------------------------------------


def binary_stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


@pytest.mark.parametrize(
    ("data", "stored"),
    [
        (b"plain\n", "plain"),
        (b"no newline", "no newline"),
        (b"two newlines\n\n", "two newlines\n"),
        (b"windows\r\n", "windows\r"),
        (b"  spaced  \n", "  spaced  "),
        (b"line one\nline two\n", "line one\nline two"),
        ("caf\u00e9 \u2603\n".encode(), "caf\u00e9 \u2603"),
    ],
)
def test_secret_from_stdin_loses_exactly_one_trailing_newline(
    acme: CliRunner, keyboard: Keyboard, monkeypatch, data: bytes, stored: str
) -> None:
    binary_stdin(monkeypatch, data)
    passphrase(monkeypatch)
    ok(acme("secret", "set", "PIPED", *ORG))
    assert reveal(acme, monkeypatch, "PIPED") == stored


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty value"),
        (b"\n", "empty value"),
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (b"x" * (64 * 1024 + 2), "larger than 64 KiB"),
        (b"a\x00b", "NUL"),
    ],
)
def test_bad_secret_values_on_stdin_are_refused(
    acme: CliRunner, keyboard: Keyboard, monkeypatch, data: bytes, message: str
) -> None:
    binary_stdin(monkeypatch, data)
    passphrase(monkeypatch)
    before = rows(acme.db)
    result = acme("secret", "set", "PIPED", *ORG)
    assert result.code == 1
    assert message in one_error_line(result)
    assert rows(acme.db) == before


def test_the_largest_value_fits(acme: CliRunner, keyboard: Keyboard, monkeypatch) -> None:
    binary_stdin(monkeypatch, b"y" * (64 * 1024) + b"\n")
    passphrase(monkeypatch)
    ok(acme("secret", "set", "BIG", *ORG))
    assert reveal(acme, monkeypatch, "BIG") == "y" * (64 * 1024)


def test_value_flag_works_with_a_one_line_warning(
    acme: CliRunner, keyboard: Keyboard, monkeypatch
) -> None:
    passphrase(monkeypatch)
    result = acme("secret", "set", "FLAGGED", *ORG, "--value", "from-argv")
    assert result.code == 0
    assert result.out == "Set secret FLAGGED at org acme.\n"
    [warning] = result.err_lines
    assert warning.startswith("pylee-tui: warning: ")
    assert "shell history" in warning
    assert "from-argv" not in result.err
    assert reveal(acme, monkeypatch, "FLAGGED") == "from-argv"


def test_secret_set_refuses_before_asking_anything(
    acme: CliRunner, keyboard: Keyboard, monkeypatch
) -> None:
    """A bad key, scope, kind or permission is reported before a value is typed."""
    at_terminal(monkeypatch)
    for argv, user, message in (
        (("secret", "set", "bad-key", *ORG), ANN, "is not valid"),
        (("secret", "set", "LOG_LEVEL", *ORG), ANN, "is a variable at org acme"),
        (("secret", "set", "K", "--org", "acme", "--registry", "nope"), ANN, "no registry"),
        (("secret", "set", "K", *PROD, "--server", "io.x/nope"), ANN, "no server"),
        (("secret", "set", "K", *ORG), BOB, "secrets:write"),
        (("secret", "set", "K", *ORG), CARL, "no organization"),
    ):
        result = acme(*argv, user=user)
        assert result.code == 1
        assert message in one_error_line(result)
    assert keyboard.prompts == []


def test_secret_set_refuses_a_member_in_the_services_own_words(
    acme: CliRunner, keyboard: Keyboard, monkeypatch
) -> None:
    """The CLI asks the access service before a value is typed; it has no copy of the rule."""
    at_terminal(monkeypatch)
    refused = acme("secret", "set", "K", *ORG, user=BOB)
    assert refused.code == 1
    assert keyboard.prompts == []

    def write_as_bob(services) -> None:
        with pytest.raises(PermissionDenied) as denied:
            services.variables.set_key(BOB, Scope("acme"), "K", "value", kind="secret")
        said.append(str(denied.value))

    said: list[str] = []
    with_services(acme.db, write_as_bob)
    assert one_error_line(refused) == f"pylee-tui: {said[0]}"
    assert "you are a member" in said[0]


# --- list, get, unset, history, rollback ------------------------------------------------------


def test_var_list_get_unset(acme: CliRunner, keyboard: Keyboard) -> None:
    ok(acme("var", "set", "REGION", "eu-west-1", *PROD))
    ok(acme("var", "set", "LOG_LEVEL", "warn", *PROD))
    lines = ok(acme("var", "list", *PROD)).splitlines()
    assert lines[0].split() == ["KEY", "VALUE", "UPDATED", "BY"]
    assert [line.split()[:2] for line in lines[1:]] == [
        ["LOG_LEVEL", "warn"],
        ["REGION", "eu-west-1"],
    ]
    assert all(line.split()[-1] == ANN for line in lines[1:])
    listed = as_json(acme("var", "list", *ORG, "--json", user=BOB))
    assert [(v["key"], v["value"], v["scope"], v["updated_by"]) for v in listed] == [
        ("LOG_LEVEL", "info", "org", ANN)
    ]  # TOKEN is a secret: not a variable
    assert set(listed[0]) == {"key", "value", "scope", "created_at", "updated_at", "updated_by"}
    assert ok(acme("var", "get", "REGION", *PROD, user=BOB)) == "eu-west-1\n"

    said = ok(acme("var", "unset", "LOG_LEVEL", *PROD))
    assert said == (
        "Unset LOG_LEVEL at registry prod of acme; LOG_LEVEL now comes from org acme. Its "
        "history is kept: pylee-tui var history LOG_LEVEL --org acme --registry prod\n"
    )
    assert ok(acme("var", "get", "LOG_LEVEL", *ORG)) == "info\n"
    assert "No variables at server" in ok(acme("var", "list", *SERVER))

    refused = acme("var", "unset", "TOKEN", *ORG)
    assert refused.code == 1
    assert "TOKEN at org acme is a secret, not a variable: use pylee-tui secret unset" in (
        one_error_line(refused)
    )
    refused = acme("var", "get", "TOKEN", *ORG)
    assert "is a secret" in one_error_line(refused)


def test_var_value_is_stored_exactly(acme: CliRunner, keyboard: Keyboard) -> None:
    value = "  two\nlines\t'quoted' \"double\" $HOME `id` \\ é  "
    ok(acme("var", "set", "ODD", value, *ORG))
    assert ok(acme("var", "get", "ODD", *ORG)) == value + "\n"
    ok(acme("var", "set", *ORG, "DASHED", "--", "-Xmx512m"))  # a leading - goes after --
    assert ok(acme("var", "get", "DASHED", *ORG)) == "-Xmx512m\n"


def test_secret_list_never_shows_values(acme: CliRunner, keyboard: Keyboard, monkeypatch) -> None:
    lines = ok(acme("secret", "list", *ORG)).splitlines()
    assert lines[0].split() == ["KEY", "UPDATED", "BY"]
    assert [line.split()[0] for line in lines[1:]] == ["TOKEN"]
    listed = as_json(acme("secret", "list", *ORG, "--json"))
    assert [s["key"] for s in listed] == ["TOKEN"]
    assert "value" not in listed[0]
    assert "No secrets at registry prod of acme" in ok(acme("secret", "list", *PROD))


def test_secret_history_rollback_and_unset(
    acme: CliRunner, keyboard: Keyboard, monkeypatch
) -> None:
    lines = ok(acme("secret", "history", "TOKEN", *ORG, user=BOB)).splitlines()
    assert lines[0].split() == ["VERSION", "ACTION", "WHEN", "WHO", "CURRENT"]
    assert [line.split()[:2] for line in lines[1:3]] == [["2", "set"], ["1", "set"]]
    assert lines[1].split()[-1] == "current"
    assert lines[2].split()[-1] == ANN
    assert "secret rollback TOKEN VERSION --org acme" in lines[-1]

    passphrase(monkeypatch)
    said = ok(acme("secret", "rollback", "TOKEN", "1", *ORG))
    assert (
        said == "Rolled secret TOKEN at org acme back to version 1; its value is now version 3.\n"
    )
    assert reveal(acme, monkeypatch, "TOKEN") == "first-token"
    history = as_json(acme("secret", "history", "TOKEN", *ORG, "--json"))
    assert [(h["version"], h["action"], h["current"]) for h in history] == [
        (3, "rollback", True),
        (2, "set", False),
        (1, "set", False),
    ]
    assert set(history[0]) == {"version", "action", "kind", "created_at", "created_by", "current"}

    passphrase(monkeypatch, None)
    assert "Unset secret TOKEN at org acme" in ok(acme("secret", "unset", "TOKEN", *ORG))
    assert acme("secret", "get", "TOKEN", *ORG).code == 1
    history = as_json(acme("secret", "history", "TOKEN", *ORG, "--json"))
    assert [(h["version"], h["action"], h["current"]) for h in history][0] == (4, "unset", False)
    assert not any(h["current"] for h in history)

    passphrase(monkeypatch)
    refused = acme("secret", "rollback", "TOKEN", "4", *ORG)
    assert "is its deletion" in one_error_line(refused)
    refused = acme("secret", "rollback", "TOKEN", "9", *ORG)
    assert "has no version 9" in one_error_line(refused)
    ok(acme("secret", "rollback", "TOKEN", "2", *ORG))
    assert reveal(acme, monkeypatch, "TOKEN") == "tok-3f9a"


def test_a_deleted_variable_is_listed_and_rolled_back(acme: CliRunner, keyboard: Keyboard) -> None:
    ok(acme("var", "set", "LOG_LEVEL", "debug", *ORG))
    assert ok(acme("var", "list", *ORG, "--deleted")) == "No deleted variables at org acme.\n"
    said = ok(acme("var", "unset", "LOG_LEVEL", *ORG))
    assert "Its history is kept: pylee-tui var history LOG_LEVEL --org acme" in said
    assert "No variables at org acme" in ok(acme("var", "list", *ORG))

    lines = ok(acme("var", "list", *ORG, "--deleted", user=BOB)).splitlines()
    assert lines[0].split() == ["KEY", "LAST", "VALUE", "DELETED", "BY", "ROLL", "BACK", "TO"]
    assert lines[1].split()[:2] == ["LOG_LEVEL", "debug"]
    assert lines[1].split()[-2:] == [ANN, "2"]
    assert lines[-1] == "Bring one back: pylee-tui var rollback KEY VERSION --org acme"
    listed = as_json(acme("var", "list", *ORG, "--deleted", "--json"))
    assert [(d["key"], d["value"], d["deleted_version"], d["restore_version"]) for d in listed] == [
        ("LOG_LEVEL", "debug", 3, 2)
    ]
    assert set(listed[0]) == {
        "key",
        "scope",
        "value",
        "deleted_at",
        "deleted_by",
        "deleted_version",
        "restore_version",
    }
    assert (listed[0]["scope"], listed[0]["deleted_by"]) == ("org", ANN)

    lines = ok(acme("var", "history", "LOG_LEVEL", *ORG, user=BOB)).splitlines()
    assert lines[0].split() == ["VERSION", "ACTION", "WHEN", "WHO", "VALUE", "CURRENT"]
    assert [line.split()[:2] for line in lines[1:4]] == [["3", "unset"], ["2", "set"], ["1", "set"]]
    assert lines[2].split()[-1] == "debug" and lines[3].split()[-1] == "info"
    assert lines[-1] == "Roll back: pylee-tui var rollback LOG_LEVEL VERSION --org acme"
    history = as_json(acme("var", "history", "LOG_LEVEL", *ORG, "--json"))
    assert [(h["version"], h["action"], h["value"], h["current"]) for h in history] == [
        (3, "unset", None, False),
        (2, "set", "debug", False),
        (1, "set", "info", False),
    ]

    said = ok(acme("var", "rollback", "LOG_LEVEL", "2", *ORG))  # no passphrase for a variable
    assert said == "Rolled LOG_LEVEL at org acme back to version 2; its value is now version 4.\n"
    assert keyboard.prompts == []
    assert ok(acme("var", "get", "LOG_LEVEL", *ORG)) == "debug\n"
    assert as_json(acme("var", "list", *ORG, "--deleted", "--json")) == []
    assert as_json(acme("var", "history", "LOG_LEVEL", *ORG, "--json"))[0]["current"] is True


def test_a_deleted_secret_is_listed_without_its_value(
    acme: CliRunner, keyboard: Keyboard, monkeypatch
) -> None:
    ok(acme("secret", "unset", "TOKEN", *ORG))
    lines = ok(acme("secret", "list", *ORG, "--deleted")).splitlines()
    assert lines[0].split() == ["KEY", "DELETED", "BY", "ROLL", "BACK", "TO"]
    assert lines[1].split()[0] == "TOKEN" and lines[1].split()[-1] == "2"
    assert lines[-1] == "Bring one back: pylee-tui secret rollback KEY VERSION --org acme"
    listed = as_json(acme("secret", "list", *ORG, "--deleted", "--json"))
    assert [(d["key"], d["deleted_version"], d["restore_version"]) for d in listed] == [
        ("TOKEN", 3, 2)
    ]
    assert "value" not in listed[0]
    assert "tok-3f9a" not in str(listed)
    # a variable is not a secret, and the other way round
    assert as_json(acme("var", "list", *ORG, "--deleted", "--json")) == []
    passphrase(monkeypatch)
    ok(acme("secret", "rollback", "TOKEN", "2", *ORG))
    assert reveal(acme, monkeypatch, "TOKEN") == "tok-3f9a"
    assert as_json(acme("secret", "list", *ORG, "--deleted", "--json")) == []


def test_deleted_lists_and_history_never_send_a_stored_control_character(
    acme: CliRunner, keyboard: Keyboard
) -> None:
    hostile = "red\x1b[31m\u202ehidden\x07"
    ok(acme("var", "set", "ODD", hostile, *ORG))
    ok(acme("var", "unset", "ODD", *ORG))
    for argv in (
        ("var", "list", *ORG, "--deleted"),
        ("var", "list", *ORG, "--deleted", "--json"),
        ("var", "history", "ODD", *ORG),
        ("var", "history", "ODD", *ORG, "--json"),
    ):
        out = ok(acme(*argv))
        assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out, argv
        assert "red" in out
    listed = as_json(acme("var", "list", *ORG, "--deleted", "--json"))
    assert listed[0]["value"] == hostile  # the same JSON value, written as \uXXXX


def test_var_history_and_rollback_refuse_secrets(acme: CliRunner, keyboard: Keyboard) -> None:
    for argv, message in (
        (("var", "history", "TOKEN", *ORG), "use pylee-tui secret history"),
        (("var", "rollback", "TOKEN", "1", *ORG), "use pylee-tui secret history"),
        (("secret", "history", "LOG_LEVEL", *ORG), "see pylee-tui var history LOG_LEVEL"),
    ):
        result = acme(*argv)
        assert result.code == 1
        assert message.removeprefix("use ").removeprefix("see ") in one_error_line(result)


def test_secret_commands_refuse_variables(acme: CliRunner, keyboard: Keyboard) -> None:
    for argv, message in (
        (("secret", "get", "LOG_LEVEL", *ORG), "use pylee-tui var get LOG_LEVEL --org acme"),
        (("secret", "unset", "LOG_LEVEL", *ORG), "use pylee-tui var unset LOG_LEVEL"),
        (("secret", "history", "LOG_LEVEL", *ORG), "has never been a secret"),
        (("secret", "rollback", "LOG_LEVEL", "1", *ORG), "has never been a secret"),
    ):
        result = acme(*argv)
        assert result.code == 1
        assert message in one_error_line(result)


# --- env -------------------------------------------------------------------------------------


def test_env_at_each_scope_shows_sources_and_overrides(acme: CliRunner, keyboard: Keyboard) -> None:
    ok(acme("var", "set", "LOG_LEVEL", "warn", *PROD))
    ok(acme("var", "set", "LOG_LEVEL", "debug", *SERVER))
    ok(acme("var", "set", "REGION", "eu", *PROD))
    org = as_json(acme("env", *ORG, "--json"))
    assert org["scope"] == {"org": "acme", "registry": None, "server": None}
    assert [(e["key"], e["source"]) for e in org["entries"]] == [
        ("LOG_LEVEL", "org acme"),
        ("TOKEN", "org acme"),
    ]
    assert org["missing"] == []
    server = as_json(acme("env", *SERVER, "--format", "json"))
    assert server["scope"] == {"org": "acme", "registry": "prod", "server": SERVER_NAME}
    log = next(e for e in server["entries"] if e["key"] == "LOG_LEVEL")
    assert log["overrides"] == ["registry prod", "org acme"]
    assert [m["name"] for m in server["missing"]] == ["WEATHER_KEY"]
    assert server["missing"][0]["secret"] is True
    assert server["revealed"] is False
    assert set(log) == {
        "key",
        "kind",
        "value",
        "raw",
        "source",
        "scope",
        "overrides",
        "references",
        "embeds_secret",
        "warnings",
        "problems",
    }
    assert set(server) == {"scope", "revealed", "entries", "missing", "warnings", "problems"}


def test_env_reports_problems_and_warnings_and_still_exits_0(
    acme: CliRunner, keyboard: Keyboard
) -> None:
    ok(acme("var", "set", "A", "${B}", *ORG))
    ok(acme("var", "set", "B", "${A}", *ORG))
    ok(acme("var", "set", "URL", "https://h/${NOWHERE}?t=${TOKEN}", *ORG))
    table = ok(acme("env", *ORG))
    assert "Problems (2):" in table
    assert "A: reference cycle A → B → A" in table
    assert "Warnings (1):" in table
    assert "URL: ${NOWHERE} refers to no key" in table
    assert "https://h/${NOWHERE}?t=[redacted]" in table
    data = as_json(acme("env", *ORG, "--json"))
    a = next(e for e in data["entries"] if e["key"] == "A")
    assert a["value"] is None
    assert a["raw"] == "${B}"
    assert data["problems"] == ["A: reference cycle A → B → A", "B: reference cycle B → A → B"]
    url = next(e for e in data["entries"] if e["key"] == "URL")
    assert url["embeds_secret"] is True
    assert url["references"] == ["NOWHERE", "TOKEN"]
    dotenv = ok(acme("env", *ORG, "--format", "dotenv")).splitlines()
    assert "# A is left out: reference cycle A → B → A" in dotenv
    assert "# TOKEN is a secret: pass --reveal" in dotenv
    assert "# URL embeds a secret: pass --reveal" in dotenv
    assert "# URL: ${NOWHERE} refers to no key; left as written" in dotenv
    assert "LOG_LEVEL='info'" in dotenv


def test_env_output_flags_conflict_as_usage_errors(acme: CliRunner, keyboard: Keyboard) -> None:
    for argv in (
        ("env", *ORG, "--json", "--format", "dotenv"),
        ("env", *ORG, "--format", "table", "--json"),
        ("env", *ORG, "--format", "yaml"),
    ):
        result = acme(*argv)
        assert result.code == 2
        assert "see `pylee-tui env --help`" in one_error_line(result)


SECRET_VALUE = "pa$$w0rd'\"`id`\nsecond line ☃"


def test_no_plaintext_secret_in_any_output_without_reveal(
    acme: CliRunner, keyboard: Keyboard, monkeypatch
) -> None:
    set_secret(acme, monkeypatch, "DB_PASSWORD", SECRET_VALUE, *PROD)
    passphrase(monkeypatch, None)
    ok(acme("var", "set", "DSN", "postgres://app:${DB_PASSWORD}@db/app", *SERVER))
    outputs = [
        ok(acme(*argv))
        for argv in (
            ("env", *SERVER, "--json"),
            ("env", *SERVER),
            ("env", *SERVER, "--format", "dotenv"),
            ("env", *PROD, "--json"),
            ("secret", "list", *PROD, "--json"),
            ("secret", "history", "DB_PASSWORD", *PROD, "--json"),
            ("secret", "get", "DB_PASSWORD", *PROD),
            ("var", "list", *SERVER, "--json"),
            ("audit", *ORG, "--json"),
        )
    ]
    for text in outputs:
        for fragment in ("pa$$w0rd", "second line", SECRET_VALUE, json.dumps(SECRET_VALUE)):
            assert fragment not in text
    dsn = next(e for e in json.loads(outputs[0])["entries"] if e["key"] == "DSN")
    assert dsn["value"] == "postgres://app:[redacted]@db/app"
    # with --reveal, the same JSON does carry it
    passphrase(monkeypatch)
    revealed = as_json(acme("env", *SERVER, "--json", "--reveal"))
    assert revealed["revealed"] is True
    values = {e["key"]: e["value"] for e in revealed["entries"]}
    assert values["DB_PASSWORD"] == SECRET_VALUE
    assert values["DSN"] == f"postgres://app:{SECRET_VALUE}@db/app"
    assert "secret.export" in {e["action"] for e in as_json(acme("audit", *ORG, "--json"))}


ODD_VALUES = {
    "SINGLE": "it's",
    "QUOTES": "'''",
    "DOUBLE": 'say "hi"',
    "DOLLAR": "$HOME",
    "BRACED": "${HOME}",
    "BACKTICK": "`id`",
    "SUBSHELL": "$(echo pwned; touch pwned)",
    "TOUCH": "`touch pwned-too`",
    "NEWLINES": "line one\nline two\n",
    "CRLF": "a\r\nb",
    "BACKSLASH": "C:\\path\\n\\\\",
    "UNICODE": "café ☃ 日本 \u200b",
    "EMPTY": "",
    "SPACES": "  padded  ",
    "MIXED": "'\"$`\\\n;|&<>*?[]#~ {}!",
    "DASHED": "-e",
}


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX sh")
def test_dotenv_round_trip_through_sh(
    acme: CliRunner, keyboard: Keyboard, monkeypatch, tmp_path: Path
) -> None:
    for key, value in ODD_VALUES.items():
        ok(acme("var", "set", key, *SERVER, "--", value))
    set_secret(acme, monkeypatch, "PASSWORD", SECRET_VALUE, *PROD)
    # the revealed dotenv reads back byte for byte
    passphrase(monkeypatch)
    file = tmp_path / "server.env"
    file.write_text(ok(acme("env", *SERVER, "--format", "dotenv", "--reveal")), encoding="utf-8")
    expected = {**ODD_VALUES, "PASSWORD": SECRET_VALUE, "LOG_LEVEL": "info", "TOKEN": "tok-3f9a"}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent-home"}
    for key, value in expected.items():
        done = subprocess.run(
            ["sh", "-c", f'set -a; . "$1"; printf %s "${key}"', "sh", file],
            capture_output=True,
            env={**env, "LC_ALL": "C"},
            timeout=30,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == b""
        assert done.stdout == value.encode("utf-8"), key
    assert sorted(p.name for p in tmp_path.iterdir() if "pwned" in p.name) == []  # nothing ran
    # without --reveal: secrets are comments, so nothing sourced holds a mask
    passphrase(monkeypatch, None)
    masked = tmp_path / "masked.env"
    masked.write_text(ok(acme("env", *SERVER, "--format", "dotenv")), encoding="utf-8")
    assert "••••••••" not in masked.read_text(encoding="utf-8")
    done = subprocess.run(
        [
            "sh",
            "-c",
            'set -a; . "$1"; printf "%s|%s|%s" "${PASSWORD-unset}" "$SINGLE" "$MIXED"',
            "sh",
            masked,
        ],
        capture_output=True,
        env=env,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == f"unset|{ODD_VALUES['SINGLE']}|{ODD_VALUES['MIXED']}"


# --- bad input for every command -------------------------------------------------------------


def case(command: str, argv: tuple[str, ...], user: str | None, code: int, **situation: Any):
    """A row: the command, its argv, the acting user, the exit code, and the situation: `env`
    (variables to set, None to unset; PYLEE_PASSPHRASE is right by default), `stdin` (piped
    text), `typed` (answers at a terminal), `says` (a fragment of the error line)."""
    return (command, argv, user, code, situation)


WRONG = {"PYLEE_PASSPHRASE": "not the passphrase"}
NONE = {"PYLEE_PASSPHRASE": None}
BAD_SERVER = (*PROD, "--server", "io.github.acme/nope")
NO_REGISTRY = ("--org", "acme", "--server", SERVER_NAME)
HUGE = "x" * (64 * 1024 + 1)

# (command, argv, acting user, expected exit code, situation)
BAD_INPUT = [
    case("var list", ("var", "list", "--org", "nope"), ANN, 1),
    case("var list", ("var", "list", *ORG), CARL, 1),
    case("var list", ("var", "list", *ORG), None, 1),
    case("var list", ("var", "list", "--org", "acme", "--registry", "nope"), ANN, 1),
    case("var list", ("var", "list", *BAD_SERVER), ANN, 1),
    case("var list", ("var", "list"), ANN, 2),
    case("var list", ("var", "list", *NO_REGISTRY), ANN, 2, says="--server needs --registry"),
    case("var list", ("var", "list", *ORG, "--registry", ""), ANN, 2, says="cannot be empty"),
    case("var list", ("var", "list", *ORG, "extra"), ANN, 2),
    case("var set", ("var", "set", "log-level", "x", *ORG), ANN, 1, says="is not valid"),
    case("var set", ("var", "set", "1KEY", "x", *ORG), ANN, 1),
    case("var set", ("var", "set", "", "x", *ORG), ANN, 1),
    case("var set", ("var", "set", "K", "a\x00b", *ORG), ANN, 1, says="NUL"),
    case("var set", ("var", "set", "K", HUGE, *ORG), ANN, 1, says="64 KiB"),
    case("var set", ("var", "set", "K", "x", *ORG), BOB, 1, says="change variables"),
    case("var set", ("var", "set", "K", "x", *ORG), CARL, 1),
    case("var set", ("var", "set", "K", "x", "--org", "beta"), ANN, 1),
    case("var set", ("var", "set", "TOKEN", "x", *ORG), ANN, 1, says="TOKEN is a secret"),
    case("var set", ("var", "set", "K", "x", *BAD_SERVER), ANN, 1, says="no server"),
    case("var set", ("var", "set", "K", "x", *NO_REGISTRY), ANN, 2),
    case("var set", ("var", "set", "K", *ORG), ANN, 2),
    case("var set", ("var", "set", "K", "-x", *ORG), ANN, 2),
    case("var get", ("var", "get", "NOPE", *ORG), ANN, 1, says="no NOPE at org acme"),
    case("var get", ("var", "get", "LOG_LEVEL", *PROD), ANN, 1),
    case("var get", ("var", "get", "TOKEN", *ORG), ANN, 1, says="is a secret"),
    case("var get", ("var", "get", "bad key", *ORG), ANN, 1),
    case("var get", ("var", "get", "LOG_LEVEL", *ORG), CARL, 1),
    case("var get", ("var", "get", *ORG), ANN, 2),
    case("var unset", ("var", "unset", "TOKEN", *ORG), ANN, 1, says="secret unset"),
    case("var unset", ("var", "unset", "NOPE", *ORG), ANN, 1),
    case("var unset", ("var", "unset", "LOG_LEVEL", *ORG), BOB, 1),
    case("var unset", ("var", "unset", "LOG_LEVEL", *SERVER), ANN, 1),
    case("var unset", ("var", "unset", *ORG), ANN, 2),
    case("var list", ("var", "list", *ORG, "--deleted"), CARL, 1),
    case("var list", ("var", "list", *BAD_SERVER, "--deleted"), ANN, 1),
    case("var list", ("var", "list", *ORG, "--deleted=yes"), ANN, 2),
    case("var history", ("var", "history", "NOPE", *ORG), ANN, 1, says="no history"),
    case("var history", ("var", "history", "bad", *ORG), ANN, 1, says="is not valid"),
    case("var history", ("var", "history", "TOKEN", *ORG), ANN, 1, says="secret history"),
    case("var history", ("var", "history", "LOG_LEVEL", *ORG), CARL, 1),
    case("var history", ("var", "history", "LOG_LEVEL", *PROD), ANN, 1, says="no history"),
    case("var history", ("var", "history", "LOG_LEVEL", *BAD_SERVER), ANN, 1, says="no server"),
    case("var history", ("var", "history", *ORG), ANN, 2),
    case("var history", ("var", "history", "LOG_LEVEL", *ORG, "extra"), ANN, 2),
    case("var rollback", ("var", "rollback", "LOG_LEVEL", "9", *ORG), ANN, 1, says="no version 9"),
    case(
        "var rollback",
        ("var", "rollback", "LOG_LEVEL", "1", *ORG),
        BOB,
        1,
        says="change variables",
    ),
    case("var rollback", ("var", "rollback", "LOG_LEVEL", "1", *ORG), CARL, 1),
    case("var rollback", ("var", "rollback", "TOKEN", "1", *ORG), ANN, 1, says="secret history"),
    case("var rollback", ("var", "rollback", "LOG_LEVEL", "1", *PROD), ANN, 1),
    case("var rollback", ("var", "rollback", "bad", "1", *ORG), ANN, 1),
    case("var rollback", ("var", "rollback", "LOG_LEVEL", "0", *ORG), ANN, 2),
    case("var rollback", ("var", "rollback", "LOG_LEVEL", "one", *ORG), ANN, 2),
    case("var rollback", ("var", "rollback", "LOG_LEVEL", *ORG), ANN, 2),
    case("var rollback", ("var", "rollback", "LOG_LEVEL", "1", *NO_REGISTRY), ANN, 2),
    case("secret list", ("secret", "list", "--org", "nope"), ANN, 1),
    case("secret list", ("secret", "list", *ORG), CARL, 1),
    case("secret list", ("secret", "list", *BAD_SERVER), ANN, 1),
    case("secret list", ("secret", "list", *NO_REGISTRY), ANN, 2),
    case("secret list", ("secret", "list"), ANN, 2),
    case("secret list", ("secret", "list", *ORG, "--deleted"), CARL, 1),
    case("secret list", ("secret", "list", *BAD_SERVER, "--deleted", "--json"), ANN, 1),
    case("secret list", ("secret", "list", *ORG, "--deleted", "extra"), ANN, 2),
    case("secret set", ("secret", "set", "bad-key", *ORG), ANN, 1, stdin="v\n"),
    case("secret set", ("secret", "set", "K", *ORG), BOB, 1, stdin="v\n", says="secrets:write"),
    case("secret set", ("secret", "set", "K", *ORG), CARL, 1, stdin="v\n"),
    case("secret set", ("secret", "set", "LOG_LEVEL", *ORG), ANN, 1, stdin="v\n"),
    case("secret set", ("secret", "set", "K", *BAD_SERVER), ANN, 1, stdin="v\n"),
    case("secret set", ("secret", "set", "K", *ORG), ANN, 1, stdin="", says="empty value"),
    case("secret set", ("secret", "set", "K", *ORG), ANN, 1, stdin="\n", says="empty value"),
    case("secret set", ("secret", "set", "K", *ORG), ANN, 1, stdin=HUGE + "\n", says="64 KiB"),
    case("secret set", ("secret", "set", "K", *ORG, "--value", ""), ANN, 1, says="empty value"),
    case("secret set", ("secret", "set", "K", *ORG), ANN, 1, stdin="v\n", env=WRONG, says="wrong"),
    case(
        "secret set", ("secret", "set", "K", *ORG), ANN, 1, stdin="v\n", env=NONE, says="set PYLEE"
    ),
    case("secret set", ("secret", "set", "K", *ORG), ANN, 1, typed=["a", "b"], says="do not match"),
    case(
        "secret set",
        ("secret", "set", "K", *ORG),
        ANN,
        1,
        typed=["v", "v", "not it at all"],
        env=NONE,
        says="wrong vault passphrase",
    ),
    case("secret set", ("secret", "set", "K", *ORG, "--value"), ANN, 2),
    case("secret set", ("secret", "set", *ORG), ANN, 2),
    case("secret set", ("secret", "set", "K", *NO_REGISTRY), ANN, 2),
    case("secret get", ("secret", "get", "NOPE", *ORG), ANN, 1),
    case("secret get", ("secret", "get", "LOG_LEVEL", *ORG), ANN, 1, says="var get"),
    case("secret get", ("secret", "get", "TOKEN", *PROD), ANN, 1),
    case("secret get", ("secret", "get", "TOKEN", *ORG), CARL, 1),
    case("secret get", ("secret", "get", "TOKEN", *ORG, "--reveal"), BOB, 1, says="reveal secrets"),
    case("secret get", ("secret", "get", "TOKEN", *ORG, "--reveal"), ANN, 1, env=WRONG),
    case("secret get", ("secret", "get", "TOKEN", *ORG, "--reveal"), ANN, 1, env=NONE),
    case(
        "secret get",
        ("secret", "get", "TOKEN", *ORG, "--reveal"),
        ANN,
        1,
        env=NONE,
        typed=["guess-guess"],
        says="wrong vault passphrase",
    ),
    case("secret get", ("secret", "get", "TOKEN", *ORG, "--reveal"), ANN, 1, env=NONE, typed=[]),
    case("secret get", ("secret", "get", "TOKEN", *ORG, "--reveal=yes"), ANN, 2),
    case("secret get", ("secret", "get", *ORG), ANN, 2),
    case("secret unset", ("secret", "unset", "NOPE", *ORG), ANN, 1),
    case("secret unset", ("secret", "unset", "LOG_LEVEL", *ORG), ANN, 1, says="var unset"),
    case("secret unset", ("secret", "unset", "TOKEN", *ORG), BOB, 1, says="secrets:write"),
    case("secret unset", ("secret", "unset", "TOKEN", *ORG), CARL, 1),
    case("secret unset", ("secret", "unset", "TOKEN"), ANN, 2),
    case("secret history", ("secret", "history", "NOPE", *ORG), ANN, 1, says="no history"),
    case("secret history", ("secret", "history", "bad", *ORG), ANN, 1),
    case("secret history", ("secret", "history", "LOG_LEVEL", *ORG), ANN, 1, says="var history"),
    case("secret history", ("secret", "history", "TOKEN", *ORG), CARL, 1),
    case("secret history", ("secret", "history", "TOKEN", *ORG, "extra"), ANN, 2),
    case(
        "secret rollback", ("secret", "rollback", "TOKEN", "9", *ORG), ANN, 1, says="no version 9"
    ),
    case("secret rollback", ("secret", "rollback", "TOKEN", "1", *ORG), ANN, 1, env=WRONG),
    case("secret rollback", ("secret", "rollback", "TOKEN", "1", *ORG), ANN, 1, env=NONE),
    case("secret rollback", ("secret", "rollback", "TOKEN", "1", *ORG), BOB, 1),
    case("secret rollback", ("secret", "rollback", "TOKEN", "1", *PROD), ANN, 1),
    case("secret rollback", ("secret", "rollback", "LOG_LEVEL", "1", *ORG), ANN, 1),
    case("secret rollback", ("secret", "rollback", "bad", "1", *ORG), ANN, 1),
    case("secret rollback", ("secret", "rollback", "TOKEN", "0", *ORG), ANN, 2),
    case("secret rollback", ("secret", "rollback", "TOKEN", "one", *ORG), ANN, 2),
    case("secret rollback", ("secret", "rollback", "TOKEN", *ORG), ANN, 2),
    case("vault status", ("vault", "status", "extra"), ANN, 2),
    case("vault status", ("vault", "status", "--json=yes"), ANN, 2),
    case(
        "vault passwd", ("vault", "passwd"), ANN, 1, env={**WRONG, "PYLEE_NEW_PASSPHRASE": NEW_PASS}
    ),
    case("vault passwd", ("vault", "passwd"), ANN, 1, env={"PYLEE_NEW_PASSPHRASE": "short"}),
    case("vault passwd", ("vault", "passwd"), ANN, 1, env={"PYLEE_NEW_PASSPHRASE": " spaced out"}),
    case(
        "vault passwd", ("vault", "passwd"), ANN, 1, env={"PYLEE_NEW_PASSPHRASE": PASS}, says="same"
    ),
    case("vault passwd", ("vault", "passwd"), ANN, 1, says="set PYLEE_NEW_PASSPHRASE"),
    case(
        "vault passwd", ("vault", "passwd"), ANN, 1, env={**NONE, "PYLEE_NEW_PASSPHRASE": NEW_PASS}
    ),
    case(
        "vault passwd",
        ("vault", "passwd"),
        ANN,
        1,
        env=NONE,
        typed=[PASS, NEW_PASS, NEW_PASS + "?"],
        says="do not match",
    ),
    case("vault passwd", ("vault", "passwd"), None, 1),
    case("vault passwd", ("vault", "passwd", "extra"), ANN, 2),
    # an org's secrets key lives on a team server: a local store says so in one line
    case("vault share", ("vault", "share", *ORG), ANN, 1, says="lives on a team server"),
    case("vault share", ("vault", "share"), ANN, 2),
    case("vault rotate", ("vault", "rotate", *ORG), ANN, 1, says="lives on a team server"),
    case("vault rotate", ("vault", "rotate", "--org"), ANN, 2),
    case("env", ("env", "--org", "nope"), ANN, 1),
    case("env", ("env", *ORG), CARL, 1),
    case("env", ("env", *ORG), None, 1),
    case("env", ("env", *BAD_SERVER), ANN, 1),
    case("env", ("env", *ORG, "--reveal"), BOB, 1, says="reveal secrets"),
    case("env", ("env", *ORG, "--reveal"), ANN, 1, env=WRONG),
    case("env", ("env", *SERVER, "--reveal", "--json"), ANN, 1, env=NONE),
    case("env", ("env", *ORG, "--json", "--format", "dotenv"), ANN, 2),
    case("env", ("env", *ORG, "--format", "yaml"), ANN, 2),
    case("env", ("env", *NO_REGISTRY), ANN, 2),
    case("env", ("env",), ANN, 2),
]


def test_the_bad_input_table_covers_every_vault_command() -> None:
    from tests.cli.test_cli import leaf_commands

    groups = ("var ", "secret ", "vault ")
    expected = {c for c in leaf_commands() if c.startswith(groups) or c == "env"}
    assert {c for c, *_ in BAD_INPUT} == expected


@pytest.mark.parametrize(
    ("command", "argv", "user", "code", "situation"),
    BAD_INPUT,
    ids=[f"{i:03d} {' '.join(argv)[:50]}" for i, (_, argv, *_) in enumerate(BAD_INPUT)],
)
def test_bad_input_for_every_vault_command(
    acme: CliRunner, keyboard: Keyboard, monkeypatch, command, argv, user, code, situation
) -> None:
    passphrase(monkeypatch)
    for name, value in situation.get("env", {}).items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    if "typed" in situation:
        at_terminal(monkeypatch)
        keyboard.type(*situation["typed"])
    else:
        piped(monkeypatch, situation.get("stdin", ""))
    before = rows(acme.db)
    result = acme(*argv, user=user)
    assert result.code == code
    line = one_error_line(result)
    assert situation.get("says", "") in line
    assert result.out == ""
    assert rows(acme.db) == before
    assert keyboard.answers == []  # every answer prepared was asked for
