"""Application services: what the handlers, the CLI and the local runtime call, on the adapters."""
