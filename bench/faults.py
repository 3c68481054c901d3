"""Ingest under faults: rendered uploads through the real `recognize` handler on moto while a seeded
injector fails a share of the S3, DynamoDB, SNS and SQS attempts; then nothing may be lost or doubled.

Usage: .venv/bin/python bench/faults.py [--uploads N] [--fault-rate R] [--seed S]

On moto in process: the uploads bucket notifies the ingest queue (S3 -> SQS, as in infra/ingest.py),
whose redrive policy sends a message to the dead-letter queue after MAX_RECEIVES receives. An
emulated Lambda event source polls the queue in batches of BATCH_SIZE, hands them to
functions/recognize/handler.py and deletes what the handler did not report as failed (failures
become visible again at once instead of after the visibility timeout: the same receive count,
less waiting). Every 10th plate is on an imported hotlist, so its reads raise alerts (SNS to a
queue subscribed to the alerts topic). The injector (alpr.local.faults) is attached to the
handler's session and to the poller's, so the SDK's retries, the handler's partial batch
responses, redelivery and the DLQ all meet the faults; retry waits are scaled to 1 %.
When the queue is empty, `alpr ingest redrive` (the real command, in process) moves the DLQ back
and the queue is drained again, until the DLQ stays empty.

Then, with plain clients: `lost` are uploads with no read and not quarantined although the engine
reads a plate in them; `duplicated` are reads beyond one per plate in an image plus plate counts
beyond the reads; `alerts_duplicated` are alerts beyond one per read and hotlist entry. Prints
as its last line one JSON object with those, the injected faults per service and kind, and the
run's other counts (notifications duplicated: SNS is at-least-once; see docs/operations.md).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pathlib
import secrets
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from alpr.services.container import container, use

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

REPO = pathlib.Path(__file__).resolve().parents[1]
REGION: Final = "us-west-2"
LETTERS: Final = "ABCDEFGHJKLMNPRSTUVWXYZ"
HOT_EVERY: Final = 10  # every 10th plate is on the hotlist
VISIBILITY_S: Final = 2  # the ingest queue's visibility timeout here (360 s in AWS)
RESOURCES: Final = {
    "ALPR_READS_TABLE": "faults-reads",
    "ALPR_PLATES_TABLE": "faults-plates",
    "ALPR_PLATE_GRAMS_TABLE": "faults-plate-grams",
    "ALPR_HOTLIST_TABLE": "faults-hotlist",
    "ALPR_ALERTS_TABLE": "faults-alerts",
    "ALPR_UPLOADS_BUCKET": "faults-uploads",
    "ALPR_QUARANTINE_BUCKET": "faults-quarantine",
    "ALPR_HOTLIST_BUCKET": "faults-hotlist",
    "ALPR_ACCESS_LOG_BUCKET": "faults-access-log",
}


def _environment() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "CRITICAL",  # the injected failures would flood the output
            "POWERTOOLS_METRICS_DISABLED": "true",
            "ALPR_WEB_BASE_URL": "https://alpr.example.gov",
            **RESOURCES,
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)


def plate_of(n: int) -> str:
    """A distinct plate per upload (the last three digits are n)."""
    return f"{1 + n % 9}{LETTERS[n % 23]}{LETTERS[(n * 7) % 23]}{LETTERS[(n * 11) % 23]}{n % 1000:03d}"


def hotlist_lines(plates: list[str], extracted_at: datetime) -> list[str]:
    """An NCIC extract (events/hotlist/ncic_sample.txt's format) listing `plates` as stolen."""
    lines = [
        f"ALPR-HOTLIST|1|NCIC|{extracted_at:%Y-%m-%dT%H:%M:%SZ}",
        "FILE|LIC|LIS|LIT|VIN|VYR|VMA|VMO|VST|VCO|NIC|ORI|OCA|DOE|EXP",
    ]
    for n, plate in enumerate(plates):
        lines.append(f"V|{plate}|CA|PC||2019|HOND|ACC|4D|BLK|V26{n:07d}|CA0340000|26-{n:06d}|20261103|")
    return lines


class Resources:
    """The template's ingest resources on moto, made and inspected through a session without faults."""

    def __init__(self) -> None:
        import boto3

        from tests.integration.conftest import _create_reads_table, create_hotlist_tables

        session = boto3.Session(region_name=REGION)
        self.s3, self.dynamodb = session.client("s3"), session.client("dynamodb")
        self.sqs, self.sns = session.client("sqs"), session.client("sns")
        # The deployment's capture signing key: recognize refuses uploads its tickets did not sign.
        self.capture_key = secrets.token_urlsafe(48).encode()
        os.environ["ALPR_CAPTURE_SIGNING_SECRET"] = session.client("secretsmanager").create_secret(
            Name="faults-capture-signing", SecretString=self.capture_key.decode()
        )["ARN"]
        from alpr.names import INGEST_MAX_RECEIVES, PLATE_GRAM

        for bucket in ("ALPR_UPLOADS_BUCKET", "ALPR_QUARANTINE_BUCKET", "ALPR_HOTLIST_BUCKET"):
            self.s3.create_bucket(
                Bucket=RESOURCES[bucket], CreateBucketConfiguration={"LocationConstraint": REGION}
            )
        self.s3.create_bucket(
            Bucket=RESOURCES["ALPR_ACCESS_LOG_BUCKET"],
            CreateBucketConfiguration={"LocationConstraint": REGION},
            ObjectLockEnabledForBucket=True,
        )
        _create_reads_table(self.dynamodb, RESOURCES["ALPR_READS_TABLE"])
        self.dynamodb.create_table(
            TableName=RESOURCES["ALPR_PLATES_TABLE"],
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "plate", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "plate", "KeyType": "HASH"}],
        )
        self.dynamodb.create_table(
            TableName=RESOURCES["ALPR_PLATE_GRAMS_TABLE"],
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": PLATE_GRAM, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": PLATE_GRAM, "KeyType": "HASH"}],
        )
        create_hotlist_tables(self.dynamodb, RESOURCES["ALPR_HOTLIST_TABLE"], RESOURCES["ALPR_ALERTS_TABLE"])
        self.dead_letter_queue = self.sqs.create_queue(QueueName="faults-ingest-dlq")["QueueUrl"]
        self.queue = self.sqs.create_queue(
            QueueName="faults-ingest",
            Attributes={
                "VisibilityTimeout": str(VISIBILITY_S),
                "RedrivePolicy": json.dumps(
                    {
                        "deadLetterTargetArn": self.arn(self.dead_letter_queue),
                        "maxReceiveCount": INGEST_MAX_RECEIVES,
                    }
                ),
            },
        )["QueueUrl"]
        self.s3.put_bucket_notification_configuration(
            Bucket=RESOURCES["ALPR_UPLOADS_BUCKET"],
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": self.arn(self.queue),
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "raw/"}]}},
                    }
                ]
            },
        )
        topic = self.sns.create_topic(Name="faults-alerts")["TopicArn"]
        self.notifications = self.sqs.create_queue(QueueName="faults-notifications")["QueueUrl"]
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=self.arn(self.notifications))
        os.environ["ALPR_ALERTS_TOPIC"] = topic

    def arn(self, queue_url: str) -> str:
        found = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        return str(found["Attributes"]["QueueArn"])

    def waiting(self, queue_url: str) -> int:
        """Messages on the queue, visible or in flight."""
        found = self.sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(found["ApproximateNumberOfMessages"]) + int(found["ApproximateNumberOfMessagesNotVisible"])

    def items(self, table: str) -> list[dict[str, Any]]:
        from alpr.adapters.dynamo import from_item

        pages = self.dynamodb.get_paginator("scan").paginate(TableName=table)
        return [from_item(item) for page in pages for item in page["Items"]]

    def keys(self, bucket: str, prefix: str = "") -> set[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return {o["Key"] for page in pages for o in page.get("Contents", [])}

    def notified(self) -> Counter[str]:
        """SNS messages per alert id, as the subscribed queue received them."""
        seen: Counter[str] = Counter()
        while messages := self.sqs.receive_message(
            QueueUrl=self.notifications, MaxNumberOfMessages=10, VisibilityTimeout=300
        ).get("Messages", []):
            for message in messages:
                seen[json.loads(message["Body"])["MessageAttributes"]["alert_id"]["Value"]] += 1
        return seen


def lambda_record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    """An SQS message as the Lambda event source hands it to the function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message["Attributes"],
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


class EventSource:
    """The Lambda SQS event source mapping with ReportBatchItemFailures, on a faulted SQS client."""

    def __init__(self, resources: Resources, handler: Any, batch_size: int) -> None:
        import boto3

        self.resources = resources
        self.handler = handler
        self.batch_size = batch_size
        self.sqs = boto3.client("sqs")  # the default session: the injector is attached to it
        self.queue_arn = resources.arn(resources.queue)
        self.batches = self.record_failures = self.poller_errors = self.invocation_errors = 0

    def drain(self) -> None:
        """Poll until the queue holds nothing, visible or in flight."""
        from botocore.exceptions import BotoCoreError, ClientError

        from tests.integration.conftest import FakeContext

        queue = self.resources.queue
        while True:
            try:
                messages = self.sqs.receive_message(
                    QueueUrl=queue,
                    MaxNumberOfMessages=self.batch_size,
                    MessageSystemAttributeNames=["All"],
                ).get("Messages", [])
            except (ClientError, BotoCoreError):
                self.poller_errors += 1
                continue
            if not messages:
                if self.resources.waiting(queue) == 0:
                    return
                time.sleep(0.1)  # in flight: a lost receive's messages return after the visibility timeout
                continue
            self.batches += 1
            event = {"Records": [lambda_record(m, self.queue_arn) for m in messages]}
            try:
                # Powertools prints its metrics every 100 values, disabled or not: keep the last line ours.
                with redirect_stdout(io.StringIO()):
                    response = self.handler.lambda_handler(
                        event, FakeContext(aws_request_id=str(uuid.uuid4()))
                    )
                failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
            except Exception:  # the invocation failed: Lambda retries the whole batch
                self.invocation_errors += 1
                failed = {m["MessageId"] for m in messages}
            self.record_failures += len(failed)
            done = [m for m in messages if m["MessageId"] not in failed]
            again = [m for m in messages if m["MessageId"] in failed]
            try:
                if done:
                    self.sqs.delete_message_batch(
                        QueueUrl=queue,
                        Entries=[
                            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)
                        ],
                    )
                if again:
                    self.sqs.change_message_visibility_batch(
                        QueueUrl=queue,
                        Entries=[
                            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                            for n, m in enumerate(again)
                        ],
                    )
            except (ClientError, BotoCoreError):
                self.poller_errors += 1  # they come back after the visibility timeout


def redrive(resources: Resources) -> int:
    """`alpr ingest redrive` in process (so its client is faulted too); the messages it moved."""
    from typer.testing import CliRunner

    from alpr.cli.main import app

    result = CliRunner().invoke(
        app,
        [
            "ingest",
            "redrive",
            "--dead-letter-queue",
            resources.dead_letter_queue,
            "--visibility-timeout",
            "1",
            "--json",
        ],
    )
    if result.exit_code not in (0, 1):  # 1: some could not be moved this time
        raise RuntimeError(f"alpr ingest redrive failed: {result.output}") from result.exception
    return int(json.loads(result.stdout.strip().splitlines()[-1])["moved"])


@contextmanager
def moto_lists_versions_by_prefix() -> Iterator[None]:
    """moto's ListObjectVersions deep-copies every key of the bucket, bytes and all, before it
    filters by prefix (S3 filters on its side): with recognize asking once per upload, a
    1,000-upload run copied hundreds of gigabytes and held gigabytes. Give it the prefix's keys."""
    from moto.s3.models import S3Backend
    from moto.s3.utils import _VersionedKeyStore

    original = S3Backend.list_object_versions

    def by_prefix(self: S3Backend, bucket_name: str, **kwargs: Any) -> Any:
        prefix = kwargs.get("prefix") or ""
        bucket = self.get_bucket(bucket_name)
        everything = bucket.keys
        under = _VersionedKeyStore()
        for key, versions in everything.iterlists():
            if key.startswith(prefix):
                under.setlist(key, versions)
        bucket.keys = under
        try:
            return original(self, bucket_name, **kwargs)
        finally:
            bucket.keys = everything

    S3Backend.list_object_versions = by_prefix  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        S3Backend.list_object_versions = original  # type: ignore[method-assign]


def run(uploads: int, fault_rate: float, seed: int) -> dict[str, Any]:
    """The whole bench; the figures it prints."""
    _environment()
    import boto3
    from moto import mock_aws

    from alpr.demo.synth import render_scene
    from alpr.domain.capture_signature import signed_metadata
    from alpr.domain.models import Capture
    from alpr.domain.uploads import capture_metadata
    from alpr.local.faults import FaultInjector
    from alpr.names import INGEST_BATCH_SIZE
    from alpr.services import hotlist as hotlist_service
    from tests.integration.conftest import load_handler

    started = time.perf_counter()
    with mock_aws(), moto_lists_versions_by_prefix():
        use(None)
        resources = Resources()
        plates = [plate_of(n) for n in range(uploads)]
        hot = set(plates[::HOT_EVERY])
        now = datetime.now(UTC).replace(microsecond=0)
        hotlist_service.import_lines(hotlist_lines(sorted(hot), now - timedelta(hours=1)), source="NCIC")

        recognize = load_handler("recognize")  # configures the handler's container (no client yet)
        _ = container().engine
        injector = FaultInjector(fault_rate, seed=seed, backoff_scale=0.01)
        boto3.setup_default_session(region_name=REGION)
        assert boto3.DEFAULT_SESSION is not None
        for session in (container().session, boto3.DEFAULT_SESSION):
            injector.attach(session.events)

        day = now.replace(hour=12, minute=0, second=0) - timedelta(days=1)
        images: dict[str, tuple[int, str]] = {}  # key -> (n, plate)
        for n, plate in enumerate(plates):
            image, _ = render_scene(plate, "CA", seed=n)
            capture = Capture(
                unit_id="unit-faults", captured_at=day + timedelta(seconds=n), lat=38.58, lon=-121.49
            )
            key = f"raw/unit-faults/{day:%Y/%m/%d}/{uuid.uuid4()}.jpg"
            resources.s3.put_object(  # the unit's upload (its own retries are the outbox's)
                Bucket=RESOURCES["ALPR_UPLOADS_BUCKET"],
                Key=key,
                Body=image,
                ContentType="image/jpeg",
                Metadata=signed_metadata(
                    resources.capture_key,
                    key,
                    capture_metadata(capture, datetime.now(UTC) + timedelta(hours=1)),
                ),
            )
            images[key] = (n, plate)

        source = EventSource(resources, recognize, INGEST_BATCH_SIZE)
        dead_lettered = redriven = rounds = 0
        try:
            with injector.scaled_backoff():
                source.drain()
                dead_lettered = resources.waiting(resources.dead_letter_queue)
                while resources.waiting(resources.dead_letter_queue) and rounds < 20:
                    rounds += 1
                    redriven += redrive(resources)
                    source.drain()
                    if resources.waiting(resources.dead_letter_queue):
                        time.sleep(1)  # what the redrive could not move returns after its visibility timeout
        finally:
            injector.detach()
        elapsed = time.perf_counter() - started
        figures = _check(resources, images, hot)
        dlq_after_redrive = resources.waiting(resources.dead_letter_queue)
    return {
        "uploads": uploads,
        "fault_rate": fault_rate,
        **figures,
        "dlq_after_redrive": dlq_after_redrive,
        "dead_lettered": dead_lettered,
        "redriven": redriven,
        "redrive_rounds": rounds,
        "batches": source.batches,
        "record_failures": source.record_failures,
        "invocation_errors": source.invocation_errors,
        "poller_errors": source.poller_errors,
        "attempts": sum(injector.attempts.values()),
        "injected": injector.counts(),
        "injected_total": injector.total(),
        "seed": seed,
        "seconds": round(elapsed, 1),
    }


def _check(resources: Resources, images: dict[str, tuple[int, str]], hot: set[str]) -> dict[str, Any]:
    """What became of every upload, read and alert (plain clients: no faults)."""
    from alpr.names import QUARANTINE_PREFIX, QUARANTINE_REASON_SUFFIX

    reads = resources.items(RESOURCES["ALPR_READS_TABLE"])
    per_image: Counter[str] = Counter(r["image_key"] for r in reads)
    per_place: Counter[tuple[str, str]] = Counter(
        (r["image_key"], json.dumps(r["box"], sort_keys=True)) for r in reads
    )
    counted = sum(int(p["count"]) for p in resources.items(RESOURCES["ALPR_PLATES_TABLE"]))
    quarantined = {
        key.removeprefix(QUARANTINE_PREFIX)
        for key in resources.keys(RESOURCES["ALPR_QUARANTINE_BUCKET"], QUARANTINE_PREFIX)
        if not key.endswith(QUARANTINE_REASON_SUFFIX)
    }
    unread = [key for key in images if per_image[key] == 0 and key not in quarantined]
    lost = sum(1 for key in unread if _engine_reads_a_plate(key))
    crops = resources.keys(RESOURCES["ALPR_UPLOADS_BUCKET"], "crops/")
    alerts = resources.items(RESOURCES["ALPR_ALERTS_TABLE"])
    per_sighting: Counter[tuple[str, str, str]] = Counter(
        (a["read_id"], a["source"], str(a.get("entry_id"))) for a in alerts
    )
    hot_reads = [r for r in reads if r["plate"] in hot]
    alerted = {a["read_id"] for a in alerts}
    notified = resources.notified()
    return {
        "reads": len(reads),
        "lost": lost,
        "duplicated": sum(n - 1 for n in per_place.values()) + max(0, counted - len(reads)),
        "alerts_duplicated": sum(n - 1 for n in per_sighting.values()),
        "alerts": len(alerts),
        "alerts_missing": sum(1 for r in hot_reads if r["read_id"] not in alerted),
        "alerts_unnotified": sum(1 for a in alerts if not a.get("notified") or not notified[a["alert_id"]]),
        "notifications_duplicated": sum(n - 1 for n in notified.values()),
        "exact": sum(1 for r in reads if images.get(r["image_key"], (0, ""))[1] == r["plate"]),
        "no_plate": len(unread) - lost,
        "quarantined": len(quarantined),
        "crops_missing": sum(1 for r in reads if r.get("crop_key") not in crops),
        "plate_count_excess": counted - len(reads),
    }


def _engine_reads_a_plate(key: str) -> bool:
    """Whether recognition, run again without faults, stores a read for this upload."""
    from alpr.domain.reads import reads_from_image
    from alpr.domain.uploads import check_upload
    from alpr.recognition import decode_image

    fetched = container().uploads.fetch(RESOURCES["ALPR_UPLOADS_BUCKET"], key)  # the faults are detached
    assert fetched is not None
    upload = fetched.upload
    body = fetched.read()
    config = container().config
    engine = container().engine
    reads = reads_from_image(
        check_upload(upload, max_bytes=config.upload_max_bytes),
        image_bucket=upload.bucket,
        image_key=key,
        etag=upload.etag,
        readings=engine.read(decode_image(body)),
        model_version=engine.model_version,
        retention=config.retention,
        clock=container().clock,
    )
    return bool(reads)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    print(json.dumps(run(args.uploads, args.fault_rate, args.seed)))


if __name__ == "__main__":
    main()
