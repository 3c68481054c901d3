"""GET /v1/policy: the ALPR usage and privacy policy, public (Civil Code § 1798.90.51(b) asks for it
to be posted), written from the settings the system enforces."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from alpr.api.gate import access_policy
from alpr.domain.public_policy import PublicPolicy, usage_and_privacy_policy
from alpr.hotlist_service import hotlist_settings
from alpr.settings import settings

router = Router()


@router.get("/v1/policy", summary="The ALPR usage and privacy policy (public)")
def policy() -> PublicPolicy:
    return usage_and_privacy_policy(
        retention_days=settings().retention.days,
        access=access_policy(),
        refused_hotlist_categories=hotlist_settings().refused,
    )
