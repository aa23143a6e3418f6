"""A real team server for the tests: uvicorn on 127.0.0.1, a port the system picks, in a thread,
over the test's own services (its clock movable), and people enrolled on it with real tokens."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import uvicorn

from pylee_tui.services import Services
from pylee_tui.team.api import create_app
from pylee_tui.team.sealing import new_key_pair
from tests.support import ANN, Clock

STARTUP_DEADLINE = 10.0  # seconds: a server not up by then fails the test


@dataclass
class TeamServer:
    url: str
    services: Services
    clock: Clock
    tokens: dict[str, str] = field(default_factory=dict)

    def enrol(self, email: str, *, by: str = ANN) -> str:
        """A token for `email` (who must be a server admin or a member or invitee of an org),
        from a code issued by `by`, traded at the service (the HTTP enrolment has its tests)."""
        with self.services.store.transaction() as db:
            code = self.services.tokens.issue_code(db, email, by)
        issued = self.services.tokens.enrol(code, new_key_pair().public)
        self.tokens[email] = issued.token
        return issued.token


def serve_in_thread(app: object) -> Iterator[str]:
    """Run `app` until the test ends; yields its base URL once it accepts connections."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")  # type: ignore[arg-type]
    yield from run_in_thread(uvicorn.Server(config))


def run_in_thread(server: uvicorn.Server, scheme: str = "http") -> Iterator[str]:
    """Run `server` (listening on 127.0.0.1) until the test ends; yields its base URL once it
    accepts connections."""
    thread = threading.Thread(target=server.run, name="team-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_DEADLINE
    while not server.started:  # set once its sockets listen: a wait for an event, not a guess
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test team server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_DEADLINE)


@pytest.fixture
def team(services: Services, clock: Clock) -> Iterator[TeamServer]:
    """A team server whose first admin is ANN, enrolled (her token in `team.tokens[ANN]`)."""
    code = services.tokens.init_server(ANN)
    issued = services.tokens.enrol(code, new_key_pair().public)
    for url in serve_in_thread(create_app(services)):
        yield TeamServer(url, services, clock, {ANN: issued.token})
