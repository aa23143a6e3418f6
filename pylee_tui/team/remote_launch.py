"""Starting servers on this machine from what a team server holds: `run`, `check` and `call`.

The services that start a server (`LaunchService`, `CheckService`) run here, over the team
server's services (`RemoteServices`): the server.json of the version the registry uses and the
member's effective configuration come from the server; the secrets it needs are opened on this
machine with the member's key (`RemoteVariables.reveal_for_servers`), never on the server.

What a check finds (the servers' answers, every secret value they were started with masked) is
kept on the team server as the member's check (`checks.record`), so every member's app shows the
badges, tools and token counts of a team registry; the server starts nothing itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from pylee_tui.services.checks import CheckResult, CheckService
from pylee_tui.services.launch import LaunchService

if TYPE_CHECKING:
    from pylee_tui.services import Services
    from pylee_tui.services.scope import Scope
    from pylee_tui.team.remote import RemoteServices


class RemoteChecks(CheckService):
    """`checks` against a team server: servers started here; what they answered (masked) kept
    on the server as the member's check, and read back from it."""

    def __init__(self, remote: RemoteServices):
        from pylee_tui.team.remote import RemoteService

        super().__init__(cast("Services", remote))
        self._server = RemoteService(remote.connection, "checks")

    def last_results(self, actor: str, scope: Scope) -> dict[str, CheckResult]:
        found: dict[str, CheckResult] = self._server.last_results(actor, scope)
        return found

    def last_result(self, actor: str, scope: Scope) -> CheckResult | None:
        found: CheckResult | None = self._server.last_result(actor, scope)
        return found

    def _store(self, actor: str, org_slug: str, results: list[CheckResult]) -> list[CheckResult]:
        if not results:
            return []
        kept: list[CheckResult] = self._server.record(actor, org_slug, results)
        return kept


def launch_service(remote: RemoteServices) -> LaunchService:
    return LaunchService(cast("Services", remote))


def check_service(remote: RemoteServices) -> RemoteChecks:
    return RemoteChecks(remote)
