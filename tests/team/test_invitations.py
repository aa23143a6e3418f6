"""Invitations that reach people, through a real team server: the inviter gets the enrolment
code to pass on, or the server mails it (to aiosmtpd on 127.0.0.1) with the exact join line; a
mail that fails keeps the invitation and gives the code back; the code enrols, once; its text
never reaches the store or a log."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pylee_tui.services import Conflict, PermissionDenied, Services, Unauthenticated
from pylee_tui.services.invitations import Invitation
from pylee_tui.services.tokens import BAD_CODE
from pylee_tui.team.mail import SmtpMailer
from pylee_tui.team.remote import RemoteService, RemoteServices, enrol
from pylee_tui.team.sealing import new_key_pair
from tests.support import ANN, BOB, CARL
from tests.team.conftest import TeamServer
from tests.team.test_mail import Sink, body_of, smtp_sink  # noqa: F401 (a fixture)
from tests.team.test_server import free_port

JOIN = re.compile(r"pylee-tui join (\S+) ([A-Z2-7]{5}(?:-[A-Z2-7]{5}){3})\n")


@pytest.fixture
def acme(team: TeamServer) -> TeamServer:
    team.services.orgs.create(ANN, "Acme", slug="acme")
    return team


@pytest.fixture
def remote(acme: TeamServer) -> Iterator[RemoteServices]:
    with RemoteServices(acme.url, acme.tokens[ANN]) as services:
        yield services


def invite(remote: RemoteServices, email: str = BOB, **kw: str) -> Invitation:
    """Invite over HTTP, as ANN (the token's person)."""
    invitations = RemoteService(remote.connection, "invitations")
    result = invitations.invite(ANN, "acme", email, **kw)
    assert isinstance(result, Invitation)
    return result


def stored_bytes(services: Services) -> bytes:
    """The store's database and its WAL, as they are on disk now."""
    path = Path(services.store.path)
    return b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Everything logged reaches caplog: a `run` or `check` earlier in the same worker turned
    the HTTP client's loggers' propagation off (runtime.session.quiet_sdk_loggers), which
    would leave the scan below nothing to read."""
    for name in ("httpx2", "httpcore2"):
        monkeypatch.setattr(logging.getLogger(name), "propagate", True)
    caplog.set_level(logging.DEBUG)
    yield


def ours(caplog: pytest.LogCaptureFixture) -> str:
    """What was logged on this side (the test's SMTP server, aiosmtpd's `mail.log`, is the
    recipient's: it reads the mail)."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))


def assert_nowhere(code: str, services: Services, log: str) -> None:
    assert log  # the scan reads what was logged (the HTTP requests at least)
    for form in (code, code.replace("-", ""), code.lower()):
        assert form.encode() not in stored_bytes(services)
        assert form not in log


def joins(url: str, code: str, email: str = BOB) -> str:
    """Enrol with `code` at `url`; the token, after checking it acts as `email`."""
    issued = enrol(url, code, new_key_pair().public)
    assert issued.email == email
    return issued.token


# --- without a mailer: the inviter passes the code on ---------------------------------------


def test_the_code_comes_back_once_and_enrols_the_invited_person(
    acme: TeamServer,
    remote: RemoteServices,
    caplog: pytest.LogCaptureFixture,
    logged: None,
) -> None:
    invitation = invite(remote, role="admin")
    assert (invitation.member.email, invitation.member.role) == (BOB, "admin")
    assert invitation.member.status == "invited"
    assert invitation.code is not None and not invitation.mailed
    assert invitation.mail_error is None and not invitation.joined
    assert invitation.code not in repr(invitation)
    token = joins(acme.url, invitation.code)
    with RemoteServices(acme.url, token) as bob:
        assert bob.members.accept(BOB, "acme").status == "active"
    with pytest.raises(Unauthenticated, match=re.escape(BAD_CODE)):
        joins(acme.url, invitation.code)  # single use
    assert_nowhere(invitation.code, acme.services, ours(caplog))


def test_inviting_again_while_pending_gives_a_fresh_code_and_kills_the_old(
    acme: TeamServer, remote: RemoteServices
) -> None:
    first = invite(remote)
    acme.clock.advance(days=6)
    again = invite(remote, role="admin")
    assert again.renewed and again.code is not None and again.code != first.code
    assert again.member.role == "admin"
    assert again.member.invited_at == acme.clock.now  # seven more days from now
    assert first.code is not None
    with pytest.raises(Unauthenticated, match=re.escape(BAD_CODE)):
        joins(acme.url, first.code)
    acme.clock.advance(days=3)  # past the first invitation's seven days, within the renewal's
    token = joins(acme.url, again.code)
    with RemoteServices(acme.url, token) as bob:
        assert bob.members.accept(BOB, "acme").role == "admin"
    events = acme.services.audit.list_for_org(ANN, "acme")
    assert [e.action for e in events].count("member.invite") == 2


def test_someone_already_joined_gets_no_code_and_just_accepts(
    acme: TeamServer, remote: RemoteServices
) -> None:
    acme.services.orgs.create(ANN, "Beta", slug="beta")
    acme.services.members.invite(ANN, "beta", BOB)
    acme.enrol(BOB)  # BOB has a login, through beta
    invitation = invite(remote)
    assert invitation.joined and invitation.code is None and not invitation.mailed
    with RemoteServices(acme.url, acme.tokens[BOB]) as bob:
        assert bob.members.accept(BOB, "acme").status == "active"


def test_only_who_manages_members_invites_and_no_code_is_made_otherwise(
    acme: TeamServer, remote: RemoteServices
) -> None:
    token = joins(acme.url, invite(remote).code or "")
    acme.services.members.accept(BOB, "acme")
    with (
        RemoteServices(acme.url, token) as bob,
        pytest.raises(PermissionDenied, match="invite members"),
    ):
        RemoteService(bob.connection, "invitations").invite(BOB, "acme", CARL)
    codes = acme.services.store.rows("SELECT email FROM enrolment_codes WHERE email = ?", [CARL])
    assert codes == []
    with pytest.raises(Conflict, match="already a member"):
        invite(remote)  # BOB is active: nothing to invite, no code


def test_a_store_that_is_no_team_server_has_no_codes(services: Services) -> None:
    services.orgs.create(ANN, "Acme", slug="acme")
    invitation = services.invitations.invite(ANN, "acme", BOB)
    assert invitation == Invitation(invitation.member)
    assert invitation.member.status == "invited" and invitation.code is None
    assert services.store.rows("SELECT * FROM enrolment_codes") == []
    with pytest.raises(Conflict, match="already has a pending invitation"):
        services.invitations.invite(ANN, "acme", BOB)  # as members.invite says locally


# --- with a mailer ----------------------------------------------------------------------------


def test_the_code_is_mailed_with_the_join_line_and_not_given_back(
    acme: TeamServer,
    remote: RemoteServices,
    smtp_sink: Sink,  # noqa: F811 (the imported fixture)
    caplog: pytest.LogCaptureFixture,
    logged: None,
) -> None:
    acme.services.mailer = SmtpMailer(smtp_sink.smtp_url, "pylee@example.com")
    acme.services.public_url = acme.url
    invitation = invite(remote)
    assert invitation.mailed and invitation.code is None and invitation.mail_error is None
    [(_from, to, message)] = smtp_sink.mails
    assert to == [BOB] and message["Subject"] == "You are invited to acme on pylee-tui"
    body = body_of(message)
    assert f"{ANN} invited you to the organization acme" in body
    assert "pylee-tui member accept --org acme" in body
    found = JOIN.search(body)
    assert found is not None and found.group(1) == acme.url
    code = found.group(2)
    token = joins(acme.url, code)
    with RemoteServices(acme.url, token) as bob:
        assert bob.members.accept(BOB, "acme").status == "active"
    assert_nowhere(code, acme.services, ours(caplog))


def test_a_dead_mail_server_keeps_the_invitation_and_gives_the_code_back(
    acme: TeamServer, remote: RemoteServices
) -> None:
    port = free_port()
    acme.services.mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", "pylee@example.com", timeout=5)
    invitation = invite(remote)
    assert not invitation.mailed and invitation.code is not None
    error = invitation.mail_error or ""
    assert error.startswith(f"cannot mail via smtp://127.0.0.1:{port}: ") and "\n" not in error
    assert invitation.code not in error
    [member] = [m for m in remote.members.list_members(ANN, "acme") if m.email == BOB]
    assert member.status == "invited"
    joins(acme.url, invitation.code)


def test_someone_already_joined_is_told_by_mail_how_to_accept(
    acme: TeamServer,
    remote: RemoteServices,
    smtp_sink: Sink,  # noqa: F811
) -> None:
    acme.services.mailer = SmtpMailer(smtp_sink.smtp_url, "pylee@example.com")
    acme.services.members.invite(ANN, "acme", CARL)
    acme.enrol(CARL)
    invitation = invite(remote, CARL)
    assert invitation.joined and invitation.mailed and invitation.code is None
    [(_from, _to, message)] = smtp_sink.mails
    body = body_of(message)
    assert "You have joined this server already" in body and JOIN.search(body) is None


def test_the_mail_is_sent_once_the_invitation_is_stored_and_the_store_free(
    acme: TeamServer, remote: RemoteServices
) -> None:
    """A slow mail server holds no lock: while the mailer runs, another thread reads the store
    (it would wait for the transaction's end if the mail were sent inside it)."""
    seen: list[str] = []

    def reading_mailer(to: str, subject: str, body: str) -> None:
        def read() -> None:
            rows = acme.services.store.rows("SELECT status FROM members WHERE email = ?", [to])
            seen.extend(row["status"] for row in rows)

        reader = threading.Thread(target=read)
        reader.start()
        reader.join(10.0)  # a deadline, not a wait for readiness: it returns at once when free
        assert not reader.is_alive(), "the store was held while the mail was sent"

    acme.services.mailer = reading_mailer
    assert invite(remote).mailed
    assert seen == ["invited"]


def test_someone_removed_and_invited_again_joins_with_a_new_code(
    acme: TeamServer, remote: RemoteServices
) -> None:
    first = invite(remote)
    token = joins(acme.url, first.code or "")
    acme.services.members.accept(BOB, "acme")
    remote.members.remove(ANN, "acme", BOB)  # their last membership: their login is revoked
    with RemoteServices(acme.url, token) as bob, pytest.raises(Unauthenticated):
        bob.whoami()
    again = invite(remote)
    assert again.code is not None and not again.joined and not again.renewed
    with RemoteServices(acme.url, joins(acme.url, again.code)) as bob:
        assert bob.members.accept(BOB, "acme").status == "active"
