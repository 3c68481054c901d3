"""SQS: moving the messages of a dead-letter queue back to the queue that feeds it (a redrive)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SQS_BATCH = 10  # the most SQS takes in one receive, send or delete


@dataclass(frozen=True)
class RedriveReport:
    """What a redrive did: `moved` are on the source queue now; `failed` could not be sent and
    return to the dead-letter queue when their visibility timeout ends (run it again then);
    `undeleted` were moved but their delete failed, so a copy returns to the dead-letter queue too."""

    dead_letter_queue: str
    queue: str
    moved: int
    failed: int
    undeleted: int = 0
    stopped: str = ""  # why it stopped before the dead-letter queue was empty (a receive failed)


class NoSourceQueue(Exception):
    """The queue is no queue's dead-letter queue (or several's: then say which with --queue)."""


def source_queue(sqs: SQSClient, dead_letter_queue: str) -> str:
    """The one queue whose redrive policy sends its failures to `dead_letter_queue`."""
    urls = sqs.list_dead_letter_source_queues(QueueUrl=dead_letter_queue).get("queueUrls", [])
    if len(urls) != 1:
        raise NoSourceQueue(
            f"{dead_letter_queue} is the dead-letter queue of {len(urls)} queues ({', '.join(urls) or 'none'})"
        )
    return urls[0]


def _attributes(message: Mapping[str, Any]) -> dict[str, Any]:
    """The message's attributes as SendMessage takes them (no empty list values)."""
    kept = {}
    for name, value in message.get("MessageAttributes", {}).items():
        kept[name] = {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
    return kept


def redrive(
    sqs: SQSClient,
    dead_letter_queue: str,
    queue: str,
    *,
    limit: int | None = None,
    visibility_timeout: int = 60,
    wait_seconds: int = 1,
) -> RedriveReport:
    """Move messages from `dead_letter_queue` to `queue` until a receive finds none (or `limit`).

    Each message is deleted from the dead-letter queue only once the queue has accepted its copy:
    a failure in between leaves it in both, and recognition is safe to repeat. A receive that
    fails after the SDK's retries stops it (`stopped` says why); what was moved stays moved."""
    moved = failed = undeleted = 0
    stopped = ""
    while limit is None or moved + failed < limit:
        wanted = SQS_BATCH if limit is None else min(SQS_BATCH, limit - moved - failed)
        try:
            messages = sqs.receive_message(
                QueueUrl=dead_letter_queue,
                MaxNumberOfMessages=wanted,
                MessageAttributeNames=["All"],
                VisibilityTimeout=visibility_timeout,
                WaitTimeSeconds=wait_seconds,
            ).get("Messages", [])
        except (ClientError, BotoCoreError) as error:
            stopped = f"receiving from the dead-letter queue failed: {error}"
            break
        if not messages:
            break
        entries = [
            {"Id": str(n), "MessageBody": m["Body"], "MessageAttributes": _attributes(m)}
            for n, m in enumerate(messages)
        ]
        try:
            sent = sqs.send_message_batch(QueueUrl=queue, Entries=entries)  # type: ignore[arg-type]
        except (ClientError, BotoCoreError):  # the SDK gave up: these wait out their visibility timeout
            failed += len(messages)
            continue
        accepted = [int(entry["Id"]) for entry in sent.get("Successful", [])]
        failed += len(messages) - len(accepted)
        moved += len(accepted)
        if accepted:
            # A delete that fails leaves a copy to move again later: a duplicate, never a loss.
            try:
                deleted = sqs.delete_message_batch(
                    QueueUrl=dead_letter_queue,
                    Entries=[{"Id": str(n), "ReceiptHandle": messages[n]["ReceiptHandle"]} for n in accepted],
                )
            except (ClientError, BotoCoreError):
                undeleted += len(accepted)
            else:
                undeleted += len(deleted.get("Failed", []))
    return RedriveReport(
        dead_letter_queue=dead_letter_queue,
        queue=queue,
        moved=moved,
        failed=failed,
        undeleted=undeleted,
        stopped=stopped,
    )
