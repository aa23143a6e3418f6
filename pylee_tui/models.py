"""The records every layer passes around (organizations, registries, servers, members, keys, audit
events) as pydantic models, and the pydantic types of the field rules in `fields`.

Everything `fields` holds is importable from here too (rules, kinds, `clean`, `slugify`); code
that must start fast imports `fields` itself, which does not load pydantic.
"""

from __future__ import annotations

from datetime import datetime
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

from pylee_tui.fields import (
    DESCRIPTION_MAX,
    EMAIL_MAX,
    GRANTS,
    NAME_MAX,
    OVERVIEW_MAX_BYTES,
    PASSPHRASE_MAX,
    PASSPHRASE_MIN,
    ROLES,
    SERVER_NAME_PATTERN,
    SLUG_MAX,
    SLUG_MIN,
    SLUG_PATTERN,
    VARIABLE_KEY_PATTERN,
    VARIABLE_VALUE_MAX_BYTES,
    Grant,
    MemberStatus,
    Role,
    ScopeLevel,
    VariableKind,
    check_description,
    check_email,
    check_name,
    check_overview,
    check_passphrase,
    check_server_name,
    check_slug,
    check_variable_key,
    check_variable_value,
    clean,
    field_error,
    is_unsafe_char,
    slugify,
    to_iso,
    utcnow,
    with_suffix,
)
from pylee_tui.summaries import AuditEvent, OrgSummary, plural

__all__ = [
    "DESCRIPTION_MAX",
    "EMAIL_MAX",
    "GRANTS",
    "NAME_MAX",
    "OVERVIEW_MAX_BYTES",
    "PASSPHRASE_MAX",
    "PASSPHRASE_MIN",
    "ROLES",
    "SERVER_NAME_PATTERN",
    "SLUG_MAX",
    "SLUG_MIN",
    "SLUG_PATTERN",
    "VARIABLE_KEY_PATTERN",
    "VARIABLE_VALUE_MAX_BYTES",
    "AuditEvent",
    "DeletionReport",
    "Description",
    "Email",
    "Grant",
    "Member",
    "MemberStatus",
    "Name",
    "OrgSummary",
    "Organization",
    "Overview",
    "Passphrase",
    "Record",
    "Registry",
    "RegistrySummary",
    "Role",
    "ScopeLevel",
    "Server",
    "ServerName",
    "Slug",
    "Variable",
    "VariableKey",
    "VariableKind",
    "VariableValue",
    "VariableVersion",
    "clean",
    "clean_by_type",
    "error_message",
    "field_error",
    "is_unsafe_char",
    "overview_base",
    "plural",
    "slugify",
    "to_iso",
    "utcnow",
    "with_suffix",
]


def _require_str(value: Any) -> Any:
    if value is None:
        return ""
    return value


Name = Annotated[str, AfterValidator(check_name)]
Slug = Annotated[str, AfterValidator(check_slug)]
Description = Annotated[str, BeforeValidator(_require_str), AfterValidator(check_description)]
Overview = Annotated[str, BeforeValidator(_require_str), AfterValidator(check_overview)]
Email = Annotated[str, AfterValidator(check_email)]
ServerName = Annotated[str, AfterValidator(check_server_name)]
VariableKey = Annotated[str, AfterValidator(check_variable_key)]
VariableValue = Annotated[str, AfterValidator(check_variable_value)]
Passphrase = Annotated[str, AfterValidator(check_passphrase)]

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


def clean_by_type(field: str, value: Any) -> Any:
    """`fields.clean` for a value that is not plain text: the field's pydantic type converts or
    refuses it; raises ValueError with one readable line."""
    try:
        return _ADAPTERS[field].validate_python(value)
    except ValidationError as exc:
        raise ValueError(error_message(exc)) from None


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
