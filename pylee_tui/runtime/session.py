"""Talking to one MCP server a `Launch` describes: its transport opened (stdio, streamable HTTP
or SSE), a ClientSession over it, and what was seen on the way (the HTTP status, a line that was
not JSON-RPC, the stderr tail, the exit status), so a failure is told for what it is, with every
secret masked. `check` and `call` both talk to servers through here."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

import anyio

from pylee_tui.services.launch import Launch

# what a stdio server's stderr ends with: its exit status, written by the shell that waits on
# it (the SDK keeps its process to itself); a control character a server's text would not hold
EXIT_MARK = "\x01pylee-exit "
# runs the server, then reports how it ended; argv stays the launch's own (no value in it)
_WAIT_AND_TELL = '"$@"; s=$?; printf \'\\n\\001pylee-exit %d\\n\' "$s" >&2; exit "$s"'
STDERR_LINES = 8  # the last lines of a failed server's stderr a result keeps
LINE_WIDTH = 200  # characters of one quoted line


def quiet_sdk_loggers() -> None:
    """The SDK logs lines a server wrote verbatim (a secret among them) and, with no handler,
    Python prints them on stderr over a TUI: its loggers go nowhere."""
    for name in ("mcp", "httpx2", "httpcore2"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
        logger.propagate = False


@dataclass
class Seen:
    """What talking to a server showed besides its answers. Every text is masked."""

    launch: Launch
    http_status: int | None = None
    www_authenticate: str | None = None
    bad_output: str | None = None  # what the server sent that was not JSON-RPC
    errlog: IO[str] | None = None
    abort: anyio.CancelScope | None = None  # cancelled at the first line that is not JSON-RPC
    _tail: tuple[list[str], int | None] | None = field(default=None, repr=False)

    def note_response(self, status: int, www_authenticate: str | None) -> None:
        if status >= 400 and self.http_status is None:
            self.http_status = status
            self.www_authenticate = www_authenticate

    def note_bad_message(self, error: Exception) -> None:
        if self.bad_output is None:
            self.bad_output = describe_bad_output(error, self.launch)
        if self.abort is not None:
            self.abort.cancel()

    def stderr_tail(self) -> tuple[list[str], int | None]:
        """The last lines of the server's stderr (masked) and its exit status, once it ended."""
        if self._tail is None:
            self._tail = ([], None)
            if self.errlog is not None:
                self.errlog.seek(0)
                self._tail = read_tail(self.errlog.read(), self.launch)
        return self._tail


def read_tail(text: str, launch: Launch) -> tuple[list[str], int | None]:
    status: int | None = None
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith(EXIT_MARK):
            with contextlib.suppress(ValueError):
                status = int(line[len(EXIT_MARK) :])
            continue
        if line.strip():
            lines.append(clip(launch.mask(line)))
    return lines[-STDERR_LINES:], status


def clip(text: str, width: int = LINE_WIDTH) -> str:
    text = "".join(c if c.isprintable() else " " for c in text)
    return text if len(text) <= width else text[: width - 1] + "…"


def describe_bad_output(error: Exception, launch: Launch) -> str:
    """One line saying what the server sent instead of JSON-RPC (the SDK hands the parse error
    over; its text quotes the line)."""
    line: Any = None
    errors = getattr(error, "errors", None)
    if callable(errors):
        with contextlib.suppress(Exception):
            found = errors()
            line = found[0].get("input") if found else None
    if isinstance(line, bytes):
        line = line.decode("utf-8", "replace")
    if isinstance(line, str):
        return f"the server wrote a line that is not JSON-RPC: {clip(launch.mask(line), 120)!r}"
    return clip(launch.mask(f"the server sent something that is not JSON-RPC ({error})"), 160)


def leaves(error: BaseException) -> Iterable[BaseException]:
    """The exceptions inside (nested) exception groups, in order."""
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from leaves(inner)
    else:
        yield error


def stdio_argv(launch: Launch) -> list[str]:
    """The launch's argv run by a shell that tells its exit status on stderr (POSIX)."""
    if os.name == "posix" and os.path.exists("/bin/sh"):
        return ["/bin/sh", "-c", _WAIT_AND_TELL, "sh", *launch.argv]
    return list(launch.argv)


@contextlib.asynccontextmanager
async def open_session(launch: Launch, seen: Seen, timeout: float) -> AsyncIterator[Any]:
    """A ClientSession to the server, not yet initialized. The caller bounds the time; a line
    that is not JSON-RPC cancels `seen.abort`."""
    quiet_sdk_loggers()
    from mcp import ClientSession

    async def on_message(message: Any) -> None:
        if isinstance(message, Exception):
            seen.note_bad_message(message)

    async with (
        _transport(launch, seen, timeout) as (read, write),
        ClientSession(read, write, message_handler=on_message) as session,
    ):
        yield session


@contextlib.asynccontextmanager
async def _transport(launch: Launch, seen: Seen, timeout: float) -> AsyncIterator[Any]:
    if launch.kind == "stdio":
        from mcp import StdioServerParameters, stdio_client

        argv = stdio_argv(launch)
        params = StdioServerParameters(
            command=argv[0],
            args=argv[1:],
            env=launch.environment(),
            encoding_error_handler="replace",
        )
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errlog:
            seen.errlog = errlog
            try:
                async with stdio_client(params, errlog=errlog) as streams:
                    yield streams
            finally:
                seen.stderr_tail()  # read while the file is open: the process has ended
        return
    import httpx2

    async def on_response(response: httpx2.Response) -> None:
        seen.note_response(response.status_code, response.headers.get("www-authenticate"))

    hooks = {"response": [on_response]}
    if launch.transport == "sse":
        from mcp.client.sse import sse_client

        def client_factory(
            headers: dict[str, str] | None = None,
            timeout: httpx2.Timeout | None = None,
            auth: httpx2.Auth | None = None,
        ) -> httpx2.AsyncClient:
            return httpx2.AsyncClient(
                headers=headers,
                timeout=timeout,
                auth=auth,
                event_hooks=hooks,
                follow_redirects=True,
            )

        async with sse_client(
            launch.url,
            headers=dict(launch.headers),
            timeout=timeout,
            httpx_client_factory=client_factory,
        ) as streams:
            yield streams
        return
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(
        headers=dict(launch.headers),
        timeout=httpx2.Timeout(timeout),
        event_hooks=hooks,
        follow_redirects=True,
    )
    async with http, streamable_http_client(launch.url, http_client=http) as streams:
        yield streams[0], streams[1]
