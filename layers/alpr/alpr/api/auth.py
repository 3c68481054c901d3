"""The caller of the current request."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from alpr.domain.callers import caller_from_claims
from alpr.domain.models import Caller


def current_caller(router: Router) -> Caller:
    """The authenticated user (from the Cognito authorizer's claims); Unauthenticated if none."""
    event = router.current_event
    claims = event.request_context.authorizer.claims if isinstance(event, APIGatewayProxyEvent) else None
    return caller_from_claims(claims)
