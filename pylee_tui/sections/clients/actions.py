"""The Clients section's writes: sync a file or an entry back to its export, adopt a hand edit
into the registry, import a file's servers, export a registry to a file. Each asks first, naming
exactly what it changes, and acts only on what the screen showed: the file's drift is read again
in the same worker, and a change since it was drawn is refused (the section scans again)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylee_tui.dialogs.choice import ChoiceScreen, confirm
from pylee_tui.models import plural
from pylee_tui.sections.clients.rows import CHANGED, EntryRow, FileRow, short_path
from pylee_tui.services.errors import Conflict, VaultLocked

if TYPE_CHECKING:
    from pylee_tui.sections.clients.pane import ClientsPane
    from pylee_tui.services.clients.model import ImportPlan, ImportResult

SYNC = "clients-sync"
ADOPT = "clients-adopt"
IMPORT = "clients-import"
EXPORT = "clients-export"
CHANGED_SINCE = (
    "The file changed since it was shown: scanned again. Check what it holds now, then ask again."
)


class Changed(Conflict):
    """What the screen showed of a file is no longer what the file holds (a refusal, as the
    services' are: the app hands it to the caller's `failed`)."""


class ClientActions:
    def __init__(self, pane: ClientsPane) -> None:
        self.pane = pane

    @property
    def services(self):
        return self.pane.services

    @property
    def user(self) -> str:
        return self.pane.user

    def _call(
        self,
        fn: Any,
        *args: Any,
        done: Any,
        group: str,
        retry: Any = None,
        why: str = "to write the secrets this needs",
    ) -> None:
        def failed(exc: Exception) -> None:
            if isinstance(exc, Changed):
                self.pane.notify(CHANGED_SINCE, severity="warning", title="Not written")
                self.pane.refresh_data()
            elif isinstance(exc, VaultLocked) and retry is not None:
                self.pane.pylee_app.with_vault(retry, why)
            else:
                self.pane.notify(str(exc), severity="error", title="Refused")

        self.pane.pylee_app.call(fn, *args, done=done, failed=failed, group=group)

    def _check_unchanged(self, path: Path, shown: dict[str, tuple[str, str]]) -> None:
        """Raise Changed when the file's entries `shown` no longer have the state and diff they
        had on screen (in the worker, before anything is written)."""
        now: dict[str, tuple[str, str]] = {}
        for drift_file in self.services.drift.status(self.user, paths=[path]):
            for entry in drift_file.entries:
                now[entry.name] = (entry.state, entry.diff)
        for name, signature in shown.items():
            if now.get(name) != signature:
                raise Changed(name)

    # --- sync ------------------------------------------------------------------------------

    def sync(self) -> None:
        _client, file, entry = self.pane.selected()
        if file is None:
            return
        rows = [entry] if entry is not None else file.to_sync
        if not rows:
            return
        shown = {r.name: r.signature for r in rows}
        names = list(shown)
        path = file.path

        def dry_run() -> list[Any]:
            self._check_unchanged(path, shown)
            return self.services.drift.sync(self.user, path, entries=names, dry_run=True)

        def ask(results: list[Any]) -> None:
            self._confirm_sync(file, rows, results, shown)

        self._call(dry_run, done=ask, group=SYNC, retry=self.sync)

    def _confirm_sync(
        self, file: FileRow, rows: list[EntryRow], results: list[Any], shown: dict
    ) -> None:
        path = file.path
        overwritten = [r.name for r in rows if r.state == CHANGED]
        lines = [f"In {short_path(path)}:"]
        for plan, install in results:
            source = f"{plan.org}/{plan.registry}"
            if install.replaced:
                lines.append(f"• overwrites {', '.join(install.replaced)} with {source}'s entry")
            if install.added:
                lines.append(f"• writes {', '.join(install.added)} again from {source}")
        if len(lines) == 1:
            lines.append("• nothing to write: the file already holds the export")
        if overwritten:
            lines.append(f"The hand edits of {', '.join(overwritten)} are lost (a adopts them).")
        lines.append(f"The file as it is now is kept as {path.name}.bak.")

        def answered(answer: str | None) -> None:
            if answer == "yes":
                self._sync_now(path, [r.name for r in rows], shown)

        self.pane.app.push_screen(
            confirm(f"Sync {path.name}?", "\n".join(lines), "Sync", "warning"), callback=answered
        )

    def _sync_now(self, path: Path, names: list[str], shown: dict) -> None:
        def run() -> list[Any]:
            self._check_unchanged(path, shown)
            return self.services.drift.sync(self.user, path, entries=names)

        def done(results: list[Any]) -> None:
            backups = {i.backup.name for _p, i in results if i.backup is not None}
            kept = f" (previous file kept as {', '.join(sorted(backups))})" if backups else ""
            self.pane.notify(f"Synced {', '.join(names)} in {path}{kept}", title="Sync")
            self.pane.refresh_data()

        self._call(run, done=done, group=SYNC, retry=lambda: self._sync_now(path, names, shown))

    # --- adopt -----------------------------------------------------------------------------

    def adopt(self) -> None:
        _client, file, entry = self.pane.selected()
        if file is None or entry is None or entry.state != CHANGED or entry.drift is None:
            return
        drift, path, shown = entry.drift, file.path, {entry.name: entry.signature}
        where = f"{drift.org}/{drift.registry}/{drift.server}"

        def answered(answer: str | None) -> None:
            if answer != "yes":
                return

            def run() -> Any:
                self._check_unchanged(path, shown)
                return self.services.drift.adopt(self.user, path, entry.name)

            self._call(run, done=self._adopted, group=ADOPT)

        self.pane.app.push_screen(
            confirm(
                f"Adopt {entry.name}?",
                f"The entry as {short_path(path)} holds it now becomes server {where} "
                "(an edit of that server, in the audit log). The file is not changed.",
                "Adopt",
            ),
            callback=answered,
        )

    def _adopted(self, result: Any) -> None:
        changes = "; ".join(result.changes) or "no change"
        self.pane.notify(
            f"Adopted into {result.org}/{result.registry}/{result.server}: {changes}",
            title="Adopt",
        )
        self.pane.data_changed()
        self.pane.refresh_data()

    # --- import ----------------------------------------------------------------------------

    def import_file(self) -> None:
        _client, file, _entry = self.pane.selected()
        org = self.pane.org_slug
        if file is None or org is None or not file.found.exists:
            return
        from pylee_tui.dialogs.client_import import ClientImportScreen

        def opened(registries: list[Any]) -> None:
            if not registries:
                self.pane.notify(
                    "This org has no registry yet: create one in section 2 first.",
                    severity="warning",
                )
                return
            screen = ClientImportScreen(
                file.found.title,
                short_path(file.path),
                [(r.slug, r.name) for r in registries],
                [e.name for e in file.entries if e.found is not None],
            )
            self.pane.app.push_screen(screen, callback=lambda c: self._plan(file, org, c))

        self._call(
            self.services.registries.list_registries, self.user, org, done=opened, group=IMPORT
        )

    def _plan(self, file: FileRow, org: str, choice: Any) -> None:
        if choice is None:
            return
        found = file.found

        def plan() -> Any:
            clients = self.services.clients
            planned = clients.plan_import(
                self.user,
                found.client,
                found.scope,
                org=org,
                registry=choice.registry,
                file=found.path,
                entries=choice.entries or None,
                secret_names=choice.secret_names,
            )
            clients.check_import(self.user, planned)  # refused before the passphrase is asked
            return planned

        self._call(plan, done=self._apply, group=IMPORT)

    def _apply(self, plan: ImportPlan) -> None:
        # secrets that need the vault open (a local store's) ask for it, then the import again;
        # against a team server they are sealed with the org's public key: nothing is asked
        self._call(
            self.services.clients.apply_import,
            self.user,
            plan,
            done=self._imported,
            group=IMPORT,
            retry=lambda: self._apply(plan),
            why="to store the secrets found in the file",
        )

    def _imported(self, result: ImportResult) -> None:
        plan = result.plan
        done = [*result.created, *result.updated]
        said = f"Imported {plural(len(done), 'server')} into {plan.org}/{plan.registry}"
        if result.drafts:
            said += f" ({plural(len(result.drafts), 'draft')})"
        if result.secrets_stored:
            said += f"; {plural(len(result.secrets_stored), 'secret')} now in the vault"
        self.pane.notify(said, title="Import")
        self.pane.data_changed()
        self.pane.refresh_data()
        if result.secrets_stored:
            self._offer_rewrite(plan, len(result.secrets_stored))

    def _offer_rewrite(self, plan: ImportPlan, secrets: int) -> None:
        """The secrets are in the vault now, and still in plaintext in the file: offer to write
        the file again without them."""
        from pylee_tui.services.export import client_format

        fmt = client_format(plan.client)
        choices: list[tuple[str, str, Any]] = [("launcher", "Launcher form", "primary")]
        if fmt.takes_references:
            choices.append(("reference", "Reference form", "default"))
        choices.append(("keep", "Leave the file", "default"))
        message = (
            f"{short_path(plan.path)} still holds {plural(secrets, 'secret value')} in "
            "plaintext. Rewrite its imported entries so no value is left in the file: the "
            "launcher form starts each server through pylee-tui run; the reference form names "
            f"each secret {fmt.title}'s way. The file as it is now is kept as "
            f"{plan.path.name}.bak."
        )

        def answered(answer: str | None) -> None:
            if answer not in ("launcher", "reference"):
                return

            def rewrite() -> tuple[Any, list[str]]:
                install = self.services.clients.rewrite_file(self.user, plan, answer)
                return install, self.services.clients.left_by_rewrite(self.user, plan)

            self._call(rewrite, done=self._rewritten, group=IMPORT)

        self.pane.app.push_screen(
            ChoiceScreen("Rewrite the file?", message, choices, default="launcher"),
            callback=answered,
        )

    def _rewritten(self, done: tuple[Any, list[str]]) -> None:
        install, left = done
        kept = f" (previous file kept as {install.backup.name})" if install.backup else ""
        self.pane.notify(f"Rewrote {install.path}{kept}", title="Import")
        for line in left:  # a draft's value, say: the rewrite could not take it out
            self.pane.notify(line, severity="warning", title="Still in the file")
        self.pane.refresh_data()

    # --- export ----------------------------------------------------------------------------

    def export(self) -> None:
        _client, file, _entry = self.pane.selected()
        org = self.pane.org_slug
        if file is None or org is None:
            return
        from pylee_tui.dialogs.pick import PickScreen

        def opened(registries: list[Any]) -> None:
            if not registries:
                self.pane.notify("This org has no registry to export yet.", severity="warning")
                return
            if len(registries) == 1:
                self._open_export(org, registries[0].slug, file)
                return
            self.pane.app.push_screen(
                PickScreen(
                    f"Export to {file.found.title} ({file.found.scope}) from…",
                    [(r.slug, f"{r.name}  ({r.slug})") for r in registries],
                ),
                callback=lambda slug: self._open_export(org, slug, file) if slug else None,
            )

        self._call(
            self.services.registries.list_registries, self.user, org, done=opened, group=EXPORT
        )

    def _open_export(self, org: str, registry: str, file: FileRow) -> None:
        from pylee_tui.dialogs.export_preview import ExportScreen

        screen = ExportScreen(org, registry, file.found.client, scope=file.found.scope)
        self.pane.app.push_screen(
            screen, callback=lambda written: self.pane.refresh_data() if written else None
        )
