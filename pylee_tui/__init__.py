"""pylee-tui: run MCP infrastructure (orgs, registries, members, secrets) from a terminal."""

__version__ = "0.1.0"
