"""What the public reads without signing in: GET /v1/policy, the ALPR usage and privacy policy
(Civil Code § 1798.90.51(b) asks for it to be posted), and GET /v1/transparency, aggregate figures.
Both are written from what the system enforces and holds, never by hand."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from alpr.api.gate import access_policy
from alpr.domain.public_policy import PublicPolicy, TransparencyReport
from alpr.services import public as public_service

router = Router()


@router.get("/v1/policy", summary="The ALPR usage and privacy policy (public)")
def policy() -> PublicPolicy:
    return public_service.policy(access_policy())


@router.get(
    "/v1/transparency",
    summary="Aggregate figures: reads and alerts kept, other agencies' requests by outcome (public)",
)
def transparency() -> TransparencyReport:
    return public_service.transparency()
