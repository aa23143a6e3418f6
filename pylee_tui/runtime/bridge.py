"""A stdio MCP server that forwards every JSON-RPC message to a remote one and back: how
`pylee-tui run` gives a stdio-only client a remote server (streamable HTTP or SSE) with its
headers resolved from the vault, so no token sits in the client's config.

The messages pass through unchanged (the SDK's transports frame them); only what the wire
needs is added on the way up (the per-message HTTP headers a modern client's session would
send) and the remote's transport metadata is dropped on the way down. Nothing but the
protocol reaches stdout: every message for a person is one line on stderr, secrets masked."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TextIO

import anyio
import httpx2
import mcp_types as types
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.stdio import stdio_server
from mcp.shared.inbound import (
    MCP_METHOD_HEADER,
    MCP_NAME_HEADER,
    MCP_PROTOCOL_VERSION_HEADER,
    NAME_BEARING_METHODS,
    encode_header_value,
)
from mcp.shared.message import ClientMessageMetadata, SessionMessage

from pylee_tui.services.launch import Launch

if TYPE_CHECKING:  # the SDK's own names for a transport's two ends
    from mcp.shared._stream_protocols import ReadStream, WriteStream

    Incoming = ReadStream[SessionMessage | Exception]
    Outgoing = WriteStream[SessionMessage]

PREFIX = "pylee-tui run"
NEEDS_AUTH = 77  # the remote refused our credentials (EX_NOPERM, as a locked vault)
FAILED = 1
# what a request gets from us when the remote cannot answer it
NEEDS_AUTH_CODE = -32001
UNREACHABLE_CODE = types.CONNECTION_CLOSED


def silence_sdk_logging() -> None:
    """The SDK logs whole messages and lines it could not parse (a secret among them) through
    `logging`; with no handler Python prints them on stderr. The bridge says what matters."""
    for name in ("mcp", "httpx2", "httpcore2"):
        logger = logging.getLogger(name)
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


class Bridge:
    """One client's session with one remote. `run()` returns the exit status: 0 when the
    client hung up after a working session, NEEDS_AUTH after a 401, FAILED when the remote
    could not be reached or dropped the session."""

    def __init__(self, launch: Launch, err: TextIO) -> None:
        self.launch = launch
        self.err = err
        self.status = 0
        self.problem: str | None = None  # why requests are refused, once the remote failed
        self.pending: set[types.RequestId] = set()  # requests sent up, not yet answered
        self.initialize_ids: set[types.RequestId] = set()
        self.protocol_version: str | None = None  # from the initialize answer (legacy wire)

    # --- lines for a person --------------------------------------------------------------

    def say(self, text: str) -> None:
        self.err.write(f"{PREFIX}: {' '.join(self.launch.mask(text).split())}\n")
        self.err.flush()

    def fail(self, status: int, problem: str) -> None:
        """The first failure is the one said and the one the exit status reports."""
        if self.problem is None:
            self.status, self.problem = status, problem
            self.say(problem)

    def needs_auth(self) -> None:
        self.fail(
            NEEDS_AUTH,
            f"needs-auth: {self.launch.server} at {self.launch.url} answered HTTP 401 "
            f"Unauthorized: check the secret its headers use "
            f"({', '.join(self.launch.secret_keys) or 'none is set'})",
        )

    async def on_response(self, response: httpx2.Response) -> None:
        if response.status_code == 401:
            self.needs_auth()

    # --- the two directions --------------------------------------------------------------

    def stamp(self, message: types.JSONRPCMessage) -> SessionMessage:
        """The message for the HTTP transport, with the headers a client session would have
        set: the protocol version once known, and for a modern (2026) request its method and
        the name it acts on, which the server checks against the body."""
        if not isinstance(message, types.JSONRPCRequest | types.JSONRPCNotification):
            return SessionMessage(message)
        params: dict[str, Any] = message.params or {}
        meta = params.get("_meta") or {}
        modern = meta.get(types.PROTOCOL_VERSION_META_KEY) if isinstance(meta, dict) else None
        headers: dict[str, str] = {}
        version = modern or self.protocol_version
        if version:
            headers[MCP_PROTOCOL_VERSION_HEADER] = str(version)
        if modern:
            headers[MCP_METHOD_HEADER] = message.method
            name_key = NAME_BEARING_METHODS.get(message.method)
            if name_key and isinstance(params.get(name_key), str):
                headers[MCP_NAME_HEADER] = encode_header_value(params[name_key])
        return SessionMessage(message, metadata=ClientMessageMetadata(headers=headers or None))

    def refusal(self, request_id: types.RequestId) -> SessionMessage:
        code = NEEDS_AUTH_CODE if self.status == NEEDS_AUTH else UNREACHABLE_CODE
        error = types.ErrorData(code=code, message=self.problem or "the remote server is gone")
        return SessionMessage(types.JSONRPCError(jsonrpc="2.0", id=request_id, error=error))

    def down(self, message: types.JSONRPCMessage) -> types.JSONRPCMessage:
        """A message from the remote, as the client gets it: an error the transport made up
        for a 401 says needs-auth instead of "Server returned an error response"."""
        if isinstance(message, types.JSONRPCResponse | types.JSONRPCError):
            self.pending.discard(message.id)
        if isinstance(message, types.JSONRPCResponse) and message.id in self.initialize_ids:
            version = message.result.get("protocolVersion")
            self.protocol_version = version if isinstance(version, str) else None
        if (
            isinstance(message, types.JSONRPCError)
            and self.status == NEEDS_AUTH
            and message.error.code == types.INTERNAL_ERROR
        ):
            error = types.ErrorData(code=NEEDS_AUTH_CODE, message=self.problem or "needs-auth")
            return types.JSONRPCError(jsonrpc="2.0", id=message.id, error=error)
        return message

    async def pump_up(
        self,
        local_read: Incoming,
        local_write: Outgoing,
        remote_write: Outgoing | None,
    ) -> None:
        async for item in local_read:
            if isinstance(item, Exception):  # a line that is not JSON-RPC: the SDK answers none
                self.say("the client sent a line that is not JSON-RPC; it was skipped")
                continue
            message = item.message
            if isinstance(message, types.JSONRPCRequest):
                if self.problem is not None or remote_write is None:  # answer here: no remote
                    await local_write.send(self.refusal(message.id))
                    continue
                self.pending.add(message.id)
                if message.method == "initialize":
                    self.initialize_ids.add(message.id)
            if self.problem is None and remote_write is not None:
                await remote_write.send(self.stamp(message))

    async def pump_down(
        self,
        remote_read: Incoming,
        local_write: Outgoing,
    ) -> None:
        async for item in remote_read:
            if isinstance(item, Exception):
                if isinstance(item, httpx2.HTTPStatusError) and item.response.status_code == 401:
                    self.needs_auth()
                else:
                    self.fail(FAILED, f"{self.launch.server}: the remote failed: {describe(item)}")
                await self.refuse_pending(local_write)
                continue
            await local_write.send(SessionMessage(self.down(item.message)))
        if self.problem is None:
            self.fail(FAILED, f"{self.launch.server}: the remote closed the session")
        await self.refuse_pending(local_write)

    async def refuse_pending(self, local_write: Outgoing) -> None:
        if self.problem is None:
            return
        for request_id in sorted(self.pending, key=str):
            await local_write.send(self.refusal(request_id))
        self.pending.clear()

    # --- the session ---------------------------------------------------------------------

    @asynccontextmanager
    async def remote(
        self,
    ) -> AsyncIterator[tuple[Incoming, Outgoing]]:
        headers = dict(self.launch.headers)
        if self.launch.transport == "sse":
            async with sse_client(self.launch.url, headers=headers) as streams:
                yield streams
            return
        async with (
            httpx2.AsyncClient(
                headers=headers,
                timeout=httpx2.Timeout(30.0, read=300.0),
                event_hooks={"response": [self.on_response]},
            ) as http,
            streamable_http_client(self.launch.url, http_client=http) as streams,
        ):
            yield streams

    async def serve(self) -> int:
        async with stdio_server() as (local_read, local_write):
            try:
                async with (
                    self.remote() as (remote_read, remote_write),
                    anyio.create_task_group() as tasks,
                ):

                    async def up() -> None:
                        await self.pump_up(local_read, local_write, remote_write)
                        tasks.cancel_scope.cancel()  # the client hung up: we are done

                    tasks.start_soon(up)
                    tasks.start_soon(self.pump_down, remote_read, local_write)
            except Exception as exc:  # connecting failed (or the transport did, later)
                self.remote_failed(exc)
                await self.refuse_pending(local_write)
                # the client still waits for answers: refuse each request until it hangs up
                await self.pump_up(local_read, local_write, None)
            # stdio_server's stdout writer ends only when its stream is closed (else the
            # bridge hangs until a signal)
            await local_write.aclose()
        return self.status

    def remote_failed(self, exc: BaseException) -> None:
        for leaf in leaves(exc):
            if isinstance(leaf, httpx2.HTTPStatusError) and leaf.response.status_code == 401:
                self.needs_auth()
                return
        first = next(iter(leaves(exc)), exc)
        self.fail(
            FAILED,
            f"{self.launch.server}: cannot reach {self.launch.url}: {describe(first)}",
        )


def leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, or the exception itself."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


def describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def run_bridge(launch: Launch, err: TextIO) -> int:
    """Serve the client on our stdio until it hangs up; the exit status."""
    silence_sdk_logging()
    bridge = Bridge(launch, err)
    return anyio.run(bridge.serve)
