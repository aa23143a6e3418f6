"""The saved team login: which server, as whom, its token, and the member's key pair (the
private key protected by their passphrase, `sealing.protect`). One JSON file in the user's
configuration directory, `team.json`, made 0600 in a 0700 directory and written whole.

The token goes to the OS keyring (macOS Keychain, Secret Service, KWallet, Windows Credential
Manager) when a usable one is there and `PYLEE_KEYRING` is not `off`: the file then says
`"token_store": "keyring"` and holds no token. Without one, or when the keyring refuses it, the
token stays in the file, as it always did. Reading and removing follow what the file says, so a
login keeps working whichever way it was saved."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import PlatformDirs

from pylee_tui.files import write_atomic
from pylee_tui.paths import APP_DIR_NAME
from pylee_tui.services.errors import InvalidInput

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

FILE_NAME = "team.json"
FORMAT = 2  # 2 says where the token is ("token_store"); 1, always with the token, still reads
READABLE_FORMATS = (1, 2)
MAX_BYTES = 64 * 1024  # a login is a few hundred bytes: anything bigger is not one
KEYRING_ENV = "PYLEE_KEYRING"  # `off`: never put a token in the OS keyring (the file holds it)
KEYRING_OFF = ("off", "0", "no", "false")
KEYRING_SERVICE = "pylee-tui"
IN_FILE = "file"
IN_KEYRING = "keyring"
# what the user knows each backend as; others are named by keyring itself
BACKEND_NAMES = {
    "keyring.backends.macOS": "macOS Keychain",
    "keyring.backends.SecretService": "Secret Service",
    "keyring.backends.libsecret": "Secret Service",
    "keyring.backends.kwallet": "KWallet",
    "keyring.backends.Windows": "Windows Credential Manager",
}


def login_path() -> Path:
    """`$XDG_CONFIG_HOME/pylee-tui/team.json` (`~/.config/...` on Linux; the platform's own
    configuration directory elsewhere)."""
    return PlatformDirs(APP_DIR_NAME, appauthor=False).user_config_path / FILE_NAME


def keyring_user(url: str, email: str) -> str:
    """The keyring entry's user name: the person at the server (a URL holds no space)."""
    return f"{email} {url}"


@dataclass(frozen=True)
class SavedLogin:
    """A login as `join` saved it."""

    url: str
    email: str
    token: str
    token_id: int
    expires_at: str
    public_key: bytes
    protected_private_key: bytes  # sealing.protect's blob: the passphrase opens it
    ca: str | None = None  # the CA bundle the server's certificate is checked with (join --ca)

    def to_json(self, *, token_in_keyring: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": FORMAT,
            "url": self.url,
            "email": self.email,
            "token_store": IN_KEYRING if token_in_keyring else IN_FILE,
            "token_id": self.token_id,
            "expires_at": self.expires_at,
            "public_key": base64.b64encode(self.public_key).decode(),
            "private_key": base64.b64encode(self.protected_private_key).decode(),
            "ca": self.ca,
        }
        if not token_in_keyring:
            data["token"] = self.token
        return data

    @classmethod
    def from_json(cls, data: Any, where: Path) -> SavedLogin:
        """The login `data` holds; a token it keeps in the OS keyring is fetched from there."""
        problem = f"{where} is not a pylee-tui team login: run `pylee-tui join` again"
        if not isinstance(data, dict) or data.get("format") not in READABLE_FORMATS:
            raise InvalidInput(problem)
        try:
            store = _token_store(data)
            url = _text(data["url"])
            email = _text(data["email"])
            login = cls(
                url=url,
                email=email,
                token=_text(data["token"]) if store == IN_FILE else "",
                token_id=int(data["token_id"]),
                expires_at=_text(data["expires_at"]),
                public_key=base64.b64decode(_text(data["public_key"]), validate=True),
                protected_private_key=base64.b64decode(_text(data["private_key"]), validate=True),
                ca=None if data.get("ca") is None else _text(data["ca"]),
            )
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise InvalidInput(problem) from None
        if store == IN_KEYRING:
            login = dataclasses.replace(login, token=_keyring_token(url, email))
        return login


def _token_store(data: dict[str, Any]) -> str:
    if data["format"] == 1:
        return IN_FILE
    store = data.get("token_store")
    if store not in (IN_FILE, IN_KEYRING):
        raise ValueError("no token store")
    return str(store)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


@dataclass(frozen=True)
class Saved:
    """Where `save` put a login: the file, and the keyring its token went to (None: the file
    holds the token too, for `why_file`)."""

    path: Path
    keyring: str | None  # the keyring as the user knows it, e.g. "macOS Keychain"
    why_file: str = ""  # e.g. "no OS keyring is available"


def save(login: SavedLogin, path: Path | None = None) -> Saved:
    """Write the login whole (0600; its directory made 0700), replacing any earlier one, its
    token in the OS keyring when one is usable (see the module). A token the earlier login kept
    in the keyring is removed from there."""
    path = path or login_path()
    earlier = _keyring_entry_of(path)
    user = keyring_user(login.url, login.email)
    backend, why_file = _usable_keyring()
    in_keyring: str | None = None
    if backend is not None:
        in_keyring, why_file = _put_token(backend, user, login.token)
    try:
        _write(path, login.to_json(token_in_keyring=in_keyring is not None))
    except BaseException:
        if in_keyring is not None:
            _forget_token(user)
        raise
    if earlier is not None and (in_keyring is None or earlier != user):
        _forget_token(earlier)
    return Saved(path, in_keyring, why_file)


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n", mode=0o600)


def load(path: Path | None = None) -> SavedLogin | None:
    """The saved login, None when there is none; a damaged file, or a token the OS keyring no
    longer gives, is one line (InvalidInput)."""
    path = path or login_path()
    data = _read(path)
    if data is None:
        return None
    return SavedLogin.from_json(data, path)


def _read(path: Path) -> Any:
    """The file's JSON, None when there is no file; unreadable is one line (InvalidInput)."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"{path} is not a pylee-tui team login (too large)")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"{path} is not a pylee-tui team login (not JSON)") from None


@dataclass(frozen=True)
class Deleted:
    """What `delete` removed: the file, and the keyring the token was removed from."""

    file: bool
    keyring: str | None = None

    def __bool__(self) -> bool:
        return self.file


def delete(path: Path | None = None) -> Deleted:
    """Remove the saved login, and its token from the OS keyring when it is there (even when
    the rest of the file cannot be read); whether there was a file."""
    path = path or login_path()
    entry = _keyring_entry_of(path)
    removed_from = _forget_token(entry) if entry is not None else None
    try:
        os.unlink(path)
    except FileNotFoundError:
        return Deleted(False, removed_from)
    return Deleted(True, removed_from)


def change_passphrase(
    login: SavedLogin, old: str, new: str, path: Path | None = None
) -> SavedLogin:
    """The login with its private key protected by `new` instead of `old`, saved whole (0600,
    atomically). The key pair is the same, so the server has nothing to learn; a wrong `old` is
    `WrongPassphrase` and the file is left as it was. The token stays where it is: in the OS
    keyring or in the file."""
    from pylee_tui.crypto import CryptoError

    from . import sealing

    private = sealing.unprotect(login.protected_private_key, old)
    if sealing.public_key_of(private) != login.public_key:
        raise CryptoError("the saved login's key pair does not match: run `pylee-tui join` again")
    changed = dataclasses.replace(login, protected_private_key=sealing.protect(private, new))
    path = path or login_path()
    in_keyring = _keyring_entry_of(path) == keyring_user(login.url, login.email)
    _write(path, changed.to_json(token_in_keyring=in_keyring))
    return changed


# --- the OS keyring ------------------------------------------------------------------------
# Every call into keyring is guarded with `except Exception`: besides its own KeyringError, a
# backend raises what its transport does (D-Bus, Security framework, Win32), and none of that
# may become a traceback.


def keyring_wanted() -> bool:
    """Whether `PYLEE_KEYRING` lets a new token go to the OS keyring."""
    return os.environ.get(KEYRING_ENV, "").strip().lower() not in KEYRING_OFF


def _usable_keyring() -> tuple[KeyringBackend | None, str]:
    """The OS keyring a token may go to, or None and why not."""
    if not keyring_wanted():
        return None, f"{KEYRING_ENV}=off"
    backend = _backend()
    if backend is None:
        return None, "no OS keyring is available"
    return backend, ""


def _backend() -> KeyringBackend | None:
    """keyring's backend when it is a real one (priority above 0: not the fail or null one)."""
    try:
        import keyring

        backend = keyring.get_keyring()
        if float(backend.priority) <= 0:
            return None
    except Exception:
        return None
    return backend


def backend_name(backend: KeyringBackend) -> str:
    """The keyring as its user knows it: "macOS Keychain", "Secret Service", ..."""
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        names = dict.fromkeys(backend_name(each) for each in backend.backends)
        return " or ".join(names) or "none"
    module = type(backend).__module__
    return BACKEND_NAMES.get(module) or str(getattr(backend, "name", type(backend).__name__))


def _put_token(backend: KeyringBackend, user: str, token: str) -> tuple[str | None, str]:
    """Store the token and read it back: the keyring's name, or None and why it failed."""
    name = backend_name(backend)
    try:
        backend.set_password(KEYRING_SERVICE, user, token)
        if backend.get_password(KEYRING_SERVICE, user) == token:
            return name, ""
        problem = "it did not give the token back"
    except Exception as exc:
        problem = _described(exc, token)
    _forget_token(user)
    return None, f"the OS keyring ({name}) refused it: {problem}"


def _keyring_token(url: str, email: str) -> str:
    """The token of `email` at `url` from the OS keyring; one line when it is not there."""
    again = f"run `pylee-tui join {url} CODE` again"
    backend = _backend()
    if backend is None:
        raise InvalidInput(
            f"the token of your team login ({email} at {url}) is in the OS keyring, which is "
            f"not available now: {again}"
        )
    try:
        token = backend.get_password(KEYRING_SERVICE, keyring_user(url, email))
    except Exception as exc:
        raise InvalidInput(
            f"cannot read the token of your team login ({email} at {url}) from the OS keyring "
            f"({backend_name(backend)}): {_described(exc)}; unlock it, or {again}"
        ) from None
    if not token:
        raise InvalidInput(
            f"the token of your team login ({email} at {url}) is missing from the OS keyring "
            f"({backend_name(backend)}): {again}"
        )
    return token


def _forget_token(user: str) -> str | None:
    """Remove the keyring entry, as far as can be: the keyring's name when one was removed."""
    backend = _backend()
    if backend is None:
        return None
    try:
        backend.delete_password(KEYRING_SERVICE, user)
    except Exception:  # PasswordDeleteError when there is none; the rest as in the note above
        return None
    return backend_name(backend)


def _keyring_entry_of(path: Path) -> str | None:
    """The keyring user name of the token the file at `path` keeps in the keyring, if it does
    (read leniently: a file damaged elsewhere still names its entry)."""
    try:
        data = _read(path)
    except InvalidInput:
        return None
    if not isinstance(data, dict) or data.get("token_store") != IN_KEYRING:
        return None
    url, email = data.get("url"), data.get("email")
    if not isinstance(url, str) or not isinstance(email, str):
        return None
    return keyring_user(url, email)


def _described(exc: Exception, secret: str = "") -> str:
    """An exception in a few words, never holding `secret`, on one line."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if secret:
        text = text.replace(secret, "[token]")
    return text[:200]
