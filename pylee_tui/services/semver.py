"""Semantic versions (semver.org 2.0.0): parse, compare and bump
`MAJOR.MINOR.PATCH[-pre][+build]`."""

from __future__ import annotations

import re
from functools import total_ordering
from typing import Literal

Bump = Literal["patch", "minor", "major"]
BUMPS: tuple[Bump, ...] = ("patch", "minor", "major")

_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
FIRST = "1.0.0"


@total_ordering
class Version:
    """A parsed version; ordered by precedence (build metadata does not count)."""

    __slots__ = ("build", "major", "minor", "patch", "pre")

    def __init__(self, major: int, minor: int, patch: int, pre: str = "", build: str = ""):
        self.major, self.minor, self.patch, self.pre, self.build = major, minor, patch, pre, build

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        return (
            text + (f"-{self.pre}" if self.pre else "") + (f"+{self.build}" if self.build else "")
        )

    def __repr__(self) -> str:
        return f"Version({str(self)!r})"

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
        parts: tuple[tuple[int, int | str], ...] = tuple(
            (0, int(p)) if p.isdigit() else (1, p) for p in self.pre.split(".") if self.pre
        )
        # a pre-release sorts before its release: (0, parts) < (1, ())
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def bumped(self, bump: Bump) -> Version:
        """The next version of this kind; a pre-release's bump releases it (1.1.0-rc.1 → 1.1.0
        for minor) as semver's precedence rules would have it."""
        if bump == "major":
            release = self.pre and self.minor == 0 and self.patch == 0
            return Version(self.major if release else self.major + 1, 0, 0)
        if bump == "minor":
            release = self.pre and self.patch == 0
            return Version(self.major, self.minor if release else self.minor + 1, 0)
        return Version(self.major, self.minor, self.patch if self.pre else self.patch + 1)


def parse(text: object) -> Version | None:
    """The version `text` spells, or None when it is not a semantic version."""
    if not isinstance(text, str):
        return None
    match = _SEMVER.fullmatch(text.strip())
    if match is None:
        return None
    major, minor, patch, pre, build = match.groups()
    return Version(int(major), int(minor), int(patch), pre or "", build or "")


def is_semver(text: object) -> bool:
    return parse(text) is not None


def first_version(text: object) -> str:
    """The version a server is first published at: its document's own when it is semver."""
    version = parse(text)
    return str(version) if version is not None else FIRST
