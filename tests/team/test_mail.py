"""The team server's mailer against a real SMTP server (aiosmtpd) on 127.0.0.1: plain, STARTTLS
when offered, smtps, a login; every failure one line naming the host, never the password."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.invitations import MailFailed
from pylee_tui.team.mail import SmtpMailer
from tests.team.test_server import free_port
from tests.team.test_team_cli import self_signed

SENDER = "pylee@example.com"
TO = "bob@example.com"
PASSWORD = "s3cret-Pa55word"


@dataclass
class Sink:
    """What an SMTP server on 127.0.0.1 received: each mail's envelope and message."""

    host: str
    port: int
    mails: list[tuple[str, list[str], Message]] = field(default_factory=list)
    # an RCPT TO this answer refuses, e.g. "550 no such user"
    refuse_rcpt: str | None = None

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse_rcpt is not None:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        body = envelope.original_content or envelope.content
        self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(body)))
        return "250 Message accepted for delivery"

    @property
    def smtp_url(self) -> str:
        return f"smtp://{self.host}:{self.port}"


def body_of(message: Message) -> str:
    """A received mail's text, its line ends as written (SMTP carries them as CRLF)."""
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode().replace("\r\n", "\n")


class _AnyPort(Controller):
    """aiosmtpd's Controller on the port the system picks (its own check connects to
    `self.port`, so it learns the port first)."""

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        super()._trigger_server()


def run_sink(sink: Sink, **smtp: Any) -> Iterator[Sink]:
    """Serve `sink` on 127.0.0.1 until the test ends (`smtp`: aiosmtpd's SMTP options)."""
    controller = _AnyPort(sink, hostname="127.0.0.1", port=0, **smtp)
    controller.start()  # returns once the server answers (its own readiness check)
    sink.port = controller.port
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp_sink() -> Iterator[Sink]:
    """A plain SMTP server on 127.0.0.1 (no TLS, no login)."""
    yield from run_sink(Sink("127.0.0.1", 0))


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def checker(username: str, password: str) -> Any:
    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            username.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)

    return authenticate


# --- sending -------------------------------------------------------------------------------


def test_a_mail_arrives_with_its_sender_recipient_subject_and_body(smtp_sink: Sink) -> None:
    mailer = SmtpMailer(smtp_sink.smtp_url, f"Pylee <{SENDER}>")
    mailer(TO, "You are invited", "line one\n    pylee-tui join URL CODE\n")
    [(envelope_from, envelope_to, message)] = smtp_sink.mails
    assert (envelope_from, envelope_to) == (SENDER, [TO])
    assert message["From"] == f"Pylee <{SENDER}>" and message["To"] == TO
    assert message["Subject"] == "You are invited"
    assert message["Message-ID"].endswith("@example.com>")
    assert "    pylee-tui join URL CODE\n" in body_of(message)


def test_starttls_is_used_when_offered_and_a_login_travels_inside_it(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    for sink in run_sink(
        Sink("127.0.0.1", 0),
        tls_context=tls_context(cert, key),
        require_starttls=True,  # a mail sent without STARTTLS is refused
        authenticator=checker("pylee", PASSWORD),
        auth_require_tls=True,
    ):
        url = f"smtp://pylee:{PASSWORD}@127.0.0.1:{sink.port}"
        with pytest.raises(MailFailed, match="TLS failed") as refused:
            SmtpMailer(url, SENDER)(TO, "s", "b")  # the system does not trust the test's CA
        assert PASSWORD not in str(refused.value)
        SmtpMailer(url, SENDER, ca=str(cert))(TO, "subject", "body")
        assert [mail[1] for mail in sink.mails] == [[TO]]
        with pytest.raises(MailFailed) as wrong:
            SmtpMailer(url.replace(PASSWORD, "wrong-one"), SENDER, ca=str(cert))(TO, "s", "b")
        message = str(wrong.value)
        assert message == (
            f"cannot mail via smtp://pylee@127.0.0.1:{sink.port}: it refused the user name or "
            "password"
        )
        assert len(sink.mails) == 1


def test_smtps_speaks_tls_from_the_first_byte(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    for sink in run_sink(Sink("127.0.0.1", 0), ssl_context=tls_context(cert, key)):
        SmtpMailer(f"smtps://127.0.0.1:{sink.port}", SENDER, ca=str(cert))(TO, "hello", "body")
        assert [mail[2]["Subject"] for mail in sink.mails] == ["hello"]
        # plain SMTP to a TLS port hears no greeting (a timeout, or the server gives up): one line
        with pytest.raises(MailFailed) as silent:
            SmtpMailer(f"smtp://127.0.0.1:{sink.port}", SENDER, timeout=1)(TO, "s", "b")
        message = str(silent.value)
        assert message.startswith(f"cannot mail via smtp://127.0.0.1:{sink.port}: ")
        assert "\n" not in message and len(sink.mails) == 1


def test_a_refused_recipient_is_one_line(smtp_sink: Sink) -> None:
    smtp_sink.refuse_rcpt = "550 no such user here"
    with pytest.raises(MailFailed) as refused:
        SmtpMailer(smtp_sink.smtp_url, SENDER)(TO, "s", "b")
    assert str(refused.value) == (
        f"cannot mail via smtp://127.0.0.1:{smtp_sink.port}: it refused the recipient {TO}"
    )
    assert smtp_sink.mails == []


def test_a_server_that_is_not_there_is_one_line_naming_it() -> None:
    port = free_port()
    mailer = SmtpMailer(f"smtp://user:{PASSWORD}@127.0.0.1:{port}", SENDER, timeout=5)
    with pytest.raises(MailFailed) as refused:
        mailer(TO, "s", "b")
    message = str(refused.value)
    assert message.startswith(f"cannot mail via smtp://user@127.0.0.1:{port}: ")
    assert "refused" in message.lower() and "\n" not in message
    assert PASSWORD not in message and PASSWORD not in repr(mailer)


# --- what it is given ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "sender", "message"),
    [
        ("http://mail.example.com", SENDER, "takes smtp:// or smtps://"),
        ("smtp://", SENDER, "takes smtp:// or smtps://"),
        ("smtp://mail.example.com:99999", SENDER, "is not a URL"),
        ("smtp://mail.example.com/path", SENDER, "has no path, query or fragment"),
        ("smtp://mail.example.com?tls=1", SENDER, "has no path, query or fragment"),
        ("smtp://mail.example.com", "not an address", "--mail-from takes an email address"),
        ("smtp://mail.example.com", "a@b\r\nBcc: x@y", "--mail-from takes an email address"),
    ],
)
def test_a_bad_url_or_sender_is_refused_in_one_line(url: str, sender: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        SmtpMailer(url, sender)


def test_ports_default_by_scheme_and_credentials_are_decoded() -> None:
    plain = SmtpMailer("smtp://mail.example.com", SENDER)
    assert (plain.port, plain.implicit_tls) == (25, False)
    secure = SmtpMailer("smtps://me%40corp:p%3Ass@mail.example.com", SENDER)
    assert (secure.port, secure.implicit_tls, secure.username) == (465, True, "me@corp")
    assert secure.describe() == "smtps://me@corp@mail.example.com:465"
    assert "p:ss" not in repr(secure)
