"""`alpr ingest redrive`: the ingest dead-letter queue back to the ingest queue, on moto's SQS with
a real redrive policy (the messages get there by being received MAX_RECEIVES times)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from alpr.adapters.queues import redrive
from alpr.cli.main import app
from alpr.local.faults import FaultInjector
from alpr.names import INGEST_MAX_RECEIVES

REGION = "us-west-2"
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def queues(sqs: Any) -> tuple[str, str]:
    """The ingest queue and its dead-letter queue, as infra/ingest.py makes them."""
    dlq = sqs.create_queue(QueueName="ingest-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {"deadLetterTargetArn": arn, "maxReceiveCount": INGEST_MAX_RECEIVES}
    queue = sqs.create_queue(
        QueueName="ingest", Attributes={"VisibilityTimeout": "0", "RedrivePolicy": json.dumps(policy)}
    )["QueueUrl"]
    return queue, dlq


def dead_letter(sqs: Any, queue: str, bodies: list[str]) -> None:
    """Send, then fail every message MAX_RECEIVES times: the redrive policy moves them."""
    for body in bodies:
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    for _ in range(INGEST_MAX_RECEIVES + 1):
        while sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
            pass


def bodies_on(sqs: Any, queue: str) -> list[str]:
    found = []
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
        "Messages", []
    ):
        found += [m["Body"] for m in messages]
    return sorted(found)


def waiting(sqs: Any, queue: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    found = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"]
    return sum(int(found[n]) for n in names)


def test_redrive_moves_every_dead_letter_back_to_the_queue_that_feeds_it(sqs: Any) -> None:
    # Given 23 uploads' messages the ingest queue gave up on
    queue, dlq = queues(sqs)
    bodies = [json.dumps({"Records": [{"n": n}]}) for n in range(23)]
    dead_letter(sqs, queue, bodies)
    assert waiting(sqs, queue) == 0 and waiting(sqs, dlq) == 23

    # When the command runs against the dead-letter queue alone (it finds the source queue)
    result = CliRunner().invoke(app, ["ingest", "redrive", "--dead-letter-queue", dlq, "--json"])

    # Then all are back on the ingest queue, once each, and the dead-letter queue is empty
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {
        "dead_letter_queue": dlq,
        "queue": queue,
        "moved": 23,
        "failed": 0,
        "undeleted": 0,
        "stopped": "",
    }
    assert waiting(sqs, dlq) == 0
    assert bodies_on(sqs, queue) == sorted(bodies)


def test_redrive_stops_at_the_limit(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    dead_letter(sqs, queue, [f"m{n}" for n in range(12)])
    assert redrive(sqs, dlq, queue, limit=5, wait_seconds=0).moved == 5
    assert waiting(sqs, dlq) == 7 and waiting(sqs, queue) == 5


def test_a_queue_that_is_nobodys_dead_letter_queue_is_refused(sqs: Any) -> None:
    lonely = sqs.create_queue(QueueName="lonely")["QueueUrl"]
    result = CliRunner().invoke(app, ["ingest", "redrive", "--dead-letter-queue", lonely])
    assert result.exit_code == 2
    assert "dead-letter queue of 0 queues" in result.output


def test_under_faults_a_redrive_loses_nothing_and_what_it_could_not_move_stays(sqs: Any) -> None:
    # Given 30 dead letters and an SQS that fails half the attempts (no SDK retries: every fault shows)
    queue, dlq = queues(sqs)
    bodies = [f"upload-{n}" for n in range(30)]
    dead_letter(sqs, queue, bodies)
    injector = FaultInjector(0.5, seed=5)
    session = boto3.Session(region_name=REGION)
    injector.attach(session.events)
    from botocore.config import Config

    faulted = session.client("sqs", config=Config(retries={"mode": "standard", "total_max_attempts": 1}))

    # When it is redriven until the dead-letter queue is empty
    moved = rounds = 0
    while waiting(sqs, dlq) and rounds < 50:
        rounds += 1
        moved += redrive(
            faulted, dlq, queue, visibility_timeout=0, wait_seconds=0
        ).moved  # as an operator would

    # Then every message is on the queue (some twice: a lost response or a failed delete), none lost
    assert injector.total() > 5 and injector.counts().keys() == {"sqs"}
    assert waiting(sqs, dlq) == 0
    on_queue = bodies_on(sqs, queue)
    assert set(on_queue) == set(bodies)
    assert 30 <= moved <= len(on_queue)  # a send whose response was lost moved one uncounted
