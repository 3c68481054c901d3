"""POST /v1/uploads: a vehicle unit gets a presigned POST limited to its own prefix."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

import pytest
import requests

from alpr.domain.models import parse_iso_utc
from alpr.names import UPLOAD_METADATA, Env
from alpr.services.container import container, use
from tests.integration.conftest import FakeContext, Stack, load_event, load_handler


@pytest.fixture(autouse=True)
def sample_capture_day_accepted(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample event's capture is a fixed day (its key and metadata are asserted): widen the
    backdating window for it; the window itself is tested in the domain and below."""
    monkeypatch.setenv(Env.UPLOAD_MAX_AGE_HOURS, str(24 * 365 * 10))
    use(None)


def test_the_backdating_window_is_applied_from_the_settings(
    stack: Stack, context: FakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(Env.UPLOAD_MAX_AGE_HOURS, "48")
    use(None)
    status, body = _call(load_event("uploads/post_upload.json"), context)
    assert status == 400 and "48 hours" in body["message"]


def _call(event: dict, context: FakeContext) -> tuple[int, dict]:
    response = load_handler("uploads").lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def test_ticket_pins_key_type_size_metadata_and_expiry(stack: Stack, context: FakeContext) -> None:
    # Given a unit asking for a ticket
    event = load_event("uploads/post_upload.json")
    before = datetime.now(UTC)

    # When
    status, ticket = _call(event, context)

    # Then the key is under the unit's own prefix and the POST policy pins everything
    assert status == 200, ticket
    assert re.fullmatch(r"raw/unit-0042/2026/11/28/[0-9a-f-]{36}\.jpg", ticket["key"])
    fields = ticket["fields"]
    assert fields["key"] == ticket["key"]
    assert fields["Content-Type"] == "image/jpeg"
    assert fields["x-amz-meta-unit-id"] == "unit-0042"
    assert fields["x-amz-meta-captured-at"] == "2026-11-28T23:59:30.250Z"
    assert float(fields["x-amz-meta-lat"]) == 38.5816
    assert float(fields["x-amz-meta-heading"]) == 92.5
    assert {f"x-amz-meta-{m}" for m in UPLOAD_METADATA} <= set(fields)
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, container().config.upload_max_bytes] in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert {"x-amz-meta-unit-id": "unit-0042"} in conditions
    assert {"bucket": stack.uploads_bucket} in conditions
    expires = parse_iso_utc(ticket["expires_at"])
    assert abs((expires - before).total_seconds() - container().config.upload_url_seconds) < 5
    assert int(fields["x-amz-meta-expires"]) == int(expires.timestamp())
    assert (
        parse_iso_utc(policy["expiration"]) == expires.replace(microsecond=0)
        or abs((parse_iso_utc(policy["expiration"]) - expires).total_seconds()) < 2
    )


def test_ticket_works_as_a_form_post(stack: Stack, context: FakeContext) -> None:
    # Given a ticket
    status, ticket = _call(load_event("uploads/post_upload.json"), context)
    assert status == 200

    # When the unit posts the file with the ticket's fields, as a browser form would
    posted = requests.post(
        ticket["url"], data=ticket["fields"], files={"file": ("x.jpg", b"\xff\xd8\xff jpeg", "image/jpeg")}
    )

    # Then the object is there with the capture metadata
    assert posted.status_code in (200, 201, 204), posted.text
    head = stack.s3.head_object(Bucket=stack.uploads_bucket, Key=ticket["key"])
    assert head["Metadata"]["unit-id"] == "unit-0042"
    assert head["ContentType"] == "image/jpeg"


def test_png_gets_a_png_key(stack: Stack, context: FakeContext) -> None:
    event = load_event("uploads/post_upload.json")
    event["body"] = json.dumps({**json.loads(event["body"]), "content_type": "image/png"})
    status, ticket = _call(event, context)
    assert status == 200
    assert ticket["key"].endswith(".png")
    assert ticket["fields"]["Content-Type"] == "image/png"


def test_caller_outside_unit_group_is_forbidden(stack: Stack, context: FakeContext) -> None:
    event = load_event("uploads/post_upload.json")
    event["requestContext"]["authorizer"]["claims"]["cognito:groups"] = "investigator"
    status, body = _call(event, context)
    assert status == 403
    assert "unit" in body["message"]


def test_missing_claims_is_401(stack: Stack, context: FakeContext) -> None:
    event = load_event("uploads/post_upload.json")
    del event["requestContext"]["authorizer"]
    status, _ = _call(event, context)
    assert status == 401


@pytest.mark.parametrize(
    "change",
    [
        {"lat": 123.0},
        {"content_type": "image/gif"},
        {"captured_at": "2026-11-28T23:59:30"},  # no zone
        {"heading": 400},
        {"unexpected": 1},
    ],
)
def test_invalid_body_is_refused(stack: Stack, context: FakeContext, change: dict) -> None:
    event = load_event("uploads/post_upload.json")
    event["body"] = json.dumps({**json.loads(event["body"]), **change})
    status, _ = _call(event, context)
    assert status == 422


def test_capture_in_the_future_is_refused(stack: Stack, context: FakeContext) -> None:
    event = load_event("uploads/post_upload.json")
    event["body"] = json.dumps({**json.loads(event["body"]), "captured_at": "2099-01-01T00:00:00Z"})
    status, body = _call(event, context)
    assert status == 400
    assert "future" in body["message"]


def test_retry_with_the_units_upload_id_gets_the_same_key(stack: Stack, context: FakeContext) -> None:
    event = load_event("uploads/post_upload.json")
    event["body"] = json.dumps(
        {**json.loads(event["body"]), "upload_id": "9a1f6c2e-0b7d-4e55-8f3a-2c4d6e8f0a1b"}
    )
    first, again = _call(event, context)[1], _call(event, context)[1]
    assert first["key"] == again["key"] == "raw/unit-0042/2026/11/28/9a1f6c2e-0b7d-4e55-8f3a-2c4d6e8f0a1b.jpg"
