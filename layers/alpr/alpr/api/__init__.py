"""The HTTP API: Powertools routers shared by the `api` and `uploads` functions."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.api_gateway import Router

from alpr import __version__
from alpr.api.errors import register_error_handlers

API_TITLE = "ALPR back office"


def resolver(*routers: Router) -> APIGatewayRestResolver:
    """A validating REST resolver with the routers, the error mapping and the OpenAPI metadata."""
    app = APIGatewayRestResolver(enable_validation=True)
    app.configure_openapi(title=API_TITLE, version=__version__)
    for router in routers:
        app.include_router(router)
    register_error_handlers(app)
    return app
