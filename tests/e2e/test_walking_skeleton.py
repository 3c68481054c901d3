"""What `make demo` does, over real HTTP: upload through a presigned POST, recognition, search."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from alpr.client.http import AlprClient, ApiError, UnitCapture
from alpr.demo.synth import render_scene
from alpr.names import Env

pytestmark = pytest.mark.e2e


def unique_plate() -> str:
    # Digit, three letters, three digits: the California pattern, unique per test run.
    tail = uuid.uuid4().int % 1000
    letters = "".join("ABCDEFGHJKLMNPRSTUVWXYZ"[(uuid.uuid4().int >> (5 * i)) % 23] for i in range(3))
    return f"{1 + uuid.uuid4().int % 9}{letters}{tail:03d}"


def test_health_answers_without_a_token(stack):
    assert requests.get(f"{stack.api_url}/health", timeout=10).status_code == 200


def test_uploaded_plate_is_read_and_found_by_search(unit, investigator):
    # Given a rendered plate uploaded by a vehicle unit through a presigned POST
    plate = unique_plate()
    image, _ = render_scene(plate, "CA", seed=7)
    captured_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    key = unit.upload(image, UnitCapture(captured_at=captured_at, lat=38.0194, lon=-122.1341, heading=90.0))
    # When an investigator searches the plate
    reads = investigator.wait_for_plate(plate, count=1, timeout_s=60)
    # Then the read is there with what the unit sent and what recognition found
    assert len(reads) == 1
    read = reads[0]
    assert read["plate"] == plate
    assert read["unit_id"] == "unit-01"
    assert read["image_key"] == key
    assert abs(float(read["lat"]) - 38.0194) < 1e-6 and abs(float(read["lon"]) + 122.1341) < 1e-6
    assert datetime.fromisoformat(read["captured_at"].replace("Z", "+00:00")) == captured_at
    assert 0 < float(read["confidence"]) <= 1
    assert "not an identification" in read["disclaimer"]
    # And a search for the same number in another state does not return the California read
    assert read["state"] == "CA"
    assert investigator.search_plate(plate, state="CA") == reads
    assert investigator.search_plate(plate, state="NV") == []


def test_search_without_a_token_is_401(stack):
    with pytest.raises(ApiError) as refused:
        AlprClient(stack.api_url).search_plate("7ABC123")
    assert refused.value.status == 401


def test_tampered_token_is_401(stack):
    token = stack.token("investigator")
    header, payload, signature = token.split(".")
    tampered = ".".join([header, payload, ("A" if signature[0] != "A" else "B") + signature[1:]])
    with pytest.raises(ApiError) as refused:
        AlprClient(stack.api_url, tampered).search_plate("7ABC123")
    assert refused.value.status == 401


def test_only_vehicle_units_may_request_upload_urls(investigator):
    # An investigator is not a vehicle unit: it may not ask for upload URLs.
    with pytest.raises(ApiError) as refused:
        investigator.upload(b"x", UnitCapture(captured_at=datetime.now(UTC), lat=38.0, lon=-122.0))
    assert refused.value.status == 403


def test_corrupt_upload_is_quarantined_with_a_reason_and_the_queue_drains(stack, unit, aws):
    # Given an upload that is not an image
    key = unit.upload(b"this is not a JPEG", UnitCapture(captured_at=datetime.now(UTC), lat=38.0, lon=-122.0))
    environment = stack.deployment.shared_environment()
    s3 = aws("s3")
    # Then it ends in quarantine/ with a reason, and is gone from the uploads bucket
    quarantine = environment[Env.QUARANTINE_BUCKET.value]
    reason = json.loads(s3.get_object(Bucket=quarantine, Key=f"quarantine/{key}.reason.json")["Body"].read())
    assert "image" in json.dumps(reason).lower()
    assert s3.get_object(Bucket=quarantine, Key=f"quarantine/{key}")["Body"].read() == b"this is not a JPEG"
    listed = s3.list_objects_v2(Bucket=environment[Env.UPLOADS_BUCKET.value], Prefix=key)
    assert listed.get("KeyCount", 0) == 0
    # And no message is left on the stack's queues (the ingest queue and its DLQ)
    sqs = aws("sqs")
    queues = stack.deployment.template.of_type("AWS::SQS::Queue")
    assert queues
    for url in (stack.deployment.ref(logical_id) for logical_id in queues):
        counts = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        assert counts == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}, (
            url
        )


def test_refusals_by_the_authorizer_are_in_the_stage_access_log(stack, aws):
    # Given a request the authorizer refuses (it never reaches a function, so the gate cannot log it)
    response = requests.get(
        f"{stack.api_url}/v1/reads",
        params={"plate": "7ABC123"},
        headers={"Authorization": "Bearer x.y.z"},
        timeout=10,
    )
    assert response.status_code == 401
    # Then the stage's access log, in the template's log group and format, has its line
    events = aws("logs").filter_log_events(logGroupName=stack.api_access_log_group)["events"]
    lines = [json.loads(event["message"]) for event in events]
    refused = [line for line in lines if line["status"] == "401" and line["resourcePath"] == "/v1/{proxy+}"]
    assert refused, lines
    assert refused[-1]["httpMethod"] == "GET" and refused[-1]["ip"] == "127.0.0.1"
