"""Release workflow emails: ask the commander or designee (a waitForTaskToken step), tell the requester.

"ask" stores the task token encrypted with the request and emails signed, single-use,
expiring approve/deny links; the execution then waits until the API signals the decision.
"""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from alpr.config import ReleaseNotifyConfig
from alpr.domain.release_steps import Ask, NotifyStep, Tell
from alpr.services import release as release_service
from alpr.services.container import configure

configure(ReleaseNotifyConfig())  # a missing or invalid setting fails the cold start
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=NotifyStep)
def lambda_handler(step: NotifyStep, context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(release_request=step.request_id, action=step.action)
    match step:
        case Ask():
            return release_service.ask(
                step.request_id,
                step.round,
                task_token=step.task_token,
                timeout_seconds=step.timeout_seconds,
                links_base_url=step.links_base_url,
            )
        case Tell():
            return release_service.tell_requester(step.request_id)
