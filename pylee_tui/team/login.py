"""The saved team login: which server, as whom, its token, and the member's key pair (the
private key protected by their passphrase, `sealing.protect`). One JSON file in the user's
configuration directory, `team.json`, made 0600 in a 0700 directory and written whole."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformdirs import PlatformDirs

from pylee_tui.files import write_atomic
from pylee_tui.paths import APP_DIR_NAME
from pylee_tui.services.errors import InvalidInput

FILE_NAME = "team.json"
FORMAT = 1
MAX_BYTES = 64 * 1024  # a login is a few hundred bytes: anything bigger is not one


def login_path() -> Path:
    """`$XDG_CONFIG_HOME/pylee-tui/team.json` (`~/.config/...` on Linux; the platform's own
    configuration directory elsewhere)."""
    return PlatformDirs(APP_DIR_NAME, appauthor=False).user_config_path / FILE_NAME


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

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "url": self.url,
            "email": self.email,
            "token": self.token,
            "token_id": self.token_id,
            "expires_at": self.expires_at,
            "public_key": base64.b64encode(self.public_key).decode(),
            "private_key": base64.b64encode(self.protected_private_key).decode(),
            "ca": self.ca,
        }

    @classmethod
    def from_json(cls, data: Any, where: Path) -> SavedLogin:
        problem = f"{where} is not a pylee-tui team login: run `pylee-tui join` again"
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InvalidInput(problem)
        try:
            login = cls(
                url=_text(data["url"]),
                email=_text(data["email"]),
                token=_text(data["token"]),
                token_id=int(data["token_id"]),
                expires_at=_text(data["expires_at"]),
                public_key=base64.b64decode(_text(data["public_key"]), validate=True),
                protected_private_key=base64.b64decode(_text(data["private_key"]), validate=True),
                ca=None if data.get("ca") is None else _text(data["ca"]),
            )
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise InvalidInput(problem) from None
        return login


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


def save(login: SavedLogin, path: Path | None = None) -> Path:
    """Write the login whole (0600; its directory made 0700), replacing any earlier one."""
    path = path or login_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = json.dumps(login.to_json(), indent=2, sort_keys=True) + "\n"
    write_atomic(path, text, mode=0o600)
    return path


def load(path: Path | None = None) -> SavedLogin | None:
    """The saved login, None when there is none; a damaged file is one line (InvalidInput)."""
    path = path or login_path()
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
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"{path} is not a pylee-tui team login (not JSON)") from None
    return SavedLogin.from_json(data, path)


def delete(path: Path | None = None) -> bool:
    """Remove the saved login; whether there was one."""
    path = path or login_path()
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def change_passphrase(
    login: SavedLogin, old: str, new: str, path: Path | None = None
) -> SavedLogin:
    """The login with its private key protected by `new` instead of `old`, saved whole (0600,
    atomically). The key pair is the same, so the server has nothing to learn; a wrong `old` is
    `WrongPassphrase` and the file is left as it was."""
    from pylee_tui.crypto import CryptoError

    from . import sealing

    private = sealing.unprotect(login.protected_private_key, old)
    if sealing.public_key_of(private) != login.public_key:
        raise CryptoError("the saved login's key pair does not match: run `pylee-tui join` again")
    changed = dataclasses.replace(login, protected_private_key=sealing.protect(private, new))
    save(changed, path)
    return changed
