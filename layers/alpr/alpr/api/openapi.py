"""The API's OpenAPI document: every route of the `api` and `uploads` functions in one document,
as Powertools generates it from the routes. The local stack serves it at /openapi.json, and
`make openapi` pins it in docs/openapi.json (a test fails when the code's drifts from it).

Run it as a module (`python -m alpr.api.openapi [SERVER_URL]`) to print the document: including a
Router in a resolver points the router at that resolver, so the document is built in a process of
its own, never beside the functions' own resolvers. It is built with the default configuration,
whatever the environment (the purposes it lists are the defaults).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import aws_lambda_powertools.event_handler
from aws_lambda_powertools.event_handler.openapi.models import Server
from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

from alpr.api import investigator_api, uploads
from alpr.config import Config
from alpr.services.container import Container, use


def document(server_url: str | None = None) -> str:
    """The document as JSON (keys sorted), with `server_url` as its server when given."""
    previous = use(Container(Config.model_validate({})))
    try:
        app = investigator_api()
        app.include_router(uploads.router)
        config = app.openapi_config
        schema = app.get_openapi_schema(
            title=config.title,
            version=config.version,
            security_schemes=config.security_schemes,
            servers=[Server(url=server_url)] if server_url else None,
        )
    finally:
        use(previous)
    body = schema.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps(body, indent=2, sort_keys=True) + "\n"


def swagger_page(document: str) -> str:
    """A Swagger UI page over `document`, its script and styles inlined from the copy Powertools
    installs (as `enable_swagger` serves it): nothing is fetched from a CDN."""
    assets = Path(aws_lambda_powertools.event_handler.__file__).parent / "openapi" / "swagger_ui"
    return generate_swagger_html(
        document.replace("</", "<\\/"),  # the document sits inside a <script>
        (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",
        oauth2_config=None,
    )


if __name__ == "__main__":
    print(document(sys.argv[1] if len(sys.argv) > 1 else None), end="")
