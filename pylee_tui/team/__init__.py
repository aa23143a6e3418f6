"""Team mode: a server shared by a team, its client and its keys."""
