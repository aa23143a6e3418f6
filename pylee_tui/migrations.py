"""The store's schema, one migration at a time (sqlite-utils' Migrations, literal SQL only: opening
compares the file's schema byte for byte with what these wrote), and the data a migration
carries from an older shape into a newer one."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils
from sqlite_utils import Migrations

MIGRATION_SET = "pylee"

migrations = Migrations(MIGRATION_SET)


@migrations(name="0001_initial")
def _m0001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE organizations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            slug TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            overview TEXT NOT NULL DEFAULT '',
            overview_updated_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE registries (
            id INTEGER PRIMARY KEY,
            org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            slug TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            overview TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (org_id, slug)
        );
        CREATE TABLE servers (
            id INTEGER PRIMARY KEY,
            registry_id INTEGER NOT NULL REFERENCES registries(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            version TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            document TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'draft')),
            problems TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (registry_id, name)
        );
        CREATE TABLE members (
            id INTEGER PRIMARY KEY,
            org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            email TEXT NOT NULL,
            display_name TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
            status TEXT NOT NULL CHECK (status IN ('invited', 'active', 'revoked', 'expired')),
            grants TEXT NOT NULL DEFAULT '[]',
            invited_by TEXT,
            invited_at TEXT NOT NULL,
            joined_at TEXT,
            UNIQUE (org_id, email)
        );
        CREATE TABLE variables (
            id INTEGER PRIMARY KEY,
            org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            registry_id INTEGER REFERENCES registries(id) ON DELETE CASCADE,
            server_id INTEGER REFERENCES servers(id) ON DELETE CASCADE,
            scope TEXT NOT NULL CHECK (scope IN ('org', 'registry', 'server')),
            key TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('variable', 'secret')),
            value TEXT,
            encrypted_value BLOB,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            CHECK ((kind = 'variable' AND encrypted_value IS NULL)
                OR (kind = 'secret' AND value IS NULL))
        );
        -- one key per scope: NULL scope ids fold to 0 so the index can see them as equal
        CREATE UNIQUE INDEX variables_key_per_scope
            ON variables (org_id, coalesce(registry_id, 0), coalesce(server_id, 0), key);
        CREATE TABLE audit_events (
            id INTEGER PRIMARY KEY,
            org_id INTEGER,
            org_slug TEXT,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target_type TEXT NOT NULL,
            target_id TEXT,
            target_label TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX audit_events_org ON audit_events (org_id, id);
        CREATE INDEX audit_events_actor ON audit_events (actor, id);
        CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
        CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
        CREATE INDEX registries_org ON registries (org_id);
        CREATE INDEX servers_registry ON servers (registry_id);
        CREATE INDEX members_email ON members (email);
        """
    )


@migrations(name="0002_vault")
def _m0002_vault(db: sqlite_utils.Database) -> None:
    """The vault's wrapped data key (one per store) and the history of every variable and secret."""
    db.executescript(
        """
        CREATE TABLE vault (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            kdf TEXT NOT NULL,
            wrapped_key BLOB NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL
        );
        -- every write of a key at a scope, newest last; the service keeps the last 11
        -- (the current value and the 10 before it). Secrets stay encrypted here too.
        CREATE TABLE variable_versions (
            id INTEGER PRIMARY KEY,
            org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            registry_id INTEGER REFERENCES registries(id) ON DELETE CASCADE,
            server_id INTEGER REFERENCES servers(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            version INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('set', 'rollback', 'unset')),
            kind TEXT NOT NULL CHECK (kind IN ('variable', 'secret')),
            value TEXT,
            encrypted_value BLOB,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            CHECK ((action = 'unset' AND value IS NULL AND encrypted_value IS NULL)
                OR (action != 'unset' AND kind = 'variable' AND encrypted_value IS NULL
                    AND value IS NOT NULL)
                OR (action != 'unset' AND kind = 'secret' AND value IS NULL
                    AND encrypted_value IS NOT NULL))
        );
        CREATE UNIQUE INDEX variable_versions_per_key ON variable_versions
            (org_id, coalesce(registry_id, 0), coalesce(server_id, 0), key, version);
        CREATE INDEX variables_server ON variables (server_id);
        CREATE INDEX variables_registry ON variables (registry_id);
        """
    )


@migrations(name="0003_export_owners")
def _m0003_export_owners(db: sqlite_utils.Database) -> None:
    """Which entries and inputs of a client's config file an export wrote, and for whom, in a
    table of their own (they were JSON kept in settings under keys naming the file)."""
    db.executescript(
        """
        -- a client config file an export wrote (its absolute path, links resolved); while an
        -- export is writing it, the device and inode (JSON) of the file it is putting in place
        CREATE TABLE export_files (
            path TEXT PRIMARY KEY,
            pending_file TEXT
        );
        -- an entry (server) or VS Code input of such a file that pylee-tui wrote, and who it
        -- belongs to. `current` rows are the file's; while an export is writing, `pending`
        -- rows are what they will be once its file is in place. A NULL org_slug is a record
        -- from before owners were kept: it counts as the exporting registry's.
        CREATE TABLE export_owners (
            path TEXT NOT NULL REFERENCES export_files(path) ON DELETE CASCADE,
            state TEXT NOT NULL CHECK (state IN ('current', 'pending')),
            kind TEXT NOT NULL CHECK (kind IN ('server', 'input')),
            name TEXT NOT NULL,
            org_slug TEXT,
            registry_slug TEXT,
            registry_id INTEGER,
            server TEXT,
            PRIMARY KEY (path, state, kind, name)
        );
        """
    )
    _carry_export_owners(db)


@migrations(name="0004_registry_overview_time")
def _m0004_registry_overview_time(db: sqlite_utils.Database) -> None:
    """When a registry's overview was last saved, a column as orgs have it (the edit path's
    lost-update check reads it), filled from the overview events the saves recorded (events
    older than the registry were another registry's that had its id)."""
    db.executescript(
        """
        ALTER TABLE registries ADD COLUMN overview_updated_at TEXT;
        UPDATE registries SET overview_updated_at = (
            SELECT max(a.created_at) FROM audit_events a
            WHERE a.org_id = registries.org_id AND a.action = 'registry.overview'
              AND a.target_type = 'registry' AND a.target_id = CAST(registries.id AS TEXT)
              AND a.created_at >= registries.created_at
        );
        """
    )


@migrations(name="0005_query_indexes")
def _m0005_query_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for what a large store asks (tests/services/test_query_plans.py finds the
    queries): deleting a server or a registry finds its keys' history by index (the foreign
    keys' ON DELETE CASCADE read all of it); expiring invitations reads only the pending ones;
    which orgs hold secrets (who may change the passphrase) is a look at one entry per org."""
    db.executescript(
        """
        CREATE INDEX variable_versions_server ON variable_versions (server_id);
        CREATE INDEX variable_versions_registry ON variable_versions (registry_id);
        CREATE INDEX members_invited ON members (org_id) WHERE status = 'invited';
        CREATE INDEX variables_secret ON variables (org_id)
            WHERE encrypted_value IS NOT NULL;
        CREATE INDEX variable_versions_secret ON variable_versions (org_id)
            WHERE encrypted_value IS NOT NULL;
        """
    )


@migrations(name="0006_server_status_index")
def _m0006_server_status_index(db: sqlite_utils.Database) -> None:
    """The registries list counts each registry's drafts: on (registry_id, status) that is a
    count of index entries, where it read every server row of the org (10.5 -> 0.6 ms for 40
    registries and 20,000 servers)."""
    db.executescript("CREATE INDEX servers_registry_status ON servers (registry_id, status);")


@migrations(name="0007_server_checks")
def _m0007_server_checks(db: sqlite_utils.Database) -> None:
    """The last check of each server (`pylee-tui check`, the app's badges): its state, when and
    by whom, a summary (name, version, protocol, counts, the reason it failed, secrets masked)
    and the tools (with their input schemas), resources and prompts it offered, as JSON. One
    row a server, gone with it: clustered on server_id (WITHOUT ROWID), so the key that finds
    a server's check, and the one its deletion cascades through, is a real index."""
    db.executescript(
        """
        CREATE TABLE server_checks (
            server_id INTEGER PRIMARY KEY REFERENCES servers(id) ON DELETE CASCADE,
            state TEXT NOT NULL,
            checked_at TEXT NOT NULL,
            checked_by TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '{}',
            tools TEXT NOT NULL DEFAULT '[]',
            resources TEXT NOT NULL DEFAULT '[]',
            prompts TEXT NOT NULL DEFAULT '[]'
        ) WITHOUT ROWID;
        """
    )


@migrations(name="0008_export_entries")
def _m0008_export_entries(db: sqlite_utils.Database) -> None:
    """What an export wrote, entry by entry, so that drift (`clients status`) can tell a hand
    edit, a deletion or a registry change from an entry still as written: the client of each
    file, and per entry its secrets mode, the entry as written with every inlined secret value
    masked (JSON: no secret value is ever stored here), a hash of that masked entry, its owner,
    the scope the file is the client's config at (NULL: a file named with --out), and when and
    by whom it was written. Gone with the file's record."""
    db.executescript(
        """
        CREATE TABLE export_entries (
            path TEXT NOT NULL REFERENCES export_files(path) ON DELETE CASCADE,
            name TEXT NOT NULL,
            client TEXT NOT NULL,
            secrets TEXT NOT NULL,
            entry TEXT NOT NULL,
            hash TEXT NOT NULL,
            org_slug TEXT NOT NULL,
            registry_slug TEXT NOT NULL,
            registry_id INTEGER,
            server TEXT NOT NULL,
            scope TEXT,
            written_at TEXT NOT NULL,
            written_by TEXT NOT NULL,
            PRIMARY KEY (path, name)
        );
        """
    )


@migrations(name="0009_user_scope")
def _m0009_user_scope(db: sqlite_utils.Database) -> None:
    """Personal overrides: keys a member sets for themselves in an org (the user scope), and
    their history. Tables of their own, so nothing that reads an org's keys (exports of another
    member, clones, diffs) can come across another member's overrides. Gone with the member."""
    db.executescript(
        """
        CREATE TABLE user_variables (
            id INTEGER PRIMARY KEY,
            org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            registry_id INTEGER CHECK (registry_id IS NULL),
            server_id INTEGER CHECK (server_id IS NULL),
            scope TEXT NOT NULL DEFAULT 'user' CHECK (scope = 'user'),
            key TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('variable', 'secret')),
            value TEXT,
            encrypted_value BLOB,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            CHECK ((kind = 'variable' AND encrypted_value IS NULL)
                OR (kind = 'secret' AND value IS NULL)),
            UNIQUE (member_id, key)
        );
        CREATE INDEX user_variables_org ON user_variables (org_id);
        CREATE TABLE user_variable_versions (
            id INTEGER PRIMARY KEY,
            org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            registry_id INTEGER CHECK (registry_id IS NULL),
            server_id INTEGER CHECK (server_id IS NULL),
            key TEXT NOT NULL,
            version INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('set', 'rollback', 'unset')),
            kind TEXT NOT NULL CHECK (kind IN ('variable', 'secret')),
            value TEXT,
            encrypted_value BLOB,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            CHECK ((action = 'unset' AND value IS NULL AND encrypted_value IS NULL)
                OR (action != 'unset' AND kind = 'variable' AND encrypted_value IS NULL
                    AND value IS NOT NULL)
                OR (action != 'unset' AND kind = 'secret' AND value IS NULL
                    AND encrypted_value IS NOT NULL)),
            UNIQUE (member_id, key, version)
        );
        CREATE INDEX user_variable_versions_org ON user_variable_versions (org_id);
        """
    )


_OWNED_PREFIX = "export.owned."  # export.owned.servers:/path, export.owned.inputs:/path
_INTENT_PREFIX = "export.intent:"  # export.intent:/path


@migrations(name="0010_server_versions")
def _m0010_server_versions(db: sqlite_utils.Database) -> None:
    """Servers as immutable published versions: each publication of a server's document (the
    servers row stays the working copy), and the version a registry pins a server at. The
    database refuses to change or delete a published version while its server exists (removing
    the server, or its registry, takes its versions with it). Every valid server is published
    as it is (at its own version when that is semver, else 1.0.0), so exports do not change."""
    from pylee_tui.services.semver import first_version

    db.executescript(
        """
        CREATE TABLE server_versions (
            id INTEGER PRIMARY KEY,
            server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
            version TEXT NOT NULL,
            document TEXT NOT NULL,
            published_at TEXT NOT NULL,
            published_by TEXT NOT NULL,
            UNIQUE (server_id, version)
        );
        CREATE TRIGGER server_versions_no_update BEFORE UPDATE ON server_versions
        BEGIN SELECT RAISE(ABORT, 'published server versions are immutable'); END;
        CREATE TRIGGER server_versions_no_delete BEFORE DELETE ON server_versions
        WHEN EXISTS (SELECT 1 FROM servers WHERE id = OLD.server_id)
        BEGIN SELECT RAISE(ABORT, 'published server versions are immutable'); END;
        CREATE TABLE server_pins (
            server_id INTEGER PRIMARY KEY REFERENCES servers(id) ON DELETE CASCADE,
            version TEXT NOT NULL,
            pinned_at TEXT NOT NULL,
            pinned_by TEXT NOT NULL
        ) WITHOUT ROWID;
        """
    )
    rows = db.execute(
        "SELECT id, version, document, updated_at FROM servers WHERE status = 'valid'"
    ).fetchall()
    for server_id, version, document, updated_at in rows:
        db.execute(
            "INSERT INTO server_versions (server_id, version, document, published_at, "
            "published_by) VALUES (?, ?, ?, ?, '')",
            [server_id, first_version(version), document, updated_at],
        )


@migrations(name="0011_registry_forks")
def _m0011_registry_forks(db: sqlite_utils.Database) -> None:
    """Forks: a registry made from another (kept when the original goes), and each of its
    servers' upstream server, which it follows (its latest published version) or is pinned at
    (server_pins). A removed upstream leaves the fork's server in place, gone upstream
    (upstream_id NULL), with the name it had."""
    db.executescript(
        """
        CREATE TABLE registry_forks (
            registry_id INTEGER PRIMARY KEY REFERENCES registries(id) ON DELETE CASCADE,
            upstream_registry_id INTEGER REFERENCES registries(id) ON DELETE SET NULL,
            upstream_label TEXT NOT NULL,
            forked_at TEXT NOT NULL,
            forked_by TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX registry_forks_upstream ON registry_forks (upstream_registry_id);
        CREATE TABLE server_upstreams (
            server_id INTEGER PRIMARY KEY REFERENCES servers(id) ON DELETE CASCADE,
            upstream_id INTEGER REFERENCES servers(id) ON DELETE SET NULL,
            upstream_label TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX server_upstreams_upstream ON server_upstreams (upstream_id);
        """
    )


@migrations(name="0012_change_requests")
def _m0012_change_requests(db: sqlite_utils.Database) -> None:
    """Approvals: a registry may require them (`require_approval`), and then a change by a member
    who may write but not approve is kept as a change request: the operation to replay (JSON),
    the fingerprints of the servers it touches as they were (so an approval can refuse when the
    registry moved on), the diff shown to the approver, and who decided what. A decided request
    is final: the database refuses to change it again."""
    db.executescript(
        """
        ALTER TABLE registries ADD COLUMN require_approval INTEGER NOT NULL DEFAULT 0
            CHECK (require_approval IN (0, 1));
        CREATE TABLE change_requests (
            id INTEGER PRIMARY KEY,
            org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            registry_id INTEGER NOT NULL REFERENCES registries(id) ON DELETE CASCADE,
            operation TEXT NOT NULL,
            target TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL,
            params TEXT NOT NULL,
            base TEXT NOT NULL,
            diff TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'approved', 'rejected')),
            requested_by TEXT NOT NULL,
            requested_at TEXT NOT NULL,
            decided_by TEXT,
            decided_at TEXT,
            comment TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX change_requests_org ON change_requests (org_id, state, id);
        CREATE INDEX change_requests_registry ON change_requests (registry_id);
        CREATE TRIGGER change_requests_decided BEFORE UPDATE ON change_requests
        WHEN OLD.state != 'open'
        BEGIN SELECT RAISE(ABORT, 'a decided change request cannot be changed'); END;
        """
    )


@migrations(name="0013_environment_clone")
def _m0013_environment_clone(db: sqlite_utils.Database) -> None:
    """Environments: a clone copies no secret. Each secret of the source becomes a row here, at
    the same scope of the new org: a key that must be set again. It is missing for as long as
    the scope has no key of that name (read, not kept in step), and gone with its scope."""
    db.executescript(
        """
        CREATE TABLE missing_secrets (
            id INTEGER PRIMARY KEY,
            org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            registry_id INTEGER REFERENCES registries(id) ON DELETE CASCADE,
            server_id INTEGER REFERENCES servers(id) ON DELETE CASCADE,
            scope TEXT NOT NULL CHECK (scope IN ('org', 'registry', 'server')),
            key TEXT NOT NULL,
            cloned_from TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX missing_secrets_key_per_scope
            ON missing_secrets (org_id, coalesce(registry_id, 0), coalesce(server_id, 0), key);
        CREATE INDEX missing_secrets_registry ON missing_secrets (registry_id);
        CREATE INDEX missing_secrets_server ON missing_secrets (server_id);
        """
    )


def _carry_export_owners(db: sqlite_utils.Database) -> None:
    """Move the ownership records kept in settings into the new tables. An unfinished export's
    record (intent) wins over the file's owners, as it did when it was read from settings."""
    rows = db.execute(
        "SELECT key, value FROM settings WHERE key LIKE 'export.owned.%' "
        "OR key LIKE 'export.intent:%'"
    ).fetchall()
    files: dict[str, dict[str, Any]] = {}
    for key, value in rows:
        if key.startswith(_INTENT_PREFIX):
            intent = _json_or_none(value)
            shaped = isinstance(intent, dict) and all(
                isinstance(intent.get(part), dict) for part in ("before", "after")
            )
            if shaped:
                files.setdefault(key.removeprefix(_INTENT_PREFIX), {})["intent"] = intent
        else:
            what, _, path = key.removeprefix(_OWNED_PREFIX).partition(":")
            if what in ("servers", "inputs") and path:
                files.setdefault(path, {})[what] = _json_or_none(value)
    for path, found in files.items():
        intent = found.get("intent")
        pending = None if intent is None else json.dumps(intent.get("file"))
        db.execute("INSERT INTO export_files (path, pending_file) VALUES (?, ?)", [path, pending])
        states = (
            [("current", found)]
            if intent is None
            else [
                ("current", intent["before"]),
                ("pending", intent["after"]),
            ]
        )
        for state, records in states:
            for what, kind in (("servers", "server"), ("inputs", "input")):
                for name, owner in _owner_items(records.get(what)):
                    db.execute(
                        "INSERT OR REPLACE INTO export_owners (path, state, kind, name, "
                        "org_slug, registry_slug, registry_id, server) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [path, state, kind, name, *_owner_columns(owner)],
                    )
    db.execute("DELETE FROM settings WHERE key LIKE 'export.owned.%' OR key LIKE 'export.intent:%'")


def _json_or_none(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) and text else text
    except ValueError:
        return None


def _owner_items(recorded: Any) -> list[tuple[str, dict[str, Any] | None]]:
    """Owners as settings held them: a bare list of names (no owner), or name -> owner."""
    recorded = _json_or_none(recorded)
    if isinstance(recorded, list):
        return [(n, None) for n in recorded if isinstance(n, str)]
    if isinstance(recorded, dict):
        return [
            (n, owner if isinstance(owner, dict) else None)
            for n, owner in recorded.items()
            if isinstance(n, str)
        ]
    return []


def _owner_columns(owner: dict[str, Any] | None) -> list[Any]:
    if owner is None:
        return [None, None, None, None]

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) else None

    registry_id = owner.get("registry_id")
    return [
        text(owner.get("org")) or "",  # never NULL: NULL is the bare record's mark
        text(owner.get("registry")),
        registry_id if isinstance(registry_id, int) else None,
        text(owner.get("server")),
    ]


def known_migrations() -> list[str]:
    return [m.name for m in migrations._migrations]


@migrations(name="0014_team")
def _m0014_team(db: sqlite_utils.Database) -> None:
    """Team mode's logins: the people a team server knows (each with the public key they enrolled
    with), the single-use enrolment codes an invitation hands out, and the API tokens an
    enrolment issues. Codes and tokens are kept as their SHA-256 only (hex): the text itself
    exists once, in what issued it."""
    db.executescript(
        """
        CREATE TABLE people (
            email TEXT PRIMARY KEY,
            public_key BLOB,
            key_fingerprint TEXT,
            enrolled_at TEXT,
            server_admin INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE enrolment_codes (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL,
            code_hash TEXT NOT NULL UNIQUE,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT
        );
        CREATE INDEX enrolment_codes_email ON enrolment_codes (email);
        CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            label TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        );
        CREATE INDEX api_tokens_email ON api_tokens (email);
        """
    )


@migrations(name="0015_team_vault")
def _m0015_team_vault(db: sqlite_utils.Database) -> None:
    """The team vault's keys: each org's X25519 public key by generation (a rotation makes the
    next one), and that generation's private key wrapped to each reader's personal public key
    (`public_key`: the reader key it was sealed to, so a reader who enrolled again with another
    key is seen to lack one; a rotation deletes the older generations' wraps). The private keys
    themselves never reach the server."""
    db.executescript(
        """
        CREATE TABLE org_keys (
            org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            generation INTEGER NOT NULL,
            public_key BLOB NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            PRIMARY KEY (org_id, generation)
        );
        CREATE TABLE org_key_wraps (
            org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            generation INTEGER NOT NULL,
            email TEXT NOT NULL,
            public_key BLOB NOT NULL,
            wrapped BLOB NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            PRIMARY KEY (org_id, generation, email)
        );
        """
    )
