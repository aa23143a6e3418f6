"""MCP `server.json`: validation against the official schema, legacy conversion, launch commands.

The rules for a server document live in the bundled official schema (data/server.schema.json,
2025-09-29) plus the few the schema states only in prose (no version ranges, no "latest"); this
module is their one home. Nothing here imports the UI.
"""

from __future__ import annotations

import copy
import errno
import json
import math
import os
import re
import stat
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlparse

from jsonschema import Draft7Validator

SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json"
KNOWN_REGISTRY_TYPES = ("npm", "pypi", "oci", "nuget", "mcpb")
TRANSPORTS = ("stdio", "streamable-http", "sse")
# what the schema's prose forbids: '^1.2.3', '~1.2.3', '>=1.2.3', '1.x', '1.*', and "latest"
_RANGE = re.compile(r"^\s*(?:[\^~<>=!]|.*(?:^|\.)(?:[xX*])(?:\.|$)|.*\s(?:-|\|\|)\s)")
_URI_FIELDS = {"websiteUrl", "url", "registryBaseUrl", "$schema"}


@dataclass(frozen=True)
class Problem:
    """One fault in a document: where (a JSON path such as `$.packages[0].version`) and why."""

    path: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@cache
def schema() -> dict[str, Any]:
    text = resources.files("pylee_tui").joinpath("data/server.schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _validator() -> Draft7Validator:
    return Draft7Validator(schema())


def _list(value: Any) -> list[Any]:
    """A list from a document that may be a draft: anything else there is treated as empty."""
    return value if isinstance(value, list) else []


def json_path(parts) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def is_version_range(version: str) -> bool:
    return version.strip().lower() == "latest" or bool(_RANGE.match(version))


def _schema_problems(document: Any) -> list[Problem]:
    problems = []
    for error in sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path)):
        path = json_path(error.absolute_path)
        if error.validator == "anyOf" and error.context:
            # e.g. a transport: say what the closest alternative wanted, not "is not valid"
            best = _closest_alternative(error)
            reason = _reason(best)
            path = json_path([*error.absolute_path, *best.relative_path])
        else:
            reason = _reason(error)
        problems.append(Problem(path, reason))
    return problems


def _closest_alternative(error):
    """The error to show for a failed anyOf. Its alternatives (transports, remotes, arguments) are
    told apart by `type`: only those whose `type` matches are considered; when none matches, the
    fault is the `type` itself, with every value the alternatives allow."""

    def wrong_type(e) -> bool:
        return e.validator == "enum" and list(e.relative_path) == ["type"]

    alternatives: dict[Any, list] = {}
    for e in error.context:
        alternatives.setdefault(e.relative_schema_path[0], []).append(e)
    mismatched = [errs for errs in alternatives.values() if any(map(wrong_type, errs))]
    candidates = [e for errs in alternatives.values() if errs not in mismatched for e in errs]
    if mismatched and not candidates:
        first = next(e for e in mismatched[0] if wrong_type(e))
        allowed = [
            v for errs in mismatched for e in errs if wrong_type(e) for v in e.validator_value
        ]
        return _AllowedTypes(first, allowed)
    return min(candidates or error.context, key=lambda e: (len(list(e.relative_path)), e.message))


class _AllowedTypes:
    """A `type` that none of an anyOf's alternatives takes, seen as one enum error."""

    validator = "enum"

    def __init__(self, error, allowed: list[Any]):
        self.relative_path = error.relative_path
        self.absolute_path = error.absolute_path
        self.instance = error.instance
        self.validator_value = allowed
        self.message = error.message


def _reason(error) -> str:
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"'{missing}' is required"
    if error.validator == "pattern" and error.absolute_path and error.absolute_path[-1] == "name":
        return "must be reverse-DNS namespace/name, e.g. io.github.user/weather"
    if error.validator == "minLength" and error.validator_value == 1:
        return "must not be empty"
    if error.validator == "maxLength":
        return f"must be at most {error.validator_value} characters (got {len(error.instance)})"
    if error.validator == "not":
        return f"{error.instance!r} is not allowed here"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field")
    return error.message


def _walk_uris(node: Any, parts: list) -> list[Problem]:
    problems = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _URI_FIELDS and isinstance(value, str) and value:
                parsed = urlparse(value)
                if not parsed.scheme or not (parsed.netloc or parsed.scheme == "file"):
                    problems.append(Problem(json_path([*parts, key]), f"{value!r} is not a URL"))
            problems.extend(_walk_uris(value, [*parts, key]))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            problems.extend(_walk_uris(value, [*parts, i]))
    return problems


def validate(document: Any) -> list[Problem]:
    """Every fault of a current-shape document; an empty list means it is valid."""
    if not isinstance(document, dict):
        return [Problem("$", "a server must be a JSON object")]
    fault = _tree_fault(document)  # e.g. from json.loads, which takes NaN and any depth
    if fault is not None:
        return [Problem(*fault)]  # the other checks recurse: this one first, and alone
    problems = _schema_problems(document)
    seen = {p.path for p in problems}

    def add(path: str, reason: str) -> None:
        if path not in seen:
            seen.add(path)
            problems.append(Problem(path, reason))

    version = document.get("version")
    if isinstance(version, str):
        if not version.strip():
            add("$.version", "must not be empty")
        elif is_version_range(version):
            add("$.version", f"{version!r} is a range or 'latest'; give one exact version")
    for i, package in enumerate(_list(document.get("packages"))):
        if not isinstance(package, dict):
            continue
        pv = package.get("version")
        if isinstance(pv, str) and pv.strip() and is_version_range(pv):
            add(
                f"$.packages[{i}].version", f"{pv!r} is a range or 'latest'; give one exact version"
            )
        rt = package.get("registryType")
        if isinstance(rt, str) and rt not in KNOWN_REGISTRY_TYPES:
            add(
                f"$.packages[{i}].registryType",
                f"registry type {rt!r} cannot be launched; use one of "
                + ", ".join(KNOWN_REGISTRY_TYPES),
            )
    if not document.get("packages") and not document.get("remotes"):
        add("$", "a server needs at least one package or remote")
    problems.extend(p for p in _walk_uris(document, []) if p.path not in seen)
    return problems


# --- the legacy (2025-07, snake_case) shape --------------------------------------------------

_LEGACY_KEYS = {"version_detail", "registry_name", "environment_variables", "package_arguments"}


def is_legacy(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    if "version_detail" in entry:
        return True
    for package in _list(entry.get("packages")):
        if isinstance(package, dict) and _LEGACY_KEYS & set(package):
            return True
    return any(isinstance(r, dict) and "transport_type" in r for r in _list(entry.get("remotes")))


def _convert_input(item: dict[str, Any]) -> dict[str, Any]:
    mapping = {
        "is_required": "isRequired",
        "is_secret": "isSecret",
        "is_repeated": "isRepeated",
        "value_hint": "valueHint",
    }
    out: dict[str, Any] = {}
    for key, value in item.items():
        if key == "variables" and isinstance(value, dict):
            out[key] = {
                k: _convert_input(v) if isinstance(v, dict) else v for k, v in value.items()
            }
        else:
            out[mapping.get(key, key)] = value
    return out


def legacy_to_current(entry: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Convert a legacy entry to the current shape. Returns the document and what was converted.

    Nothing is invented: a value the current shape cannot express (an 'unknown' registry, an empty
    version, an empty remote transport) is carried over as it is, and `validate` reports it.
    """
    entry = copy.deepcopy(entry)
    notes: list[str] = []
    doc: dict[str, Any] = {"$schema": SCHEMA_URL}
    for key in ("name", "description", "repository", "websiteUrl"):
        if key in entry:
            doc[key] = entry[key]
    if "website_url" in entry:
        doc["websiteUrl"] = entry["website_url"]
    detail = entry.get("version_detail") or {}
    if "version" in entry:
        doc["version"] = entry["version"]
    elif isinstance(detail, dict) and "version" in detail:
        doc["version"] = detail["version"]
        notes.append("version_detail.version → version")
    for key in ("packages", "remotes"):  # not a list: carried over as given, for validate
        if entry.get(key) is not None and not isinstance(entry[key], list):
            doc[key] = entry[key]
    packages = []
    for package in _list(entry.get("packages")):
        if not isinstance(package, dict):
            packages.append(package)
            continue
        new: dict[str, Any] = {}
        registry = package.get("registry_name", package.get("registryType"))
        if registry == "docker":
            registry = "oci"
            notes.append("registry docker → oci")
        if registry is not None:
            new["registryType"] = registry
        identifier = package.get("name", package.get("identifier"))
        if identifier is not None:
            new["identifier"] = identifier
        if "version" in package:
            new["version"] = package["version"]
        if "runtime_hint" in package:
            new["runtimeHint"] = package["runtime_hint"]
        # legacy packages ran locally over stdio: the only transport that shape could describe
        new["transport"] = package.get("transport") or {"type": "stdio"}
        for old, current in (
            ("runtime_arguments", "runtimeArguments"),
            ("package_arguments", "packageArguments"),
            ("environment_variables", "environmentVariables"),
        ):
            if old in package and package[old] is not None:
                new[current] = [
                    _convert_input(i) if isinstance(i, dict) else i for i in _list(package[old])
                ] or package[old]
        for key, value in package.items():
            if key not in {
                "registry_name",
                "name",
                "version",
                "runtime_hint",
                "runtime_arguments",
                "package_arguments",
                "environment_variables",
            }:
                new.setdefault(key, value)
        packages.append(new)
    if packages:
        doc["packages"] = packages
    remotes = []
    for remote in _list(entry.get("remotes")):
        if not isinstance(remote, dict):
            remotes.append(remote)
            continue
        new = {"type": remote.get("transport_type", remote.get("type")), "url": remote.get("url")}
        if "headers" in remote:
            new["headers"] = [
                _convert_input(h) if isinstance(h, dict) else h for h in _list(remote["headers"])
            ] or remote["headers"]
        remotes.append(new)
    if remotes:
        doc["remotes"] = remotes
    notes.append("legacy shape converted to 2025-09-29")
    return doc, notes


def to_current(entry: Any) -> tuple[Any, list[str]]:
    """Either shape in, the current shape out (with the conversion notes)."""
    if is_legacy(entry):
        return legacy_to_current(entry)
    return entry, []


# --- how a client would launch it ------------------------------------------------------------
# One rule for the launch line the app and `server show` print and for the command every export
# writes: `package_argv` builds the argv, `launch_command` joins it for display.

LAUNCHABLE = ("npm", "pypi", "oci", "nuget")  # registry types whose packages a client can start


def argument_tokens(args: Any) -> list[str]:
    """A server.json argument list as argv tokens.

    The schema describes a named argument as "a command-line `--flag {value}`": the flag and its
    value are two tokens, which every argument parser reads (not all read `--flag=value`). A
    value equal to the name is written once: legacy entries hold the whole `--flag value` in
    both. A positional argument without a value shows its hint, `<hint>`."""
    tokens: list[str] = []
    for arg in dicts(args):
        value = arg.get("value", arg.get("default"))
        if arg.get("type") == "named":
            name = arg.get("name")
            if not isinstance(name, str) or not name:
                continue
            tokens.append(name)
            if value not in (None, "") and value != name:
                tokens.append(str(value))
        elif value not in (None, ""):
            tokens.append(str(value))
        elif arg.get("valueHint"):
            tokens.append(f"<{arg['valueHint']}>")
    return tokens


def declared_env_names(package: dict[str, Any]) -> list[str]:
    """The environment variable names a package declares, each once, in order."""
    names = [v.get("name") for v in dicts(package.get("environmentVariables"))]
    return list(dict.fromkeys(n for n in names if isinstance(n, str) and n))


def package_argv(package: dict[str, Any], env_names: list[str]) -> list[str]:
    """The command and arguments that start a package; `env_names` are passed into a container
    (`docker run -e NAME`). ValueError for a registry type no client can start."""
    registry = package.get("registryType")
    ident = str(package.get("identifier", "") or "")
    version = str(package.get("version", "") or "")
    runtime = argument_tokens(package.get("runtimeArguments"))
    rest = argument_tokens(package.get("packageArguments"))
    if registry == "npm":
        return ["npx", "-y", *runtime, f"{ident}@{version}" if version else ident, *rest]
    if registry == "pypi":
        return ["uvx", *runtime, f"{ident}=={version}" if version else ident, *rest]
    if registry == "oci":
        env = [token for name in env_names for token in ("-e", name)]
        image = f"{ident}:{version}" if version else ident
        return ["docker", "run", "-i", "--rm", *runtime, *env, image, *rest]
    if registry == "nuget":
        return ["dnx", *runtime, f"{ident}@{version}" if version else ident, "--yes", *rest]
    raise ValueError(f"cannot launch a package from registry type {registry!r}")


def launch_target(document: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """What a client launches, as (package, None) or (None, remote): the first package of a
    registry type a client can start, else the first remote with a URL; (None, None) if none."""
    for package in dicts(document.get("packages")):
        if package.get("registryType") in LAUNCHABLE:
            return package, None
    for remote in dicts(document.get("remotes")):
        if remote.get("url"):
            return None, remote
    return None, None


def launch_command(document: dict[str, Any]) -> str:
    """The command line (or URL) a client would use for the server: what an export writes."""
    package, remote = launch_target(document)
    if package is not None:
        return " ".join(package_argv(package, declared_env_names(package)))
    if remote is not None:
        return f"{remote.get('type') or 'remote'} {remote['url']}"
    return ""


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


def _tree_fault(document: Any) -> tuple[str, str] | None:
    """The first (in document order) nesting deeper than MAX_DEPTH or non-finite number, as
    (JSON path, reason); None when there is neither. Iterative: any depth is safe to walk."""
    stack: list[tuple[Any, Any, int]] = [(document, None, 1)]  # value, (parent, key), depth
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return _where(where), _non_finite_reason(value)
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                return _where(where), TOO_DEEP
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((child, (where, key), depth + 1) for key, child in reversed(list(items)))
    return None


def _where(where: Any) -> str:
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
    fault = _tree_fault(data)
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


def dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a list in a document that may be a draft (so anything may be anywhere)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def declared_inputs(document: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    """The environment variables and headers a server declares, each with where it comes from."""

    def row(item: dict[str, Any], source: str) -> dict[str, Any]:
        default = item.get("default")
        return {
            "name": item.get("name"),
            "description": item.get("description"),
            "required": item.get("isRequired") is True,
            "secret": item.get("isSecret") is True,
            "default": default,
            "source": source,
        }

    env, headers = [], []
    for package in dicts(document.get("packages")):
        source = str(package.get("identifier") or package.get("registryType") or "package")
        env += [row(v, source) for v in dicts(package.get("environmentVariables"))]
        transport = package.get("transport")
        if isinstance(transport, dict):
            headers += [row(h, source) for h in dicts(transport.get("headers"))]
    for remote in dicts(document.get("remotes")):
        source = str(remote.get("url") or "remote")
        headers += [row(h, source) for h in dicts(remote.get("headers"))]
    return env, headers
