"""Imports hotlist extracts dropped in the hotlist bucket under incoming/<SOURCE>/ (S3 ObjectCreated)."""

from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from alpr.config import HotlistImportConfig
from alpr.names import METRICS_NAMESPACE
from alpr.services import hotlist as hotlist_service
from alpr.services.container import configure

configure(HotlistImportConfig())  # a missing or invalid setting fails the cold start, not the first file
logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=METRICS_NAMESPACE)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    """Each file is imported whole or rejected whole; the outcome is also kept as reports/<key>.json."""
    outcomes = []
    for record in event.get("Records", []):
        if not record.get("eventName", "").startswith("ObjectCreated"):
            continue
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        outcome = hotlist_service.import_object(bucket, key)
        metrics.add_metric(name=f"HotlistImports_{outcome['outcome']}", unit=MetricUnit.Count, value=1)
        outcomes.append({"key": key, "outcome": outcome["outcome"]})
    return {"imports": outcomes}
