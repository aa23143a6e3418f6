"""Reading the JSON a person gives (a server.json file, stdin, a client's config): plain JSON
only, of a bounded size and depth, from a regular file, each refusal one line naming the input;
and the JSON paths (`$.packages[0].version`) every message about a document uses."""

from __future__ import annotations

import errno
import json
import math
import os
import stat
from typing import Any


def json_path(parts) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


MiB = 1024 * 1024
INPUT_MAX_BYTES = 16 * MiB  # the most one server.json file (or stdin) may hold
MAX_DEPTH = 64  # JSON nesting: a real server.json needs fewer than 10 levels
TOO_DEEP = f"nested too deeply (more than {MAX_DEPTH} levels)"


class JsonRefused(ValueError):
    """Text Python's json would read but that is not plain JSON data (NaN, duplicate keys)."""


class NoSuchFile(ValueError):
    """`read_text` found nothing at the path (a caller may treat that as "no file yet")."""


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:  # Python would keep the last silently; never drop data silently
            raise JsonRefused(f"the key {_short(key)!r} appears twice in one object")
        seen[key] = value
    return seen


class _NonFinite(float):
    """NaN, Infinity or a number too large for a float, kept with its text until it is reported
    at its JSON path (the parser's hooks do not know where they are)."""

    text: str


def _number(text: str) -> float:
    value = float(text)
    if math.isfinite(value):
        return value
    marker = _NonFinite(value)
    marker.text = text
    return marker


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (4300)
        raise JsonRefused(f"a number with {len(text):,} digits is too long") from None


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _non_finite_reason(value: float) -> str:
    text = getattr(value, "text", None)
    if text is None or text in ("NaN", "Infinity", "-Infinity"):
        name = text or ("NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity")
        return f"{name} is not a JSON number"
    infinity = "Infinity" if value > 0 else "-Infinity"
    return f"the number {_short(text, 40)} is out of range (it would be read as {infinity})"


def tree_fault(document: Any) -> tuple[str, str] | None:
    """The first (in document order) nesting deeper than MAX_DEPTH or non-finite number, as
    (JSON path, reason); None when there is neither. The walk stops at MAX_DEPTH + 1 levels, so
    any depth is safe to walk."""
    found = _first_fault(document, 1)
    if found is None:
        return None
    keys, reason = found
    return json_path(reversed(keys)), reason


def _first_fault(value: Any, depth: int) -> tuple[list[Any], str] | None:
    """(the keys from the fault up to `value`, reason), looking at `value` before its children."""
    if isinstance(value, dict):
        children: Any = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    elif isinstance(value, float) and not math.isfinite(value):
        return [], _non_finite_reason(value)
    else:
        return None
    if depth > MAX_DEPTH:
        return [], TOO_DEEP
    for key, child in children:
        if isinstance(child, dict | list | float):
            found = _first_fault(child, depth + 1)
            if found is not None:
                found[0].append(key)
                return found
    return None


def path_of(where: Any) -> str:
    """The JSON path of a (parent, key) chain, as walks build it."""
    parts = []
    while where is not None:
        where, key = where
        parts.append(key)
    return json_path(reversed(parts))


def loads_strict(text: str, source: str = "input") -> Any:
    """Plain JSON only: a leading BOM is allowed; duplicate keys, NaN, Infinity, numbers too large
    for a float and nesting deeper than MAX_DEPTH are not.

    Raises ValueError with one line naming `source` (and line/column for a syntax error, the JSON
    path for a number).
    """
    text = text.removeprefix("\ufeff")
    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_number,
            parse_float=_number,
            parse_int=_integer,
        )
    except json.JSONDecodeError as exc:
        raise ValueError(
            # json says "Invalid control character at": the position follows, said once
            f"{source} is not valid JSON: {exc.msg.removesuffix(' at')} at line {exc.lineno}, "
            f"column {exc.colno}"
        ) from None
    except JsonRefused as exc:
        raise ValueError(f"{source} is not valid JSON: {exc}") from None
    except RecursionError:
        raise ValueError(f"{source} is {TOO_DEEP}") from None
    fault = tree_fault(data)
    if fault is not None:
        path, reason = fault
        if reason == TOO_DEEP:
            raise ValueError(f"{source} is {reason}")
        raise ValueError(f"{source} is not valid JSON: at {path}, {reason}")
    return data


def _label(path: str) -> str:
    """A file name for a one-line message: quoted, and cut short when it is very long."""
    return repr(path) if len(path) <= 200 else repr(path[:120]) + f"… ({len(path):,} characters)"


def _size(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit % MiB == 0 else f"{limit:,} bytes"


_NOT_REGULAR = (
    (stat.S_ISDIR, "is a directory, not a file"),
    (stat.S_ISFIFO, "is a named pipe, not a file (to read from a pipe, give - for stdin)"),
    (stat.S_ISCHR, "is a device, not a file"),
    (stat.S_ISBLK, "is a device, not a file"),
    (stat.S_ISSOCK, "is a socket, not a file"),
)


def _refuse_unless_regular(mode: int, label: str) -> None:
    if stat.S_ISREG(mode):
        return
    for test, reason in _NOT_REGULAR:
        if test(mode):
            raise ValueError(f"{label} {reason}")
    raise ValueError(f"{label} is not a regular file")


def _read_at_most(read, size: int, label: str) -> bytes:
    """Up to `size` bytes from `read` (os.read on a descriptor or a stream's read), to its end."""
    data = bytearray()
    while len(data) < size:
        chunk = read(min(size - len(data), MiB))
        if chunk is None:  # a non-blocking stream with nothing ready: never wait, never guess
            raise ValueError(f"cannot read {label}: no data is ready")
        if not chunk:
            break
        data += chunk
    return bytes(data)


def _decode(data: bytes, label: str, limit: int) -> str:
    if len(data) > limit:
        raise ValueError(f"{label} is larger than the {_size(limit)} limit")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ValueError(
            f"{label} is not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, "
            f"column {column})"
        ) from None


_NO_STDIN: Any = object()


def read_text(path: str, limit: int = INPUT_MAX_BYTES, *, stdin: Any = _NO_STDIN) -> str:
    """A regular UTF-8 file's text, or ValueError with one line naming the file. With `stdin`
    given (the CLI's sys.stdin, which may be None), the path `-` reads that stream instead.

    Every file a person names is read here. Nothing waits and nothing reads without end: a
    directory, device, named pipe or socket is refused before any byte is read (stat first, so a
    device is never even opened, then fstat of what was opened, in case the path was swapped in
    between; the open is non-blocking, so a pipe with no writer cannot hang it), and a file larger
    than `limit` bytes is refused after reading at most `limit` + 1 of them.
    """
    if path == "-" and stdin is not _NO_STDIN:
        return read_stream(stdin, limit)
    label = _label(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise NoSuchFile(f"no such file: {label}") from None
    except ValueError:  # an embedded NUL
        raise ValueError(f"{label} is not a valid file name") from None
    except OSError as exc:
        raise _os_error(exc, path, label) from None
    _refuse_unless_regular(mode, label)
    flags = os.O_RDONLY
    for name in ("O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC"):
        flags |= getattr(os, name, 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise NoSuchFile(f"no such file: {label}") from None
    except OSError as exc:
        raise _os_error(exc, path, label) from None
    try:
        try:
            _refuse_unless_regular(os.fstat(fd).st_mode, label)
            os.set_blocking(fd, True)
            data = _read_at_most(lambda n: os.read(fd, n), limit + 1, label)
        except OSError as exc:
            raise _os_error(exc, path, label) from None
    finally:
        os.close(fd)
    return _decode(data, label, limit)


def _os_error(exc: OSError, path: str, label: str) -> ValueError:
    if exc.errno == errno.ENAMETOOLONG:
        return ValueError(f"the file name is too long ({len(path):,} characters): {label}")
    if exc.errno == errno.EISDIR:
        return ValueError(f"{label} is a directory, not a file")
    return ValueError(f"cannot read {label}: {exc.strerror or exc}")


def read_stream(stream: Any, limit: int = INPUT_MAX_BYTES, label: str = "stdin") -> str:
    """All of a stream (stdin) as UTF-8 text, at most `limit` bytes, or ValueError with one line:
    a missing or closed stream, a read error, too much, or bytes that are not UTF-8."""
    closed = f"{label} is closed, so there is nothing to read"
    if stream is None:
        raise ValueError(closed)
    try:
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            data = _read_at_most(buffer.read, limit + 1, label)
        else:  # a text stream without bytes underneath (tests)
            text = stream.read(limit + 1)
            data = text.encode("utf-8", "surrogatepass")
            if len(data) <= limit:
                return text
    except OSError as exc:
        raise ValueError(f"cannot read {label}: {exc.strerror or exc}") from None
    except ValueError as exc:
        if "closed file" in str(exc):
            raise ValueError(closed) from None
        raise
    return _decode(data, label, limit)


def read_entries(path: str) -> list[Any]:
    """The entries of a server.json file: one object or a list of them (either shape)."""
    data = loads_strict(read_text(path), repr(path))
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        return [data]
    raise ValueError(f"{path!r} must hold a server object or a list of them")
