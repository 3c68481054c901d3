"""Reads plates in uploaded images: SQS batches of S3 ObjectCreated notifications."""

from dataclasses import asdict
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from alpr.config import RecognizeConfig
from alpr.domain.capture_signature import SIGNATURE_REASONS
from alpr.names import CAPTURE_SIGNATURE_REFUSED_METRIC, METRICS_NAMESPACE
from alpr.services import hotlist as hotlist_service
from alpr.services import uploads
from alpr.services.container import configure

configure(RecognizeConfig())  # a missing or invalid setting fails the cold start, not the first message
logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=METRICS_NAMESPACE)
processor = BatchProcessor(event_type=EventType.SQS, model=uploads.UploadMessage)


@tracer.capture_method
def record_handler(record: uploads.UploadMessage) -> None:
    """Handle every object of one message; an exception fails the record (redelivery, then DLQ)."""
    for created in record.body.created():
        bucket, key = created.bucket, unquote_plus(created.key)
        result = uploads.recognize_upload(bucket, key)
        logger.info("upload handled", extra={"bucket": bucket, "key": key, **asdict(result)})
        metrics.add_metric(name=f"Uploads_{result.outcome}", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="ReadsStored", unit=MetricUnit.Count, value=result.stored)
        if result.reason in SIGNATURE_REASONS:  # forged or edited capture metadata: a security event
            logger.warning(
                "upload refused: capture metadata is not as its ticket signed it",
                extra={"bucket": bucket, "key": key, "reason": result.reason},
            )
            metrics.add_metric(name=CAPTURE_SIGNATURE_REFUSED_METRIC, unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    hotlist_service.refresh_hotlists()  # once per batch: one query unless a list changed
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
