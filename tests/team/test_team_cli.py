"""`serve` (run), `join` and `logout` from the shell: a server refuses to listen beyond this
machine without TLS; join leaves a 0600 login holding the token and the key pair, the private
key only under the passphrase; logout forgets it and revokes the token."""

from __future__ import annotations

import argparse
import base64
import io
import ipaddress
import json
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pylee_tui.cli.team_serve import build_server
from pylee_tui.services import Scope, Unauthenticated
from pylee_tui.services.tokens import BAD_CODE
from pylee_tui.team import login, sealing
from pylee_tui.team.remote import RemoteServices
from tests.support import ANN, BOB, CliRunner, server_doc
from tests.team.conftest import TeamServer, run_in_thread
from tests.team.test_server import free_port

PASSPHRASE = "correct horse battery staple"


def bob_code(team: TeamServer) -> str:
    services = team.services
    services.orgs.create(ANN, "Acme", slug="acme")
    services.members.invite(ANN, "acme", BOB)
    with services.store.transaction() as db:
        return services.tokens.issue_code(db, BOB, ANN)


@pytest.fixture
def typed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The passphrase on standard input, as a script gives it with --passphrase-stdin."""
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSPHRASE + "\n"))


@pytest.fixture
def made_keys(monkeypatch: pytest.MonkeyPatch) -> list[sealing.KeyPair]:
    """The key pairs `join` makes, kept for the test to look for."""
    made: list[sealing.KeyPair] = []
    real = sealing.new_key_pair

    def recorded() -> sealing.KeyPair:
        made.append(real())
        return made[-1]

    monkeypatch.setattr(sealing, "new_key_pair", recorded)
    return made


# --- serve -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listen", "0.0.0.0:8750"], "refusing to listen on 0.0.0.0 without TLS"),
        (["--listen", "[::]:8750"], "refusing to listen on :: without TLS"),
        (["--listen", "10.1.2.3:8750", "--tls-cert", "c.pem"], "needs both --tls-cert and"),
        (["--listen", "0.0.0.0:1", "--tls-cert", "no.pem", "--tls-key", "no.key"], "no such file"),
        (["--listen", "8750"], "--listen takes HOST:PORT"),
        (["--listen", "127.0.0.1:99999"], "--listen takes HOST:PORT"),
    ],
)
def test_serve_refuses_in_one_line(cli: CliRunner, args: list[str], message: str) -> None:
    for command in (["serve", *args], ["serve", "run", *args]):
        code, out, err = cli(*command)
        assert code == 1 and out == ""
        assert len(err.splitlines()) == 1 and message in err


def test_serve_init_then_join_then_work_against_the_served_store(
    cli: CliRunner, typed: None
) -> None:
    code, out, _err = cli("serve", "init", "--email", ANN)
    assert code == 0
    match = re.search(r"join <server-url> (\S+)", out)
    assert match
    args = argparse.Namespace(listen="127.0.0.1:0", tls_cert=None, tls_key=None, db=str(cli.db))
    server, _shown = build_server(args)
    for url in run_in_thread(server):
        code, out, err = cli("join", url, match.group(1), "--passphrase-stdin", "--label", "ci")
        assert (code, err) == (0, "")
        assert f"Joined {url} as {ANN}" in out
        saved = login.load()
        assert saved is not None
        with RemoteServices(url, saved.token) as remote:
            remote.orgs.create(ANN, "Acme", slug="acme")
            remote.registries.create(ANN, "acme", "Main", slug="main")
            added = remote.registries.add_server(ANN, Scope("acme", "main"), server_doc("a.b/c"))
            assert added.name == "a.b/c"
    code, out, _err = cli("server", "list", "--org", "acme", "--registry", "main")
    assert code == 0 and "a.b/c" in out  # written to the store --db names


# --- join ----------------------------------------------------------------------------------


def test_join_saves_a_0600_login_without_the_private_key_in_the_clear(
    cli: CliRunner, team: TeamServer, typed: None, made_keys: list[sealing.KeyPair]
) -> None:
    code, out, err = cli("join", team.url, bob_code(team), "--passphrase-stdin")
    assert (code, err) == (0, "")
    path = login.login_path()
    assert f"Saved to {path}" in out
    keys = made_keys[-1]
    assert sealing.fingerprint(keys.public) in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    raw = path.read_bytes()
    for form in (keys.private, base64.b64encode(keys.private), keys.private.hex().encode()):
        assert form not in raw
    data = json.loads(raw)
    assert (data["url"], data["email"]) == (team.url, BOB)
    saved = login.load()
    assert saved is not None
    assert sealing.unprotect(saved.protected_private_key, PASSPHRASE) == keys.private
    assert team.services.tokens.person_key(ANN, BOB) == keys.public == saved.public_key
    with RemoteServices(team.url, saved.token) as remote:
        assert remote.whoami() == BOB


def test_join_with_a_used_code_refuses_and_saves_nothing(
    cli: CliRunner, team: TeamServer, typed: None
) -> None:
    code_text = bob_code(team)
    team.services.tokens.enrol(code_text, sealing.new_key_pair().public)
    code, out, err = cli("join", team.url, code_text, "--passphrase-stdin")
    assert (code, out) == (1, "")
    assert err == f"pylee-tui: {BAD_CODE}\n"
    assert not login.login_path().exists()


def test_join_checks_the_passphrase_before_using_the_code(
    cli: CliRunner, team: TeamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    code_text = bob_code(team)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _out, err = cli("join", team.url, code_text, "--passphrase-stdin")
    assert code == 1 and "your team key's passphrase must be at least" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal, no --passphrase-stdin
    code, _out, err = cli("join", team.url, code_text)
    assert code == 1 and "a passphrase for your team key is needed" in err
    assert not login.login_path().exists()
    assert team.services.tokens.enrol(code_text, sealing.new_key_pair().public).email == BOB


def test_join_to_a_server_that_is_not_there_is_one_line(cli: CliRunner, typed: None) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = cli("join", url, "AAAAA-BBBBB-CCCCC-DDDDD", "--passphrase-stdin")
    assert (code, out) == (1, "")
    assert err.startswith(f"pylee-tui: cannot reach the team server at {url}: ")
    assert len(err.splitlines()) == 1


# --- logout --------------------------------------------------------------------------------


def test_logout_revokes_the_token_and_forgets_the_login(
    cli: CliRunner, team: TeamServer, typed: None
) -> None:
    assert cli("join", team.url, bob_code(team), "--passphrase-stdin").code == 0
    saved = login.load()
    assert saved is not None
    code, out, err = cli("logout")
    assert (code, err) == (0, "")
    assert out == f"Logged out of {team.url} as {BOB}; its token is revoked on the server.\n"
    assert not login.login_path().exists()
    with RemoteServices(team.url, saved.token) as remote, pytest.raises(Unauthenticated):
        remote.whoami()
    assert cli("logout").out.startswith("No team login is saved")


def test_logout_without_the_server_still_forgets_and_says_the_token_lives_on(
    cli: CliRunner,
) -> None:
    login.save(
        login.SavedLogin(
            url=f"http://127.0.0.1:{free_port()}",
            email=BOB,
            token="pyl_" + "x" * 43,
            token_id=7,
            expires_at="2026-03-01T00:00:00+00:00",
            public_key=bytes(32),
            protected_private_key=b"blob",
        )
    )
    code, out, _err = cli("logout")
    assert code == 0
    assert "the server did not revoke its token (cannot reach the team server" in out
    assert "stops working on 2026-03-01, or when revoked with `pylee-tui token revoke 7`" in out
    assert not login.login_path().exists()


def test_a_damaged_login_file_is_one_line_and_logout_removes_it(cli: CliRunner) -> None:
    path = login.login_path()
    path.parent.mkdir(parents=True)
    path.write_text('{"format": 1, "url": 5}')
    with pytest.raises(Exception, match="is not a pylee-tui team login"):
        login.load()
    code, out, _err = cli("logout")
    assert code == 0 and out.startswith("Removed the saved team login, which could not be read")
    assert not path.exists()


# --- TLS -----------------------------------------------------------------------------------


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key (the test's own CA), as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pylee test server")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_serve_with_tls_and_join_with_the_servers_ca(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    match = re.search(r"join <server-url> (\S+)", cli("serve", "init", "--email", ANN).out)
    assert match
    cert, key = self_signed(tmp_path)
    args = argparse.Namespace(
        listen="127.0.0.1:0", tls_cert=str(cert), tls_key=str(key), db=str(cli.db)
    )
    server, _shown = build_server(args)
    for url in run_in_thread(server, scheme="https"):
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSPHRASE + "\n"))
        code, _out, err = cli("join", url, match.group(1), "--passphrase-stdin")
        assert code == 1  # the system does not trust the test's CA: nothing is sent
        assert "cannot reach the team server" in err and "CERTIFICATE_VERIFY_FAILED" in err
        assert not login.login_path().exists()
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSPHRASE + "\n"))
        code, out, err = cli("join", url, match.group(1), "--passphrase-stdin", "--ca", str(cert))
        assert (code, err) == (0, "")
        saved = login.load()
        assert saved is not None and saved.ca == str(cert)
        with RemoteServices(url, saved.token, verify=str(cert)) as remote:
            assert remote.whoami() == ANN
        assert cli("logout").out.endswith("its token is revoked on the server.\n")
