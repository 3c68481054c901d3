"""An expired plate leaves its trigrams: the Plates table's stream (REMOVE records: TTL, or any
delete) calls this with the keys of the plates gone from the dictionary."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from alpr.config import PlateGramsPruneConfig
from alpr.names import PLATE
from alpr.services import reads as reads_service
from alpr.services.container import configure

configure(PlateGramsPruneConfig())  # a missing or invalid setting fails the cold start
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    pruned = 0
    for record in event.get("Records", []):
        if record.get("eventName") != "REMOVE":  # the mapping filters these out; the local stream does not
            continue
        try:
            pruned += reads_service.prune_expired_plates([record["dynamodb"]["Keys"][PLATE]["S"]])
        except Exception:
            logger.exception("prune failed; the stream retries from this record")
            # A stream is ordered: report the first failure, Lambda retries from it.
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    if pruned:
        logger.info("plates pruned from the trigram index", extra={"pruned": pruned})
    return {"batchItemFailures": []}
