"""`pylee-tui demo`: fill a store with realistic sample orgs so a new user sees a living app.

The acting user is admin of every sample org. The servers are real entries of the MCP registry's
seed list, in the current server.json shape (pylee_tui/data/demo_servers.json).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from pylee_tui.models import VariableKind, slugify
from pylee_tui.services.errors import Conflict
from pylee_tui.services.scope import Scope

if TYPE_CHECKING:
    from pylee_tui.services import Services

ACME_OVERVIEW = """# Acme Production

The MCP servers our production agents may use. Everything here has been reviewed by the platform
team.

## Rules

- Only servers from the **Core Tools** and **Data Sources** registries run in production.
- Secrets live in the vault, never in client config files.
- Ask in `#platform` before adding a server.

## Contacts

| Area | Owner |
| --- | --- |
| Registries | Bea Rivera |
| Secrets | Carl Okafor |
"""

LAB_OVERVIEW = """# Personal Lab

A sandbox for trying MCP servers before proposing them to the team.
"""


@dataclass(frozen=True)
class DemoOrg:
    name: str
    slug: str
    description: str
    overview: str
    registries: tuple[tuple[str, str, tuple[int, ...]], ...]  # name, description, server indexes
    members: tuple[tuple[str, str, bool], ...]  # email, role, accepted
    variables: tuple[tuple[str, str], ...]
    # (registry name or None, server index or None, key, value, kind) at narrower scopes;
    # secrets are only created when the vault is unlocked (their values are fake)
    scoped: tuple[tuple[str | None, int | None, str, str, VariableKind], ...] = ()


DEMO_SECRET = "demo-only-not-a-real-key"

DEMO_ORGS = (
    DemoOrg(
        "Acme Production",
        "acme-production",
        "Production MCP servers for Acme's agents",
        ACME_OVERVIEW,
        (
            ("Core Tools", "Search and automation servers", (1, 5, 6)),
            ("Data Sources", "Databases and warehouses", (0, 2, 4, 7)),
        ),
        (
            ("bea@acme.example", "admin", True),
            ("carl@acme.example", "member", True),
            ("dana@acme.example", "member", False),
        ),
        (("LOG_LEVEL", "info"), ("REGION", "eu-west-1"), ("GLEAN_INSTANCE", "acme")),
        (
            ("Core Tools", 1, "LOG_LEVEL", "debug", "variable"),
            ("Data Sources", None, "QDRANT_URL", "http://qdrant.internal:6333", "variable"),
            ("Data Sources", None, "COLLECTION_NAME", "agent-memory", "variable"),
            ("Data Sources", 7, "KBC_WORKSPACE_SCHEMA", "WORKSPACE_${REGION}", "variable"),
            (None, None, "EXA_API_KEY", DEMO_SECRET, "secret"),
            (None, None, "GLEAN_API_TOKEN", DEMO_SECRET, "secret"),
            (None, None, "APIFY_TOKEN", DEMO_SECRET, "secret"),
            ("Data Sources", 4, "QDRANT_API_KEY", DEMO_SECRET, "secret"),
            ("Data Sources", None, "KBC_STORAGE_TOKEN", DEMO_SECRET, "secret"),
        ),
    ),
    DemoOrg(
        "Acme Staging",
        "acme-staging",
        "Where new servers are tried before production",
        "",
        (("Staging Tools", "Candidates for Core Tools", (1, 3, 8)),),
        (("bea@acme.example", "admin", True),),
        (("LOG_LEVEL", "debug"), ("KAGI_SUMMARIZER_ENGINE", "cecil")),
        (
            (None, None, "EXA_API_KEY", DEMO_SECRET, "secret"),
            (None, None, "KAGI_API_KEY", DEMO_SECRET, "secret"),
        ),
    ),
    DemoOrg(
        "Personal Lab",
        "personal-lab",
        "",
        LAB_OVERVIEW,
        # servers that need no secret: this registry exports before the vault exists
        (("Experiments", "Servers that need no API key", (0, 2, 8)),),
        (),
        (),
    ),
)


def demo_servers() -> list[dict[str, Any]]:
    text = resources.files("pylee_tui").joinpath("data/demo_servers.json").read_text("utf-8")
    return json.loads(text)


def load_demo(services: Services, actor: str, passphrase: str | None = None) -> list[str]:
    """Create the sample orgs in one transaction; refuses if any of them already exists.

    With a `passphrase`, the vault is opened (or created with it, once `actor` is an admin of
    the sample orgs) and the demo's fake secrets are added too; a wrong one changes nothing."""
    servers = demo_servers()
    created = []

    def scoped(org: DemoOrg, kinds: tuple[str, ...]) -> None:
        for registry_name, index, key, value, kind in org.scoped:
            if kind not in kinds:
                continue
            scope = Scope(
                org.slug,
                slugify(registry_name) if registry_name else None,
                servers[index]["name"] if index is not None else None,
            )
            services.variables.set_key(actor, scope, key, value, kind=kind)

    with services.store.transaction() as db:
        for org in DEMO_ORGS:
            if list(db.query("SELECT 1 FROM organizations WHERE slug = ?", [org.slug])):
                raise Conflict(f"the demo is already loaded: organization '{org.slug}' exists")
        for org in DEMO_ORGS:
            services.orgs.create(
                actor,
                org.name,
                slug=org.slug,
                description=org.description,
                overview=org.overview,
            )
            for reg_name, reg_description, indexes in org.registries:
                registry = services.registries.create(
                    actor, org.slug, reg_name, description=reg_description
                )
                for i in indexes:
                    services.registries.add_server(
                        actor, Scope(org.slug, registry.slug), servers[i]
                    )
            for email, role, accepted in org.members:
                if email == actor:
                    continue
                services.members.invite(actor, org.slug, email, role=role)
                if accepted:
                    services.members.accept(email, org.slug)
            for key, value in org.variables:
                services.variables.set_key(actor, Scope(org.slug), key, value)
            scoped(org, ("variable",))
            created.append(org.slug)
        if passphrase is not None and not services.vault.unlocked:
            services.vault.unlock_or_initialize(actor, passphrase)
        if services.vault.unlocked:
            for org in DEMO_ORGS:
                scoped(org, ("secret",))
    return created
