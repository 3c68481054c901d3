"""The HTTP API: Powertools routers shared by the `api` and `uploads` functions."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from alpr import __version__
from alpr.api import gate
from alpr.api.errors import register_error_handlers

API_TITLE = "ALPR back office"
COGNITO = "cognito"
AUTHENTICATED: list[dict[str, list[str]]] = [{COGNITO: []}]
"""Route-level `security=`: a Cognito ID token is required (the API Gateway authorizer checks it)."""


def resolver(*routers: Router) -> APIGatewayRestResolver:
    """A validating REST resolver with the routers, the error mapping and the OpenAPI metadata."""
    app = APIGatewayRestResolver(enable_validation=True)
    app.configure_openapi(
        title=API_TITLE,
        version=__version__,
        security_schemes={
            COGNITO: HTTPBearer(bearerFormat="JWT", description="Cognito ID token: `Authorization: Bearer …`")
        },
    )
    for router in routers:
        app.include_router(router)
    register_error_handlers(app)
    gate.install(app)  # every route, whoever adds it: sign-in, role, training, purpose, access log
    return app


def investigator_api() -> APIGatewayRestResolver:
    """The `api` function's resolver: every route of investigators, commanders, administrators and
    the public (the `uploads` function serves units alone)."""
    from alpr.api import (
        alerts,
        audit,
        corrections,
        health,
        holds,
        hotlist,
        personnel,
        public,
        reads,
        release,
        search,
        web,
    )

    return resolver(
        health.router,
        reads.router,
        search.router,
        personnel.router,
        release.router,
        hotlist.router,
        alerts.router,
        holds.router,
        corrections.router,
        public.router,
        web.router,
        audit.router,
    )
