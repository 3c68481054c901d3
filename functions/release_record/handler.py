"""Release workflow steps that only keep the record: validate a request, expire it, note a failure.

Called by the release_approval state machine with {"action": ..., "request_id": ...}.
"""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from alpr.config import ReleaseRecordConfig
from alpr.services import release as release_service
from alpr.services.container import configure

configure(ReleaseRecordConfig())  # a missing or invalid setting fails the cold start
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action, request_id = event.get("action"), str(event["request_id"])
    logger.append_keys(release_request=request_id, action=action)
    if action == "validate":
        return release_service.validate(request_id)
    if action == "expire":
        return release_service.expire(request_id)
    if action == "fail":
        error = event.get("error") or {}
        return release_service.record_failure(request_id, f"{error.get('Error')}: {error.get('Cause')}")
    raise ValueError(f"unknown action {action!r}")
