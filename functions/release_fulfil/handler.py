"""Fulfil an approved release: exactly the reads in scope as a bundle with a SHA-256 manifest,
logged in the access log as a disclosure, the manifest kept with the request."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from alpr.config import ReleaseFulfilConfig
from alpr.domain.release_steps import Fulfil
from alpr.services import release as release_service
from alpr.services.container import configure, container

configure(ReleaseFulfilConfig())  # a missing or invalid setting fails the cold start
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=Fulfil)
def lambda_handler(step: Fulfil, context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(release_request=step.request_id)
    return release_service.fulfil(step.request_id, container().access_log)
