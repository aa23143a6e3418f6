"""VS Code: the workspace's `.vscode/mcp.json`, JSONC; each secret is an `inputs` prompt
referenced as `${input:id}`, so no secret value is ever written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylee_tui.services.errors import InvalidInput
from pylee_tui.services.export.clients.base import JsonClient, user_config_dir

if TYPE_CHECKING:
    from pylee_tui.services.export.entry import EntryBuilder
    from pylee_tui.services.export.plan import ExportPlan


_INPUT = re.compile(r"\$\{input:([^}]+)\}")


class VsCode(JsonClient):
    key = "vscode"
    title = "VS Code"
    order = 20
    servers_key = "servers"
    jsonc = True
    has_inputs = True
    takes_inline_secrets = False
    workspace_folder = ".vscode"
    scopes = ("project", "user")
    docs = "https://code.visualstudio.com/docs/copilot/customization/mcp-servers"

    def config_path(
        self, home: Path | None, cwd: Path | None, platform: str | None, scope: str | None = None
    ) -> Path:
        if self.check_scope(scope) == "user":  # the default profile's mcp.json
            return user_config_dir(platform, home) / "Code" / "User" / "mcp.json"
        return (cwd or Path.cwd()) / self.workspace_folder / "mcp.json"

    def references(self, value: str) -> list[str]:
        return _INPUT.findall(value) + super().references(value)

    def check_request(self, secrets: str) -> None:
        if secrets == "inline":
            raise InvalidInput(
                "VS Code keeps secrets in its own prompt store (inputs); inline secrets "
                "are for Claude Desktop and Cursor"
            )
        super().check_request(secrets)

    def reference_note(self, keys: list[str]) -> str:
        return f"VS Code asks for these secrets when it first starts a server: {', '.join(keys)}"

    def secret_reference(self, entry: EntryBuilder, key: str, source: str) -> str:
        return "${input:" + prompt_for(entry, key, source, password=True) + "}"

    def placeholder(self, entry: EntryBuilder, key: str, secret: bool) -> str:
        return "${input:" + prompt_for(entry, key, "missing", password=secret) + "}"

    def command_entry(self, argv: list[str], env: dict[str, str]) -> dict[str, Any]:
        return {"type": "stdio", **super().command_entry(argv, env)}

    def remote_entry(self, url: str, kind: Any, headers: dict[str, str]) -> dict[str, Any]:
        return {
            "type": "sse" if kind == "sse" else "http",
            **super().remote_entry(url, kind, headers),
        }

    def document(self, plan: ExportPlan) -> dict[str, Any]:
        doc = super().document(plan)
        if plan.inputs:
            doc["inputs"] = list(plan.inputs)
        return doc


def prompt_for(entry: EntryBuilder, key: str, source: str, password: bool) -> str:
    """A VS Code input for a key: one per key and source, shared by the servers using it."""
    plan = entry.plan
    known = plan.input_ids.get((key, source))
    if known is not None:
        return known
    base = key.lower().replace("_", "-")
    # around the ids of the target file's inputs that are not ours (the user's, another
    # registry's) too
    candidate = plan.free_input_id(base, f"{base}-{entry.entry_name}")
    description = f"{key} ({'secret' if password else 'value'} from pylee {source})"
    if source == "missing":
        description = f"{key} for {entry.server_name} (not set in the pylee vault)"
    item: dict[str, Any] = {"type": "promptString", "id": candidate, "description": description}
    if password:
        item["password"] = True
    plan.add_input(key, source, item)
    return candidate


CLIENT = VsCode()
