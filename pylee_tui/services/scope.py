"""Where something lives in an org: the org itself, one of its registries, or a server of that
registry. The CLI, the app and every service name a place with one `Scope`."""

from __future__ import annotations

from dataclasses import dataclass

from pylee_tui.fields import ScopeLevel
from pylee_tui.services.errors import InvalidInput

LEVELS: tuple[ScopeLevel, ...] = ("org", "registry", "server")
YOU = "you"  # the label of the acting user's own keys (the user scope), as the source column says


@dataclass(frozen=True)
class Scope:
    """An org by slug; with `registry`, one of its registries by slug; with `server` too, a
    server of that registry by name. An empty registry or server means none (as an unset flag).
    With `user`: the acting user's personal overrides in the org (the user scope), theirs alone."""

    org: str
    registry: str | None = None
    server: str | None = None
    user: bool = False

    def __post_init__(self) -> None:
        # frozen: the normalisation happens once, here
        if not self.registry:
            object.__setattr__(self, "registry", None)
        if not self.server:
            object.__setattr__(self, "server", None)
        if self.server and not self.registry:
            raise InvalidInput("a server is named within its registry: give the registry too")
        if self.user and self.registry:
            raise InvalidInput("your personal overrides are the org's: name no registry or server")

    @property
    def level(self) -> ScopeLevel:
        if self.user:
            return "user"
        return "server" if self.server else "registry" if self.registry else "org"

    @property
    def label(self) -> str:
        """The scope in the words the services use (`Entry.source`, error messages)."""
        if self.user:
            return f"your overrides in org {self.org}"
        if self.server:
            return f"server {self.server}"
        if self.registry:
            return f"registry {self.registry}"
        return f"org {self.org}"

    @property
    def chain(self) -> tuple[ScopeLevel, ...]:
        """The levels a key here inherits from, this one last: org, registry, server."""
        if self.user:
            return ("org", "user")
        return LEVELS[: LEVELS.index(self.level) + 1]

    def up_to(self, level: str) -> Scope:
        """This scope's ancestor at `level` (org, registry, server): itself at its own level."""
        if level == "org":
            return Scope(self.org)
        if level == "user":
            return Scope(self.org, user=True)
        if level == "registry" and self.server:
            return Scope(self.org, self.registry)
        return self
