"""The client of a team server: `RemoteServices` stands where `Services` stands.

It has the attributes of `Services` that a team server answers (`rpc.EXPOSED`), each with the
same methods, arguments and return types, raising the same PyleeError subclasses with the
server's own one-line message. Every method still takes the acting user first, as locally, but
that argument is IGNORED: the server acts as the person its token names, whoever the caller
claims to be (`whoami` says who that is).

Secrets travel sealed (the end-to-end vault, `team.vault_client`): `variables.set_key(...,
kind="secret")` seals the value on this machine and `variables.reveal` opens it here; the server
keeps blobs it cannot open. Membership changes that make or unmake a reader of an org's secrets
(`members.change_role`, `grant`, `revoke_grant`, `remove`) are followed by this client sharing
or rotating the org's key when it may (`vault.reconcile`). The other methods that decrypt (a
revealed effective configuration, an export's values) are refused before anything is sent.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import ssl
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import httpx2

from pylee_tui import __version__
from pylee_tui.services.errors import InvalidInput, NotFound, PyleeError
from pylee_tui.services.scope import Scope
from pylee_tui.services.tokens import IssuedToken
from pylee_tui.team import rpc
from pylee_tui.team.vault_client import RemoteVault

if TYPE_CHECKING:
    from pylee_tui.models import Member, Organization, Variable
    from pylee_tui.services.checks import CheckService
    from pylee_tui.services.environments import CloneReport
    from pylee_tui.services.launch import LaunchService
    from pylee_tui.services.resolver import EffectiveConfig
    from pylee_tui.team.login import SavedLogin
    from pylee_tui.team.remote_clients import RemoteClients, RemoteDrift
    from pylee_tui.team.remote_export import RemoteExport

DEFAULT_TIMEOUT = 30.0


class Unreachable(PyleeError):
    """The team server did not answer (down, wrong address, TLS refused): nothing was done
    that this client knows of."""


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine: localhost, 127.0.0.0/8 or ::1."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server_url(url: str) -> str:
    """A team server's base URL, checked: http(s), a host, no query; http only to this machine
    (a token sent in the clear across a network is a token given away)."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        raise InvalidInput(f"{url!r} is not a URL (e.g. https://pylee.example.com)") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{url!r} is not an http(s) URL (e.g. https://pylee.example.com)")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidInput("a team server's URL has no query, fragment or user name")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InvalidInput(
            f"a team server on another machine is reached over https, not http ({parts.hostname})"
        )
    return text.rstrip("/")


def _tls_check(verify: bool | str) -> bool | ssl.SSLContext:
    """What checks the server's certificate: the system's CAs (True), those of a PEM file (a
    path), or nothing (False, for tests of the refusal only)."""
    if not isinstance(verify, str):
        return verify
    try:
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError):
        raise InvalidInput(f"{verify} holds no CA certificate (PEM) to check with") from None


class Connection:
    """One HTTP client to one server, turning its answers into results or PyleeErrors."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        verify: bool | str = True,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx2.BaseTransport | None = None,
    ):
        self.url = server_url(url)
        headers = {"User-Agent": f"pylee-tui/{__version__}"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx2.Client(
            base_url=self.url,
            headers=headers,
            verify=_tls_check(verify),
            timeout=timeout,
            transport=transport,
            trust_env=False,  # a proxy from the environment never sees the token
        )

    def close(self) -> None:
        self._client.close()

    def request(self, verb: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The JSON of a successful answer; the error it stands for otherwise."""
        try:
            response = self._client.request(verb, path, json=body)
        except httpx2.TransportError as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise Unreachable(f"cannot reach the team server at {self.url}: {reason}") from None
        try:
            data = response.json()
        except ValueError:
            raise PyleeError(
                f"the team server at {self.url} answered {response.status_code} with something "
                "that is not pylee-tui's JSON: is the URL right?"
            ) from None
        if response.status_code >= 300 or (isinstance(data, dict) and "error" in data):
            raise rpc.decode_error(response.status_code, data)
        return data


class RemoteService:
    """One service of a team server: its exposed methods, called as the local ones are."""

    def __init__(self, connection: Connection, service: str):
        self._connection = connection
        self._service = service
        self._local = rpc.service_class(service)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_") or not callable(getattr(self._local, name, None)):
            raise AttributeError(f"{self._service} has no method {name!r}")

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._call(name, *args, **kwargs)

        call.__name__ = name
        call.__doc__ = getattr(self._local, name).__doc__
        return call

    def _call(self, method_name: str, /, *args: Any, **kwargs: Any) -> Any:
        """`method_name(*args, **kwargs)` answered by the server (positional-only: a method may
        take a keyword `name`, as orgs.edit does)."""
        name = method_name
        method = rpc.spec(self._service, name)  # InvalidInput for a method not offered
        body = rpc.encode_arguments(method, args, kwargs)
        data = self._connection.request("POST", method.path, body)
        if not isinstance(data, dict) or "result" not in data:
            raise PyleeError(f"the team server answered {self._service}.{name} without a result")
        return rpc.decode_result(method, data["result"])


class WithVault(RemoteService):
    """A service of a team server whose calls the member's vault client follows up on this
    machine (`SERVICE` names it)."""

    SERVICE = ""

    def __init__(self, connection: Connection, vault: RemoteVault):
        super().__init__(connection, self.SERVICE)
        self._vault = vault


class RemoteVariables(WithVault):
    """`variables` of a team server, a secret's value sealed and opened on this machine."""

    SERVICE = "variables"

    def set_key(
        self, actor: str, scope: Scope, key: str, value: str, *, kind: str = "variable"
    ) -> Variable:
        if kind == "secret":
            return self._vault.put_secret(scope, key, value)
        return self._call("set_key", actor, scope, key, value, kind=kind)

    def reveal(
        self,
        actor: str,
        scope: Scope,
        key: str,
        *,
        purpose: Literal["reveal", "copy"] = "reveal",
    ) -> str:
        return self._vault.reveal(scope, key, purpose=purpose)

    def effective(self, actor: str, scope: Scope, *, reveal: bool = False) -> EffectiveConfig:
        """As the server resolves it (masked); with `reveal`, the winning secrets opened on this
        machine (needs `secrets:reveal` and the org's key shared, as locally)."""
        masked: EffectiveConfig = self._call("effective", actor, scope)
        if not reveal:
            return masked
        return self._vault.revealed(masked, scope, purpose="export")

    def reveal_effective(
        self,
        actor: str,
        scope: Scope,
        key: str,
        *,
        purpose: Literal["reveal", "copy"] = "reveal",
    ) -> str | None:
        """One key's value in the scope's effective configuration, references expanded, with
        only the secrets it is made of opened on this machine (None: unusable, e.g. a cycle)."""
        masked: EffectiveConfig = self._call("effective", actor, scope)
        entry = masked.get(key)
        if entry is None:
            raise NotFound(f"no {key} at {scope.label} or above it")
        secrets = masked.secrets_in(key)
        if not secrets:
            return entry.value
        config = self._vault.revealed(masked, scope, sorted(secrets), purpose=purpose, via=key)
        revealed = config.get(key)
        return revealed.value if revealed is not None else None

    def reveal_for_servers(
        self,
        actor: str,
        scope: Scope,
        wanted: Mapping[str, Collection[str]],
        *,
        purpose: Literal["export", "run", "check", "call"] = "export",
    ) -> dict[str, dict[str, str | None]]:
        """The plaintext of the secrets `wanted` names (server name -> keys) in the effective
        configurations of the registry's servers, opened on this machine: an export needs
        `secrets:reveal`; starting a server (run, check, call) needs it unless every secret it
        gets is the member's own (their user scope). The server audits each read. A key that is
        not a secret there is None."""
        if purpose not in ("export", "run", "check", "call"):
            raise InvalidInput(f"purpose must be export, run, check or call, not {purpose!r}")
        if scope.registry is None or scope.server is not None:
            raise InvalidInput(f"{scope.label} is not a registry: name one registry")
        found: dict[str, dict[str, str | None]] = {}
        for server, keys in sorted(wanted.items()):
            if not keys:
                continue
            values = self._vault.winning_secrets(
                Scope(scope.org, scope.registry, server),
                sorted(keys),
                purpose=purpose,
            )
            found[server] = {key: values.get(key) for key in sorted(keys)}
        return found


class RemoteOrgs(WithVault):
    """`orgs` of a team server; a new org gets its secrets key at once (`RemoteVault.after_create`),
    so its writers can seal secrets before an admin has set one."""

    SERVICE = "orgs"

    def create(self, actor: str, name: str, **options: Any) -> Organization:
        org: Organization = self._call("create", actor, name, **options)
        self._vault.after_create(org.slug)
        return org


class RemoteEnvironments(WithVault):
    """`environments` of a team server; a clone's new org gets its secrets key at once, as a
    created one does (its secrets are missing keys to set again: nothing to re-seal)."""

    SERVICE = "environments"

    def clone(self, actor: str, source: str, name: str, **options: Any) -> CloneReport:
        report: CloneReport = self._call("clone", actor, source, name, **options)
        self._vault.after_create(report.slug)
        return report


class RemoteMembers(WithVault):
    """`members` of a team server; a change of who may read an org's secrets is followed by
    sharing or rotating its key (`RemoteVault.reconcile`: what it leaves undone is in the
    vault's `notes`)."""

    SERVICE = "members"

    def _changed(self, name: str, actor: str, org_slug: str, *args: Any) -> Member:
        member = self._call(name, actor, org_slug, *args)
        self._vault.reconcile(org_slug)
        return member

    def accept(self, actor: str, org_slug: str) -> Member:
        member: Member = self._call("accept", actor, org_slug)
        self._vault.after_accept(org_slug)
        return member

    def change_role(self, actor: str, org_slug: str, email: str, role: str) -> Member:
        return self._changed("change_role", actor, org_slug, email, role)

    def grant(self, actor: str, org_slug: str, email: str, permission: str) -> Member:
        return self._changed("grant", actor, org_slug, email, permission)

    def revoke_grant(self, actor: str, org_slug: str, email: str, permission: str) -> Member:
        return self._changed("revoke_grant", actor, org_slug, email, permission)

    def remove(self, actor: str, org_slug: str, email: str) -> Member:
        return self._changed("remove", actor, org_slug, email)


class RemoteServices:
    """`Services` against a team server at `url`, acting as the person `token` names."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        verify: bool | str = True,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx2.BaseTransport | None = None,
        protected_key: bytes | None = None,
        public_key: bytes | None = None,
    ):
        self.connection = Connection(
            url, token, verify=verify, timeout=timeout, transport=transport
        )
        self.url = self.connection.url
        self._email: str | None = None
        self.team_vault = RemoteService(self.connection, "team_vault")
        # the member's key (as `join` saved it: protected by their passphrase) opens secrets
        self.vault = RemoteVault(
            self.team_vault, self.whoami, protected_key=protected_key, public_key=public_key
        )
        self.orgs = RemoteOrgs(self.connection, self.vault)
        self.registries = RemoteService(self.connection, "registries")
        self.members = RemoteMembers(self.connection, self.vault)
        self.audit = RemoteService(self.connection, "audit")
        self.approvals = RemoteService(self.connection, "approvals")
        self.server_versions = RemoteService(self.connection, "server_versions")
        self.forks = RemoteService(self.connection, "forks")
        self.environments = RemoteEnvironments(self.connection, self.vault)
        self.member_review = RemoteService(self.connection, "member_review")
        self.variables = RemoteVariables(self.connection, self.vault)
        self.tokens = RemoteService(self.connection, "tokens")

    @classmethod
    def from_login(cls, login: SavedLogin, **options: Any) -> RemoteServices:
        """The services of the server a saved login names, as its person, with their key."""
        options.setdefault("verify", login.ca or True)
        return cls(
            login.url,
            login.token,
            protected_key=login.protected_private_key,
            public_key=login.public_key,
            **options,
        )

    def now(self) -> str:
        """This machine's clock (ISO), for what is kept here: when a check ran, a file written."""
        from pylee_tui.fields import to_iso, utcnow

        return to_iso(utcnow())

    @functools.cached_property
    def launch(self) -> LaunchService:
        """Starting a server on this machine (`run`), its secrets opened here."""
        from pylee_tui.team.remote_launch import launch_service

        return launch_service(self)

    @functools.cached_property
    def checks(self) -> CheckService:
        """Checking and calling servers started on this machine (results kept on the server)."""
        from pylee_tui.team.remote_launch import check_service

        return check_service(self)

    @functools.cached_property
    def export(self) -> RemoteExport:
        """MCP client configs written on this machine from the server's registries."""
        from pylee_tui.team.remote_export import RemoteExport

        return RemoteExport(self)

    @functools.cached_property
    def clients(self) -> RemoteClients:
        """The MCP clients' files on this machine (`clients scan`)."""
        from pylee_tui.team.remote_clients import RemoteClients

        return RemoteClients(self)

    @functools.cached_property
    def drift(self) -> RemoteDrift:
        """The files exported from this server: status and sync."""
        from pylee_tui.team.remote_clients import RemoteDrift

        return RemoteDrift(self)

    def whoami(self) -> str:
        """The email the server acts as for this token (asked once)."""
        if self._email is None:
            data = self.connection.request("GET", "/v1/whoami")
            self._email = str(data["email"]) if isinstance(data, dict) else ""
        return self._email

    def close(self) -> None:
        self.vault.lock()  # the member's and the orgs' private keys leave memory with it
        if "export" in self.__dict__:  # this machine's record of the files exports wrote
            self.export.close()
        self.connection.close()

    def __enter__(self) -> RemoteServices:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def health(url: str, *, verify: bool | str = True, timeout: float = 5.0) -> dict[str, Any]:
    """What `GET /v1/health` says (status, version): whether a server answers at `url`."""
    connection = Connection(url, verify=verify, timeout=timeout)
    try:
        data = connection.request("GET", "/v1/health")
    finally:
        connection.close()
    return data if isinstance(data, dict) else {}


def enrol(
    url: str,
    code: str,
    public_key: bytes,
    *,
    label: str = "",
    verify: bool | str = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> IssuedToken:
    """Trade an enrolment code and a public key for a token at the server at `url`."""
    connection = Connection(url, verify=verify, timeout=timeout)
    body = {"code": code, "public_key": base64.b64encode(public_key).decode(), "label": label}
    try:
        data = connection.request("POST", "/v1/enrol", body)
    finally:
        connection.close()
    try:
        return IssuedToken(
            email=str(data["email"]),
            token=str(data["token"]),
            token_id=int(data["token_id"]),
            expires_at=str(data["expires_at"]),
            replaced_key=bool(data.get("replaced_key", False)),
        )
    except (KeyError, TypeError, ValueError):
        raise PyleeError(f"the team server at {url} answered the enrolment oddly") from None
