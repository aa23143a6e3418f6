"""Running MCP servers: talking to them (check, call) and bridging them (run)."""
