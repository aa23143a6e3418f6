"""`server publish|versions|diff|rollback|pin|unpin`: a server's published versions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pylee_tui.services import Scope

from .context import Context
from .output import cell, emit_json, emit_table, when
from .parser import PROG, Commands, json_flag, registry_options
from .requests import json_when_requested

if TYPE_CHECKING:
    from pylee_tui.services.server_versions import Published, VersionState

BUMP_CHOICES = ("patch", "minor", "major")


def _scope(ctx: Context) -> Scope:
    return Scope(ctx.args.org, ctx.args.registry, ctx.args.name)


def _where(ctx: Context) -> str:
    return f"--org {ctx.args.org} --registry {ctx.args.registry}"


def state_json(state: VersionState) -> dict:
    return {
        "server": state.server,
        "versions": [
            {
                "version": v.version,
                "published_at": v.published_at.isoformat(),
                "published_by": v.published_by or None,
            }
            for v in state.versions
        ],
        "latest": state.latest,
        "pinned": state.pinned,
        "in_use": state.in_use,
        "behind": state.behind,
        "unpublished_changes": state.changed,
        "draft": state.draft,
        "suggested_bump": state.suggestion.bump,
        "suggested_version": state.next_version,
        "reasons": state.suggestion.reasons,
        "upstream": state.upstream,
        "gone_upstream": state.gone,
    }


def suggestion_line(state: VersionState) -> str:
    """One line on what publishing would do now."""
    if state.upstream is not None:
        return f"Forked from {state.upstream}: it follows its upstream's versions."
    if state.draft:
        return "The working copy is a draft: fix its problems before publishing it."
    if not state.changed:
        return "No unpublished changes."
    if not state.versions:
        return f"Not published yet: publish would publish {state.next_version}."
    reasons = "; ".join(state.suggestion.reasons[:4])
    return f"Unpublished changes: suggested {state.suggestion.bump} → {state.next_version}" + (
        f" ({reasons})" if reasons else ""
    )


def _published(ctx: Context, published: Published, what: str) -> None:
    why = "; ".join(published.reasons[:4])
    ctx.out.write(
        f"{what} {cell(published.server, 0)} {published.version}"
        + (f" (after {published.previous})" if published.previous else "")
        + (f" — {published.bump}: {why}" if published.bump and why else "")
        + ".\n"
    )


@json_when_requested
def cmd_server_publish(ctx: Context) -> int:
    if ctx.args.dry_run:
        state = ctx.services.server_versions.state(ctx.user, _scope(ctx))
        ctx.out.write(suggestion_line(state) + "\n")
        return 0
    published = ctx.services.server_versions.publish(
        ctx.user, _scope(ctx), bump=ctx.args.bump, version=ctx.args.as_version
    )
    if ctx.args.json:
        emit_json(vars(published), ctx.out)
        return 0
    _published(ctx, published, "Published")
    return 0


def cmd_server_versions(ctx: Context) -> int:
    state = ctx.services.server_versions.state(ctx.user, _scope(ctx))
    if ctx.args.json:
        emit_json(state_json(state), ctx.out)
        return 0
    if state.gone:
        ctx.out.write(f"{cell(state.server, 0)} is gone upstream ({state.upstream}).\n")
        return 0
    rows = []
    for v in reversed(state.versions):
        marks = [
            m
            for m, on in (
                ("latest", v.version == state.latest),
                ("pinned", v.version == state.pinned),
            )
            if on
        ]
        rows.append(
            (
                v.version,
                when(v.published_at),
                cell(v.published_by or "(migrated)", 30),
                ", ".join(marks),
            )
        )
    if rows:
        emit_table(["VERSION", "PUBLISHED", "BY", ""], rows, ctx.out)
    else:
        ctx.out.write("No published version yet.\n")
    if state.pinned:
        ctx.out.write(
            f"\nPinned at {state.pinned}"
            + (f", behind the latest {state.latest}" if state.behind else "")
            + f"; follow the latest again: {PROG} server unpin NAME {_where(ctx)}\n"
        )
    ctx.out.write("\n" + suggestion_line(state) + "\n")
    return 0


def cmd_server_diff(ctx: Context) -> int:
    text = ctx.services.server_versions.diff(ctx.user, _scope(ctx), ctx.args.old, ctx.args.new)
    ctx.out.write(
        (text + "\n") if text else f"No differences between {ctx.args.old} and {ctx.args.new}.\n"
    )
    return 0


def cmd_server_rollback(ctx: Context) -> int:
    published = ctx.services.server_versions.rollback(
        ctx.user,
        _scope(ctx),
        ctx.args.version,
        bump=ctx.args.bump,
        new_version=ctx.args.as_version,
        discard=ctx.args.discard,
    )
    _published(ctx, published, f"Rolled back to {ctx.args.version}'s content: published")
    return 0


def cmd_server_pin(ctx: Context) -> int:
    state = ctx.services.server_versions.pin(ctx.user, _scope(ctx), ctx.args.version)
    ctx.out.write(
        f"Pinned {cell(state.server, 0)} at {state.pinned} in registry {ctx.args.registry}"
        + (f" (the latest is {state.latest})" if state.behind else "")
        + ".\n"
    )
    return 0


def cmd_server_unpin(ctx: Context) -> int:
    state = ctx.services.server_versions.unpin(ctx.user, _scope(ctx))
    ctx.out.write(
        f"{cell(state.server, 0)} follows the latest version again ({state.latest}) in "
        f"registry {ctx.args.registry}.\n"
    )
    return 0


def register(server: Commands) -> None:
    p = server.command(
        "publish", cmd_server_publish, "publish a server's changes as a new version (admins)"
    )
    p.add_argument("name", metavar="NAME")
    registry_options(p)
    p.add_argument("--bump", choices=BUMP_CHOICES, help="the bump (default: the suggested one)")
    # not --version: that is the program's flag, and completion needs one meaning per option
    p.add_argument(
        "--as-version", metavar="V", help="publish as this version (greater than the latest)"
    )
    p.add_argument("--dry-run", action="store_true", help="say what would be published")
    json_flag(p)
    p = server.command("versions", cmd_server_versions, "list a server's published versions")
    p.add_argument("name", metavar="NAME")
    registry_options(p)
    json_flag(p)
    p = server.command(
        "diff", cmd_server_diff, "a unified diff of two versions (draft: unpublished)"
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("old", metavar="V1")
    p.add_argument("new", metavar="V2")
    registry_options(p)
    p = server.command(
        "rollback", cmd_server_rollback, "publish an old version's content anew (admins)"
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("version", metavar="V", help="the version whose content to publish")
    registry_options(p)
    p.add_argument("--bump", choices=BUMP_CHOICES, help="the bump (default: the suggested one)")
    p.add_argument("--as-version", metavar="NEW", help="publish it as this version")
    p.add_argument("--discard", action="store_true", help="discard unpublished changes")
    p = server.command("pin", cmd_server_pin, "make the registry use one version (admins)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("version", metavar="V")
    registry_options(p)
    p = server.command("unpin", cmd_server_unpin, "follow the latest version again (admins)")
    p.add_argument("name", metavar="NAME")
    registry_options(p)
