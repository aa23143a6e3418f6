"""The one home of every rule on a field (names, slugs, emails, keys, values, passphrases) as plain
functions, the kinds a field may hold (roles, grants, scopes) and how times are stored.

Screens, the CLI, services and the pydantic records in `models` all validate through these, so a
rule and its message exist exactly once. Nothing here imports pydantic: a command that only checks
an email (every CLI command, for `--as`) does not pay for it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MIN, SLUG_MAX = 2, 48
NAME_MAX = 80
DESCRIPTION_MAX = 280
OVERVIEW_MAX_BYTES = 1024 * 1024
EMAIL_MAX = 254
_EMAIL_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SERVER_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$")
VARIABLE_KEY_PATTERN = re.compile(r"^[A-Z_][A-Z0-9_]*$")
VARIABLE_VALUE_MAX_BYTES = 64 * 1024
PASSPHRASE_MIN = 8
PASSPHRASE_MAX = 1024

Role = Literal["admin", "member"]
ROLES: tuple[str, ...] = ("admin", "member")
MemberStatus = Literal["invited", "active", "revoked", "expired"]
Grant = Literal["registries:write", "registries:approve", "secrets:write"]
GRANTS: tuple[str, ...] = ("registries:write", "registries:approve", "secrets:write")
ScopeLevel = Literal["org", "registry", "server", "user"]
VariableKind = Literal["variable", "secret"]


def utcnow() -> datetime:
    """The current time in UTC; services take a clock so tests can move it."""
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """Timestamps are stored as ISO 8601 UTC text with microseconds, so they sort as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


# --- field rules -----------------------------------------------------------------------------


def check_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("name must not be blank")
    if len(value) > NAME_MAX:
        raise ValueError(f"name must be at most {NAME_MAX} characters (got {len(value)})")
    if _CONTROL.search(value) or any(is_unsafe_char(ch) for ch in value):
        raise ValueError("name must not contain control characters or line breaks")
    return value


_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_unsafe_char(ch: str) -> bool:
    """C1 controls (terminal escapes), Unicode line/paragraph separators and bidi overrides."""
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI_CONTROLS


def check_slug(value: str) -> str:
    if not (SLUG_MIN <= len(value) <= SLUG_MAX) or not SLUG_PATTERN.fullmatch(value):
        raise ValueError(
            f"slug {value!r} is not valid: use {SLUG_MIN}-{SLUG_MAX} lowercase letters, digits "
            "and single hyphens, e.g. acme-production"
        )
    return value


def check_description(value: str) -> str:
    value = value.strip()
    if len(value) > DESCRIPTION_MAX:
        raise ValueError(
            f"description must be at most {DESCRIPTION_MAX} characters (got {len(value)})"
        )
    return value


def check_overview(value: str) -> str:
    size = len(value.encode("utf-8"))
    if size > OVERVIEW_MAX_BYTES:
        raise ValueError(f"overview must be at most 1 MiB (got {size:,} bytes)")
    return value


def check_email(value: str) -> str:
    value = value.strip().lower()
    if not value:
        raise ValueError("email must not be blank")
    if len(value) > EMAIL_MAX or value.count("@") != 1:
        raise ValueError(f"{value!r} is not a valid email address")
    local, domain = value.split("@")
    labels = domain.split(".")
    if (
        not local
        or len(local) > 64
        or not _EMAIL_LOCAL.fullmatch(local)
        or len(labels) < 2
        or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValueError(f"{value!r} is not a valid email address")
    return value


def check_server_name(value: str) -> str:
    if not (3 <= len(value) <= 200) or not SERVER_NAME_PATTERN.fullmatch(value):
        raise ValueError(
            f"server name {value!r} is not valid: use reverse-DNS form namespace/name, "
            "e.g. io.github.user/weather"
        )
    return value


def check_variable_key(value: str) -> str:
    if not VARIABLE_KEY_PATTERN.fullmatch(value) or len(value) > 128:
        raise ValueError(
            f"key {value!r} is not valid: use capital letters, digits and _, not starting "
            "with a digit, e.g. GITHUB_TOKEN"
        )
    return value


def check_variable_value(value: str) -> str:
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate; the message must not quote the value
        raise ValueError("value must be valid text (it holds an undecodable character)") from None
    if size > VARIABLE_VALUE_MAX_BYTES:
        raise ValueError(f"value must be at most 64 KiB (got {size:,} bytes)")
    if "\x00" in value:
        raise ValueError("value cannot contain a NUL character")
    return value


def check_passphrase(value: str) -> str:
    # the message never repeats the passphrase
    if len(value) < PASSPHRASE_MIN:
        raise ValueError(f"the vault passphrase must be at least {PASSPHRASE_MIN} characters")
    if len(value) > PASSPHRASE_MAX:
        raise ValueError(f"the vault passphrase must be at most {PASSPHRASE_MAX} characters")
    if value != value.strip():
        raise ValueError("the vault passphrase cannot start or end with a space")
    return value


# field -> its rule, for a value that is text (the form every input takes)
RULES: dict[str, Callable[[str], str]] = {
    "name": check_name,
    "slug": check_slug,
    "description": check_description,
    "overview": check_overview,
    "email": check_email,
    "server_name": check_server_name,
    "variable_key": check_variable_key,
    "variable_value": check_variable_value,
    "passphrase": check_passphrase,
}


def clean(field: str, value: Any) -> Any:
    """Validate and normalise one field by its rule; raises ValueError with the rule's message.

    Text is checked by the rule itself (and a role by the list of roles); anything else (None,
    bytes, a number, an unknown role) goes through the field's pydantic type in `models`, which
    converts or refuses it in pydantic's words. For text both give the same result
    (tests/services/test_models.py checks it)."""
    if type(value) is str:
        rule = RULES.get(field)
        if rule is not None:
            try:
                return rule(value)
            except ValueError as exc:
                raise ValueError(str(exc)) from None
        if field == "role" and value in ROLES:
            return value
    from pylee_tui.models import clean_by_type

    return clean_by_type(field, value)


def field_error(field: str, value: Any) -> str | None:
    """The rule's message for `value`, or None when it is valid (what form inputs show)."""
    try:
        clean(field, value)
    except ValueError as exc:
        return str(exc)
    return None


def slugify(name: str) -> str:
    """A URL-safe slug from a name: letters of any script transliterated to ASCII ("Straße" ->
    "strasse", "Москва" -> "moskva"), other runs of characters to '-', cut on a word boundary.

    Always returns a valid slug: a name with no usable letters becomes 'org', a one-letter
    result is prefixed so it meets the two-character minimum.
    """
    from slugify import slugify as library_slugify

    slug = library_slugify(
        name,
        # A name is plain text, not HTML: "&amp;" stays letters rather than becoming "&".
        entities=False,
        decimal=False,
        hexadecimal=False,
        max_length=SLUG_MAX,
        word_boundary=True,
        # Stop at the first word that does not fit instead of skipping to shorter later ones.
        save_order=True,
        # Named, not "auto": auto prefers Unidecode when it happens to be installed, and the
        # same name must give the same slug on every machine.
        backend="text-unidecode",
    )
    if not slug:
        return "org"
    if len(slug) < SLUG_MIN:
        return f"org-{slug}"
    return slug


def with_suffix(slug: str, n: int) -> str:
    """`slug-n`, shortening the base so the result still fits the slug length limit."""
    suffix = f"-{n}"
    base = slug[: SLUG_MAX - len(suffix)].rstrip("-")
    return f"{base}{suffix}"
