"""The calls a team server answers, and how they travel.

`EXPOSED` names the service methods a remote client may call: each takes the acting user first
(`actor`), which never travels: the server acts as the email its token names. Everything else
about a call comes from the method itself: its parameters become a pydantic model (the request
body, documented in the server's OpenAPI), its return type a `TypeAdapter` that turns the
result into JSON and back into the same objects (models, dataclasses such as `Scope`, lists;
a stream travels as a list and an `EffectiveConfig` as what it is made of: see `wire`).

Errors travel as `{"error": {"kind": ..., "message": ...}}` with an HTTP status per kind; the
client raises the same PyleeError subclass with the server's message.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import inspect
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

from pylee_tui.services import errors
from pylee_tui.services.errors import InvalidInput, PyleeError
from pylee_tui.team.wire import materialise, wire_hint

# service attribute of `Services` -> the methods a team server answers, each taking `actor` first
EXPOSED: dict[str, tuple[str, ...]] = {
    "orgs": ("list_orgs", "get_org", "role", "contents", "create", "edit", "delete"),
    # what the app's org screen reads first: the acting member's permissions, onboarding
    "access": ("allowed",),
    "onboarding": ("state",),
    "search": ("search",),
    "registries": (
        "list_registries",
        "get_registry",
        "create",
        "edit",
        "contents",
        "delete",
        "list_servers",
        "server_pages",
        "drafts",
        "get_server",
        "add_server",
        "edit_server",
        "server_contents",
        "remove_server",
        "move_server",
        "import_servers",
        "export_servers",
    ),
    "members": (
        "list_members",
        "member_lines",
        "invite",
        "accept",
        "change_role",
        "grant",
        "revoke_grant",
        "removal",
        "remove",
    ),
    "audit": ("list_for_org", "list_by_actor", "stream_for_org", "stream_by_actor"),
    "approvals": (
        "requires_approval",
        "set_required",
        "list_requests",
        "open_count",
        "get_request",
        "can_decide",
        "approve",
        "reject",
    ),
    "server_versions": (
        "state",
        "document",
        "diff",
        "resolved",
        "resolved_one",
        "publish",
        "rollback",
        "pin",
        "unpin",
    ),
    "forks": ("fork", "upstreams", "badges", "fork_of"),
    "environments": ("clone", "missing_secrets", "missing_in_org", "diff"),
    "member_review": ("review",),
    "variables": (
        "list_keys",
        "get_key",
        "history",
        "changes",
        "registry_scopes",
        "user_overrides",
        "server_names",
        "deleted",
        "effective",
        "effective_for_servers",
        "set_key",
        "check_write",
        "unset",
        "rollback",
        "restore",
    ),
    "tokens": ("list_tokens", "revoke"),
    # the end-to-end vault: blobs sealed and opened on members' machines (team.vault_client)
    "team_vault": (
        "status",
        "readers",
        "seal_target",
        "check_reveal",
        "sealed",
        "check_effective",
        "sealed_effective",
        "my_wrap",
        "sealed_rows",
        "put_sealed",
        "init_key",
        "add_wraps",
        "rotate",
    ),
    "invitations": ("invite",),
    # `clients import` and `adopt`: the writes of a local store's, secrets sealed by the member
    "clients": ("check_writes", "import_targets", "import_sealed", "adopt_sealed"),
    # what a member's machine saw when it checked servers (never `check` itself: a team server
    # starts no server), and the last results read back (badges, tools, token counts)
    "checks": ("record", "last_results", "last_result"),
    # an export written on a member's machine, as its audit event (what, where; never a value)
    "export": ("record_event",),
}

# Methods that decrypt or encrypt a secret's value: they arrive with the end-to-end vault (the
# server must never hold a secret in the clear). A remote client refuses them before sending.
SECRET_METHODS: dict[str, tuple[str, ...]] = {
    "variables": ("reveal", "reveal_effective", "reveal_for_servers"),
}
# An argument value that would make an exposed method encrypt or decrypt: refused the same way.
# (`variables.effective` travels masked, as `wire` writes it: never with reveal=True.)
SECRET_ARGUMENTS: dict[tuple[str, str], tuple[str, object]] = {
    ("variables", "set_key"): ("kind", "secret"),
    ("variables", "effective"): ("reveal", True),
}
# Callback arguments that only spare local work (`stop`: a reader no longer wants the answer):
# a remote call leaves them behind, and the server's call runs to its end.
LOCAL_HINTS = frozenset({"stop"})
SECRETS_LATER = (
    "secrets against a team server arrive with the end-to-end vault; use a local store for now"
)

# what a status says, for each error kind; any other PyleeError is a 400
STATUS: dict[str, int] = {
    "Unauthenticated": 401,
    "IdentityRequired": 401,
    "PermissionDenied": 403,
    "NotFound": 404,
    "Conflict": 409,
    "InvalidInput": 422,
    "VaultLocked": 423,
    "WrongPassphrase": 423,
    "SecretUnreadable": 423,
    # not refused: the change waits for approval (the request travels with it)
    "ChangeRequested": 202,
}
# the kinds a client raises as their own class; any other kind is a plain PyleeError
_KINDS = (
    "Unauthenticated",
    "IdentityRequired",
    "PermissionDenied",
    "NotFound",
    "Conflict",
    "InvalidInput",
    "VaultLocked",
    "WrongPassphrase",
    "SecretUnreadable",
)


class _Arguments(BaseModel):
    """The base of every call's request body: unknown names are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class MethodSpec:
    """One callable method: where it is posted, its parameters and how its result travels."""

    service: str
    name: str
    signature: inspect.Signature  # the method's own, `actor` first (without self)
    remote: dict[str, TypeAdapter[Any]]  # the parameters that travel (never `actor`), by name
    arguments: type[BaseModel]  # the request body
    result_hint: Any
    result: TypeAdapter[Any]
    doc: str

    @property
    def path(self) -> str:
        return f"/v1/rpc/{self.service}/{self.name}"


# --- type hints of modules that import their types only for the type checker ----------------


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@functools.cache
def _namespace(module_name: str) -> dict[str, Any]:
    """The module's globals plus what its `if TYPE_CHECKING:` block imports (the services
    import their models there), so that `typing.get_type_hints` resolves every annotation."""
    module = sys.modules[module_name]
    namespace = dict(vars(module))
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):  # no source (frozen): the globals are all there is
        return namespace
    for node in tree.body:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                namespace.update(_imported(module, statement))
    return namespace


def _imported(module: ModuleType, statement: ast.stmt) -> dict[str, Any]:
    names: dict[str, Any] = {}
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            top = importlib.import_module(alias.name)
            if alias.asname:
                names[alias.asname] = top
            else:
                names[alias.name.split(".")[0]] = sys.modules[alias.name.split(".")[0]]
    elif isinstance(statement, ast.ImportFrom):
        base = statement.module or ""
        if statement.level:
            package = module.__package__ or ""
            base = importlib.util.resolve_name("." * statement.level + base, package)
        source = importlib.import_module(base)
        for alias in statement.names:
            value = getattr(source, alias.name, None)
            if value is None:
                value = importlib.import_module(f"{base}.{alias.name}")
            names[alias.asname or alias.name] = value
    return names


def hints(func: Callable[..., Any]) -> dict[str, Any]:
    """`typing.get_type_hints` of a function, its module's type-checking imports included."""
    # with extras: an `Annotated` parameter (Base64Bytes: bytes as base64) keeps its codec
    return typing.get_type_hints(func, globalns=_namespace(func.__module__), include_extras=True)


# --- the method table ---------------------------------------------------------------------


@functools.cache
def service_class(service: str) -> type:
    """The class `Services.<service>` makes (read from its return annotation: nothing opened)."""
    from pylee_tui.services import Services

    attribute = getattr(Services, service, None)
    if not isinstance(attribute, functools.cached_property):
        raise InvalidInput(f"there is no service {service!r}")
    cls = hints(attribute.func)["return"]
    assert isinstance(cls, type)
    return cls


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _travels(hint: Any) -> bool:
    """Whether a value of this type can be written as JSON (a callback cannot)."""
    try:
        TypeAdapter(hint).json_schema()
    except Exception:  # pydantic's errors for a type it cannot describe vary by type
        return False
    return True


@functools.cache
def spec(service: str, name: str) -> MethodSpec:
    """The exposed method `service.name`; InvalidInput for one a team server does not answer."""
    if name not in EXPOSED.get(service, ()):
        if name in SECRET_METHODS.get(service, ()):
            raise InvalidInput(SECRETS_LATER)
        raise InvalidInput(f"a team server does not answer {service}.{name}")
    func = getattr(service_class(service), name)
    signature = inspect.signature(func)
    parameters = list(signature.parameters.values())[1:]  # without self
    if not parameters or parameters[0].name != "actor":
        raise TypeError(f"{service}.{name} does not take the actor first")  # a bug in EXPOSED
    types = hints(func)
    fields: dict[str, Any] = {}
    adapters: dict[str, TypeAdapter[Any]] = {}
    for parameter in parameters[1:]:
        hint = types.get(parameter.name, Any)
        if not _travels(hint):
            if parameter.default is inspect.Parameter.empty:
                raise TypeError(f"{service}.{name}: {parameter.name} cannot travel as JSON")
            continue  # e.g. a callback: a remote call leaves it at its default
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[parameter.name] = (hint, default)
        adapters[parameter.name] = TypeAdapter(hint)
    arguments = create_model(
        f"{_camel(service)}{_camel(name)}Arguments", __base__=_Arguments, **fields
    )
    result_hint = wire_hint(types.get("return", Any))  # streams as lists, EffectiveConfig its way
    return MethodSpec(
        service=service,
        name=name,
        signature=signature.replace(parameters=parameters),
        remote=adapters,
        arguments=arguments,
        result_hint=result_hint,
        result=TypeAdapter(result_hint),
        doc=inspect.getdoc(func) or "",
    )


def specs() -> list[MethodSpec]:
    """Every exposed method, in the table's order."""
    return [spec(service, name) for service, names in EXPOSED.items() for name in names]


# --- arguments ------------------------------------------------------------------------------


def encode_arguments(method: MethodSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict:
    """A call's arguments (`actor` first, as the local method takes them) as the request body.
    The actor is dropped: the server acts as its token's email. Bad arguments are refused as
    the local method would refuse them (TypeError for a wrong call, InvalidInput for a value)."""
    bound = method.signature.bind(*args, **kwargs)
    refused = SECRET_ARGUMENTS.get((method.service, method.name))
    body: dict[str, Any] = {}
    for name, value in bound.arguments.items():
        if name == "actor":
            continue
        if refused is not None and refused == (name, value):
            raise InvalidInput(SECRETS_LATER)
        if name not in method.remote:
            if value is not None and name not in LOCAL_HINTS:
                raise InvalidInput(f"{name} cannot be sent to a team server")
            continue
        adapter = method.remote[name]
        try:
            body[name] = adapter.dump_python(value, mode="json", warnings="error")
        except Exception:  # pydantic's serialization errors: a value of the wrong type
            raise InvalidInput(f"{name}: not a value {method.name} takes") from None
    return body


def decode_arguments(method: MethodSpec, body: BaseModel) -> dict[str, Any]:
    """The keyword arguments a validated request body gives the method: only those the caller
    sent (the method's own defaults fill the rest). A secret's value is refused."""
    given = {name: getattr(body, name) for name in body.model_fields_set}
    refused = SECRET_ARGUMENTS.get((method.service, method.name))
    if refused is not None and refused[0] in given and given[refused[0]] == refused[1]:
        raise InvalidInput(SECRETS_LATER)
    return given


# --- results ------------------------------------------------------------------------------


def encode_result(method: MethodSpec, value: Any) -> Any:
    return method.result.dump_python(materialise(value), mode="json")


def decode_result(method: MethodSpec, data: Any) -> Any:
    try:
        return method.result.validate_python(data)
    except ValidationError as exc:
        raise PyleeError(
            f"the team server answered {method.service}.{method.name} with something this "
            f"version cannot read ({exc.error_count()} problem(s)): are both the same version?"
        ) from None


# --- errors ---------------------------------------------------------------------------------


def error_status(exc: PyleeError) -> int:
    return STATUS.get(type(exc).__name__, 400)


def encode_error(exc: PyleeError) -> dict[str, Any]:
    from pylee_tui.services.approvals import ChangeRequest, ChangeRequested

    error: dict[str, Any] = {"kind": _kind(exc), "message": str(exc)}
    if isinstance(exc, ChangeRequested):
        error["request"] = TypeAdapter(ChangeRequest).dump_python(exc.request, mode="json")
    return {"error": error}


def _kind(exc: PyleeError) -> str:
    """The error's own class name when a client knows it, else that of the nearest one it does
    (a `Changed(Conflict)` travels as Conflict)."""
    for cls in type(exc).__mro__:
        if cls.__name__ in _KINDS or cls.__name__ == "ChangeRequested":
            return cls.__name__
    return type(exc).__name__


def decode_error(status: int, body: Any) -> PyleeError:
    """The PyleeError a server's error answer stands for, with the server's message."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return PyleeError(f"the team server answered with an error ({status}) and no message")
    kind, message = error.get("kind"), _one_line(error["message"])
    if kind == "ChangeRequested" and "request" in error:
        from pylee_tui.services.approvals import ChangeRequest, ChangeRequested

        try:
            request = TypeAdapter(ChangeRequest).validate_python(error["request"])
        except ValidationError:
            return PyleeError(message)
        return ChangeRequested(request)
    if kind in _KINDS:
        cls = getattr(errors, str(kind), PyleeError)
        if isinstance(cls, type) and issubclass(cls, PyleeError):
            return cls(message)
    return PyleeError(message)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:2000]
