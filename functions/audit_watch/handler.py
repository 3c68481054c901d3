"""Daily (EventBridge schedule): how long since the last reviewed window ended, and since the last
yearly account review was recorded. The metrics turn the overdue-review alarms red when no weekly
review covers a window that ended in the last 10 days, or no account review was recorded in 365."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from alpr.config import AuditWatchConfig
from alpr.domain.account_reviews import ACCOUNT_REVIEW_OVERDUE_DAYS
from alpr.domain.reviews import REVIEW_OVERDUE_DAYS
from alpr.names import ACCOUNT_REVIEW_AGE_METRIC, METRICS_NAMESPACE, REVIEW_AGE_METRIC
from alpr.services import reviews as review_service
from alpr.services.container import configure

configure(AuditWatchConfig())  # a missing or invalid setting fails the cold start
logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=METRICS_NAMESPACE)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    age = review_service.reviewed_window_age()
    metrics.add_metric(name=REVIEW_AGE_METRIC, unit=MetricUnit.Count, value=age)
    overdue = age > REVIEW_OVERDUE_DAYS
    if overdue:
        logger.warning("weekly review overdue", extra={"age_days": age})
    account_age = review_service.account_review_age()
    metrics.add_metric(name=ACCOUNT_REVIEW_AGE_METRIC, unit=MetricUnit.Count, value=account_age)
    account_overdue = account_age > ACCOUNT_REVIEW_OVERDUE_DAYS
    if account_overdue:
        logger.warning("yearly account review overdue", extra={"age_days": account_age})
    return {
        "reviewed_window_age_days": age,
        "overdue": overdue,
        "account_review_age_days": account_age,
        "account_review_overdue": account_overdue,
    }
