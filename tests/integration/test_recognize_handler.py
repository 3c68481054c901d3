"""recognize: S3 ObjectCreated (through SQS) → checked upload → reads, or quarantine with a reason."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest

from alpr.domain.capture_signature import signed_metadata
from alpr.domain.models import Capture
from alpr.domain.uploads import capture_metadata
from alpr.names import QUARANTINE_PREFIX, QUARANTINE_REASON_METADATA, QUARANTINE_REASON_SUFFIX
from alpr.services.container import container
from tests.integration.conftest import FakeContext, Stack, load_event, load_handler

CAPTURED_AT = datetime(2026, 11, 28, 23, 59, 30, 250000, tzinfo=UTC)


@cache
def rendered_plate() -> bytes:
    from alpr.demo.synth import render_scene

    jpeg, _ = render_scene("7ABC123", "CA", seed=1)
    return jpeg


def put_upload(
    stack: Stack,
    body: bytes,
    *,
    unit: str = "unit-0042",
    key_unit: str | None = None,
    expires: datetime | None = None,
    content_type: str = "image/jpeg",
    upload_id: str | None = None,
) -> str:
    """An object as a unit's presigned POST leaves it (S3 itself checks nothing under moto)."""
    key = f"raw/{key_unit or unit}/2026/11/28/{upload_id or uuid.uuid4()}.jpg"
    capture = Capture(unit_id=unit, captured_at=CAPTURED_AT, lat=38.5816, lon=-121.4944, heading=92.5)
    metadata = capture_metadata(capture, expires or datetime.now(UTC) + timedelta(minutes=5))
    metadata = signed_metadata(stack.capture_key, key, metadata)  # as its ticket signed it
    stack.s3.put_object(
        Bucket=stack.uploads_bucket, Key=key, Body=body, ContentType=content_type, Metadata=metadata
    )
    return key


def sqs_event(stack: Stack, *keys: str) -> dict[str, Any]:
    """The sample SQS batch, one message per key (plus the sample's s3:TestEvent)."""
    event = load_event("recognize/sqs_s3_object_created.json")
    template, test_message = event["Records"]
    records = []
    for key in keys:
        record = json.loads(json.dumps(template))
        notification = json.loads(record["body"])
        notification["Records"][0]["s3"]["bucket"]["name"] = stack.uploads_bucket
        notification["Records"][0]["s3"]["object"]["key"] = key
        record["body"] = json.dumps(notification)
        record["messageId"] = str(uuid.uuid4())
        records.append(record)
    event["Records"] = [*records, test_message]
    return event


def recognize(event: dict[str, Any], context: FakeContext) -> list[str]:
    """Run the handler; the ids of failed records."""
    response = load_handler("recognize").lambda_handler(event, context)
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def scan(stack: Stack, table: str) -> list[dict[str, Any]]:
    return stack.dynamodb.scan(TableName=table)["Items"]


def get_reads(plate: str, context: FakeContext, **query: str) -> tuple[int, dict[str, Any]]:
    event = load_event("api/get_reads.json")
    event["queryStringParameters"] = {"plate": plate, **query}
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in event["queryStringParameters"].items()}
    response = load_handler("api").lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def quarantined(stack: Stack, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The quarantined copy's head and its reason document."""
    target = QUARANTINE_PREFIX + key
    head = stack.s3.head_object(Bucket=stack.quarantine_bucket, Key=target)
    reason = stack.s3.get_object(Bucket=stack.quarantine_bucket, Key=target + QUARANTINE_REASON_SUFFIX)
    return head, json.loads(reason["Body"].read())


def assert_gone_from_uploads(stack: Stack, key: str) -> None:
    assert stack.s3.list_objects_v2(Bucket=stack.uploads_bucket, Prefix=key).get("KeyCount", 0) == 0


@pytest.mark.slow
def test_rendered_plate_becomes_a_read_that_search_finds(stack: Stack, context: FakeContext) -> None:
    # Given a rendered plate uploaded by a unit
    key = put_upload(stack, rendered_plate())

    # When the notification arrives
    failed = recognize(sqs_event(stack, key), context)

    # Then one read is stored with every field
    assert failed == []
    items = scan(stack, stack.reads_table)
    assert len(items) == 1
    read = {k: next(iter(v.values())) for k, v in items[0].items()}
    assert read["plate"] == "7ABC123"
    assert read["unit_id"] == "unit-0042"
    assert read["captured_at"] == "2026-11-28T23:59:30.250Z"
    assert read["captured_key"] == f"2026-11-28T23:59:30.250Z#{read['read_id']}"
    assert read["cell_day"] == "9qce7r#2026-11-28"
    assert read["image_bucket"] == stack.uploads_bucket and read["image_key"] == key
    assert float(read["lat"]) == 38.5816 and float(read["lon"]) == -121.4944
    assert float(read["heading"]) == 92.5
    assert 0 < float(read["confidence"]) <= 1
    assert len(read["char_confidences"]) == 7
    assert set(read["box"]) == {"x", "y", "w", "h"}
    assert read["model_version"]
    assert int(read["expires_at"]) == int(container().config.retention.expiry(CAPTURED_AT).timestamp())
    for field in ("state", "low_confidence", "ingested_at", "read_id"):
        assert field in read
    assert read["crop_key"] == f"crops/{read['read_id']}.jpg"
    crop = stack.s3.get_object(Bucket=stack.uploads_bucket, Key=read["crop_key"])
    assert crop["ContentType"] == "image/jpeg" and crop["Body"].read(3) == b"\xff\xd8\xff"
    plates = scan(stack, stack.plates_table)
    assert [(p["plate"]["S"], p["count"]["N"]) for p in plates] == [("7ABC123", "1")]

    # And the plate search finds it
    status, page = get_reads("7ABC123", context)
    assert status == 200
    assert [r["read_id"] for r in page["items"]] == [read["read_id"]]
    assert page["items"][0]["disclaimer"].startswith("An ALPR read is not an identification")


@pytest.mark.slow
def test_redelivered_message_does_not_duplicate(stack: Stack, context: FakeContext) -> None:
    # Given an upload already recognised
    key = put_upload(stack, rendered_plate())
    event = sqs_event(stack, key)
    assert recognize(event, context) == []

    # When the same message is delivered again
    assert recognize(event, context) == []

    # Then there is still one read, counted once
    assert len(scan(stack, stack.reads_table)) == 1
    assert scan(stack, stack.plates_table)[0]["count"]["N"] == "1"


def test_corrupt_upload_is_quarantined_with_reason(stack: Stack, context: FakeContext) -> None:
    # Given an upload that is not an image
    key = put_upload(stack, b"this is not a JPEG, just text pretending to be one")

    # When
    failed = recognize(sqs_event(stack, key), context)

    # Then the record succeeds, the upload sits in quarantine with its reason, no read is made
    assert failed == []
    head, reason = quarantined(stack, key)
    assert reason["reason"] == "not-an-image"
    assert reason["source_key"] == key and reason["source_bucket"] == stack.uploads_bucket
    assert head["Metadata"][QUARANTINE_REASON_METADATA].startswith("not-an-image")
    assert head["Metadata"]["unit-id"] == "unit-0042"
    assert_gone_from_uploads(stack, key)
    assert scan(stack, stack.reads_table) == []


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (dict(unit="unit-0007", key_unit="unit-0042"), "unit-mismatch"),
        (dict(expires=datetime(2026, 1, 1, tzinfo=UTC)), "expired"),
        (dict(content_type="image/gif"), "content-type"),
    ],
    ids=["wrong-unit-prefix", "expired-ticket", "wrong-type"],
)
def test_policy_violation_is_quarantined(
    stack: Stack, context: FakeContext, upload: dict[str, Any], reason: str
) -> None:
    key = put_upload(stack, b"\xff\xd8\xff\xe0 irrelevant: refused before decoding", **upload)
    assert recognize(sqs_event(stack, key), context) == []
    _, record = quarantined(stack, key)
    assert record["reason"] == reason
    assert_gone_from_uploads(stack, key)


def test_too_large_upload_is_quarantined(stack: Stack, context: FakeContext) -> None:
    key = put_upload(stack, b"\xff\xd8\xff" + bytes(container().config.upload_max_bytes))
    assert recognize(sqs_event(stack, key), context) == []
    _, record = quarantined(stack, key)
    assert record["reason"] == "too-large"


def test_key_outside_raw_prefix_is_quarantined(stack: Stack, context: FakeContext) -> None:
    key = "elsewhere/unit-0042/file.jpg"
    signed = signed_metadata(stack.capture_key, key, {})  # signed, so the layout is what is refused
    stack.s3.put_object(
        Bucket=stack.uploads_bucket, Key=key, Body=b"x", ContentType="image/jpeg", Metadata=signed
    )
    assert recognize(sqs_event(stack, key), context) == []
    _, record = quarantined(stack, key)
    assert record["reason"] == "key-layout"


def test_already_handled_upload_is_skipped(stack: Stack, context: FakeContext) -> None:
    # Given a message whose object was quarantined by an earlier delivery
    key = put_upload(stack, b"not an image")
    event = sqs_event(stack, key)
    assert recognize(event, context) == []

    # When redelivered, nothing fails and the quarantine record is intact
    assert recognize(event, context) == []
    assert quarantined(stack, key)[1]["reason"] == "not-an-image"


def test_unexpected_error_fails_only_that_record(stack: Stack, context: FakeContext) -> None:
    # Given a batch with one good (quarantinable) object and one in a bucket that does not exist
    good = put_upload(stack, b"not an image")
    event = sqs_event(stack, good, "raw/unit-0042/2026/11/28/missing.jpg")
    broken = json.loads(event["Records"][1]["body"])
    broken["Records"][0]["s3"]["bucket"]["name"] = "no-such-bucket"
    event["Records"][1]["body"] = json.dumps(broken)

    # When
    failed = recognize(event, context)

    # Then only the broken record is reported for redelivery
    assert failed == [event["Records"][1]["messageId"]]
    assert quarantined(stack, good)[1]["reason"] == "not-an-image"


def test_a_poison_message_fails_alone_and_the_test_event_passes(stack: Stack, context: FakeContext) -> None:
    # Given a batch with a good object, a message whose body is not S3's notification, and the
    # sample's s3:TestEvent (no records)
    good = put_upload(stack, b"not an image")
    event = sqs_event(stack, good, "raw/unit-0042/2026/11/28/other.jpg")
    event["Records"][1]["body"] = "{not json"

    # When
    failed = recognize(event, context)

    # Then only the poison record goes back (redelivery, then the DLQ); the others are done
    assert failed == [event["Records"][1]["messageId"]]
    assert quarantined(stack, good)[1]["reason"] == "not-an-image"


@pytest.mark.slow
def test_retried_upload_with_the_units_id_is_read_once(stack: Stack, context: FakeContext) -> None:
    # Given a unit that uploaded an image under its own upload id, then (response lost) again
    upload_id = str(uuid.uuid4())
    first = put_upload(stack, rendered_plate(), upload_id=upload_id)
    assert recognize(sqs_event(stack, first), context) == []
    again = put_upload(stack, rendered_plate(), upload_id=upload_id)

    # When the second upload's notification arrives
    assert recognize(sqs_event(stack, again), context) == []

    # Then the same bytes under the same key give the same read: still one
    assert again == first
    assert len(scan(stack, stack.reads_table)) == 1


@pytest.mark.slow
def test_two_plates_in_one_image_make_two_reads_with_their_own_crops(
    stack: Stack, context: FakeContext
) -> None:
    # Given one upload showing two cars side by side
    import cv2
    import numpy as np

    from alpr.demo.synth import render_scene

    left, _ = render_scene("7ABC123", "CA", seed=1)
    right, _ = render_scene("4XYZ987", "CA", seed=2)
    scenes = [cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR) for jpeg in (left, right)]
    assert scenes[0] is not None and scenes[1] is not None
    ok, both = cv2.imencode(".jpg", np.hstack([scenes[0], scenes[1]]), [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    key = put_upload(stack, both.tobytes())

    # When
    assert recognize(sqs_event(stack, key), context) == []

    # Then each plate is its own read, with its own id and crop
    items = [{k: next(iter(v.values())) for k, v in item.items()} for item in scan(stack, stack.reads_table)]
    assert sorted(r["plate"] for r in items) == ["4XYZ987", "7ABC123"]
    assert len({r["read_id"] for r in items}) == 2
    assert {r["crop_key"] for r in items} == {f"crops/{r['read_id']}.jpg" for r in items}
    assert {p["plate"]["S"]: p["count"]["N"] for p in scan(stack, stack.plates_table)} == {
        "4XYZ987": "1",
        "7ABC123": "1",
    }


@pytest.mark.slow
def test_a_unit_overwriting_its_own_image_is_quarantined_and_the_original_stays(
    stack: Stack, context: FakeContext
) -> None:
    # Issue 19 item 7. Given a read image on the versioned uploads bucket (as the template makes it)
    stack.s3.put_bucket_versioning(Bucket=stack.uploads_bucket, VersioningConfiguration={"Status": "Enabled"})
    upload_id = str(uuid.uuid4())
    key = put_upload(stack, rendered_plate(), upload_id=upload_id)
    assert recognize(sqs_event(stack, key), context) == []
    (read,) = scan(stack, stack.reads_table)
    original = stack.s3.head_object(Bucket=stack.uploads_bucket, Key=key)["ETag"]
    # When the unit uploads other bytes to the same key (a second ticket with the same upload_id)
    put_upload(stack, rendered_plate() + b"\x00tampered", upload_id=upload_id)
    assert recognize(sqs_event(stack, key), context) == []
    # Then the new bytes are quarantined, the original image is current again, no read is added
    versions = stack.s3.list_object_versions(Bucket=stack.uploads_bucket, Prefix=key)["Versions"]
    assert [v["ETag"] for v in versions] == [original]
    assert stack.s3.head_object(Bucket=stack.uploads_bucket, Key=key)["ETag"] == original
    assert scan(stack, stack.reads_table) == [read]
    listed = stack.s3.list_objects_v2(Bucket=stack.quarantine_bucket, Prefix=QUARANTINE_PREFIX + key)
    reasons = [o["Key"] for o in listed["Contents"] if o["Key"].endswith(QUARANTINE_REASON_SUFFIX)]
    (reason_key,) = reasons
    reason = json.loads(stack.s3.get_object(Bucket=stack.quarantine_bucket, Key=reason_key)["Body"].read())
    assert reason["reason"] == "overwrite"


@pytest.mark.slow
def test_the_same_bytes_uploaded_again_are_read_once_not_quarantined(
    stack: Stack, context: FakeContext
) -> None:
    stack.s3.put_bucket_versioning(Bucket=stack.uploads_bucket, VersioningConfiguration={"Status": "Enabled"})
    upload_id = str(uuid.uuid4())
    for _ in range(2):  # the outbox's retry of one upload
        key = put_upload(stack, rendered_plate(), upload_id=upload_id)
        assert recognize(sqs_event(stack, key), context) == []
    assert len(scan(stack, stack.reads_table)) == 1
    assert stack.s3.list_objects_v2(Bucket=stack.quarantine_bucket).get("KeyCount", 0) == 0


def test_a_redelivery_finishes_the_plate_updates_a_failure_cut_short(stack: Stack) -> None:
    # Found by bench/faults.py: the read's transaction committed, then the updates after it (first
    # and last seen of an out-of-order read, the entry's expiry) failed or their answer was lost.
    from tests.unit.test_search import a_read

    store = container().read_store
    newer = a_read("7ABC123", CAPTURED_AT)
    older = a_read("7ABC123", CAPTURED_AT - timedelta(days=3), n=1)
    assert store.put_read(newer)
    assert store.put_read(older)
    key = {"plate": {"S": "7ABC123"}}
    done = stack.dynamodb.get_item(TableName=stack.plates_table, Key=key)["Item"]
    # Given the plate entry as the older read's cut-short store left it (its transaction only)
    stack.dynamodb.update_item(
        TableName=stack.plates_table,
        Key=key,
        UpdateExpression="SET first_seen = :newer",
        ExpressionAttributeValues={":newer": done["last_seen"]},
    )

    # When the message is redelivered: the read is already stored
    assert not store.put_read(older)

    # Then the entry is as a whole store leaves it, and the read was not counted twice
    assert stack.dynamodb.get_item(TableName=stack.plates_table, Key=key)["Item"] == done
