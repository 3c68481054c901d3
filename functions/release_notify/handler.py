"""Release workflow emails: ask the commander or designee (a waitForTaskToken step), tell the requester.

"ask" stores the task token encrypted with the request and emails signed, single-use,
expiring approve/deny links; the execution then waits until the API signals the decision.
"""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from alpr.config import ReleaseNotifyConfig
from alpr.services import release as release_service
from alpr.services.container import configure

configure(ReleaseNotifyConfig())  # a missing or invalid setting fails the cold start
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action, request_id = event.get("action"), str(event["request_id"])
    logger.append_keys(release_request=request_id, action=action)
    if action == "ask":
        round_ = event["round"]
        if round_ not in ("commander", "designee"):
            raise ValueError(f"unknown round {round_!r}")
        return release_service.ask(
            request_id,
            round_,
            task_token=str(event["task_token"]),
            timeout_seconds=int(event["timeout_seconds"]),
            links_base_url=str(event["links_base_url"]),
        )
    if action == "tell":
        return release_service.tell_requester(request_id)
    raise ValueError(f"unknown action {action!r}")
