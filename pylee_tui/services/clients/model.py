"""What the Clients feature hands the CLI and the app: the client files found on this machine
(scan), an import's plan and result, and each exported entry's drift. Plain data: the services
in this package fill it, screens and commands only show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Base64Bytes

from pylee_tui.services.export.clients.base import ClientEntry

# a recorded entry's state, as `clients status` words it
IN_SYNC = "in sync"
CHANGED = "changed by hand"
MISSING = "missing"
STALE = "stale"
FOREIGN = "foreign"
DRIFT_STATES = (IN_SYNC, CHANGED, MISSING, STALE, FOREIGN)

# what an imported entry becomes
IMPORT_KINDS = ("npm", "pypi", "oci", "remote", "draft")


@dataclass(frozen=True)
class FoundEntry:
    """A server entry of a client file: where in the file (`group`: "" for the servers an
    export writes, a project's path in Claude Code's `~/.claude.json`), and whose it is."""

    entry: ClientEntry
    group: str = ""
    ours: bool = False  # written by a pylee-tui export (its records say so)
    launcher: bool = False  # starts `pylee-tui run` (an entry of ours, even if unrecorded)

    @property
    def name(self) -> str:
        return self.entry.name


@dataclass(frozen=True)
class FoundFile:
    """One client's config file at one scope: whether it exists, its entries, or why it could
    not be read (one line)."""

    client: str  # the client's key (`claude`)
    title: str  # its name (`Claude Desktop`)
    scope: str  # user or project
    path: Path
    exists: bool
    entries: tuple[FoundEntry, ...] = ()
    problem: str | None = None


@dataclass
class ImportItem:
    """One entry of a client file, as an import would turn it into a server."""

    entry: str  # the entry's name in the file
    server: str  # the server's name (reverse-DNS, from the package or the URL)
    kind: str  # one of IMPORT_KINDS
    document: dict[str, Any]  # the server.json it becomes (a draft's: the command as given)
    variables: dict[str, str] = field(default_factory=dict)  # plain values, server scope
    secrets: dict[str, str] = field(default_factory=dict, repr=False)  # into the vault
    references: list[str] = field(default_factory=list)  # keys the file names, no value
    notes: list[str] = field(default_factory=list)  # why a draft, what was guessed
    skipped: str | None = None  # why it is not imported (ours already, a launcher entry)
    group: str = ""  # where in the file (FoundEntry.group): "" is what an export rewrites


@dataclass
class ImportPlan:
    client: str
    scope: str
    path: Path
    org: str
    registry: str
    items: list[ImportItem]

    @property
    def secret_count(self) -> int:
        return sum(len(i.secrets) for i in self.items if i.skipped is None)


@dataclass
class ImportResult:
    plan: ImportPlan
    created: list[str]  # servers added
    updated: list[str]  # servers that existed and were replaced
    drafts: list[str]
    secrets_stored: list[str]  # "server: KEY"
    variables_stored: list[str]  # "server: KEY"


@dataclass(frozen=True)
class DriftEntry:
    """An entry of a file pylee-tui exported to, and how it compares with what was written."""

    name: str
    state: str  # one of DRIFT_STATES
    org: str | None = None
    registry: str | None = None
    server: str | None = None
    diff: str = ""  # unified diff, written → now (changed by hand) or now → export (stale);
    # secrets masked


@dataclass(frozen=True)
class DriftFile:
    client: str
    path: Path
    entries: tuple[DriftEntry, ...]
    problem: str | None = None  # the file cannot be read (one line)


@dataclass(frozen=True)
class AdoptResult:
    org: str
    registry: str
    server: str
    changes: tuple[str, ...]  # what changed in the server, one line each


# --- a team server's side: secrets arrive sealed by the member's machine (clients/sealed.py) ---


@dataclass
class SealedItem:
    """An import item as it travels to a team server: no secret's value, only its key (and,
    once sealed on the member's machine to the server's scope, its blob)."""

    entry: str
    server: str
    document: dict[str, Any]
    variables: dict[str, str] = field(default_factory=dict)
    secret_keys: list[str] = field(default_factory=list)
    sealed: dict[str, Base64Bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportTargets:
    """What the secrets of an import are sealed to: the org's key (generation 0 and no public
    key: none yet; `may_init`: the member may make it) and the id each server will have."""

    org_id: int
    generation: int
    public_key: Base64Bytes | None
    may_init: bool
    server_ids: dict[str, int]


@dataclass
class ImportDone:
    """What an import into a team server stored (ImportResult without the plan)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    secrets_stored: list[str] = field(default_factory=list)
    variables_stored: list[str] = field(default_factory=list)


@dataclass
class AdoptChange:
    """A hand edit of an exported entry as a team server applies it, in one transaction: the
    server's new document (None: unchanged; published as its next version), its server-scope
    variables set, secrets set (sealed on the member's machine to `generation`), keys unset."""

    document: dict[str, Any] | None
    set_variables: dict[str, str] = field(default_factory=dict)
    sealed: dict[str, Base64Bytes] = field(default_factory=dict)
    generation: int = 0
    unset: list[str] = field(default_factory=list)
