"""The next version a server's change calls for: what changed between two server.json documents,
and the bump it suggests (major for what breaks a client, minor for what it can use, patch for
text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pylee_tui.server_json import declared_inputs, dicts
from pylee_tui.services.semver import Bump

# what only people read: a change to these alone is a patch
TEXT_FIELDS = frozenset({"description", "title", "websiteUrl", "version"})


@dataclass(frozen=True)
class Suggestion:
    """The bump a change calls for and why (the reasons, each one line); `bump` None: nothing
    but the version changed."""

    bump: Bump | None
    reasons: list[str] = field(default_factory=list)


def _package_key(package: dict[str, Any]) -> str:
    return f"{package.get('registryType') or '?'}:{package.get('identifier') or '?'}"


def _inputs(document: dict[str, Any]) -> dict[str, bool]:
    """Every environment variable and header the document declares -> whether it is required
    (required anywhere wins)."""
    env, headers = declared_inputs(document)
    found: dict[str, bool] = {}
    for row in env + headers:
        name = row.get("name")
        if isinstance(name, str) and name:
            found[name] = found.get(name, False) or bool(row["required"])
    return found


def suggest_bump(old: dict[str, Any], new: dict[str, Any]) -> Suggestion:
    """What going from `old` to `new` calls for: major for a new required environment variable
    or header (or one made required) and a removed package or remote; minor for a new optional
    input or any other change a client sees (packages, remotes, arguments, transport, any field
    that is not text); patch when only description, title or website changed."""
    major: list[str] = []
    minor: list[str] = []
    patch: list[str] = []
    before, after = _inputs(old), _inputs(new)
    for name, required in after.items():
        if name not in before:
            (major if required else minor).append(
                f"new {'required' if required else 'optional'} input {name}"
            )
        elif required and not before[name]:
            major.append(f"input {name} is now required")
    old_packages = {_package_key(p) for p in dicts(old.get("packages"))}
    new_packages = {_package_key(p) for p in dicts(new.get("packages"))}
    major += [f"package {key} removed" for key in sorted(old_packages - new_packages)]
    minor += [f"package {key} added" for key in sorted(new_packages - old_packages)]
    old_remotes = {str(r.get("url")) for r in dicts(old.get("remotes"))}
    new_remotes = {str(r.get("url")) for r in dicts(new.get("remotes"))}
    major += [f"remote {url} removed" for url in sorted(old_remotes - new_remotes)]
    minor += [f"remote {url} added" for url in sorted(new_remotes - old_remotes)]
    for key in sorted(set(old) | set(new), key=str):
        if old.get(key) == new.get(key) or key == "version":
            continue
        if key in TEXT_FIELDS:
            patch.append(f"{key} changed")
        elif key not in ("packages", "remotes") or not (major or minor):
            minor.append(f"{key} changed")
    if major:
        return Suggestion("major", major)
    if minor:
        return Suggestion("minor", minor)
    if patch:
        return Suggestion("patch", patch)
    return Suggestion(None, [])
