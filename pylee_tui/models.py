"""Pydantic models and the one home of every rule on a field (names, slugs, emails, keys).

Screens, the CLI and services all validate through the annotated types here, so a rule and its
message exist exactly once.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)
from slugify import slugify as _library_slugify

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
Grant = Literal["registries:write", "secrets:write"]
GRANTS: tuple[str, ...] = ("registries:write", "secrets:write")
ScopeLevel = Literal["org", "registry", "server"]
VariableKind = Literal["variable", "secret"]


def utcnow() -> datetime:
    """The current time in UTC; services take a clock so tests can move it."""
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """Timestamps are stored as ISO 8601 UTC text with microseconds, so they sort as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


# --- field rules -----------------------------------------------------------------------------


def _check_name(value: str) -> str:
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


def _check_slug(value: str) -> str:
    if not (SLUG_MIN <= len(value) <= SLUG_MAX) or not SLUG_PATTERN.fullmatch(value):
        raise ValueError(
            f"slug {value!r} is not valid: use {SLUG_MIN}-{SLUG_MAX} lowercase letters, digits "
            "and single hyphens, e.g. acme-production"
        )
    return value


def _check_description(value: str) -> str:
    value = value.strip()
    if len(value) > DESCRIPTION_MAX:
        raise ValueError(
            f"description must be at most {DESCRIPTION_MAX} characters (got {len(value)})"
        )
    return value


def _check_overview(value: str) -> str:
    size = len(value.encode("utf-8"))
    if size > OVERVIEW_MAX_BYTES:
        raise ValueError(f"overview must be at most 1 MiB (got {size:,} bytes)")
    return value


def _check_email(value: str) -> str:
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


def _check_server_name(value: str) -> str:
    if not (3 <= len(value) <= 200) or not SERVER_NAME_PATTERN.fullmatch(value):
        raise ValueError(
            f"server name {value!r} is not valid: use reverse-DNS form namespace/name, "
            "e.g. io.github.user/weather"
        )
    return value


def _check_variable_key(value: str) -> str:
    if not VARIABLE_KEY_PATTERN.fullmatch(value) or len(value) > 128:
        raise ValueError(
            f"key {value!r} is not valid: use capital letters, digits and _, not starting "
            "with a digit, e.g. GITHUB_TOKEN"
        )
    return value


def _check_variable_value(value: str) -> str:
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate; the message must not quote the value
        raise ValueError("value must be valid text (it holds an undecodable character)") from None
    if size > VARIABLE_VALUE_MAX_BYTES:
        raise ValueError(f"value must be at most 64 KiB (got {size:,} bytes)")
    if "\x00" in value:
        raise ValueError("value cannot contain a NUL character")
    return value


def _check_passphrase(value: str) -> str:
    # the message never repeats the passphrase
    if len(value) < PASSPHRASE_MIN:
        raise ValueError(f"the vault passphrase must be at least {PASSPHRASE_MIN} characters")
    if len(value) > PASSPHRASE_MAX:
        raise ValueError(f"the vault passphrase must be at most {PASSPHRASE_MAX} characters")
    if value != value.strip():
        raise ValueError("the vault passphrase cannot start or end with a space")
    return value


def _require_str(value: Any) -> Any:
    if value is None:
        return ""
    return value


Name = Annotated[str, AfterValidator(_check_name)]
Slug = Annotated[str, AfterValidator(_check_slug)]
Description = Annotated[str, BeforeValidator(_require_str), AfterValidator(_check_description)]
Overview = Annotated[str, BeforeValidator(_require_str), AfterValidator(_check_overview)]
Email = Annotated[str, AfterValidator(_check_email)]
ServerName = Annotated[str, AfterValidator(_check_server_name)]
VariableKey = Annotated[str, AfterValidator(_check_variable_key)]
VariableValue = Annotated[str, AfterValidator(_check_variable_value)]
Passphrase = Annotated[str, AfterValidator(_check_passphrase)]

_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "name": TypeAdapter(Name),
    "slug": TypeAdapter(Slug),
    "description": TypeAdapter(Description),
    "overview": TypeAdapter(Overview),
    "email": TypeAdapter(Email),
    "server_name": TypeAdapter(ServerName),
    "variable_key": TypeAdapter(VariableKey),
    "variable_value": TypeAdapter(VariableValue),
    "role": TypeAdapter(Role),
    "passphrase": TypeAdapter(Passphrase),
}


def error_message(exc: ValidationError) -> str:
    """One readable line from a pydantic error: our own message, not pydantic's wrapping."""
    parts = []
    for err in exc.errors(include_url=False):
        ctx_error = (err.get("ctx") or {}).get("error")
        message = str(ctx_error) if ctx_error is not None else err["msg"]
        location = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        if location and ctx_error is None:
            message = f"{location}: {message}"
        parts.append(message)
    return "; ".join(parts)


def clean(field: str, value: Any) -> Any:
    """Validate and normalise one field by its rule; raises ValueError with the rule's message."""
    try:
        return _ADAPTERS[field].validate_python(value)
    except ValidationError as exc:
        raise ValueError(error_message(exc)) from None


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
    slug = _library_slugify(
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


# --- records ---------------------------------------------------------------------------------


def overview_base(saved_at: datetime | None, created_at: datetime) -> datetime:
    """When an overview was last saved, or its owner's creation for one never saved: an
    editor saves with it, and a save made since is a lost update the service refuses."""
    return saved_at or created_at


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Organization(Record):
    id: int
    name: Name
    slug: Slug
    description: Description = ""
    overview: Overview = ""
    created_at: datetime
    updated_at: datetime
    overview_updated_at: datetime | None = None

    @property
    def overview_base(self) -> datetime:
        """What an overview editor starts from (see `OrgService.edit`)."""
        return overview_base(self.overview_updated_at, self.created_at)


class OrgSummary(Record):
    """An organization as a list shows it: with counts and the viewer's role."""

    id: int
    name: str
    slug: str
    description: str = ""
    registry_count: int = 0
    member_count: int = 0
    role: Role | None = None
    admins: tuple[str, ...] = ()
    created_at: datetime


class RegistrySummary(Record):
    id: int
    org_id: int
    name: str
    slug: str
    description: str = ""
    server_count: int = 0
    draft_count: int = 0


class Registry(Record):
    id: int
    org_id: int
    name: Name
    slug: Slug
    description: Description = ""
    overview: Overview = ""
    created_at: datetime
    updated_at: datetime
    overview_updated_at: datetime | None = None  # when the overview was last saved

    @property
    def overview_base(self) -> datetime:
        """What an overview editor starts from (see `RegistryService.edit`)."""
        return overview_base(self.overview_updated_at, self.created_at)


class Server(Record):
    """An MCP server as stored: the server.json document plus the columns searched and sorted."""

    id: int
    registry_id: int
    name: str
    version: str = ""
    description: str = ""
    document: dict[str, Any] = Field(default_factory=dict)
    status: Literal["valid", "draft"] = "valid"
    problems: list[dict[str, str]] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class Member(Record):
    id: int
    org_id: int
    email: Email
    display_name: str = ""
    role: Role
    status: MemberStatus
    grants: frozenset[Grant] = frozenset()
    invited_by: str | None = None
    invited_at: datetime
    joined_at: datetime | None = None


class Variable(Record):
    """A variable or a secret at one scope. A secret's value never lives on this model."""

    id: int
    org_id: int
    registry_id: int | None = None
    server_id: int | None = None
    scope: ScopeLevel
    key: str
    kind: VariableKind
    value: str | None = None
    created_at: datetime
    updated_at: datetime
    updated_by: str


class VariableVersion(Record):
    """One write of a key at a scope. A secret version carries no value: reveal decrypts it."""

    version: int
    key: str
    kind: VariableKind
    action: Literal["set", "rollback", "unset"]
    value: str | None = None
    created_at: datetime
    created_by: str
    current: bool = False


class AuditEvent(Record):
    id: int
    org_id: int | None
    org_slug: str | None
    actor: str
    action: str
    target_type: str
    target_id: str | None = None
    target_label: str = ""
    created_at: datetime
    metadata: dict[str, Any] = Field(default_factory=dict)


class DeletionReport(Record):
    """What a delete removed, so the UI and CLI can say it."""

    organizations: int = 0
    registries: int = 0
    servers: int = 0
    members: int = 0
    variables: int = 0

    def describe(self) -> str:
        return ", ".join(
            plural(n, word)
            for n, word in (
                (self.registries, "registry"),
                (self.servers, "server"),
                (self.members, "member"),
                (self.variables, "variable or secret"),
            )
        )


def plural(n: int, word: str) -> str:
    """`1 registry`, `2 registries`, `3 servers`."""
    if n == 1:
        return f"1 {word}"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return f"{n} {word[:-1]}ies"
    if word == "variable or secret":
        return f"{n} variables or secrets"
    return f"{n} {word}s"
