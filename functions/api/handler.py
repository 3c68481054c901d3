"""The investigator API (API Gateway REST, Cognito authorizer)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from alpr.api import alerts as alerts_api
from alpr.api import audit as audit_api
from alpr.api import health, reads, resolver
from alpr.api import holds as holds_api
from alpr.api import hotlist as hotlist_api
from alpr.api import personnel as personnel_api
from alpr.api import public as public_api
from alpr.api import release as release_api
from alpr.api import search as search_api
from alpr.api import web as web_api
from alpr.config import ApiConfig
from alpr.names import METRICS_NAMESPACE
from alpr.services.container import configure

configure(ApiConfig())  # a missing or invalid setting fails the cold start, not the first request
logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=METRICS_NAMESPACE)

app = resolver(
    health.router,
    reads.router,
    search_api.router,
    personnel_api.router,
    release_api.router,
    hotlist_api.router,
    alerts_api.router,
    holds_api.router,
    public_api.router,
    web_api.router,
    audit_api.router,
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
