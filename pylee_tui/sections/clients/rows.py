"""The Clients section's view model: the files a scan found and the drift of what was exported
to them, joined per file and entry, with every line the tree and the detail show already made
safe (escaped, secrets masked). Plain data, built in the worker that read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.text import Text

from pylee_tui.safe_text import escape
from pylee_tui.services.clients.model import (
    CHANGED,
    FOREIGN,
    IN_SYNC,
    MISSING,
    STALE,
    DriftEntry,
    DriftFile,
    FoundEntry,
    FoundFile,
)
from pylee_tui.services.clients.secret_names import mask_args, mask_url
from pylee_tui.widgets.diff_text import diff_text

MASK = "•••"
# how each drift state looks as a badge
BADGE_STYLES = {
    IN_SYNC: "green",
    CHANGED: "bold yellow",
    MISSING: "bold red",
    STALE: "magenta",
    FOREIGN: "dim",
}
# states a sync brings back in line (a foreign entry is not ours; in sync needs nothing)
SYNCABLE = (CHANGED, MISSING, STALE)


def short_path(path: Path, home: Path | None = None, project: Path | None = None) -> str:
    """`path` from the project (the current directory) as `./`, else from the home as `~`
    (escaped: a file name is a stored string too)."""
    home = home if home is not None else Path.home()
    if project == home:
        project = None  # the home itself: ~ says more
    for base, mark in ((project, "./"), (home, "~/")):
        if base is None:
            continue
        try:
            return escape(mark + path.relative_to(base).as_posix())
        except ValueError:
            continue
    return escape(str(path))


def _key(path: Path) -> str:
    try:
        return str(path.expanduser().resolve())
    except OSError:
        return str(path)


@dataclass(frozen=True)
class EntryRow:
    """One entry of a file: in it (found), recorded by an export (drift), or both."""

    name: str
    state: str
    found: FoundEntry | None = None
    drift: DriftEntry | None = None
    group: str = ""  # where in the file: "" is what an export writes (see FoundEntry)

    @property
    def registry(self) -> str:
        """`org/registry` it was exported from ("" for a foreign entry)."""
        d = self.drift
        if d is None or d.registry is None:
            return ""
        return f"{d.org}/{d.registry}" if d.org else d.registry

    @property
    def signature(self) -> tuple[str, str]:
        """What a sync or an adopt acts on: refused when this differs from the file's now."""
        return (self.state, self.drift.diff if self.drift is not None else "")


@dataclass(frozen=True)
class FileRow:
    found: FoundFile
    entries: tuple[EntryRow, ...] = ()
    problem: str | None = None

    @property
    def path(self) -> Path:
        return self.found.path

    @property
    def registries(self) -> list[str]:
        return sorted({e.registry for e in self.entries if e.registry})

    @property
    def to_sync(self) -> list[EntryRow]:
        return [e for e in self.entries if e.state in SYNCABLE]

    def entry(self, name: str, group: str = "") -> EntryRow | None:
        return next((e for e in self.entries if e.name == name and e.group == group), None)


@dataclass(frozen=True)
class ClientRow:
    key: str
    title: str
    files: tuple[FileRow, ...] = ()

    @property
    def found(self) -> bool:
        return any(f.found.exists for f in self.files)


@dataclass
class ClientsView:
    clients: list[ClientRow] = field(default_factory=list)
    home: Path | None = None
    project: Path | None = None  # the current directory: where project files are looked for

    def short(self, path: Path) -> str:
        return short_path(path, self.home, self.project)

    @property
    def empty(self) -> bool:
        return not any(c.found for c in self.clients)

    def file(self, path: Path) -> FileRow | None:
        wanted = _key(path)
        for client in self.clients:
            for row in client.files:
                if _key(row.path) == wanted:
                    return row
        return None


def join_entries(found: FoundFile, drift: DriftFile | None) -> tuple[EntryRow, ...]:
    """The file's entries, each with its recorded drift; those an export recorded that the file
    no longer holds (missing) after them."""
    recorded = {e.name: e for e in drift.entries} if drift is not None else {}
    rows: list[EntryRow] = []
    for entry in found.entries:
        # an export writes (and records) the file's own servers, not a project's within it
        d = recorded.pop(entry.name, None) if entry.group == "" else None
        state = d.state if d is not None else FOREIGN
        rows.append(EntryRow(entry.name, state, entry, d, entry.group))
    rows.extend(EntryRow(d.name, d.state, None, d) for d in recorded.values())
    return tuple(rows)


def build_view(
    files: list[FoundFile],
    drift: list[DriftFile],
    home: Path | None = None,
    project: Path | None = None,
) -> ClientsView:
    """Group the scan's files per client (in the scan's order), each joined with its drift."""
    by_path = {_key(d.path): d for d in drift}
    clients: dict[str, ClientRow] = {}
    for found in files:
        d = by_path.get(_key(found.path))
        problem = found.problem or (d.problem if d is not None else None)
        row = FileRow(found, join_entries(found, d) if found.exists else (), problem)
        client = clients.get(found.client) or ClientRow(found.client, found.title)
        clients[found.client] = ClientRow(client.key, client.title, (*client.files, row))
    return ClientsView(list(clients.values()), home, project)


# --- lines shown --------------------------------------------------------------------------------


def badge(state: str) -> Text:
    return Text(f"[{state}]", style=BADGE_STYLES.get(state, ""))


def client_label(client: ClientRow) -> Text:
    count = sum(1 for f in client.files if f.found.exists)
    text = Text(escape(client.title), style="bold")
    if not count:
        text.append("  none found", style="dim")
    return text


def file_label(row: FileRow, view: ClientsView) -> Text:
    text = Text(f"{row.found.scope}: ", style="italic")
    text.append(view.short(row.path))
    if row.problem:
        text.append("  ⚠ " + escape(row.problem), style="red")
    elif not row.found.exists:
        text.stylize("dim")
        text.append("  not found", style="dim")
    else:
        changed = sum(1 for e in row.entries if e.state in SYNCABLE)
        text.append(f"  ({len(row.entries)})", style="dim")
        if changed:
            text.append(f" · {changed} drifted", style="yellow")
    return text


def entry_label(row: EntryRow) -> Text:
    text = Text(escape(row.name))
    if row.group:
        text.append(f" ({escape(row.group)})", style="dim italic")
    text.append(" ")
    text.append_text(badge(row.state))
    if row.registry:
        text.append(f" {escape(row.registry)}", style="dim")
    return text


def _masked_pairs(values: dict[str, str]) -> str:
    return ", ".join(f"{escape(k)}={MASK}" for k in sorted(values))


def entry_detail(client: ClientRow, file: FileRow, row: EntryRow, view: ClientsView) -> Text:
    """What the right pane shows of an entry: where it is, whose, its state, its diff."""
    text = Text()

    def line(label: str, value: str, style: str = "") -> None:
        text.append(f"{label:<9}", style="bold")
        text.append(value + "\n", style=style)

    line("Entry", escape(row.name))
    if row.group:
        line("Project", escape(row.group))
    line("Client", escape(client.title))
    line("File", f"{view.short(file.path)} ({file.found.scope})")
    text.append(f"{'State':<9}", style="bold")
    text.append_text(badge(row.state))
    text.append("\n")
    d = row.drift
    line("Registry", escape(row.registry) or "— (not exported by pylee-tui)", "" if d else "dim")
    if d is not None and d.server:
        line("Server", escape(d.server))
    found = row.found
    if found is not None:
        entry = found.entry
        if entry.command is not None:
            line("Command", escape(" ".join([entry.command, *mask_args(entry.args)])))
        if entry.url is not None:
            line("URL", escape(f"{mask_url(entry.url)} ({entry.transport})"))
        if entry.env:
            line("Env", _masked_pairs(entry.env))
        if entry.headers:
            line("Headers", _masked_pairs(entry.headers))
        for problem in entry.problems:
            line("Problem", escape(problem), "red")
    elif row.state == MISSING:
        line("", "deleted from the file since the export", "red")
    hint = {
        CHANGED: "s puts the export's entry back · a takes the file's version into the registry",
        MISSING: "s writes the export's entry again",
        STALE: "s writes the registry's current entry",
        FOREIGN: "i imports it into a registry of this org",
    }.get(row.state)
    if hint:
        text.append(hint + "\n", style="dim italic")
    if d is not None and d.diff:
        text.append("\n")
        text.append_text(diff_text(d.diff))
    return text


def file_detail(client: ClientRow, file: FileRow, view: ClientsView) -> Text:
    text = Text()
    text.append(f"{escape(client.title)}", style="bold")
    text.append(f" · {file.found.scope}\n")
    text.append(view.short(file.path) + "\n")
    if file.problem:
        text.append("⚠ " + escape(file.problem) + "\n", style="red")
        return text
    if not file.found.exists:
        text.append("not found: x exports a registry here\n", style="dim")
        return text
    registries = file.registries
    text.append("Registries exported here: ", style="bold")
    text.append((escape(", ".join(registries)) if registries else "none") + "\n")
    text.append(f"{len(file.entries)} entr{'y' if len(file.entries) == 1 else 'ies'}\n\n")
    for row in file.entries:
        text.append("  ")
        text.append_text(entry_label(row))
        text.append("\n")
    if file.to_sync:
        text.append(f"\ns syncs the {len(file.to_sync)} drifted ·", style="dim italic")
    text.append(" i imports · x exports here\n", style="dim italic")
    return text
