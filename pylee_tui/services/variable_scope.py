"""Where a variable lives (an org, a registry, a server, or a member's own overrides in an org:
the user scope) and the columns its rows are read with. A secret's ciphertext is read as a BLOB
here and never leaves the variable services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from pylee_tui import crypto

if TYPE_CHECKING:
    from pylee_tui.models import ScopeLevel

# the columns a Variable is built from; a secret's ciphertext never leaves the services
VARIABLE_COLUMNS = (
    "id, org_id, registry_id, server_id, scope, key, kind, "
    "CASE kind WHEN 'variable' THEN value END AS value, created_at, updated_at, updated_by"
)


_SHARED = "id, org_id, registry_id, server_id, key, kind, value, created_at"
_STORED = {
    "variables": f"{_SHARED}, scope, updated_at, updated_by",
    "variable_versions": f"{_SHARED}, version, action, created_by",
}
_STORED["user_variables"] = _STORED["variables"]
_STORED["user_variable_versions"] = _STORED["variable_versions"]
USER_SOURCE = "you"  # what the source column says for the acting user's own keys


def stored_columns(table: str = "variables", alias: str = "") -> str:
    """Every column of a `variables` or `variable_versions` row, the ciphertext read as a BLOB:
    one edited to text (maybe not even UTF-8) must reach decrypt and fail there, for its key
    alone, rather than break every read of the scope."""
    p = f"{alias}." if alias else ""
    names = ", ".join(f"{p}{c}" for c in _STORED[table].split(", "))
    return f"{names}, CAST({p}encrypted_value AS BLOB) AS encrypted_value"


@dataclass(frozen=True)
class ScopeRef:
    """Where a key lives: an org, one of its registries, or a server of that registry; or a
    member's own overrides in the org (scope "user", `member` their members row: id, email),
    kept in tables of their own."""

    org: dict[str, Any]
    scope: str
    registry: dict[str, Any] | None = None
    server: dict[str, Any] | None = None
    member: dict[str, Any] | None = None

    @property
    def table(self) -> str:
        """The table holding the current keys of this scope."""
        return "user_variables" if self.member is not None else "variables"

    @property
    def versions_table(self) -> str:
        """The table holding the versions of this scope's keys."""
        return "user_variable_versions" if self.member is not None else "variable_versions"

    def placement(self) -> dict[str, Any]:
        """The columns that put a row (a key or a version) at this scope."""
        found: dict[str, Any] = {
            "org_id": self.org["id"],
            "registry_id": self.registry_id,
            "server_id": self.server_id,
        }
        if self.member is not None:
            found["member_id"] = self.member["id"]
        return found

    @property
    def source(self) -> str:
        """What an effective configuration's source column says for a key defined here."""
        return USER_SOURCE if self.member is not None else self.label

    @property
    def level(self) -> ScopeLevel:
        return cast("ScopeLevel", self.scope)

    @property
    def scope_id(self) -> int:
        if self.member is not None:
            return self.member["id"]
        if self.server is not None:
            return self.server["id"]
        if self.registry is not None:
            return self.registry["id"]
        return self.org["id"]

    @property
    def registry_id(self) -> int | None:
        """The `registry_id` column of a row at this scope (server rows hang off the server)."""
        if self.scope != "registry":
            return None
        assert self.registry is not None  # a registry-scope ref is always built with its registry
        return self.registry["id"]

    @property
    def server_id(self) -> int | None:
        return self.server["id"] if self.server is not None else None

    @property
    def label(self) -> str:
        if self.member is not None:
            return f"your overrides in org {self.org['slug']}"
        if self.server is not None:
            return f"server {self.server['name']}"
        if self.registry is not None:
            return f"registry {self.registry['slug']}"
        return f"org {self.org['slug']}"

    def chain(self) -> list[ScopeRef]:
        """The scopes a key here inherits from, this one last: org, registry, server."""
        chain = [ScopeRef(self.org, "org")]
        if self.member is not None:
            return [*chain, self]
        if self.registry is not None:
            chain.append(ScopeRef(self.org, "registry", self.registry))
        if self.server is not None:
            chain.append(self)
        return chain

    def where_sql(self, alias: str = "") -> tuple[str, list[Any]]:
        """SQL selecting this scope's own rows (in `variables` or `variable_versions`).

        Written in the terms of the tables' unique indexes, (org_id, coalesce(registry_id, 0),
        coalesce(server_id, 0), key, ...), so SQLite reads exactly the scope's rows, in key
        order: `registry_id IS NULL` would read every org and server row of the store."""
        p = f"{alias}." if alias else ""
        if self.member is not None:
            return f"{p}member_id = ?", [self.member["id"]]
        return (
            f"{p}org_id = ? AND coalesce({p}registry_id, 0) = ? AND coalesce({p}server_id, 0) = ?",
            [self.org["id"], self.registry_id or 0, self.server_id or 0],
        )

    def metadata(self, **more: Any) -> dict[str, Any]:
        """What an audit event of a key here says about the scope, and `more`."""
        data: dict[str, Any] = {"scope": self.scope, **more}
        if self.registry is not None:
            data["registry"] = self.registry["slug"]
        if self.server is not None:
            data["server"] = self.server["name"]
        return data

    def aad(self, key: str) -> bytes:
        return crypto.associated_data(self.org["id"], self.scope, self.scope_id, key)
