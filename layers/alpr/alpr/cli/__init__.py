"""The `alpr` command: one module per command group, the shared options in `options`."""
