"""Which names an import takes for a secret's: a name holding TOKEN, KEY, SECRET, PASSWORD or
AUTH (any case: `GITHUB_TOKEN`, `x-api-key`, `Authorization`), or one the user marks."""

from __future__ import annotations

from collections.abc import Collection

SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD", "AUTH")


def looks_secret(name: str, marked: Collection[str] = ()) -> bool:
    upper = name.upper()
    if any(word in upper for word in SECRET_WORDS):
        return True
    return name in marked or upper in {m.upper() for m in marked}
