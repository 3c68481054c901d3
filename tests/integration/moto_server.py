"""A real moto server on a free port (real HTTP, as the local stack runs it), for the tests that
need more than `mock_aws`: the local runtime's patches, and clients that reach AWS over the wire."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from alpr.local.stack import free_port


@contextmanager
def moto_server() -> Iterator[str]:
    """Start a moto server and yield its endpoint URL; stop it on the way out."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
