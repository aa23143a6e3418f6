"""Stored text made safe to show on a terminal: the one place that decides what is escaped.

Anything a user or an imported file put in the store (a description, an overview, a draft's name,
a variable's value, an audit label) may hold C0/C1 control characters, DEL, bidi overrides or
line separators. Written raw they would drive the terminal: colours, the window title, OSC 52
writes to the clipboard, text shown in another order than it is stored. Every CLI line and every
widget shows such characters through `escape`, as visible text (`\\x1b`, `⟨U+202E⟩`); JSON output
goes through `escape_json` (`\\u001b`), which keeps the JSON's meaning byte for byte.
"""

from __future__ import annotations

import re
from typing import TextIO

# C0 controls, DEL and C1 controls (unicodedata category Cc), the Unicode line and paragraph
# separators, the bidi embeddings/overrides/isolates, and lone surrogates (undecodable input).
_BEYOND_C0 = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
_UNSAFE_KEEPING_LINES = re.compile(f"[\x00-\x09\x0b-\x1f{_BEYOND_C0}]")  # all but \n
# JSON already writes C0 controls as \uXXXX; these are the ones it leaves raw
_JSON_RAW = re.compile(f"[{_BEYOND_C0}]")

REPLACEMENT = "\ufffd"


def _visible(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if code < 0xA0:  # C0, DEL, C1: the form Python itself prints, \x1b, \n, \t
        return ascii(ch)[1:-1]
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate: not text at all
        return REPLACEMENT
    return f"⟨U+{code:04X}⟩"


def escape(text: str, *, multiline: bool = False, keep: str = "") -> str:
    """`text` with every unsafe character shown as visible text. Line breaks are escaped too
    (one stored value stays one line) unless `multiline`, where `\\n` is kept; `keep` names
    other characters to leave as they are (an editor keeps tabs)."""
    if multiline:
        keep += "\n"
    pattern = _UNSAFE_KEEPING_LINES if keep == "\n" else UNSAFE
    if not keep or keep == "\n":
        return pattern.sub(_visible, text)
    return UNSAFE.sub(lambda m: m.group() if m.group() in keep else _visible(m), text)


def escape_markdown(text: str) -> str:
    """Markdown source (an overview) for a viewer or an editor: Windows line ends become `\\n`,
    tabs and line breaks stay, every other unsafe character is shown escaped."""
    return escape(text.replace("\r\n", "\n"), keep="\n\t")


def is_safe(text: str) -> bool:
    """True when `escape` would leave `text` as it is."""
    return UNSAFE.search(text) is None


def escape_json(text: str) -> str:
    """JSON text with the characters `json.dumps(ensure_ascii=False)` leaves raw written as
    `\\uXXXX`: the same JSON value, nothing in it that drives a terminal."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class SafeWriter:
    """A text stream that passes everything through `escape(..., multiline=True)`: the CLI's
    stdout and stderr, so no command can print stored text raw by forgetting to escape it."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(escape(text, multiline=True))
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self.stream, "encoding", None) or "utf-8"
