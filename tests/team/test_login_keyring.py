"""The saved login's token in the OS keyring: with a usable keyring `join` puts the token there
and the file holds none; load fetches it, logout removes it, a keyring that refuses it leaves
it in the 0600 file, and a token the keyring no longer gives is one line. The keyring here is
an in-memory backend of the test's own: no test touches the machine's real keyring."""

from __future__ import annotations

import base64
import io
import json
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from pylee_tui.services import Unauthenticated
from pylee_tui.services.errors import InvalidInput
from pylee_tui.team import login, sealing
from pylee_tui.team.remote import RemoteServices
from tests.support import BOB, CliRunner
from tests.team.conftest import TeamServer
from tests.team.test_team_cli import PASSPHRASE, bob_code

URL = "https://pylee.example.com"
TOKEN = "pyl_" + "t0k3n" * 8 + "xyz"


class MemoryKeyring(KeyringBackend):
    """An OS keyring that lives in a dict."""

    priority = 1  # above 0: a usable keyring

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")


class RefusingKeyring(MemoryKeyring):
    """A keyring that fails the way a locked or broken one does (its own error or its
    transport's, e.g. D-Bus)."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error


UseKeyring = Callable[[KeyringBackend], KeyringBackend]


@pytest.fixture
def use_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[UseKeyring]:
    """`use_keyring(backend)` makes it keyring's backend until the test ends (and lifts the
    suite's PYLEE_KEYRING=off)."""
    monkeypatch.delenv(login.KEYRING_ENV, raising=False)
    previous = keyring.get_keyring()

    def use(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield use
    keyring.set_keyring(previous)


@pytest.fixture
def memory(use_keyring: UseKeyring) -> MemoryKeyring:
    backend = MemoryKeyring()
    use_keyring(backend)
    return backend


def a_login(url: str = URL, email: str = BOB, token: str = TOKEN) -> login.SavedLogin:
    keys = sealing.new_key_pair()
    return login.SavedLogin(
        url=url,
        email=email,
        token=token,
        token_id=7,
        expires_at="2027-03-01T00:00:00+00:00",
        public_key=keys.public,
        protected_private_key=sealing.protect(keys.private, PASSPHRASE),
    )


def one_line_error(excinfo: pytest.ExceptionInfo[InvalidInput]) -> str:
    message = str(excinfo.value)
    assert len(message.splitlines()) == 1
    assert TOKEN not in message
    return message


# --- saving and loading ----------------------------------------------------------------------


def test_save_puts_the_token_in_the_keyring_and_none_in_the_file(memory: MemoryKeyring) -> None:
    saved = login.save(a_login())
    path = login.login_path()
    assert saved.path == path and saved.keyring is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert TOKEN.encode() not in raw and base64.b64encode(TOKEN.encode()) not in raw
    data = json.loads(raw)
    assert data["token_store"] == "keyring" and "token" not in data
    assert list(memory.entries.values()) == [TOKEN]
    loaded = login.load()
    assert loaded is not None
    assert (loaded.url, loaded.email, loaded.token, loaded.token_id) == (URL, BOB, TOKEN, 7)


def test_delete_removes_the_file_and_the_keyring_entry(memory: MemoryKeyring) -> None:
    login.save(a_login())
    deleted = login.delete()
    assert deleted.file and deleted.keyring is not None
    assert memory.entries == {}
    assert not login.login_path().exists()
    assert login.load() is None
    assert not login.delete()  # nothing left


def test_a_missing_keyring_entry_is_one_line_saying_join_again(memory: MemoryKeyring) -> None:
    login.save(a_login())
    memory.entries.clear()
    with pytest.raises(InvalidInput) as excinfo:
        login.load()
    message = one_line_error(excinfo)
    assert "missing from the OS keyring" in message
    assert f"run `pylee-tui join {URL} CODE` again" in message


def test_a_keyring_gone_since_join_is_one_line(use_keyring: UseKeyring) -> None:
    use_keyring(MemoryKeyring())
    login.save(a_login())
    from keyring.backends import null

    use_keyring(null.Keyring())
    with pytest.raises(InvalidInput) as excinfo:
        login.load()
    assert "is in the OS keyring, which is not available now" in one_line_error(excinfo)


@pytest.mark.parametrize(
    "error", [KeyringError("the keyring is locked"), RuntimeError("org.freedesktop.DBus.Error")]
)
def test_a_keyring_that_refuses_the_token_leaves_it_in_the_0600_file(
    use_keyring: UseKeyring, error: Exception
) -> None:
    use_keyring(RefusingKeyring(error))
    saved = login.save(a_login())
    assert saved.keyring is None and "refused it" in saved.why_file
    path = login.login_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_bytes())
    assert (data["token_store"], data["token"]) == ("file", TOKEN)
    loaded = login.load()  # the file says where the token is: the keyring is not asked
    assert loaded is not None and loaded.token == TOKEN


def test_a_keyring_that_fails_on_reading_is_one_line(use_keyring: UseKeyring) -> None:
    use_keyring(MemoryKeyring())
    login.save(a_login())
    use_keyring(RefusingKeyring(RuntimeError("dbus: no reply")))
    with pytest.raises(InvalidInput) as excinfo:
        login.load()
    message = one_line_error(excinfo)
    assert "cannot read the token" in message and "dbus: no reply" in message


def test_a_login_saved_before_the_keyring_still_loads(memory: MemoryKeyring) -> None:
    old = a_login()
    data = old.to_json()
    data.pop("token_store")
    data["format"] = 1  # as every login was written before the keyring
    path = login.login_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))
    assert login.load() == old
    assert memory.entries == {}


def test_pylee_keyring_off_keeps_the_token_in_the_file(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(login.KEYRING_ENV, "off")
    saved = login.save(a_login())
    assert (saved.keyring, saved.why_file) == (None, "PYLEE_KEYRING=off")
    assert memory.entries == {}
    assert TOKEN.encode() in login.login_path().read_bytes()
    loaded = login.load()
    assert loaded is not None and loaded.token == TOKEN


def test_a_new_login_removes_the_earlier_one_from_the_keyring(memory: MemoryKeyring) -> None:
    login.save(a_login(url="https://old.example.com", token="pyl_old"))
    login.save(a_login())
    assert list(memory.entries.values()) == [TOKEN]


def test_changing_the_passphrase_keeps_the_token_in_the_keyring(memory: MemoryKeyring) -> None:
    saved = a_login()
    login.save(saved)
    login.change_passphrase(saved, PASSPHRASE, "another passphrase, long enough")
    assert TOKEN.encode() not in login.login_path().read_bytes()
    loaded = login.load()
    assert loaded is not None and loaded.token == TOKEN
    assert list(memory.entries.values()) == [TOKEN]


# --- join and logout from the shell --------------------------------------------------------


def join(cli: CliRunner, team: TeamServer, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSPHRASE + "\n"))
    code, out, err = cli("join", team.url, bob_code(team), "--passphrase-stdin")
    assert (code, err) == (0, "")
    return out


def test_join_and_logout_say_the_token_is_in_the_keyring(
    cli: CliRunner, team: TeamServer, memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = join(cli, team, monkeypatch)
    path = login.login_path()
    name = login.backend_name(memory)
    assert f"Saved to {path} (0600); token saved in the OS keyring ({name}).\n" in out
    (token,) = memory.entries.values()
    assert token.encode() not in path.read_bytes()
    with RemoteServices(team.url, token) as remote:
        assert remote.whoami() == BOB
    code, out, _err = cli("logout")
    assert code == 0
    assert out.endswith(
        f"its token is revoked on the server.\nRemoved its token from the OS keyring ({name}).\n"
    )
    assert memory.entries == {} and not path.exists()
    with RemoteServices(team.url, token) as remote, pytest.raises(Unauthenticated):
        remote.whoami()


def test_join_without_a_keyring_says_the_token_is_in_the_file(
    cli: CliRunner, team: TeamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = join(cli, team, monkeypatch)  # the suite's PYLEE_KEYRING=off
    path: Path = login.login_path()
    assert f"Saved to {path} (0600), with the token (PYLEE_KEYRING=off).\n" in out
    assert json.loads(path.read_bytes())["token_store"] == "file"


def test_a_command_whose_token_left_the_keyring_is_one_line(
    cli: CliRunner, memory: MemoryKeyring
) -> None:
    login.save(a_login())
    memory.entries.clear()  # e.g. removed with the keyring's own tool
    code, out, err = cli("org", "list", db=None, user=None)
    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 1
    assert "missing from the OS keyring" in err and f"pylee-tui join {URL} CODE" in err
    code, out, _err = cli("logout", db=None, user=None)
    assert code == 0 and out.startswith("Removed the saved team login, which could not be read")
    assert not login.login_path().exists()
