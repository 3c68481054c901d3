"""Every sample event in events/ goes through its handler as it is (so the samples cannot drift)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from alpr.domain.capture_signature import signed_metadata
from alpr.domain.clock import FixedClock
from alpr.domain.models import Capture
from alpr.domain.uploads import capture_metadata
from alpr.names import QUARANTINE_PREFIX
from alpr.services.container import container
from tests.integration.conftest import REGION, FakeContext, Stack, load_event, load_handler


@pytest.mark.parametrize(
    ("function", "event", "status"),
    [
        ("api", "api/get_health.json", 200),
        ("api", "api/get_reads.json", 200),
        ("api", "api/get_reads_unauthenticated.json", 401),
        ("api", "api/propose_account.json", 200),  # an administrator proposes; nothing changes yet
        ("uploads", "uploads/post_upload.json", 200),
    ],
)
def test_api_samples(stack: Stack, context: FakeContext, function: str, event: str, status: int) -> None:
    if function == "uploads":  # its capture is of a fixed day: ask for the ticket the next morning
        container().clock = FixedClock(datetime(2026, 11, 29, 8, 0, tzinfo=UTC))  # kept by the cold start
    response = load_handler(function).lambda_handler(load_event(event), context)
    assert response["statusCode"] == status, response["body"]
    json.loads(response["body"])


def test_sqs_sample(stack: Stack, context: FakeContext) -> None:
    # Given the object the sample notification names, in the sample's bucket, not an image
    event = load_event("recognize/sqs_s3_object_created.json")
    s3_event = json.loads(event["Records"][0]["body"])["Records"][0]["s3"]
    bucket, key = s3_event["bucket"]["name"], s3_event["object"]["key"]
    stack.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    capture = Capture(
        unit_id="unit-0042", captured_at="2026-11-28T23:59:30Z", lat=38.58, lon=-121.49, heading=None
    )
    expires = capture.captured_at.replace(year=2099)
    stack.s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=b"GIF89a",
        ContentType="image/jpeg",
        Metadata=signed_metadata(stack.capture_key, key, capture_metadata(capture, expires)),
    )

    # When the sample batch (the notification and an s3:TestEvent) is handled
    response = load_handler("recognize").lambda_handler(event, context)

    # Then nothing fails and the object is in quarantine
    assert response == {"batchItemFailures": []}
    listed = stack.s3.list_objects_v2(Bucket=stack.quarantine_bucket, Prefix=QUARANTINE_PREFIX)
    assert {o["Key"] for o in listed["Contents"]} == {
        QUARANTINE_PREFIX + key,
        QUARANTINE_PREFIX + key + ".reason.json",
    }
