"""Section 4: variables and secrets per scope (scope tree, rows view model, table, pane)."""
