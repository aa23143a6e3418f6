"""Import: one client entry as a server.json, its variables, its secrets and its references.

Rules (README "Importing a client's servers"):
- `npx [-y|--yes] [opts] pkg@ver args…` → an npm package; `uvx [opts] pkg==ver args…` (or
  `uvx --from pkg==ver cmd args…`) → a PyPI package; `docker run [opts] image:tag args…` → an
  OCI package (`-i`, `--rm` and `-e NAME` are what an export writes again; `-e NAME=value` is an
  environment value; other options are kept as runtime arguments); a URL → a remote
  (streamable-http or sse as the entry says); anything else → a draft holding the command.
- the arguments after the package are its packageArguments (`--flag value` named, the rest
  positional), so an export starts the same command; options before it are runtimeArguments.
- a package without a version (or with a range) is kept, as a draft: a server needs one exact
  version before it can be exported.
- environment values and headers: a value in the client's reference syntax stores no value
  (the key is declared, and listed as a reference); a name holding TOKEN, KEY, SECRET,
  PASSWORD or AUTH (any case), or one the user marks, is a secret; any other value a variable.
  Every key is declared in the server.json, so an export writes it again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from pylee_tui.fields import VARIABLE_KEY_PATTERN
from pylee_tui.server_json import SCHEMA_URL, validate
from pylee_tui.services.clients.model import FoundEntry, ImportItem
from pylee_tui.services.clients.secret_names import (
    HEADER_FLAGS,
    looks_secret,
    secret_flag,
    secret_header,
    url_secrets,
)
from pylee_tui.services.export.clients.base import ClientEntry, ClientFormat
from pylee_tui.services.export.clients.claude import bridged_remote, unwrap_shell
from pylee_tui.services.export.names import base_entry_name, env_key_for
from pylee_tui.services.resolver import REFERENCE

DRAFT_META = "io.github.pylee-tui/imported-command"
NO_VERSION = "0.0.0"  # a server's own version when the entry gives none (a remote, a draft)
_DOCKER_FLAGS_DROPPED = {"-i", "--interactive", "--rm", "-i=true", "--interactive=true"}
# docker run options that take the next token as their value
_DOCKER_VALUED = {
    "-v", "--volume", "-p", "--publish", "--name", "--network", "--net", "--mount", "-w",
    "--workdir", "-u", "--user", "--entrypoint", "--env-file", "--platform", "-l", "--label",
    "--add-host", "--cpus", "-m", "--memory", "--pull", "--hostname", "-h", "--dns",
    "--cap-add", "--cap-drop", "--device", "--gpus", "--ipc", "--pid", "--restart",
    "--runtime", "--security-opt", "--shm-size", "--tmpfs", "--ulimit", "--volumes-from",
    "--log-driver", "--log-opt", "--label-file", "--group-add",
}  # fmt: skip
_UVX_VALUED = {"--from", "--with", "--python", "-p", "--index", "--index-url", "--with-editable"}
_NAME_PART = re.compile(r"[^a-zA-Z0-9.-]+")


def plan_item(
    fmt: ClientFormat, found: FoundEntry, secret_names: Collection[str], taken: set[str]
) -> ImportItem:
    """The server the entry becomes; `taken` holds the (lowercased) names already planned."""
    entry = found.entry
    if found.launcher:
        return _skip(entry, "a pylee-tui launcher entry: its server is in a registry already")
    if found.ours:
        return _skip(entry, "written by a pylee-tui export (its records say so)")
    if entry.problems and entry.command is None and entry.url is None:
        return _skip(entry, "cannot be read: " + "; ".join(entry.problems))
    command, args = unwrap_shell(entry.command, list(entry.args))
    entry = replace(entry, command=command, args=tuple(args))
    entry = bridged_remote(entry) or entry
    if entry.url is not None and (bad := _url_problem(entry.url)) is not None:
        return _skip(entry, bad)
    item = ImportItem(entry=entry.name, server="", kind="draft", document={})
    env = dict(entry.env)
    if entry.url is not None:
        item.kind = "remote"
        namespace = _host_namespace(entry.url)
        remote = _remote(fmt, entry, item, secret_names)
        body: dict[str, Any] = {"remotes": [remote]}
        version = NO_VERSION
        in_url = _url_template(entry.url, item, secret_names)
        if in_url[1]:  # an export writes a remote's URL as it is: no vault value can go in it
            item.kind = "draft"
            body = {
                "_meta": {DRAFT_META: {"client": fmt.key, "remote": {**remote, "url": in_url[0]}}}
            }
            item.notes.append(
                f"the URL holds a secret ({', '.join(in_url[1])}, now in the vault): an export "
                "cannot put it back into the URL, so this is a draft; give the server a way to "
                "send it (a header the server documents) before exporting it"
            )
    else:
        package = _package(entry, env, item)
        if package is None:
            namespace = f"local.{fmt.key}"
            body = {"_meta": {DRAFT_META: _draft_meta(fmt, entry, env)}}
            given: list[dict[str, Any]] = [{"type": "positional", "value": a} for a in args]
            _template_arguments({"packageArguments": given}, item, secret_names)
            body["_meta"][DRAFT_META]["args"] = [a["value"] for a in given]
            item.notes.append("not a package or a URL: kept as a draft holding the command")
            version = NO_VERSION
        else:
            namespace = _package_namespace(package)
            version = str(package.get("version") or NO_VERSION)
            _template_arguments(package, item, secret_names)
            body = {"packages": [package]}
    declared = _environment(fmt, entry, env, item, secret_names)
    if declared and "packages" in body:
        body["packages"][0]["environmentVariables"] = declared
    elif declared and item.kind == "draft":
        body["_meta"][DRAFT_META]["env"] = [d["name"] for d in declared]
    elif declared:  # a remote's environment: kept at the server scope, noted
        item.notes.append(
            "a remote has no environment: " + ", ".join(d["name"] for d in declared) + " kept "
            "at the server scope"
        )
    item.server = server_name(namespace, entry.name, taken)
    item.document = {
        "$schema": SCHEMA_URL,
        "name": item.server,
        "description": f"Imported from {fmt.title} ({entry.name})"[:100],
        "version": version,
        **body,
    }
    problems = validate(item.document)
    if problems and item.kind != "draft":
        item.notes.append("a draft until fixed: " + "; ".join(str(p) for p in problems[:3]))
    return item


def _skip(entry: ClientEntry, why: str) -> ImportItem:
    return ImportItem(entry=entry.name, server="", kind="draft", document={}, skipped=why)


def server_name(namespace: str, entry_name: str, taken: set[str]) -> str:
    """`namespace/entry`: the namespace from the package or URL, the entry's name made valid as
    an export writes it (so an export back names the entry as before); -2, -3… when the plan
    has it already (case aside)."""
    namespace = _NAME_PART.sub("-", namespace).strip(".-").lower() or "local"
    namespace = re.sub(r"\.{2,}", ".", namespace)[:120]
    tail = base_entry_name(entry_name)[:70]
    candidate, n = f"{namespace}/{tail}", 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{namespace}/{tail}-{n}"
    taken.add(candidate.lower())
    return candidate


def _package_namespace(package: dict[str, Any]) -> str:
    ident = str(package.get("identifier", ""))
    kind = package.get("registryType")
    if kind == "npm":
        scope = ident[1:].split("/", 1)[0] if ident.startswith("@") and "/" in ident else ""
        return "com.npmjs" + (f".{scope}" if scope else "")
    if kind == "pypi":
        return "org.pypi"
    parts = ident.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        host, owner = parts[0].split(":")[0], parts[1:-1]
    else:
        host, owner = "docker.io", parts[:-1]
    return ".".join([*reversed(host.split(".")), *owner])


def _host_namespace(url: str) -> str:
    host = urlsplit(url).hostname or "remote"
    return ".".join(reversed(host.split(".")))


def _url_problem(url: str) -> str | None:
    """Why a remote's URL cannot be one (None: it is an http(s) URL with a host)."""
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https") or not host:
        return "not a valid URL (an http:// or https:// address with a host)"
    return None


# --- secrets in a command line or a URL ---------------------------------------------------------


def _secret_key(item: ImportItem, name: str, value: str) -> str:
    """The vault key a secret found in an argument or a URL goes under: the name as a key
    (`--api-key` → API_KEY), -2… when the entry has that key for another value."""
    base = env_key_for(name.lstrip("-") or "SECRET")
    key, n = base, 1
    while (key in item.secrets and item.secrets[key] != value) or key in item.variables:
        n += 1
        key = f"{base}_{n}"
    item.secrets[key] = value
    return key


def _templated(item: ImportItem, text: str, marked: Collection[str]) -> tuple[str, list[str]]:
    """`text` with each secret part of a URL in it as a `{KEY}` template, the value in
    item.secrets; the keys."""
    keys: list[str] = []
    for name, start, end, value in reversed(url_secrets(text, marked)):
        key = _secret_key(item, name, value)
        text = text[:start] + "{" + key + "}" + text[end:]
        keys.insert(0, key)
    return text, keys


def _url_template(url: str, item: ImportItem, marked: Collection[str]) -> tuple[str, list[str]]:
    """A remote's URL with its secrets as templates, and their keys (none: empty)."""
    text, keys = _templated(item, url, marked)
    return (text, keys) if keys else ("", [])


def _template_arguments(package: dict[str, Any], item: ImportItem, marked: Collection[str]) -> None:
    """Every secret value in the package's arguments (after a secret flag, a `--flag=value`,
    a secret `--header Name:Value`, a URL's password or secret query parameter) into the vault,
    the argument's value a `{KEY}` template declared secret: no value in the server.json."""
    for field in ("runtimeArguments", "packageArguments"):
        previous = ""
        for arg in package.get(field, []):
            value = arg.get("value")
            if not isinstance(value, str) or not value:
                previous = str(arg.get("name", ""))
                continue
            name = str(arg.get("name", "")) if arg.get("type") == "named" else previous
            keys: list[str] = []
            header = secret_header(value, marked) if name in HEADER_FLAGS else None
            flag, eq, flagged = value.partition("=")
            if header is not None:
                key = _secret_key(item, header[0], header[2])
                value, keys = header[0] + header[1] + "{" + key + "}", [key]
            elif name and name != value and secret_flag(name, marked) and "://" not in value:
                key = _secret_key(item, name, value)
                value, keys = "{" + key + "}", [key]
            elif eq and flagged and secret_flag(flag, marked) and "://" not in flagged:
                key = _secret_key(item, flag, flagged)
                value, keys = flag + "={" + key + "}", [key]
            else:
                value, keys = _templated(item, value, marked)
            previous = value if arg.get("type") == "positional" else ""
            if keys:
                arg["value"] = value
                arg["isSecret"] = True
                arg["variables"] = {k: {"isRequired": True, "isSecret": True} for k in keys}


# --- commands -----------------------------------------------------------------------------------


def _package(entry: ClientEntry, env: dict[str, str], item: ImportItem) -> dict[str, Any] | None:
    command = os.path.basename((entry.command or "").replace("\\", "/")).lower()
    command = re.sub(r"\.(exe|cmd|bat)$", "", command)
    args = list(entry.args)
    if command == "npx":
        return _npx(args, item)
    if command == "uvx":
        return _uvx(args, item)
    if command in ("docker", "podman") and args[:1] == ["run"]:
        return _docker(args[1:], env, item)
    return None


def _npx(args: list[str], item: ImportItem) -> dict[str, Any] | None:
    runtime: list[str] = []
    for i, arg in enumerate(args):
        if arg in ("-y", "--yes"):
            continue
        if arg.startswith("-"):
            runtime.append(arg)
            continue
        ident, version = _split_spec(arg, "@")
        item.kind = "npm"
        return _stdio_package("npm", ident, version, runtime, args[i + 1 :], "npx")
    return None


def _uvx(args: list[str], item: ImportItem) -> dict[str, Any] | None:
    runtime: list[str] = []
    source: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--from" and i + 1 < len(args):
            source = args[i + 1]
            i += 2
            continue
        if arg.startswith("--from="):
            source = arg.split("=", 1)[1]
            i += 1
            continue
        if arg.startswith("-"):
            runtime.append(arg)
            if arg in _UVX_VALUED and i + 1 < len(args):
                runtime.append(args[i + 1])
                i += 1
            i += 1
            continue
        spec = source if source is not None else arg
        ident, version = _split_spec(spec, "==")
        if source is not None and arg != _bare(ident):
            item.notes.append(
                f"uvx --from {source} {arg}: an export starts `uvx {spec}`, the command named "
                "as the package"
            )
        item.kind = "pypi"
        return _stdio_package("pypi", ident, version, runtime, args[i + 1 :], "uvx")
    return None


def _bare(ident: str) -> str:
    return re.sub(r"\[.*\]$", "", ident)


def _docker(args: list[str], env: dict[str, str], item: ImportItem) -> dict[str, Any] | None:
    runtime: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _DOCKER_FLAGS_DROPPED:
            i += 1
            continue
        if arg in ("-e", "--env") and i + 1 < len(args):
            _docker_env(args[i + 1], env)
            i += 2
            continue
        if arg.startswith(("--env=", "-e=")):
            _docker_env(arg.split("=", 1)[1], env)
            i += 1
            continue
        if arg.startswith("-"):
            runtime.append(arg)
            if arg in _DOCKER_VALUED and i + 1 < len(args):
                runtime.append(args[i + 1])
                i += 1
            i += 1
            continue
        ident, version = _split_image(arg)
        item.kind = "oci"
        return _stdio_package("oci", ident, version, runtime, args[i + 1 :], "docker")
    return None


def _docker_env(token: str, env: dict[str, str]) -> None:
    name, sep, value = token.partition("=")
    if sep:
        env[name] = value
    else:
        env.setdefault(name, "")  # the value comes from the entry's env, if it has one


def _split_spec(spec: str, mark: str) -> tuple[str, str]:
    """`pkg@1.2` / `@scope/pkg@1.2` (npm), `pkg==1.2` (PyPI) → (identifier, version or "")."""
    start = 1 if spec.startswith("@") else 0
    at = spec.find(mark, start)
    if at < 0:
        return spec, ""
    return spec[:at], spec[at + len(mark) :]


def _split_image(image: str) -> tuple[str, str]:
    """`ghcr.io/o/x:1.0` → (`ghcr.io/o/x`, `1.0`); a digest or no tag: no version."""
    if "@" in image:
        return image, ""
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :]
    return image, ""


def _stdio_package(
    kind: str, ident: str, version: str, runtime: list[str], rest: list[str], hint: str
) -> dict[str, Any]:
    package: dict[str, Any] = {"registryType": kind, "identifier": ident}
    if version:
        package["version"] = version
    if runtime:
        package["runtimeHint"] = hint
        package["runtimeArguments"] = [{"type": "positional", "value": a} for a in runtime]
    arguments = _arguments(rest)
    if arguments:
        package["packageArguments"] = arguments
    package["transport"] = {"type": "stdio"}
    return package


def _arguments(tokens: list[str]) -> list[dict[str, Any]]:
    """`--flag value` as a named argument, anything else positional: the tokens an export writes
    back in the same order."""
    out: list[dict[str, Any]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.startswith("-") and len(token) > 1 and "=" not in token:
            arg: dict[str, Any] = {"type": "named", "name": token}
            if nxt is not None and not nxt.startswith("-") and nxt != token:
                arg["value"] = nxt
                i += 1
            out.append(arg)
        elif token:
            out.append({"type": "positional", "value": token})
        else:  # an empty argument: positional needs a value or a hint
            out.append({"type": "positional", "value": token, "valueHint": "empty"})
        i += 1
    return out


def _draft_meta(fmt: ClientFormat, entry: ClientEntry, env: dict[str, str]) -> dict[str, Any]:
    return {"client": fmt.key, "command": entry.command, "args": list(entry.args)}


# --- environment and headers --------------------------------------------------------------------


def _environment(
    fmt: ClientFormat,
    entry: ClientEntry,
    env: dict[str, str],
    item: ImportItem,
    secret_names: Collection[str],
) -> list[dict[str, Any]]:
    # a key the file only names (a reference) is required: an export of the server writes the
    # reference again (with no value in the vault, an optional key would be left out)
    declared: list[dict[str, Any]] = []
    for key, value in env.items():
        secret = _sort_value(fmt, key, key, value, item, secret_names)
        if secret is not None:
            declared.append(_declared(key, secret, required=key in item.references))
    for key in entry.forwarded:
        if key in env or key in item.references:  # a header's reference (Codex's bearer)
            continue
        secret = looks_secret(key, secret_names)
        item.references.append(key)
        declared.append(_declared(key, secret, required=True))
    return declared


def _declared(key: str, secret: bool, required: bool) -> dict[str, Any]:
    variable: dict[str, Any] = {"name": key}
    if required:
        variable["isRequired"] = True
    if secret:
        variable["isSecret"] = True
    return variable


def _sort_value(
    fmt: ClientFormat,
    name: str,
    key: str,
    value: str,
    item: ImportItem,
    secret_names: Collection[str],
) -> bool | None:
    """File one value as a reference, a secret or a variable under `key`; whether it is secret
    (None: its name cannot be a key, noted)."""
    secret = looks_secret(name, secret_names) or looks_secret(key, secret_names)
    # `DATABASE_URL=postgres://u:PASSWORD@host`: the whole value is the secret's
    secret = secret or (not fmt.references(value) and bool(url_secrets(value, secret_names)))
    if not VARIABLE_KEY_PATTERN.fullmatch(key):
        item.notes.append(
            f"{name}: not a key the vault takes (capital letters, digits and _); "
            "its value was not imported"
        )
        return None
    if fmt.references(value):
        text = _reference_template(fmt, value, "${{{}}}")
        if REFERENCE.fullmatch(text):  # the whole value names one key: no value to store
            item.references.append(key)
            return secret
        # `postgres://u:${DB_PASSWORD}@host`: the text is kept, its references the vault's
        item.variables[key] = text
        for ref in REFERENCE.findall(text):
            if ref not in item.references:
                item.references.append(ref)
    elif secret:
        item.secrets[key] = value
    else:
        item.variables[key] = value
    return secret


def _remote(
    fmt: ClientFormat, entry: ClientEntry, item: ImportItem, secret_names: Collection[str]
) -> dict[str, Any]:
    remote: dict[str, Any] = {"type": entry.transport, "url": entry.url}
    if entry.transport not in ("streamable-http", "sse"):
        remote["type"] = "streamable-http"
    headers: list[dict[str, Any]] = []
    for name, value in entry.headers.items():
        template = _header_template(fmt, value)
        if template is not None:  # `Bearer ${env:TOKEN}`: the names it refers to, no value
            refs = [env_key_for(r) for r in fmt.references(value)]
            item.references.extend(r for r in refs if r not in item.references)
            headers.append({"name": name, "value": template, "isRequired": True})
            if looks_secret(name, secret_names) or any(looks_secret(r, secret_names) for r in refs):
                # the names it refers to are the secret's: a client prompts for them as such
                headers[-1]["isSecret"] = True
                headers[-1]["variables"] = {r: {"isRequired": True, "isSecret": True} for r in refs}
            continue
        key = env_key_for(name)
        secret = _sort_value(fmt, name, key, value, item, secret_names)
        headers.append({"name": name, **({"isSecret": True} if secret else {})})
    if headers:
        remote["headers"] = headers
    return remote


def _header_template(fmt: ClientFormat, value: str) -> str | None:
    """A header value in the client's reference syntax as a server.json value template, each
    reference as `{KEY}` (`Bearer ${env:DOCS_TOKEN}` → `Bearer {DOCS_TOKEN}`), so an export
    writes the header around the same names again; None when it refers to nothing."""
    if not fmt.references(value):
        return None
    return _reference_template(fmt, value, "{{{}}}")


def _reference_template(fmt: ClientFormat, value: str, form: str) -> str:
    """Each reference of a value in the client's syntax written `form.format(KEY)`."""
    for name in dict.fromkeys(fmt.references(value)):
        quoted = re.escape(name)
        syntax = rf"\$\{{(?:env:|input:)?{quoted}(?::-[^}}]*)?\}}|\${quoted}(?![A-Za-z0-9_])"
        value = re.sub(syntax, form.format(env_key_for(name)).replace("\\", "\\\\"), value)
    return value
