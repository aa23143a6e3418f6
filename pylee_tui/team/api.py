"""The team server's HTTP API: the services of one store, over HTTP, for the team's clients.

Every call is `POST /v1/rpc/{service}/{method}` with the method's keyword arguments as a JSON
object (its schema in `/v1/openapi.json`), answered `{"result": ...}`; the acting user is the
email the bearer token stands for, never an argument. A refusal is
`{"error": {"kind": ..., "message": ...}}` with the status `rpc.STATUS` gives its kind: the
same one-line message a local command prints. A bug is a 500 whose body says only that (the
server's log has the traceback); bad input never is one.

Unauthenticated: `GET /v1/health` and `POST /v1/enrol` (an enrolment code buys a token).
"""

# no `from __future__ import annotations`: FastAPI reads the endpoints' annotations, which name
# the dependencies made inside `create_app`
import base64
import binascii
import contextlib
import inspect
import logging
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, create_model
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pylee_tui import __version__
from pylee_tui.services.errors import InvalidInput, PyleeError, Unauthenticated
from pylee_tui.store import StoreError
from pylee_tui.team import rpc

if TYPE_CHECKING:
    from pylee_tui.services import Services

log = logging.getLogger("pylee_tui.team")

NO_TOKEN = (
    "this team server needs a token: run `pylee-tui join URL CODE` with the code from your "
    "invitation"
)
BUG = "the team server failed on this request (a bug: its log has the details)"
STORE_TROUBLE = "the team server cannot use its store just now (its log says why); try again later"
# the largest request body read (an import of thousands of servers fits): a bigger one is refused
# before it is read whole, token or not
MAX_BODY_BYTES = 32 * 1024 * 1024


class EnrolRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    public_key: str  # base64 of the 32 bytes of an X25519 public key
    label: str = ""


class EnrolAnswer(BaseModel):
    email: str
    token: str
    token_id: int
    expires_at: str
    replaced_key: bool


class Health(BaseModel):
    status: str
    version: str


class WhoAmI(BaseModel):
    email: str


class Changes(BaseModel):
    changes: int


class ErrorBody(BaseModel):
    kind: str
    message: str


class ErrorAnswer(BaseModel):
    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorAnswer, "description": description}
    for status, description in (
        (401, "no valid token"),
        (403, "the token's person may not do this"),
        (404, "not found, or not visible to the token's person"),
        (409, "collides with what is stored"),
        (422, "an argument broke its rule"),
    )
}


def error_response(exc: PyleeError) -> JSONResponse:
    return JSONResponse(rpc.encode_error(exc), status_code=rpc.error_status(exc))


def _plain_error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"kind": kind, "message": message}}, status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    """The first problem of a request body in one line: `name: Field required`."""
    problems = exc.errors()
    if not problems:
        return "the request body is not valid"
    first = problems[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    message = str(first.get("msg", "is not valid"))
    if first.get("type") == "json_invalid":
        return "the request body is not valid JSON"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}: {message}{more}" if where else f"{message}{more}"


class _TooLarge(Exception):
    """A body that went past MAX_BODY_BYTES while it was read (sent without a length)."""


class BodyLimit:
    """ASGI middleware: a request whose body passes `limit` bytes is answered 413, unread."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(scope, receive, send)
            return
        seen, exceeded = 0, False

        async def counted() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                exceeded = True
                raise _TooLarge
            return message

        async def unless_exceeded(message: Message) -> None:
            if not exceeded:  # else the app's answer to a body it could not read: replaced
                await send(message)

        with contextlib.suppress(_TooLarge):  # when the app lets it through unconverted
            await self.app(scope, counted, unless_exceeded)
        if exceeded:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"the request is larger than this team server takes ({self.limit:,} bytes)"
        await _plain_error(413, "TooLarge", message)(scope, receive, send)


def create_app(services: "Services", *, max_body: int = MAX_BODY_BYTES) -> FastAPI:
    """The API over `services` (one store; its lock serialises the worker threads' calls);
    a request body over `max_body` bytes is refused unread."""
    app = FastAPI(
        title="pylee-tui team server",
        version=__version__,
        description=__doc__,
        openapi_url="/v1/openapi.json",
        docs_url="/v1/docs",
        redoc_url=None,
    )
    app.add_middleware(BodyLimit, limit=max_body)
    bearer = HTTPBearer(auto_error=False, description="the token `pylee-tui join` saved")

    def acting_user(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> str:
        if credentials is None:
            raise Unauthenticated(NO_TOKEN)
        return services.tokens.authenticate(credentials.credentials)

    def bearer_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> str:
        """The token itself, checked once here (401 before the body is decoded) and again by
        the call under the store's hold, so a membership ended in between is seen."""
        if credentials is None:
            raise Unauthenticated(NO_TOKEN)
        services.tokens.authenticate(credentials.credentials)
        return credentials.credentials

    Actor = Annotated[str, Depends(acting_user)]

    @app.get("/v1/health", tags=["server"])
    def health() -> Health:
        """Whether the server answers (no token needed)."""
        return Health(status="ok", version=__version__)

    @app.get("/v1/whoami", tags=["server"], responses=ERROR_RESPONSES)
    def whoami(actor: Actor) -> WhoAmI:
        """The email the token acts as."""
        return WhoAmI(email=actor)

    @app.get("/v1/changes", tags=["server"], responses=ERROR_RESPONSES)
    def changes(actor: Actor) -> Changes:
        """A number that grows whenever the store changes (anyone's change, any org): a client
        polls it and reads again what it shows when it has moved. It tells nothing else."""
        return Changes(changes=services.audit.newest_change())

    @app.post("/v1/enrol", tags=["server"], responses=ERROR_RESPONSES)
    def enrol(body: EnrolRequest) -> EnrolAnswer:
        """Trade an enrolment code and your public key for a token (no token needed)."""
        try:
            public_key = base64.b64decode(body.public_key, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("public_key must be base64") from None
        issued = services.tokens.enrol(body.code, public_key, body.label)
        return EnrolAnswer(
            email=issued.email,
            token=issued.token,
            token_id=issued.token_id,
            expires_at=issued.expires_at,
            replaced_key=issued.replaced_key,
        )

    Token = Annotated[str, Depends(bearer_token)]
    for method in rpc.specs():
        _add_call(app, services, method, Token)

    @app.exception_handler(PyleeError)
    def refused(_request: Request, exc: PyleeError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(StoreError)
    @app.exception_handler(sqlite3.Error)
    def store_trouble(_request: Request, exc: Exception) -> JSONResponse:
        # the token check of /v1/whoami or /v1/enrol on a busy or damaged store: not a bug
        log.warning("store error outside a call: %s", type(exc).__name__)
        return _plain_error(503, "StoreError", STORE_TROUBLE)

    @app.exception_handler(RequestValidationError)
    def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _plain_error(422, "InvalidInput", _validation_message(exc))

    @app.exception_handler(HTTPException)
    def no_such(request: Request, exc: HTTPException) -> JSONResponse:
        message = (
            f"the team server has no {request.method} {request.url.path} "
            "(is it another version of pylee-tui?)"
            if exc.status_code in (404, 405)
            else str(exc.detail)
        )
        return _plain_error(exc.status_code, "HTTPError", message)

    return app


# Calls that run without holding the store for their whole length: an invitation mails its code
# after its transaction, and a slow mail server must not stop every other member's calls.
UNHELD = frozenset({("invitations", "invite")})


def _add_call(app: FastAPI, services: "Services", method: rpc.MethodSpec, token: Any) -> None:
    """`POST /v1/rpc/{service}/{method}`: the body validated by the method's arguments model.

    The call holds the store (`Store.hold`) from its token check to its last write: a rule one
    of its reads decides (approval required? still a member? still an admin?) cannot change
    under it through another member's call, whose own call waits its turn."""
    held = (method.service, method.name) not in UNHELD

    def call(body: BaseModel, token: str) -> JSONResponse:
        arguments = rpc.decode_arguments(method, body)
        bound: Callable[..., Any] = getattr(getattr(services, method.service), method.name)
        try:
            with services.store.hold() if held else contextlib.nullcontext():
                actor = services.tokens.authenticate(token)
                result = bound(actor, **arguments)
            return JSONResponse({"result": rpc.encode_result(method, result)})
        except PyleeError:
            raise
        except (StoreError, sqlite3.Error):
            log.exception("store error in %s.%s", method.service, method.name)
            return _plain_error(503, "StoreError", STORE_TROUBLE)
        except Exception:
            log.exception("bug in %s.%s", method.service, method.name)
            return _plain_error(500, "ServerError", BUG)

    # FastAPI reads the body's model and the dependency from the endpoint's signature
    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=method.arguments),
            inspect.Parameter("token", inspect.Parameter.KEYWORD_ONLY, annotation=token),
        ]
    )
    documented: dict[int | str, dict[str, Any]] = dict(ERROR_RESPONSES)
    try:
        result_model = create_model(
            f"{method.arguments.__name__.removesuffix('Arguments')}Result",
            result=(method.result_hint, ...),
        )
        documented[200] = {"model": result_model, "description": "the method's result"}
    except Exception:  # a result type pydantic cannot describe: documented without a schema
        documented[200] = {"description": 'the method\'s result, as `{"result": ...}`'}
    app.add_api_route(
        method.path,
        call,
        methods=["POST"],
        name=f"{method.service}.{method.name}",
        operation_id=f"{method.service}.{method.name}",
        summary=f"{method.service}.{method.name}",
        description=method.doc,
        tags=[method.service],
        response_model=None,
        responses=documented,
    )
