"""The writes the registries section's keys make: n new (a registry, or a server in the
registry under the cursor), r rename, d delete (asked, and only of what the question named), m
move a server, x export, i import, e edit a registry's overview. Each asks in a dialog, calls the
services in a worker and has the browser show what changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pylee_tui.dialogs.import_result import REPLACE, ImportResultScreen
from pylee_tui.dialogs.pick import PickScreen
from pylee_tui.models import Server
from pylee_tui.sections.registries.forms import (
    APPROVAL,
    delete_registry_question,
    import_form,
    new_registry_form,
    new_server_document,
    new_server_form,
    read_import_files,
    remove_server_question,
    rename_registry_form,
    rename_server_form,
)
from pylee_tui.sections.registries.tree import NodeData
from pylee_tui.services import Scope
from pylee_tui.widgets.markdown_document import MarkdownDocument

if TYPE_CHECKING:
    from pylee_tui.sections.registries.browser import RegistryBrowser


class RegistryWrites:
    """The registries section's writes; the browser decides whether a key applies."""

    def __init__(self, browser: RegistryBrowser) -> None:
        self.browser = browser

    def _acting(self) -> tuple[str, Any, str]:
        """The org shown, the registry service and who acts."""
        b = self.browser
        return b.org, b.services.registries, b.user

    def _form(
        self, form, message: Callable[[Any], str], focus: Callable[[Any], tuple[list, list]]
    ) -> None:
        """Open `form`; once saved, say `message(result)` and put the cursor on `focus(result)`:
        (prefer, expand)."""

        def closed(result: Any) -> None:
            if result is None:
                return
            self.browser.notify(message(result), timeout=4)
            prefer, expand = focus(result)
            self.browser.refresh_data(prefer=prefer, expand=expand)
            self.browser.data_changed()

        self.browser.app.push_screen(form, callback=closed)

    def new(self) -> None:
        data = self.browser.cursor
        if data is None or data.kind in ("root", "placeholder") or not data.registry:
            self.new_registry()
        else:
            self.new_server(data.registry)

    def new_registry(self) -> None:
        org, registries, user = self._acting()

        def create(values: dict[str, str]):
            return registries.create(
                user,
                org,
                values["name"],
                slug=values["slug"] or None,
                description=values["description"],
            )

        self._form(
            new_registry_form(create),
            lambda reg: f"Created registry {reg.name}.",
            lambda reg: ([NodeData("registry", reg.slug)], []),
        )

    def new_server(self, registry: str) -> None:
        org, registries, user = self._acting()

        def create(values: dict[str, str]):
            return registries.add_server(user, Scope(org, registry), new_server_document(values))

        self._form(
            new_server_form(registry, create),
            lambda server: f"Added {server.name}.",
            lambda server: ([NodeData("server", registry, server.name)], [registry]),
        )

    def rename(self) -> None:
        data = self.browser.cursor
        if data is None or not data.registry:
            return
        org, registries, user = self._acting()
        if data.kind == "registry":
            self.rename_registry(data.registry)
        elif data.kind == "server":
            name, registry = data.server or "", data.registry

            def rename(values: dict[str, str]):
                server = registries.get_server(user, Scope(org, registry, name))
                document = dict(server.document, name=values["name"])
                return registries.edit_server(user, Scope(org, registry, name), document).server

            self._form(
                rename_server_form(name, rename),
                lambda s: f"Renamed to {s.name}.",
                lambda s: ([NodeData("server", registry, s.name)], []),
            )

    def rename_registry(self, slug: str) -> None:
        """The registry's form; for an admin, with whether its changes need approval (read in a
        worker first, and changed, when it was, in the same edit as the rest)."""
        org, registries, user = self._acting()
        approvals = self.browser.services.approvals
        summary = self.browser.registry_tree.registries[slug]
        was_open = summary.slug in self.browser.registry_tree.open_registries()

        def opened(required: bool | None) -> None:
            turned: list[bool] = []  # the new setting, once saved, when it changed

            def save(values: dict[str, str]):
                wanted = values.get("approval") == APPROVAL[True]
                change = wanted if required is not None and wanted != required else None
                registry = registries.edit(  # the fields and the setting: all or nothing
                    user,
                    Scope(org, summary.slug),
                    name=values["name"],
                    new_slug=values["slug"],
                    description=values["description"],
                    require_approval=change,
                )
                if change is not None:
                    turned.append(change)
                return registry

            def message(reg) -> str:
                said = f"Saved registry {reg.name}."
                if turned:
                    said += " Changes now need approval." if turned[0] else " Approval is off."
                return said

            self._form(
                rename_registry_form(summary, save, approval=required),
                message,
                lambda reg: ([NodeData("registry", reg.slug)], [reg.slug] if was_open else []),
            )

        if self.browser.allowed("org:manage"):  # admins: who may change it
            self.browser.call(
                approvals.requires_approval, user, Scope(org, summary.slug), done=opened
            )
        else:
            opened(None)

    def delete(self) -> None:
        data = self.browser.cursor  # what the screen shows now is what the question names
        if data is None or data.kind not in ("registry", "server") or not data.registry:
            return
        org, registries, user = self._acting()
        if data.kind == "registry":
            summary = self.browser.registry_tree.registries[data.registry]

            def ask(report) -> None:
                self.browser.app.push_screen(
                    delete_registry_question(summary, report),
                    callback=lambda answer: self._run_delete(
                        answer, data, summary.name, registries.delete, Scope(org, summary.slug)
                    ),
                )

            # check: a delete this user may not make is refused now, not after "Delete?"
            self.browser.call(
                registries.contents, user, Scope(org, summary.slug), check=True, done=ask
            )
        else:

            def ask_server(report) -> None:
                self.browser.app.push_screen(
                    remove_server_question(data.server or "", data.registry or "", report),
                    callback=lambda answer: self._run_delete(
                        answer,
                        data,
                        data.server or "",
                        registries.remove_server,
                        Scope(org, data.registry, data.server),
                    ),
                )

            self.browser.call(
                registries.server_contents,
                user,
                Scope(org, data.registry, data.server),
                check=True,
                done=ask_server,
            )

    def _run_delete(
        self, answer: str | None, asked: NodeData, name: str, fn: Callable[..., Any], *args: Any
    ) -> None:
        if answer != "yes":
            return
        if self.browser.cursor != asked:
            # the tree changed under the question (a change made elsewhere): act on nothing
            self.browser.notify(
                f"{name} is no longer under the cursor (it changed meanwhile); nothing was "
                "removed.",
                severity="warning",
                timeout=6,
            )
            return

        def done(report) -> None:
            self.browser.notify(f"Removed {report.describe()}.", timeout=4)
            self.browser.refresh_data()
            self.browser.data_changed()

        self.browser.call(fn, self.browser.user, *args, done=done)

    def move(self) -> None:
        data = self.browser.cursor
        if data is None or data.kind != "server" or not data.registry:
            return
        others = [
            r for slug, r in self.browser.registry_tree.registries.items() if slug != data.registry
        ]
        if not others:
            self.browser.notify("There is no other registry to move it to.", severity="warning")
            return

        def moved(server: Server, target: str) -> None:
            self.browser.notify(f"Moved {server.name} to {target}.", timeout=4)
            self.browser.refresh_data(
                prefer=[NodeData("server", target, server.name)], expand=[target]
            )
            self.browser.data_changed()

        def picked(target: str | None) -> None:
            if target is None:
                return
            self.browser.call(
                self.browser.services.registries.move_server,
                self.browser.user,
                Scope(self.browser.org, data.registry, data.server),
                target,
                done=lambda server: moved(server, target),
            )

        self.browser.app.push_screen(
            PickScreen(
                f"Move {data.server} to…", [(r.slug, f"{r.name}  ({r.slug})") for r in others]
            ),
            callback=picked,
        )

    def export(self) -> None:
        data = self.browser.cursor
        if data is None or not data.registry:
            return
        from pylee_tui.dialogs.export_preview import ExportScreen

        self.browser.app.push_screen(ExportScreen(self.browser.org, data.registry))

    def import_files(self) -> None:
        data = self.browser.cursor
        if data is None or not data.registry:
            return
        org, registry, user = self.browser.org, data.registry, self.browser.user
        registries = self.browser.services.registries
        read: dict[str, Any] = {}

        def run(values: dict[str, str]):
            entries, origins = read_import_files(values["path"])
            read.update(entries=entries, origins=origins, source=values["path"].strip())
            return registries.import_servers(
                user, Scope(org, registry), entries, source=read["source"], origins=origins
            )

        def replace_skipped() -> None:
            self.browser.call(
                registries.import_servers,
                user,
                Scope(org, registry),
                read["entries"],
                replace=True,
                source=read["source"],
                origins=read["origins"],
                done=lambda report: imported(report, replaced=True),
            )

        def imported(report, replaced: bool = False) -> None:
            if report is None:
                return
            self.browser.refresh_data()
            self.browser.data_changed()

            def closed(choice: str | None) -> None:
                if choice == REPLACE:
                    replace_skipped()
                elif choice:  # a draft: go to it
                    self.browser.refresh_data(
                        prefer=[NodeData("server", registry, choice)], expand=[registry]
                    )

            self.browser.app.push_screen(
                ImportResultScreen(registry, report, replaced=replaced), callback=closed
            )

        self.browser.app.push_screen(import_form(registry, run), callback=imported)

    def edit_overview(self) -> None:
        data = self.browser.cursor
        if data is None or data.kind != "registry":
            return
        org, slug, user, registries = (
            self.browser.org,
            data.registry or "",
            self.browser.user,
            self.browser.services.registries,
        )

        def load():
            registry = registries.get_registry(user, Scope(org, slug))
            return registry.overview, registry.overview_base

        def save(text: str, base, force: bool):
            return registries.edit(
                user, Scope(org, slug), overview=text, overview_base=base, force=force
            ).overview_base

        def opened(loaded) -> None:
            text, base = loaded
            summary = self.browser.registry_tree.registries[slug]
            document = MarkdownDocument(f"{summary.name} · overview", slug, text, base, save, load)
            self.browser.post_message(self.browser.EditOverview(self.browser, document))

        self.browser.call(load, done=opened)
