"""MCP `server.json`: validation against the official schema, legacy conversion, launch commands.

The rules for a server document live in the bundled official schema (data/server.schema.json,
2025-09-29) plus the few the schema states only in prose (no version ranges, no "latest"); this
module is their one home. Nothing here imports the UI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlparse

from jsonschema import Draft7Validator, validators

# reading JSON a person gives lives beside this module; its names are this module's too
from pylee_tui.server_json.reading import INPUT_MAX_BYTES as INPUT_MAX_BYTES
from pylee_tui.server_json.reading import MAX_DEPTH as MAX_DEPTH
from pylee_tui.server_json.reading import TOO_DEEP as TOO_DEEP
from pylee_tui.server_json.reading import JsonRefused as JsonRefused
from pylee_tui.server_json.reading import MiB as MiB
from pylee_tui.server_json.reading import NoSuchFile as NoSuchFile
from pylee_tui.server_json.reading import json_path as json_path
from pylee_tui.server_json.reading import loads_strict as loads_strict
from pylee_tui.server_json.reading import path_of, tree_fault
from pylee_tui.server_json.reading import read_entries as read_entries
from pylee_tui.server_json.reading import read_stream as read_stream
from pylee_tui.server_json.reading import read_text as read_text

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
def _fast_check(ref: str = "#") -> Callable[[Any], bool]:
    """The schema (or the part a local `$ref` such as '#/definitions/Package' names) compiled
    once by fastjsonschema into Python functions: the fast "is this valid?" that an import of
    thousands of entries asks (jsonschema walks the schema for each). fastjsonschema is imported
    here, on the first document validated, not by every command.

    It only ever answers "valid": when it says "not valid", jsonschema decides and says why. So a
    document it rejects and jsonschema takes (fastjsonschema reads `$` as the very end of a
    string) is still valid; and it calls valid only what jsonschema takes, for the documents and
    keywords of this schema (tests/services/test_schema_fast_check.py).
    """
    definition = _copied(schema())  # a copy: compiling rewrites its `$ref`s in place
    if ref != "#":
        definition["$ref"] = ref  # the root is a `$ref`: this one, with the same definitions
    return _compile(definition)


def _compile(definition: Any) -> Callable[[Any], bool]:
    """fastjsonschema's check of a (draft 7) schema, as True/False. `format` is an annotation
    (as to jsonschema without a format checker) and a `default` is never written into a
    document."""
    import fastjsonschema  # ~7 ms, paid by the first validation only, not by every command

    check = fastjsonschema.compile(definition, use_formats=False, use_default=False)
    invalid = fastjsonschema.JsonSchemaValueException

    def is_valid(document: Any) -> bool:
        try:
            check(document)
        except invalid:
            return False
        return True

    return is_valid


@cache
def _validator() -> Draft7Validator:
    """jsonschema, which says why a document is not valid (no format checker: `format` is an
    annotation). It skips every `$ref` the part of the document there passes: jsonschema would
    find nothing wrong in it. Same errors, same order; a draft is explained ~4x faster."""
    follow = Draft7Validator.VALIDATORS["$ref"]
    root = schema().get("$ref")  # the root is only this `$ref`: its check is the whole one's

    def ref(validator: Any, value: Any, instance: Any, node: Any) -> Any:
        local = isinstance(value, str) and value.startswith("#/")
        if local and _fast_check("#" if value == root else value)(instance):
            return
        yield from follow(validator, value, instance, node)

    explaining = validators.extend(Draft7Validator, {"$ref": ref})
    return explaining(schema())


def _list(value: Any) -> list[Any]:
    """A list from a document that may be a draft: anything else there is treated as empty."""
    return value if isinstance(value, list) else []


def is_version_range(version: str) -> bool:
    return version.strip().lower() == "latest" or bool(_RANGE.match(version))


def _schema_problems(document: Any) -> list[Problem]:
    if _fast_check()(document):  # the common question, fast
        return []
    errors = _validator().iter_errors(document)  # why: jsonschema's words, and its verdict
    problems = []
    for error in sorted(errors, key=lambda e: list(e.absolute_path)):
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


def _walk_uris(document: Any) -> list[Problem]:
    """A problem for every URL field that is not a URL, in document order. The path of each
    node is a (parent, key) chain, spelled out only for a problem."""
    problems: list[Problem] = []

    def walk(node: Any, where: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _URI_FIELDS and isinstance(value, str) and value:
                    parsed = urlparse(value)
                    if not parsed.scheme or not (parsed.netloc or parsed.scheme == "file"):
                        problems.append(Problem(path_of((where, key)), f"{value!r} is not a URL"))
                if isinstance(value, dict | list):
                    walk(value, (where, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, dict | list):
                    walk(value, (where, i))

    walk(document, None)  # deep documents were refused before (_tree_fault)
    return problems


def validate(document: Any) -> list[Problem]:
    """Every fault of a current-shape document; an empty list means it is valid."""
    if not isinstance(document, dict):
        return [Problem("$", "a server must be a JSON object")]
    fault = tree_fault(document)  # e.g. from json.loads, which takes NaN and any depth
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
    problems.extend(p for p in _walk_uris(document) if p.path not in seen)
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


def _copied(value: Any) -> Any:
    """A copy of JSON data, nothing shared (copy.deepcopy's result, several times faster)."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value  # str, int, float, bool, None: immutable


def legacy_to_current(entry: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Convert a legacy entry to the current shape. Returns the document and what was converted.

    Nothing is invented: a value the current shape cannot express (an 'unknown' registry, an empty
    version, an empty remote transport) is carried over as it is, and `validate` reports it.
    """
    entry = _copied(entry)
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
