"""Destruction on record (policy 439.3.1(f)). Three triggers, one record:
- the Reads table's stream (REMOVE records made by DynamoDB TTL): reads purged, tallied;
- the uploads bucket's lifecycle deletions (S3 events through SQS): images and crops purged, tallied;
- the daily schedule: yesterday's retention report (the tallies summed; held and due counted now).
A failed tally raises, and the same batch comes back: its tally key exists, nothing counts twice."""

import json
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from alpr.config import RetentionReportConfig
from alpr.services.container import configure

reporter = configure(RetentionReportConfig()).retention_reporter  # a missing setting fails the cold start
logger = Logger()
tracer = Tracer()


def _s3_records(sqs_records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s3 for record in sqs_records for s3 in json.loads(record["body"]).get("Records", [])]


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("detail-type") == "Scheduled Event":
        key, lines = reporter.daily()
        logger.info("retention report written", extra={"key": key, "lines": [line.kind for line in lines]})
        return {"report": key, "purged": {line.kind: line.purged for line in lines}}
    records = event.get("Records", [])
    sources = {record.get("eventSource") for record in records}
    if sources == {"aws:dynamodb"}:
        return {"reads_purged": reporter.tally_stream(records)}
    if sources == {"aws:sqs"}:
        return {"objects_purged": reporter.tally_lifecycle(_s3_records(records))}
    raise ValueError(f"not a trigger of this function: event sources {sorted(map(str, sources))}")
