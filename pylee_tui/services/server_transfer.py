"""Servers in and out of a registry in bulk: `import_servers` (entries of either server.json
shape, one transaction, entry by entry; a forked server is not replaced) and `export_servers`
(current-shape server.json of the versions the registry uses).
RegistryService delegates its methods of the same names here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pylee_tui.server_json import to_current, validate
from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.import_report import ImportOutcome, ImportReport, problem_group
from pylee_tui.services.scope import Scope

if TYPE_CHECKING:
    from pylee_tui.services.registries import RegistryService

__all__ = ["export_servers", "import_servers", "registry_of", "server_name_of"]


def server_name_of(entry: Any) -> str | None:
    name = entry.get("name") if isinstance(entry, dict) else None
    return name.strip() if isinstance(name, str) and name.strip() else None


def registry_of(scope: Scope) -> str:
    """The registry a registry's scope names (a server's scope names a server, not this)."""
    if scope.registry is None or scope.server is not None:
        raise InvalidInput(f"name a registry, not {scope.label}")
    return scope.registry


def import_servers(
    registries: RegistryService,
    actor: str,
    scope: Scope,
    entries: list[Any],
    *,
    strict: bool = False,
    replace: bool = False,
    source: str = "",
    origins: list[tuple[str, int]] | None = None,
) -> ImportReport:
    """Import entries of either shape in one transaction, entry by entry; see ImportReport.
    `origins`: (file, 1-based position in it) of each entry, so the report can point at an
    entry without a name; by default the entries' positions in the list."""
    registry_slug = registry_of(scope)
    if origins is None or len(origins) != len(entries):
        origins = [("", i + 1) for i in range(len(entries))]
    gate = {"entries": entries, "strict": strict, "replace": replace, "source": source}
    registries.services.approvals.gate(actor, scope, "server.import", gate | {"origins": origins})
    report = ImportReport()
    with registries.store.transaction() as db:
        org, _member = registries.writer(db, actor, scope.org, "import servers")
        reg = registries.registry_row(db, org, registry_slug)
        for entry, (file, position) in zip(entries, origins, strict=True):
            outcome = _import_one(registries, db, reg, position, entry, strict, replace)
            if outcome.outcome in ("imported", "replaced"):
                registries.services.server_versions.publish_first(
                    db, reg["id"], outcome.name, actor
                )
            outcome.position, outcome.file = position, file
            report.outcomes.append(outcome)
        registries.services.audit.record(
            db,
            actor,
            org,
            "server.import",
            "registry",
            reg["id"],
            reg["name"],
            {
                "source": source,
                "imported": report.imported,
                "drafts": report.drafts,
                "skipped": report.skipped,
                "rejected": report.rejected,
            },
        )
    return report


def _import_one(
    registries: RegistryService, db, reg, position: int, entry: Any, strict: bool, replace: bool
) -> ImportOutcome:
    if not isinstance(entry, dict):
        return ImportOutcome(f"#{position}", "rejected", ["not a JSON object"], named=False)
    name = server_name_of(entry)
    if name is None:
        return ImportOutcome(f"#{position}", "rejected", ["no usable name"], named=False)
    document, _notes = to_current(entry)
    problems = validate(document)
    reasons = [problem_group(p) for p in problems]
    details = [str(p) for p in problems]
    if problems and strict:
        return ImportOutcome(name, "rejected", reasons, details=details)
    existing = db.execute(
        "SELECT id FROM servers WHERE registry_id = ? AND name = ?", [reg["id"], name]
    ).fetchone()
    if existing and not replace:
        return ImportOutcome(name, "skipped", [f"already in registry '{reg['slug']}'"])
    if existing:
        try:  # a forked server's document is its upstream's: refused as an edit is
            registries.services.server_versions.refuse_fork_edit(db, reg["id"], name)
        except InvalidInput as refused:
            return ImportOutcome(name, "rejected", ["a forked server"], details=[str(refused)])
        db.table("servers").update(existing[0], registries.server_columns(name, document, problems))
        outcome = "replaced-draft" if problems else "replaced"
        return ImportOutcome(name, outcome, reasons, details=details)
    registries.insert_server(db, reg["id"], name, document, problems)
    return ImportOutcome(name, "draft" if problems else "imported", reasons, details=details)


def export_servers(
    registries: RegistryService, actor: str, scope: Scope
) -> dict[str, Any] | list[dict[str, Any]]:
    """Current-shape server.json: one object for a server's scope, else a list of the
    registry's, by name. Each is the version the registry uses, as exports to clients write it
    (its pin, else its latest published version; a fork's, its upstream's; a valid server never
    published, its working copy). A server with none (a draft never published, a fork gone
    upstream) is refused."""
    versions = registries.services.server_versions
    if scope.server is not None:
        used = {scope.server: versions.resolved_one(actor, scope)}
    else:
        used = versions.resolved(actor, Scope(scope.org, registry_of(scope)))
    unusable = [(name, r.reason) for name, r in used.items() if r.document is None]
    if unusable:
        shown = unusable[:5]
        more = " …" if len(unusable) > 5 else ""
        if all(reason.startswith("a draft") for _name, reason in unusable):
            names = ", ".join(name for name, _reason in shown)
            raise InvalidInput(
                f"{len(unusable)} draft server(s) cannot be exported until fixed: {names}{more}"
            )
        why = "; ".join(f"{name}: {reason}" for name, reason in shown)
        raise InvalidInput(f"{len(unusable)} server(s) cannot be exported: {why}{more}")
    documents = [r.document for r in used.values() if r.document is not None]
    return documents[0] if scope.server is not None else documents
