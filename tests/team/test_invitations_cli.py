"""`member invite` from the shell on a team server (against it, or its store with --db): the
code and the exact join line to pass on, or "emailed"; a failed mail is a warning and the code.
`serve run --smtp-url ... --mail-from ... [--public-url]`: checked in one line, and the mail it
sends names the public URL."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from pylee_tui.cli.team_serve import build_server
from pylee_tui.services import Services
from pylee_tui.team import login, sealing
from pylee_tui.team.mail import SmtpMailer
from pylee_tui.team.remote import RemoteService, RemoteServices, enrol
from tests.cli.expect import ok, one_error_line
from tests.support import ANN, BOB, CliRunner, with_services
from tests.team.conftest import TeamServer, run_in_thread
from tests.team.shell import saved_login
from tests.team.test_invitations import JOIN
from tests.team.test_mail import Sink, body_of, smtp_sink  # noqa: F401 (a fixture)
from tests.team.test_server import free_port
from tests.team.test_team_cli import self_signed

ORG = ("--org", "acme")


def logged_in(team: TeamServer, email: str = ANN) -> None:
    """Save a login for `email` on `team`, as `join` leaves it."""
    login.save(saved_login(team, email, "a long enough passphrase", label=""))


def enrols_bob(url: str, code: str) -> None:
    assert enrol(url, code, sealing.new_key_pair().public).email == BOB


@pytest.fixture
def acme(team: TeamServer) -> TeamServer:
    team.services.orgs.create(ANN, "Acme", slug="acme")
    logged_in(team)
    return team


# --- against a team server -------------------------------------------------------------------


def test_invite_prints_the_code_and_the_join_line_to_pass_on(
    cli: CliRunner, acme: TeamServer
) -> None:
    out = ok(cli("member", "invite", BOB, *ORG, db=False, user=None))
    assert out.startswith(f"Invited {BOB} to acme as member. Their enrolment code")
    found = JOIN.search(out)
    assert found is not None and found.group(1) == acme.url
    assert "pylee-tui member accept --org acme\n" in out
    enrols_bob(acme.url, found.group(2))


def test_invite_says_emailed_when_the_server_mails_the_code(
    cli: CliRunner,
    acme: TeamServer,
    smtp_sink: Sink,  # noqa: F811 (the imported fixture)
) -> None:
    acme.services.mailer = SmtpMailer(smtp_sink.smtp_url, "pylee@example.com")
    acme.services.public_url = acme.url
    out = ok(cli("member", "invite", BOB, *ORG, db=False, user=None))
    assert out == (
        f"Invited {BOB} to acme as member; the code to join was emailed to {BOB}. They join "
        "with it, then accept with: pylee-tui member accept --org acme (within 7 days)\n"
    )
    [(_from, _to, message)] = smtp_sink.mails
    found = JOIN.search(body_of(message))
    assert found is not None and found.group(2) not in out
    enrols_bob(acme.url, found.group(2))


def test_a_failed_mail_is_a_warning_and_the_code_is_shown(cli: CliRunner, acme: TeamServer) -> None:
    port = free_port()
    acme.services.mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", "pylee@example.com")
    result = cli("member", "invite", BOB, *ORG, db=False, user=None)
    assert result.code == 0
    assert result.err.startswith(f"pylee-tui: warning: cannot mail via smtp://127.0.0.1:{port}: ")
    assert len(result.err.splitlines()) == 1
    found = JOIN.search(result.out)
    assert found is not None
    enrols_bob(acme.url, found.group(2))


# --- with --db ----------------------------------------------------------------------------


def test_invite_on_a_team_servers_own_store_shows_the_code(cli: CliRunner) -> None:
    ok(cli("serve", "init", "--email", ANN))
    ok(cli("org", "create", "Acme"))
    out = ok(cli("member", "invite", BOB, *ORG))
    found = re.search(r"pylee-tui join <server-url> (\S+)\n", out)
    assert found is not None

    def enrol_there(services: Services) -> None:
        assert services.tokens.enrol(found.group(1), sealing.new_key_pair().public).email == BOB

    with_services(cli.db, enrol_there)


def test_invite_on_a_plain_local_store_is_as_before(cli: CliRunner) -> None:
    ok(cli("org", "create", "Acme"))
    assert ok(cli("member", "invite", BOB, *ORG)) == (
        f"Invited {BOB} to acme as member; they accept with: "
        f"pylee-tui --as {BOB} member accept --org acme (within 7 days)\n"
    )


# --- serve run with mail ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--smtp-url", "smtp://mail.example.com"], "--smtp-url needs --mail-from ADDR"),
        (["--mail-from", "pylee@example.com"], "--mail-from needs --smtp-url"),
        (["--smtp-ca", "ca.pem"], "--smtp-ca needs --smtp-url"),
        (["--smtp-url", "http://x", "--mail-from", "p@example.com"], "takes smtp:// or smtps://"),
        (["--smtp-url", "smtp://x", "--mail-from", "nobody"], "--mail-from takes an email"),
        (["--public-url", "http://pylee.example.com"], "reached over https, not http"),
    ],
)
def test_serve_refuses_bad_mail_settings_in_one_line(
    cli: CliRunner, args: list[str], message: str
) -> None:
    result = cli("serve", "run", *args)
    assert result.code == 1 and result.out == ""
    assert message in one_error_line(result)


def test_serve_on_every_address_needs_a_public_url_to_mail(cli: CliRunner, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    tls = ("--tls-cert", str(cert), "--tls-key", str(key))
    mail = ("--smtp-url", "smtp://127.0.0.1:25", "--mail-from", "pylee@example.com")
    result = cli("serve", "run", "--listen", "0.0.0.0:0", *tls, *mail)
    assert result.code == 1
    assert "--public-url is needed" in one_error_line(result)


def test_serve_mails_invitations_naming_its_public_url(
    cli: CliRunner,
    smtp_sink: Sink,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = re.search(r"join <server-url> (\S+)", ok(cli("serve", "init", "--email", ANN)))
    assert code is not None
    monkeypatch.setenv("PYLEE_SMTP_URL", smtp_sink.smtp_url)  # the URL from the environment
    args = argparse.Namespace(
        listen="127.0.0.1:0",
        tls_cert=None,
        tls_key=None,
        db=str(cli.db),
        smtp_url=None,
        mail_from="Pylee <pylee@example.com>",
        smtp_ca=None,
        public_url="https://pylee.example.com",
    )
    server, _url = build_server(args)
    for url in run_in_thread(server):
        issued = enrol(url, code.group(1), sealing.new_key_pair().public)
        with RemoteServices(url, issued.token) as remote:
            remote.orgs.create(ANN, "Acme", slug="acme")
            invitation = RemoteService(remote.connection, "invitations").invite(ANN, "acme", BOB)
            assert invitation.mailed and invitation.code is None
    [(_from, to, message)] = smtp_sink.mails
    assert to == [BOB] and message["From"] == "Pylee <pylee@example.com>"
    found = JOIN.search(body_of(message))
    assert found is not None and found.group(1) == "https://pylee.example.com"
