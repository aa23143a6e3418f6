"""The MCP clients on this machine: their config files found (scan), their servers brought
into a registry (import), and what an export wrote compared with what the files hold now
(drift, sync, adopt)."""
