"""What the vault section says around its table: the mode line, the text of an empty table, and
the detail of the selected row (where it comes from, what it hides, its problems)."""

from __future__ import annotations

from rich.text import Text

from pylee_tui.models import plural
from pylee_tui.safe_text import escape
from pylee_tui.sections.vault.rows import DEFINED, DELETED, EFFECTIVE, MODE_NAMES, Change, Row


def mode_line(
    mode: str,
    rows: int,
    *,
    missing: int,
    loaded: bool,
    cloned: int = 0,
    total: int | None = None,
    sort: tuple[str, bool] = ("key", False),
) -> Text:
    """' defined here   effective   deleted   · 3 keys · t/D switch' (the hint last: on a narrow
    screen it is what gets cut). With a filter, `total` is the number of rows before it:
    '· 3 of 120 keys match'; a sort other than by key says so. `missing`: required keys defined
    nowhere (effective), `cloned`: secrets a clone left without a value, among the rows."""
    line = Text()
    for key, name in MODE_NAMES.items():
        line.append(f" {name} ", style="reverse bold" if mode == key else "")
        line.append(" ")
    of = f" of {total:,}" if total is not None else ""
    matching = " match" if total is not None else ""
    if loaded and mode == DELETED:
        line.append(f" · {rows:,}{of} deleted key{'' if total or rows == 1 else 's'}", style="dim")
        line.append(matching, style="dim")
    elif loaded:
        missing = missing if mode == EFFECTIVE else 0
        shown = rows - missing - cloned
        if total is None:
            line.append(f" · {plural(shown, 'key')}", style="dim")
        else:
            line.append(f" · {shown:,}{of} keys{matching}", style="dim")
        if missing:
            line.append(f" · {missing} required missing", style="bold red")
        if cloned:
            line.append(f" · {cloned} cloned without value", style="bold red")
    by, reverse = sort
    if loaded and (by != "key" or reverse):
        line.append(f" · by {SORT_NAMES[by]}{' ↑' if reverse else ''}", style="dim")
    line.append(" · t/D switch", style="dim")
    return line


SORT_NAMES = {"key": "key", "kind": "kind", "value": "value", "level": "where defined"}


def empty_text(
    mode: str, level: str, label: str, *, may_add: bool, deleted: int, needle: str = ""
) -> str:
    if needle:
        return f"No key matches “{needle}”. Escape clears the filter."
    if mode == DELETED:
        return (
            f"No key has been deleted at {label}. A deleted key is listed here, with its "
            "history, until it is set again. D goes back."
        )
    if mode == DEFINED:
        text = f"Nothing is defined at {label} yet."
    else:
        text = f"No variable or secret reaches {label}."
    if may_add:
        text += " Press n to add a variable or a secret."
    if mode == DEFINED and level != "org":
        text += " Press t to see what it inherits."
    if deleted:
        text += f" D lists the {plural(deleted, 'key')} deleted here."
    return text


def row_detail(
    row: Row, *, may_write: bool, revealed_for: float | None, updated: Change | None = None
) -> Text:
    """`revealed_for`: the seconds a revealed value stays shown, when it is revealed;
    `updated`: when and by whom the key was last written."""
    text = Text()
    if row.deleted is not None:
        d = row.deleted
        text.append(escape(row.key), style="bold")
        text.append(f" · {row.kind} · deleted {d.deleted_at:%Y-%m-%d %H:%M} by ")
        text.append(escape(d.deleted_by))
        text.append("\nh shows its versions: roll one back (r) to bring it back.", style="dim")
        return text
    if row.cloned is not None:
        c = row.cloned
        text.append(escape(row.key), style="bold red")
        text.append(escape(f" · secret · missing at {c.where}: `org clone` copied it from "))
        text.append(escape(c.cloned_from))
        text.append(" without its value")
        text.append(": press e to set it there." if may_write else ".")
        if row.missing is not None and row.missing.description:
            text.append(f"\n{escape(row.missing.description)}", style="dim")
        return text
    if row.missing is not None:
        m = row.missing
        text.append(escape(f"{row.key} is required by {m.source or 'the server'}"), style="red")
        text.append(" and defined nowhere")
        if may_write:
            text.append(": press e to define it here")
        text.append(".")
        if m.description:
            text.append(f"\n{escape(m.description)}", style="dim")
        return text
    text.append(escape(row.key), style="bold")
    text.append(f" · {row.kind} · {escape(row.source)}")
    if updated is not None:
        text.append(f" · set {updated.at:%Y-%m-%d %H:%M} by {updated.by}", style="dim")
    if row.overrides:
        text.append(f" · overrides {escape(', '.join(row.overrides))}", style="dim")
    if row.references:
        text.append(
            escape(" · refers to " + ", ".join(f"${{{r}}}" for r in row.references)),
            style="dim",
        )
    if revealed_for is not None:
        after = f"{revealed_for / 60:g} min" if revealed_for >= 60 else f"{revealed_for:g} s"
        text.append(f"\nrevealed: hidden again after {after} (v hides it now)", style="yellow")
    for problem in row.problems:
        text.append(f"\n⚠ {escape(problem)}", style="bold red")
    for warning in row.warnings:
        text.append(f"\n⚠ {escape(warning)}", style="yellow")
    return text
