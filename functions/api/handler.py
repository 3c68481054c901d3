"""The investigator API (API Gateway REST, Cognito authorizer)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from alpr.api import investigator_api
from alpr.config import ApiConfig
from alpr.names import METRICS_NAMESPACE
from alpr.services.container import configure

configure(ApiConfig())  # a missing or invalid setting fails the cold start, not the first request
logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=METRICS_NAMESPACE)

app = investigator_api()  # alpr/api/: one router per capability, the access gate in front of all


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
