"""The API's OpenAPI document: every route of the `api` and `uploads` functions in one document,
as Powertools generates it from the routes (the local stack serves it at /openapi.json).

Run it as a module (`python -m alpr.api.openapi`) to print the document: including a Router in a
resolver points the router at that resolver, so the document is built in a process of its own,
never beside the functions' own resolvers.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.openapi.models import Server

from alpr.api import (
    alerts,
    health,
    holds,
    hotlist,
    personnel,
    public,
    reads,
    release,
    resolver,
    search,
    uploads,
)


def openapi_json(server_url: str | None = None) -> str:
    """The document as JSON, with `server_url` as its server when given."""
    app = resolver(
        health.router,
        reads.router,
        search.router,
        personnel.router,
        release.router,
        hotlist.router,
        alerts.router,
        holds.router,
        public.router,
        uploads.router,
    )
    config = app.openapi_config
    return app.get_openapi_json_schema(
        title=config.title,
        version=config.version,
        security_schemes=config.security_schemes,
        servers=[Server(url=server_url)] if server_url else None,
    )


if __name__ == "__main__":
    import sys

    print(openapi_json(sys.argv[1] if len(sys.argv) > 1 else None))
