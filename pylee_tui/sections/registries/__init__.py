"""Section 2: registries and their servers (tree, detail, forms, the browser that holds them)."""
