"""Upload tickets for vehicle units (POST /v1/uploads behind the Cognito authorizer)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from alpr.api import resolver, uploads
from alpr.config import UploadsConfig
from alpr.names import METRICS_NAMESPACE
from alpr.services.container import configure

configure(UploadsConfig())  # a missing or invalid setting fails the cold start, not the first request
logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=METRICS_NAMESPACE)

app = resolver(uploads.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
