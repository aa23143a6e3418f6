"""Checking servers from the registry tree: the badges (each server's last state, read once per
registry shown), `k` (the server under the cursor) and `K` (every server of its registry, with a
progress bar and a summary). Checks run in workers; a locked vault is asked for, then retried."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from textual.binding import Binding

from pylee_tui.dialogs.check_progress import CheckProgressScreen
from pylee_tui.models import plural
from pylee_tui.safe_text import escape
from pylee_tui.services import NotFound, Scope, VaultLocked

if TYPE_CHECKING:  # the checks service (and the MCP runtime) load on the first check
    from pylee_tui.sections.registries.browser import RegistryBrowser
    from pylee_tui.services.checks import CheckResult

CHECK_TIMEOUT = 30.0  # seconds a server has to answer, as `pylee-tui check`'s default
CHECK_PARALLEL = 4

BINDINGS = [
    Binding("k", "check_server", "Check", id="registries.check", tooltip="Check the server"),
    Binding(
        "K",
        "check_registry",
        "Check all",
        show=False,
        id="registries.check_all",
        tooltip="Check every server of the registry",
    ),
]
NEEDS_ITEM = {
    "check_server": "k checks a server: put the cursor on a server first (K: a whole registry).",
    "check_registry": "K checks a registry: put the cursor on a registry or one of its servers.",
}


def describe(result: CheckResult) -> str:
    """One line: the state and what answered, or why not."""
    if result.ok:
        who = " ".join(p for p in (result.server_name, result.server_version) if p)
        counts = plural(len(result.tools), "tool")
        return f"ok: {who or 'answered'}, {counts}, ≈ {result.tokens:,} tokens"
    return f"{result.state}: {result.detail}" if result.detail else result.state


def summary(results: list[CheckResult]) -> str:
    """Counts per state (in STATES' order) and the ≈ tokens of the servers that answered."""
    from pylee_tui.services.checks import STATES

    counts = Counter(r.state for r in results)
    parts = [f"{counts[s]} {s}" for s in STATES if counts[s]]
    tokens = sum(r.tokens for r in results if r.ok)
    return f"{' · '.join(parts) or 'nothing to check'}; ≈ {tokens:,} tokens of tools in all"


class ServerChecks:
    """The registry browser's checks; the browser decides whether a key applies."""

    def __init__(self, browser: RegistryBrowser) -> None:
        self.browser = browser

    # --- badges ----------------------------------------------------------------------------

    def load_badges(self, registries: Iterable[str]) -> None:
        """Read the last states of the servers of `registries`: one registry in a worker group of
        its own (only its newest answer lands); several (a tree of forty) in one worker and one
        answer, not a worker and a landing each (only the newest such answer lands)."""
        browser, slugs = self.browser, list(registries)
        if not slugs:
            return
        service, user, org = browser.services.checks, browser.user, browser.org
        if len(slugs) == 1:
            slug = slugs[0]
            browser.call(
                service.last_results,
                user,
                Scope(org, slug),
                done=lambda results: self._show_badges(slug, results),
                failed=lambda _exc: None,  # a registry gone meanwhile: the next load says so
                group=f"registry-badges:{slug}",
            )
            return

        def read() -> dict[str, dict[str, CheckResult]]:
            found = {}
            for slug in slugs:
                try:
                    found[slug] = service.last_results(user, Scope(org, slug))
                except NotFound:  # a registry gone meanwhile: the next load says so
                    continue
            return found

        def show(found: dict[str, dict[str, CheckResult]]) -> None:
            browser.registry_tree.set_many_badges(
                {slug: {n: r.state for n, r in results.items()} for slug, results in found.items()}
            )

        browser.call(read, done=show, failed=lambda _exc: None, group="registry-badges")

    def _show_badges(self, registry: str, results: dict[str, CheckResult]) -> None:
        self.browser.registry_tree.set_badges(
            registry, {name: r.state for name, r in results.items()}
        )

    # --- k and K ---------------------------------------------------------------------------

    def _with_vault(self, attempt: Callable[[], None], reason: str) -> Callable[[Exception], None]:
        """A `failed` that asks for the vault's passphrase and tries again when it was locked."""
        browser = self.browser

        def failed(exc: Exception) -> None:
            if isinstance(exc, VaultLocked):
                browser.pylee_app.with_vault(attempt, reason=reason)
            else:
                browser.notify(escape(str(exc)), severity="error", markup=False)

        return failed

    def check_server(self, registry: str, name: str) -> None:
        browser = self.browser
        org, user = browser.org, browser.user
        reason = f"{name} needs a secret: to check it the vault must be unlocked."

        def done(results: list[CheckResult]) -> None:
            result = results[0] if results else None
            if result is None:
                return
            browser.notify(
                escape(f"{name}: {describe(result)}"),
                title="Check",
                severity="information" if result.ok else "warning",
                markup=False,
            )
            self.load_badges([registry])

        def attempt() -> None:
            browser.notify(escape(f"Checking {name}…"), timeout=3, markup=False)
            browser.call(
                browser.services.checks.check,
                user,
                Scope(org, registry, name),
                timeout=CHECK_TIMEOUT,
                isolated=True,  # in a child process: the UI never waits on it
                done=done,
                failed=failed,
                group="server-check",
            )

        failed = self._with_vault(attempt, reason)
        attempt()

    def check_registry(self, registry: str) -> None:
        browser = self.browser
        org, user, app = browser.org, browser.user, browser.pylee_app
        summary_ = browser.registry_tree.registries.get(registry)
        total = summary_.server_count if summary_ is not None else 0
        title = summary_.name if summary_ is not None else registry
        reason = f"Some servers of {title} need secrets: to check them the vault must be unlocked."
        modal: CheckProgressScreen | None = None

        def progress(done: int, total: int, result: CheckResult) -> None:  # a worker's thread
            if modal is not None:
                app.call_from_thread(modal.advance, done, total, result.server, result.state)

        def finished(results: list[CheckResult]) -> None:
            self.load_badges([registry])
            line = summary(results)
            if modal is not None and modal.is_attached:
                modal.finish(line)
            else:  # the wait was given up: the summary comes anyway
                browser.notify(escape(f"{title}: {line}"), title="Check", markup=False)

        def failed(exc: Exception) -> None:
            if modal is not None and modal.is_attached:
                modal.dismiss()
            retry(exc)

        def attempt() -> None:
            nonlocal modal
            modal = CheckProgressScreen(f"Checking {title}", total)
            app.push_screen(modal)
            browser.call(
                browser.services.checks.check,
                user,
                Scope(org, registry),
                timeout=CHECK_TIMEOUT,
                isolated=True,  # in a child process: the UI never waits on it
                parallel=CHECK_PARALLEL,
                progress=progress,
                done=finished,
                failed=failed,
                group=f"registry-check:{registry}",
            )

        retry = self._with_vault(attempt, reason)
        attempt()


def why_not(browser: RegistryBrowser, action: str) -> str | None:
    """Why k or K cannot be used on the item under the cursor (None: it can)."""
    data = browser.cursor
    if action == "check_server" and (data is None or data.kind != "server"):
        return NEEDS_ITEM[action]
    if action == "check_registry" and (data is None or not data.registry):
        return NEEDS_ITEM[action]
    return None
