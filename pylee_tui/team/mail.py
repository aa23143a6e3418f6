"""Mail from the team server: invitations, with their enrolment codes, sent over SMTP.

`SmtpMailer(url, mail_from)` is what `serve run --smtp-url URL --mail-from ADDR` sets as
`Services.mailer`. The URL says where and how:

- `smtp://host[:port]` (port 25 unless given): plain SMTP, upgraded with STARTTLS whenever the
  server offers it;
- `smtps://host[:port]` (port 465 unless given): TLS from the first byte;
- `user:password@` before the host logs in (percent-encode `@`, `:` and `/` in them). A password
  is only sent encrypted (STARTTLS or smtps), or to this machine's own relay.

A mail that cannot be sent raises `MailFailed` with one line naming the host and the reason:
never the password, never the mail's text (it holds the code).
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import NoReturn
from urllib.parse import unquote, urlsplit

from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.invitations import MailFailed
from pylee_tui.team.remote import is_loopback

DEFAULT_TIMEOUT = 20.0  # seconds for the connection and each exchange with the server
PORTS = {"smtp": 25, "smtps": 465}
URL_EXAMPLE = "smtp://mail.example.com:587 or smtps://user:password@mail.example.com"


def check_mail_from(address: str) -> str:
    """The sender as given (`pylee@example.com` or `Pylee <pylee@example.com>`), checked."""
    text = address.strip()
    _name, addr = parseaddr(text)
    if (
        not text
        or any(ord(ch) < 32 or ch == "\x7f" for ch in text)
        or "@" not in addr
        or addr.startswith("@")
        or addr.endswith("@")
    ):
        raise InvalidInput(f"--mail-from takes an email address (got {address!r})")
    return text


class SmtpMailer:
    """Sends one mail per call, `mailer(to, subject, body)`, over a fresh SMTP connection."""

    def __init__(
        self,
        url: str,
        mail_from: str,
        *,
        ca: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise InvalidInput(f"--smtp-url is not a URL (e.g. {URL_EXAMPLE})") from None
        if parts.scheme not in PORTS or not parts.hostname:
            raise InvalidInput(
                f"--smtp-url takes smtp:// or smtps:// and a host (e.g. {URL_EXAMPLE})"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise InvalidInput(
                "--smtp-url has no path, query or fragment: smtp://[user:pass@]host:port"
            )
        self.host = parts.hostname
        self.port = port or PORTS[parts.scheme]
        self.implicit_tls = parts.scheme == "smtps"
        self.username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else ""
        self.mail_from = check_mail_from(mail_from)
        self.timeout = timeout
        try:
            self._context = ssl.create_default_context(cafile=ca)
        except (OSError, ssl.SSLError):
            raise InvalidInput(f"--smtp-ca {ca}: holds no CA certificate (PEM)") from None

    def __repr__(self) -> str:
        return f"SmtpMailer({self.describe()!r}, {self.mail_from!r})"

    def describe(self) -> str:
        """Where mail goes, without the password: `smtps://user@host:465`."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{user}{host}:{self.port}"

    def message(self, to: str, subject: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        domain = parseaddr(self.mail_from)[1].rpartition("@")[2] or "pylee-tui.invalid"
        message["Message-ID"] = make_msgid(domain=domain)  # no DNS look-up of this host's name
        message.set_content(body)
        return message

    def __call__(self, to: str, subject: str, body: str) -> None:
        try:
            message = self.message(to, subject, body)
        except (ValueError, TypeError) as exc:  # a header with a line break, say
            raise MailFailed(f"cannot write a mail to {to!r}: {exc}") from None
        try:
            self._send(to, message)
        except MailFailed:
            raise
        except smtplib.SMTPAuthenticationError:
            self._fail("it refused the user name or password")
        except smtplib.SMTPRecipientsRefused:
            self._fail(f"it refused the recipient {to}")
        except smtplib.SMTPSenderRefused:
            self._fail(f"it refused the sender {self.mail_from}")
        except smtplib.SMTPResponseException as exc:
            answer = exc.smtp_error
            text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
            self._fail(f"it answered {exc.smtp_code} {text}")
        except smtplib.SMTPServerDisconnected:
            self._fail("it closed the connection")
        except smtplib.SMTPException as exc:
            self._fail(str(exc) or type(exc).__name__)
        except ssl.SSLError as exc:
            self._fail(f"TLS failed ({exc.reason or exc})")
        except TimeoutError:
            self._fail(f"no answer within {self.timeout:g}s")
        except OSError as exc:
            self._fail(exc.strerror or str(exc) or type(exc).__name__)

    def _send(self, to: str, message: EmailMessage) -> None:
        client: smtplib.SMTP
        if self.implicit_tls:
            client = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            client.ehlo()
            encrypted = self.implicit_tls
            if not encrypted and client.has_extn("starttls"):
                client.starttls(context=self._context)
                client.ehlo()
                encrypted = True
            if self.username is not None:
                if not encrypted and not is_loopback(self.host):
                    self._fail(
                        "it offers no STARTTLS, and the password is not sent unencrypted "
                        "(use smtps://, or a server that offers STARTTLS)"
                    )
                client.login(self.username, self._password)
            client.send_message(message, to_addrs=[to])

    def _fail(self, reason: str) -> NoReturn:
        raise MailFailed(f"cannot mail via {self.describe()}: {self._scrub(reason)}")

    def _scrub(self, text: str) -> str:
        """One line of `text` with the password (and its base64, as AUTH sends it) taken out,
        in case a server echoes what it was sent."""
        line = " ".join(text.split())
        if self._password:
            secret = self._password.encode()
            user = (self.username or "").encode()
            for form in (
                self._password,
                base64.b64encode(secret).decode(),
                base64.b64encode(b"\0" + user + b"\0" + secret).decode(),
            ):
                line = line.replace(form, "***")
        return "".join(ch if ch.isprintable() else "?" for ch in line)[:300]
