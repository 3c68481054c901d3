"""Release workflow steps that only keep the record: validate a request, expire it, note a failure.

Called by the release_approval state machine with {"action": ..., "request_id": ...}.
"""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from alpr.config import ReleaseRecordConfig
from alpr.domain.release_steps import Expire, Fail, RecordStep, Validate
from alpr.services import release as release_service
from alpr.services.container import configure

configure(ReleaseRecordConfig())  # a missing or invalid setting fails the cold start
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=RecordStep)
def lambda_handler(step: RecordStep, context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(release_request=step.request_id, action=step.action)
    match step:
        case Validate():
            return release_service.validate(step.request_id)
        case Expire():
            return release_service.expire(step.request_id)
        case Fail():
            return release_service.record_failure(step.request_id, f"{step.error.Error}: {step.error.Cause}")
