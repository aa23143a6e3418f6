"""The client of a team server: `RemoteServices` stands where `Services` stands.

It has the attributes of `Services` that a team server answers (`rpc.EXPOSED`), each with the
same methods, arguments and return types, raising the same PyleeError subclasses with the
server's own one-line message. Every method still takes the acting user first, as locally, but
that argument is IGNORED: the server acts as the person its token names, whoever the caller
claims to be (`whoami` says who that is).

Methods that decrypt or encrypt a secret's value are refused before anything is sent: secrets
against a team server arrive with the end-to-end vault.
"""

from __future__ import annotations

import base64
import ipaddress
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx2

from pylee_tui import __version__
from pylee_tui.services.errors import InvalidInput, PyleeError
from pylee_tui.services.tokens import IssuedToken
from pylee_tui.team import rpc

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
        service = self._service

        def call(*args: Any, **kwargs: Any) -> Any:
            method = rpc.spec(service, name)  # InvalidInput for a method not offered
            body = rpc.encode_arguments(method, args, kwargs)
            data = self._connection.request("POST", method.path, body)
            if not isinstance(data, dict) or "result" not in data:
                raise PyleeError(f"the team server answered {service}.{name} without a result")
            return rpc.decode_result(method, data["result"])

        call.__name__ = name
        call.__doc__ = getattr(self._local, name).__doc__
        return call


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
    ):
        self.connection = Connection(
            url, token, verify=verify, timeout=timeout, transport=transport
        )
        self.url = self.connection.url
        self.orgs = RemoteService(self.connection, "orgs")
        self.registries = RemoteService(self.connection, "registries")
        self.members = RemoteService(self.connection, "members")
        self.audit = RemoteService(self.connection, "audit")
        self.approvals = RemoteService(self.connection, "approvals")
        self.server_versions = RemoteService(self.connection, "server_versions")
        self.forks = RemoteService(self.connection, "forks")
        self.environments = RemoteService(self.connection, "environments")
        self.member_review = RemoteService(self.connection, "member_review")
        self.variables = RemoteService(self.connection, "variables")
        self.tokens = RemoteService(self.connection, "tokens")

    def whoami(self) -> str:
        """The email the server acts as for this token."""
        data = self.connection.request("GET", "/v1/whoami")
        return str(data["email"]) if isinstance(data, dict) else ""

    def close(self) -> None:
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
