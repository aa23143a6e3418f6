"""Section 6: the MCP clients on this machine, their files, and the drift of what was exported."""
