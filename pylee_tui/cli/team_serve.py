"""`serve` (its `run` action), `join` and `logout`: run a team server, and log in to one.

`serve` itself is registered by `team_tokens` (with `serve init`); it calls `add_run_arguments`
and `run_server` here. `join` and `logout` need no store: they write and remove the saved team
login (`pylee_tui.team.login`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .parser import PROG, CliParser, Commands

if TYPE_CHECKING:
    import uvicorn

    from pylee_tui.team import login as login_module
    from pylee_tui.team.mail import SmtpMailer

DEFAULT_LISTEN = "127.0.0.1:8750"
SMTP_URL_ENV = "PYLEE_SMTP_URL"
LOGOUT_TIMEOUT = 10.0  # seconds: logging out does not wait long for a server that is gone


def add_run_arguments(parser: CliParser) -> None:
    parser.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default=DEFAULT_LISTEN,
        help=f"where to listen (default {DEFAULT_LISTEN}; beyond this machine only with TLS)",
    )
    parser.add_argument("--tls-cert", metavar="FILE", help="the TLS certificate chain (PEM)")
    parser.add_argument("--tls-key", metavar="FILE", help="the TLS private key (PEM)")
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL the team reaches this server at, as invitations name it (default: the "
        "--listen address)",
    )
    parser.add_argument(
        "--smtp-url",
        metavar="URL",
        help="mail invitations' codes through this SMTP server: smtp://host:port (STARTTLS when "
        "offered) or smtps://host:port, with user:password@ to log in (default: $"
        f"{SMTP_URL_ENV}, which keeps a password out of the process list); without it the "
        "inviter is shown the code",
    )
    parser.add_argument(
        "--mail-from", metavar="ADDR", help="the sender of invitation mails (with --smtp-url)"
    )
    parser.add_argument(
        "--smtp-ca",
        metavar="FILE",
        help="the CA certificates (PEM) the SMTP server's certificate is checked with",
    )


def parse_listen(text: str) -> tuple[str, int]:
    """HOST:PORT (an IPv6 host in brackets: [::1]:8750) as (host, port)."""
    from pylee_tui.services.errors import InvalidInput

    host, sep, port_text = text.strip().rpartition(":")
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise InvalidInput(f"--listen takes HOST:PORT, e.g. {DEFAULT_LISTEN} (got {text!r})")
    return host, int(port_text)


def check_tls(host: str, cert: str | None, key: str | None) -> tuple[str, str] | None:
    """The TLS files to serve with, checked; None for plain HTTP, which only loopback gets."""
    from pylee_tui.services.errors import InvalidInput
    from pylee_tui.team.remote import is_loopback

    if (cert is None) != (key is None):
        raise InvalidInput("TLS needs both --tls-cert and --tls-key")
    if cert is None or key is None:
        if not is_loopback(host):
            raise InvalidInput(
                f"refusing to listen on {host} without TLS: tokens would cross the network in "
                "the clear; give --tls-cert and --tls-key (or listen on 127.0.0.1 behind a "
                "TLS proxy)"
            )
        return None
    for flag, name in (("--tls-cert", cert), ("--tls-key", key)):
        path = Path(name)
        if not path.is_file():
            raise InvalidInput(f"{flag} {name}: no such file")
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            raise InvalidInput(f"{flag} {name}: cannot read it ({exc.strerror or exc})") from None
    return cert, key


def build_mailer(args: argparse.Namespace) -> SmtpMailer | None:
    """The mailer --smtp-url / $PYLEE_SMTP_URL and --mail-from describe, checked (None without
    an SMTP URL); nothing is sent yet."""
    import os

    from pylee_tui.services.errors import InvalidInput

    url = getattr(args, "smtp_url", None) or os.environ.get(SMTP_URL_ENV) or None
    mail_from = getattr(args, "mail_from", None)
    ca = getattr(args, "smtp_ca", None)
    if url is None:
        if mail_from is not None or ca is not None:
            flag = "--mail-from" if mail_from is not None else "--smtp-ca"
            raise InvalidInput(f"{flag} needs --smtp-url (the SMTP server that sends the mail)")
        return None
    if not mail_from:
        raise InvalidInput("--smtp-url needs --mail-from ADDR (the sender of invitation mails)")
    if ca is not None and not Path(ca).is_file():
        raise InvalidInput(f"--smtp-ca {ca}: no such file")
    from pylee_tui.team.mail import SmtpMailer

    return SmtpMailer(url, mail_from, ca=ca)


def public_url(args: argparse.Namespace, host: str, listening_at: str, mailing: bool) -> str | None:
    """The URL invitations name: --public-url, else where the server listens (None when that is
    every address, 0.0.0.0 or ::, which names no machine; refused when mail must name one)."""
    import ipaddress

    from pylee_tui.services.errors import InvalidInput
    from pylee_tui.team.remote import server_url

    given = getattr(args, "public_url", None)
    if given is not None:
        return server_url(given)
    try:
        unspecified = ipaddress.ip_address(host).is_unspecified
    except ValueError:
        unspecified = host == ""
    if not unspecified:
        return listening_at
    if mailing:
        raise InvalidInput(
            f"--public-url is needed: the mailed invitations must say where to join, and {host} "
            "names no machine"
        )
    return None


def build_server(args: argparse.Namespace) -> tuple[uvicorn.Server, str]:
    """The uvicorn server `serve` runs, over the store --db names, and the URL it answers at:
    everything checked, nothing listening yet."""
    host, port = parse_listen(args.listen)
    tls = check_tls(host, args.tls_cert, args.tls_key)
    shown = f"[{host}]" if ":" in host else host
    scheme = "https" if tls else "http"
    listening_at = f"{scheme}://{shown}:{port}"
    mailer = build_mailer(args)
    joined_at = public_url(args, host, listening_at, mailer is not None)
    import uvicorn

    from pylee_tui.services import Services
    from pylee_tui.store import Store, resolve_db_path
    from pylee_tui.team.api import create_app

    store = Store(resolve_db_path(getattr(args, "db", None)))
    services = Services(store)
    services.mailer = mailer
    services.public_url = joined_at
    config = uvicorn.Config(
        create_app(services),
        host=host,
        port=port,
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
        log_level="info",
        lifespan="off",
        server_header=False,
    )
    return uvicorn.Server(config), listening_at


def run_server(args: argparse.Namespace) -> int:
    """`pylee-tui serve [run]`: answer the team's clients until interrupted."""
    server, url = build_server(args)
    print(f"{PROG} team server at {url} (ctrl+c stops it)", file=sys.stderr, flush=True)
    mailer = build_mailer(args)
    if mailer is not None:
        print(
            f"Invitations are mailed via {mailer.describe()} from {mailer.mail_from}.",
            file=sys.stderr,
            flush=True,
        )
    server.run()
    return 0


# --- join and logout ------------------------------------------------------------------------


def read_new_passphrase(from_stdin: bool) -> str:
    """The passphrase that protects the new team key: typed twice, or one line of stdin."""
    from pylee_tui.services.errors import InvalidInput, PyleeError

    from .prompt import ask_twice, stdin_is_tty
    from .prompt import check_passphrase as vault_rule

    def check_passphrase(value: str) -> str:
        try:
            return vault_rule(value)
        except InvalidInput as exc:  # the vault's rule, worded for this passphrase
            raise InvalidInput(
                str(exc).replace("the vault passphrase", "your team key's passphrase")
            ) from None

    if from_stdin:
        try:
            line = sys.stdin.readline() if sys.stdin is not None else ""
        except (OSError, ValueError, UnicodeDecodeError):
            raise PyleeError("cannot read the passphrase from standard input") from None
        return check_passphrase(line.rstrip("\r\n"))
    if not stdin_is_tty():
        raise PyleeError(
            "a passphrase for your team key is needed: type it at a terminal, or pass "
            "--passphrase-stdin and write it to standard input"
        )
    return ask_twice("Passphrase for your team key: ", "passphrases", check_passphrase)


def _saved_login() -> login_module.SavedLogin | None:
    """The login saved now, if any can be read (a damaged one is simply replaced)."""
    from pylee_tui.services.errors import PyleeError
    from pylee_tui.team import login

    try:
        return login.load()
    except PyleeError:
        return None


def _ca_file(name: str | None) -> str | None:
    """--ca FILE as an absolute path (the login outlives the directory join ran in), checked."""
    if name is None:
        return None
    from pylee_tui.services.errors import InvalidInput

    path = Path(name).expanduser().resolve()
    if not path.is_file():
        raise InvalidInput(f"--ca {name}: no such file")
    return str(path)


def cmd_join(parser: CliParser, args: argparse.Namespace, out: TextIO) -> int:
    from pylee_tui.team import login, remote, sealing

    url = remote.server_url(args.url)
    earlier = _saved_login()
    passphrase = read_new_passphrase(args.passphrase_stdin)
    keys = sealing.new_key_pair()
    protected = sealing.protect(keys.private, passphrase)  # before the code is used up
    ca = _ca_file(args.ca)
    issued = remote.enrol(url, args.code, keys.public, label=args.label, verify=ca or True)
    saved = login.save(
        login.SavedLogin(
            url=url,
            email=issued.email,
            token=issued.token,
            token_id=issued.token_id,
            expires_at=issued.expires_at,
            public_key=keys.public,
            protected_private_key=protected,
            ca=ca,
        )
    )
    if earlier is not None:
        out.write(f"Replaced the saved login to {earlier.url} as {earlier.email}.\n")
    if issued.replaced_key:
        out.write("You had joined before with another key: the server now knows this one.\n")
    out.write(
        f"Joined {url} as {issued.email} (token #{issued.token_id}, valid until "
        f"{issued.expires_at[:10]}).\n"
        f"Your key's fingerprint: {sealing.fingerprint(keys.public)}\n"
        f"{_where_saved(saved)}\n"
    )
    return 0


def _where_saved(saved: login_module.Saved) -> str:
    """Where join put the login, and its token above all."""
    if saved.keyring is not None:
        return f"Saved to {saved.path} (0600); token saved in the OS keyring ({saved.keyring})."
    return f"Saved to {saved.path} (0600), with the token ({saved.why_file})."


def cmd_logout(parser: CliParser, args: argparse.Namespace, out: TextIO) -> int:
    from pylee_tui.services.errors import PyleeError
    from pylee_tui.team import login
    from pylee_tui.team.remote import RemoteServices

    try:
        saved = login.load()
    except PyleeError as exc:  # damaged: nothing to revoke with, but logging out still works
        deleted = login.delete()
        out.write(f"Removed the saved team login, which could not be read ({exc}).\n")
        out.write(_token_removed(deleted))
        return 0
    if saved is None:
        out.write(f"No team login is saved ({login.login_path()}).\n")
        return 0
    revoked = ""
    try:
        verify = saved.ca or True
        server = RemoteServices(saved.url, saved.token, verify=verify, timeout=LOGOUT_TIMEOUT)
        with server:
            server.tokens.revoke(saved.email, saved.token_id)
        revoked = "; its token is revoked on the server"
    except PyleeError as exc:
        revoked = (
            f"; the server did not revoke its token ({exc}): it stops working on "
            f"{saved.expires_at[:10]}, or when revoked with `{PROG} token revoke {saved.token_id}`"
        )
    deleted = login.delete()
    out.write(f"Logged out of {saved.url} as {saved.email}{revoked}.\n")
    out.write(_token_removed(deleted))
    return 0


def _token_removed(deleted: login_module.Deleted) -> str:
    """A line when logout took the token out of the OS keyring (a token in the file went with
    the file)."""
    if deleted.keyring is None:
        return ""
    return f"Removed its token from the OS keyring ({deleted.keyring}).\n"


def register(commands: Commands) -> None:
    p = commands.command(
        "join",
        cmd_join,
        "join a team server with the code from your invitation (makes your team key)",
    )
    p.add_argument("url", metavar="URL", help="the team server, e.g. https://pylee.example.com")
    p.add_argument("code", metavar="CODE", help="the enrolment code (XXXXX-XXXXX-XXXXX-XXXXX)")
    p.add_argument("--label", default="", help="a name for this login, e.g. the machine's")
    p.add_argument(
        "--ca",
        metavar="FILE",
        help="the CA certificates (PEM) the server's certificate is checked with, for a server "
        "whose certificate the system does not trust",
    )
    p.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="read the passphrase protecting your key from standard input (for scripts)",
    )
    p.set_defaults(without_store=True)
    p = commands.command(
        "logout", cmd_logout, "forget the saved team login (and revoke its token on the server)"
    )
    p.set_defaults(without_store=True)
