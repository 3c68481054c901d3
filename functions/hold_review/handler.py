"""Daily (EventBridge schedule; locally the TTL sweeper): every legal hold not approved by a
supervisor within 7 days, or not renewed by its review date, lapses. Each lapse is recorded in the
access log before the hold comes off; the read then returns to its retention schedule."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from alpr.config import HoldReviewConfig
from alpr.services import holds as holds_service
from alpr.services.container import configure

configure(HoldReviewConfig())  # a missing or invalid setting fails the cold start
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    lapses = holds_service.lapse_due()
    for lapse in lapses:
        logger.info(
            "hold lapsed", extra={"hold_id": lapse.hold_id, "read_id": lapse.read_id, "why": lapse.reason}
        )
    return {"lapsed": [lapse.hold_id for lapse in lapses]}
