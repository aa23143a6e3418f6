"""Logins to a team server: enrolment codes, the people who used them, and API tokens.

The first server admin gets a code from `init_server`; an invitation makes one with `issue_code`.
A code is single use and lives seven days; `enrol` trades it (with the person's public key) for
an API token that lives ninety days. Codes and tokens are random enough that a plain SHA-256 is
all the database keeps of them: their text exists once, in the value that issued it, and never in
a message, a log or the store. A token works while it is neither revoked nor expired and its
person still belongs somewhere: a server admin, or a member (active, or invited and not yet
expired) of at least one organization. Removing a person from the last organization they belong
to also revokes their tokens (`revoke_if_gone`), so a later invitation starts from a new code.

A public key must be a usable X25519 key: a low-order point (whose shared secret with any key is
all zeros, so anything sealed to it is open to everyone) is refused before the code is spent.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pylee_tui.fields import is_unsafe_char, to_iso
from pylee_tui.services.base import Service, exactly_one, one, valid
from pylee_tui.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)

if TYPE_CHECKING:
    import sqlite_utils

CODE_TTL = timedelta(days=7)
TOKEN_TTL = timedelta(days=90)
# last_used_at is written at most this often per token: a busy client costs no write per call
LAST_USED_EVERY = timedelta(minutes=1)
# what a pending invitation lives (members.INVITATION_TTL; not imported, to keep this module light)
INVITATION_TTL = timedelta(days=7)

TOKEN_PREFIX = "pyl_"
CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # base32 (RFC 4648): no 0/O or 1/I pairs
CODE_LENGTH = 20
PUBLIC_KEY_BYTES = 32  # a raw X25519 public key
# a fixed X25519 private key to probe a presented public key with: a low-order point gives the
# all-zero shared secret for every (clamped) private key, which `exchange` refuses
_PROBE_PRIVATE = bytes(range(1, PUBLIC_KEY_BYTES + 1))
BAD_KEY = (
    "this public key cannot be used: it is a low-order X25519 point, which would let anyone read "
    "what is sealed to it; make a new key pair and enrol again (the code is still good)"
)
LABEL_MAX = 80
# longer than any code or token we issue, with room for pasted spaces: anything beyond is not one
_MAX_PRESENTED = 256

BAD_CODE = "this enrolment code is not valid (unknown, used or expired): ask for a new invitation"
BAD_TOKEN = "the token is not valid (unknown, expired or revoked): run `pylee-tui join` again"

# a person is alive while they administer the server or belong somewhere (:cutoff: the oldest
# invitation still pending)
_ALIVE = (
    "(p.server_admin = 1 OR EXISTS (SELECT 1 FROM members m WHERE m.email = {email} "
    "AND (m.status = 'active' OR (m.status = 'invited' AND m.invited_at >= :cutoff))))"
)


@dataclass(frozen=True)
class IssuedToken:
    """What an enrolment gives back: the token's text is here and nowhere else."""

    email: str
    token: str = field(repr=False)
    token_id: int
    expires_at: str  # ISO 8601, UTC
    replaced_key: bool = False  # the person had enrolled before with another public key


@dataclass(frozen=True)
class TokenInfo:
    """A token as a list shows it: never its text, never its hash."""

    id: int
    email: str
    label: str
    created_at: str
    expires_at: str
    last_used_at: str | None
    revoked_at: str | None
    alive: bool  # would authenticate now
    # in a word: 'alive', 'revoked', 'expired', or 'inactive' (its person belongs nowhere now)
    state: str = "alive"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_code(code: str) -> str:
    """A code as typed (any case, with or without its dashes and spaces) in its stored form."""
    return "".join(ch for ch in code.upper() if ch not in "- \t")


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode("utf-8")).hexdigest()


def new_code() -> str:
    """Twenty random base32 characters (100 bits), shown as XXXXX-XXXXX-XXXXX-XXXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 5] for i in range(0, CODE_LENGTH, 5))


def new_token() -> str:
    """ "pyl_" and 43 URL-safe characters: 32 random bytes."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def key_fingerprint(public_key: bytes) -> str:
    """A short human form of a public key to compare by eye: 'ab12 cd34 ef56 7890 1a2b' (the
    first 80 bits of its SHA-256; the same text as team.sealing.fingerprint, which a service may
    not import)."""
    digest = hashlib.sha256(public_key).hexdigest()[:20]
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def check_label(label: str) -> str:
    label = label.strip()
    if len(label) > LABEL_MAX:
        raise InvalidInput(f"a token label has at most {LABEL_MAX} characters")
    if any(is_unsafe_char(ch) or ord(ch) < 32 or ch == "\x7f" for ch in label):
        raise InvalidInput("a token label cannot hold control characters")
    return label


def check_public_key(public_key: object) -> bytes:
    """`public_key` if it is a usable raw X25519 public key, else InvalidInput in one line."""
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_BYTES:
        raise InvalidInput(f"a public key is {PUBLIC_KEY_BYTES} bytes (a raw X25519 key)")
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey,
        X25519PublicKey,
    )

    try:
        probe = X25519PrivateKey.from_private_bytes(_PROBE_PRIVATE)
        probe.exchange(X25519PublicKey.from_public_bytes(public_key))
    except ValueError:  # the all-zero shared secret of a low-order point
        raise InvalidInput(BAD_KEY) from None
    return public_key


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """SQLite gave up waiting for another connection's lock ('database is locked'/'busy')."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _presented(text: object) -> str | None:
    """The code or token as given, if it could be one at all (text of a sane length)."""
    if not isinstance(text, str) or not text.strip() or len(text) > _MAX_PRESENTED:
        return None
    return text.strip()


class TokenService(Service):
    # --- codes --------------------------------------------------------------------------------

    def init_server(self, email: str) -> str:
        """Make `email` the first server admin and return their enrolment code. Only once: a
        server that knows anyone (or has handed out any code) is initialised already."""
        email = valid("email", email)
        with self.store.transaction() as db:
            known = exactly_one(
                db,
                "SELECT (SELECT count(*) FROM people) + (SELECT count(*) FROM enrolment_codes) "
                "AS n",
            )
            if known["n"]:
                raise Conflict("this server is already initialised")
            db.execute("INSERT INTO people (email, server_admin) VALUES (?, 1)", [email])
            return self.issue_code(db, email, by=email)

    def issue_code(self, db: sqlite_utils.Database, email: str, by: str) -> str:
        """A new enrolment code for `email`, in the caller's transaction (the caller decided who
        may invite). An older unused code for the same email expires now: one live code each."""
        email = valid("email", email)
        moment = self.services.clock()
        now = to_iso(moment)
        db.execute(
            "UPDATE enrolment_codes SET expires_at = ? "
            "WHERE email = ? AND used_at IS NULL AND expires_at > ?",
            [now, email, now],
        )
        code = new_code()
        db.execute(
            "INSERT INTO enrolment_codes (email, code_hash, created_by, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [email, code_hash(code), by, now, to_iso(moment + CODE_TTL)],
        )
        return code

    # --- enrolment ----------------------------------------------------------------------------

    def enrol(self, code: str, public_key: bytes, label: str = "") -> IssuedToken:
        """Trade a live enrolment code and the person's public key for an API token.

        The code is used up; the key is stored (replacing an earlier one: `replaced_key`). Two
        enrolments racing with one code: exactly one wins, the other is refused. A key that is
        not a usable X25519 public key (wrong size, low order) is refused first: the code stays
        good."""
        presented = _presented(code)
        public_key = check_public_key(public_key)  # refused before the code is looked at
        label = check_label(label)
        if presented is None:
            raise Unauthenticated(BAD_CODE)
        hashed = code_hash(presented)
        with self.store.transaction() as db:
            now = self.now()
            row = one(
                db,
                "SELECT id, email FROM enrolment_codes "
                "WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
                [hashed, now],
            )
            if row is None:
                raise Unauthenticated(BAD_CODE)
            taken = db.execute(
                "UPDATE enrolment_codes SET used_at = ? WHERE id = ? AND used_at IS NULL",
                [now, row["id"]],
            )
            if taken.rowcount != 1:  # another enrolment used it first
                raise Unauthenticated(BAD_CODE)
            email = row["email"]
            person = one(db, "SELECT public_key FROM people WHERE email = ?", [email])
            replaced = (
                person is not None
                and person["public_key"] is not None
                and bytes(person["public_key"]) != public_key
            )
            db.execute(
                "INSERT INTO people (email, public_key, key_fingerprint, enrolled_at) "
                "VALUES (:email, :key, :fp, :now) ON CONFLICT (email) DO UPDATE SET "
                "public_key = :key, key_fingerprint = :fp, enrolled_at = :now",
                {"email": email, "key": public_key, "fp": key_fingerprint(public_key), "now": now},
            )
            token, token_id, expires_at = self._issue_token(db, email, label)
            return IssuedToken(email, token, token_id, expires_at, replaced_key=replaced)

    def _issue_token(self, db: sqlite_utils.Database, email: str, label: str) -> tuple[Any, ...]:
        token = new_token()
        now = self.services.clock()
        expires_at = to_iso(now + TOKEN_TTL)
        cursor = db.execute(
            "INSERT INTO api_tokens (email, token_hash, label, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [email, token_hash(token), label, to_iso(now), expires_at],
        )
        return token, cursor.lastrowid, expires_at

    # --- tokens -------------------------------------------------------------------------------

    def authenticate(self, token: str) -> str:
        """The email a token acts for, or Unauthenticated (one message whatever the reason)."""
        presented = _presented(token)
        if presented is None or not presented.startswith(TOKEN_PREFIX):
            raise Unauthenticated(BAD_TOKEN)
        params = {"hash": token_hash(presented), **self._moments()}
        rows = self.store.rows(
            "SELECT t.id, t.email, t.last_used_at FROM api_tokens t "
            "JOIN people p ON p.email = t.email "
            "WHERE t.token_hash = :hash AND t.revoked_at IS NULL AND t.expires_at > :now "
            "AND " + _ALIVE.format(email="t.email"),
            params,
        )
        if not rows:
            raise Unauthenticated(BAD_TOKEN)
        row = rows[0]
        last = row["last_used_at"]
        if last is None or last < to_iso(self.services.clock() - LAST_USED_EVERY):
            self._note_use(row["id"], params["now"])
        return str(row["email"])

    def _note_use(self, token_id: int, now: str) -> None:
        """Write a token's last use: bookkeeping, given up when another connection holds the
        store's write lock past the busy timeout (`pylee-tui --db` on the served file), so that
        a call is never refused for it: a read goes on, a write meets the busy store itself."""
        try:
            with self.store.transaction() as db:
                db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [now, token_id])
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise

    def list_tokens(self, actor: str, *, everyone: bool = False) -> list[TokenInfo]:
        """The actor's tokens, newest first; every person's with `everyone` (server admins)."""
        actor = valid("email", actor)
        with self.store.reading() as db:
            if everyone:
                self._require_server_admin(db, actor, "list everyone's tokens")
            where = "" if everyone else "WHERE t.email = :actor "
            rows = db.query(
                f"SELECT {_INFO_COLUMNS} FROM api_tokens t LEFT JOIN people p ON p.email = t.email "
                f"{where}ORDER BY t.id DESC",
                {"actor": actor, **self._moments()},
            )
            return [_info(row) for row in rows]

    def revoke(self, actor: str, token_id: int) -> TokenInfo:
        """Revoke one of the actor's tokens (a server admin: anyone's). Tokens belong to no
        organization, so no org's audit log records this."""
        actor = valid("email", actor)
        with self.store.transaction() as db:
            row = one(db, "SELECT email, revoked_at FROM api_tokens WHERE id = ?", [token_id])
            if row is None or (row["email"] != actor and not self._is_server_admin(db, actor)):
                raise NotFound(f"you have no token #{token_id}")
            if row["revoked_at"] is not None:
                raise Conflict(f"token #{token_id} is already revoked (at {row['revoked_at']})")
            db.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ?", [self.now(), token_id])
            return self._token_info(db, token_id)

    def revoke_all(self, db: sqlite_utils.Database, email: str) -> int:
        """Revoke every live token of `email`, in the caller's transaction (a person who has
        lost their last membership); how many were revoked."""
        now = self.now()
        cursor = db.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE email = ? AND revoked_at IS NULL",
            [now, valid("email", email)],
        )
        return int(cursor.rowcount)

    def revoke_if_gone(self, db: sqlite_utils.Database, email: str) -> int:
        """In the caller's transaction (a removal): revoke every live token of `email` when
        they now belong nowhere on this server: no active membership, no pending invitation, not
        a server admin. How many were revoked (0 when they still belong somewhere).

        Their tokens already stopped working with their last membership; revoking them makes
        `token list` say so and keeps them dead if the person is invited again later (an
        invitation on a team server brings a new enrolment code, so they join afresh)."""
        email = valid("email", email)
        gone = one(
            db,
            "SELECT 1 FROM people p WHERE p.email = :email AND NOT "
            + _ALIVE.format(email=":email"),
            {"email": email, **self._moments()},
        )
        if gone is None:  # never enrolled here, or still belongs somewhere
            return 0
        return self.revoke_all(db, email)

    def logins_ended_by_leaving(self, db: sqlite_utils.Database, email: str, org_id: int) -> int:
        """How many live tokens `revoke_if_gone` would revoke once `email` leaves the org
        `org_id` (0 when they belong somewhere else, run the server, or never enrolled): what a
        removal's confirmation says."""
        row = exactly_one(
            db,
            "SELECT count(*) AS n FROM api_tokens t JOIN people p ON p.email = t.email "
            "WHERE t.email = :email AND t.revoked_at IS NULL AND t.expires_at > :now "
            "AND p.server_admin = 0 AND NOT EXISTS (SELECT 1 FROM members m "
            "WHERE m.email = :email AND m.org_id != :org AND (m.status = 'active' OR "
            "(m.status = 'invited' AND m.invited_at >= :cutoff)))",
            {"email": valid("email", email), "org": org_id, **self._moments()},
        )
        return int(row["n"])

    # --- people -------------------------------------------------------------------------------

    def person_key(self, actor: str, email: str) -> bytes | None:
        """The public key `email` enrolled with (None before they enrol), for someone who shares
        an organization with them (the actor active, they active or invited) or a server admin.
        To anyone else the person does not exist."""
        actor, email = valid("email", actor), valid("email", email)
        with self.store.reading() as db:
            person = one(db, "SELECT public_key FROM people WHERE email = ?", [email])
            shared = actor == email or self._is_server_admin(db, actor)
            if not shared:
                shared = (
                    one(
                        db,
                        "SELECT 1 FROM members mine JOIN members theirs "
                        "ON theirs.org_id = mine.org_id "
                        "WHERE mine.email = :actor AND mine.status = 'active' "
                        "AND theirs.email = :email AND (theirs.status = 'active' OR "
                        "(theirs.status = 'invited' AND theirs.invited_at >= :cutoff))",
                        {"actor": actor, "email": email, **self._moments()},
                    )
                    is not None
                )
            if person is None or not shared:
                raise NotFound(f"{email} is not someone you share an organization with")
            key = person["public_key"]
            return None if key is None else bytes(key)

    def is_server_admin(self, email: str) -> bool:
        with self.store.reading() as db:
            return self._is_server_admin(db, valid("email", email))

    # --- helpers ------------------------------------------------------------------------------

    def _moments(self) -> dict[str, str]:
        now = self.services.clock()
        return {"now": to_iso(now), "cutoff": to_iso(now - INVITATION_TTL)}

    def _is_server_admin(self, db: sqlite_utils.Database, email: str) -> bool:
        row = one(db, "SELECT server_admin FROM people WHERE email = ?", [email])
        return row is not None and bool(row["server_admin"])

    def _require_server_admin(self, db: sqlite_utils.Database, actor: str, doing: str) -> None:
        if not self._is_server_admin(db, actor):
            raise PermissionDenied(f"only a server admin can {doing}")

    def _token_info(self, db: sqlite_utils.Database, token_id: int) -> TokenInfo:
        row = exactly_one(
            db,
            f"SELECT {_INFO_COLUMNS} FROM api_tokens t LEFT JOIN people p ON p.email = t.email "
            "WHERE t.id = :id",
            {"id": token_id, **self._moments()},
        )
        return _info(row)


_INFO_COLUMNS = (
    "t.id, t.email, t.label, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, "
    "CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked' WHEN t.expires_at <= :now THEN 'expired' "
    "WHEN p.email IS NOT NULL AND "
    + _ALIVE.format(email="t.email")
    + " THEN 'alive' ELSE 'inactive' END AS state"
)


def _info(row: dict[str, Any]) -> TokenInfo:
    return TokenInfo(
        id=row["id"],
        email=row["email"],
        label=row["label"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
        alive=row["state"] == "alive",
        state=row["state"],
    )
