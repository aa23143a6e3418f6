"""Which names and values an import takes for a secret's: a name holding TOKEN, KEY, SECRET,
PASSWORD or AUTH (any case: `GITHUB_TOKEN`, `x-api-key`, `Authorization`), or one the user marks;
in a command line, the value after such a flag (`--api-key VALUE`, `--token=VALUE`), a header
argument naming such a header (`--header Authorization:Bearer …`); in a URL, its password
(`scheme://user:PASSWORD@host`) and such query parameters (`?api_key=…`, `&token=…`, `key=`).
`mask_args` and `mask_url` show them masked."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD", "AUTH")
MASKED = "••••"
HEADER_FLAGS = ("--header", "-H")
# query parameters that carry a credential though their name holds none of the words
_QUERY_NAMES = {"SIG", "SIGNATURE", "PWD", "PASS", "CREDENTIAL", "CREDENTIALS", "CODE"}
# scheme://user:password@rest (the user may be empty: `redis://:pw@host`)
_USERINFO = re.compile(
    r"(?P<head>\b(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://[^\s:/?#@]*:)"
    r"(?P<password>[^\s/?#@]+)(?=@)"
)
_QUERY = re.compile(r"(?P<head>[?&](?P<name>[^=&#\s]+)=)(?P<value>[^&#\s]*)")


def looks_secret(name: str, marked: Collection[str] = ()) -> bool:
    upper = name.upper()
    if any(word in upper for word in SECRET_WORDS):
        return True
    return name in marked or upper in {m.upper() for m in marked}


def secret_flag(token: str, marked: Collection[str] = ()) -> bool:
    """`--api-key`, `--token`, `-password`: a flag whose value is a secret."""
    name = token.lstrip("-")
    return token.startswith("-") and bool(name) and looks_secret(name, marked)


def secret_header(value: str, marked: Collection[str] = ()) -> tuple[str, str, str] | None:
    """`Authorization:Bearer x` (a `--header` argument) → (name, separator with its spaces,
    value) when the header's name looks secret and it holds a value."""
    name, sep, rest = value.partition(":")
    if not sep or not name.strip() or not rest.strip() or not looks_secret(name.strip(), marked):
        return None
    spaces = rest[: len(rest) - len(rest.lstrip())]
    return name, sep + spaces, rest.lstrip()


def url_secrets(text: str, marked: Collection[str] = ()) -> list[tuple[str, int, int, str]]:
    """The secret parts of a URL (or of an argument holding one): (a name for it, start, end,
    value), in order. A URL's password is named `SCHEME_PASSWORD` (`POSTGRESQL_PASSWORD`), a
    query parameter by its own name."""
    if "://" not in text and "?" not in text:
        return []
    found: list[tuple[str, int, int, str]] = []
    for m in _USERINFO.finditer(text):
        scheme = re.sub(r"[^A-Za-z0-9]+", "_", m.group("scheme").split("+")[0]).upper()
        name = "URL" if scheme in ("HTTP", "HTTPS", "WS", "WSS") else scheme
        found.append((f"{name}_PASSWORD", m.start("password"), m.end("password"), m["password"]))
    if "?" in text:
        for m in _QUERY.finditer(text, text.index("?")):
            name = m.group("name")
            if m.group("value") and (
                looks_secret(name, marked) or name.upper().replace("-", "_") in _QUERY_NAMES
            ):
                found.append((name, m.start("value"), m.end("value"), m.group("value")))
    return sorted(found, key=lambda f: f[1])


def mask_url(text: str, marked: Collection[str] = ()) -> str:
    """The text with each secret part of a URL in it masked."""
    for _name, start, end, _value in reversed(url_secrets(text, marked)):
        text = text[:start] + MASKED + text[end:]
    return text


def mask_args(args: Sequence[str], marked: Collection[str] = ()) -> list[str]:
    """A command's arguments as they may be shown: the value after a secret flag, of a
    `--flag=value`, of a secret header argument and every URL's secret parts masked."""
    out: list[str] = []
    after_flag = False
    after_header = False
    for token in args:
        if after_flag and not token.startswith("-"):
            out.append(MASKED)
        elif after_header and secret_header(token, marked) is not None:
            name, sep, _value = secret_header(token, marked) or ("", "", "")
            out.append(name + sep + MASKED)
        elif token.startswith("-") and "=" in token and secret_flag(token.split("=")[0], marked):
            out.append(token.split("=", 1)[0] + "=" + MASKED)
        else:
            out.append(mask_url(token, marked))
        after_header = token in HEADER_FLAGS
        after_flag = not after_header and secret_flag(token, marked) and "=" not in token
    return out
