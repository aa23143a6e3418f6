"""Starting servers on this machine from what a team server holds: `run`, `check` and `call`.

The services that start a server (`LaunchService`, `CheckService`) run here, over the team
server's services (`RemoteServices`): the server.json of the version the registry uses and the
member's effective configuration come from the server; the secrets it needs are opened on this
machine with the member's key (`RemoteVariables.reveal_for_servers`), never on the server.

What a check finds stays on this machine: a team server keeps no check results (the app's
badges and token counts of a team registry stay empty).
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
    """`checks` against a team server: servers started here, results kept nowhere."""

    def last_results(self, actor: str, scope: Scope) -> dict[str, CheckResult]:
        return {}

    def last_result(self, actor: str, scope: Scope) -> CheckResult | None:
        return None

    def _store(self, actor: str, org_slug: str, results: list[CheckResult]) -> list[CheckResult]:
        from dataclasses import replace

        now = self.now()
        return [replace(r, checked_at=now, checked_by=actor) for r in results]


def launch_service(remote: RemoteServices) -> LaunchService:
    return LaunchService(cast("Services", remote))


def check_service(remote: RemoteServices) -> RemoteChecks:
    return RemoteChecks(cast("Services", remote))
