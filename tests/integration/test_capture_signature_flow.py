"""Signed capture metadata on moto (issue 23): what a ticket signs is read; an object whose metadata was
edited, that was moved to another key, or that never had a ticket is quarantined unread, with its reason.

moto does not check a presigned POST's policy, so the edits below are exactly what a unit could do
to its own form fields, or anyone who may put objects into the uploads bucket.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from typing import Any

import boto3
import pytest
import requests

from alpr.adapters.signing_key import SecretSigningKey
from alpr.domain.capture_signature import canonical_capture
from alpr.names import CAPTURE_SIGNATURE_METADATA, CAPTURE_SIGNATURE_REFUSED_METRIC, Env
from alpr.services.container import container, use
from tests.integration.conftest import REGION, FakeContext, Stack, load_event, load_handler
from tests.integration.test_recognize_handler import (
    assert_gone_from_uploads,
    quarantined,
    recognize,
    rendered_plate,
    scan,
    sqs_event,
)

SIGNATURE_FIELD = "x-amz-meta-" + CAPTURE_SIGNATURE_METADATA


@pytest.fixture(autouse=True)
def sample_capture_day_accepted(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample ticket request's capture is of a fixed day: widen the backdating window for it."""
    monkeypatch.setenv(Env.UPLOAD_MAX_AGE_HOURS, str(24 * 365 * 10))
    use(None)


def ticket(context: FakeContext) -> dict[str, Any]:
    response = load_handler("uploads").lambda_handler(load_event("uploads/post_upload.json"), context)
    assert response["statusCode"] == 200, response["body"]
    issued: dict[str, Any] = json.loads(response["body"])
    return issued


def post(issued: dict[str, Any], fields: dict[str, str] | None = None) -> str:
    """The image sent as a form POST with the ticket's fields (or edited ones); its key."""
    posted = requests.post(
        issued["url"],
        data=fields or issued["fields"],
        files={"file": ("plate.jpg", rendered_plate(), "image/jpeg")},
        timeout=30,
    )
    assert posted.status_code in (200, 201, 204), posted.text
    key: str = issued["key"]
    return key


def metadata_of(stack: Stack, key: str) -> dict[str, str]:
    stored: dict[str, str] = stack.s3.head_object(Bucket=stack.uploads_bucket, Key=key)["Metadata"]
    return stored


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def assert_refused_unread(
    stack: Stack, context: FakeContext, key: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    """Recognize the key: quarantined for `reason`, no read, logged and counted; the reason document."""
    handler, warnings = load_handler("recognize"), Records()
    handler.logger.addHandler(warnings)  # Powertools' Logger hands this to its logging.Logger
    capsys.readouterr()
    try:
        response = handler.lambda_handler(sqs_event(stack, key), context)
    finally:
        handler.logger.removeHandler(warnings)
    assert response["batchItemFailures"] == []
    head, record = quarantined(stack, key)
    assert record["reason"] == reason
    assert head["Metadata"]["quarantine-reason"].startswith(reason + ":")
    assert_gone_from_uploads(stack, key)
    assert scan(stack, stack.reads_table) == [], "nothing was read from the refused image"
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [e.get(CAPTURE_SIGNATURE_REFUSED_METRIC) for e in emitted] == [[1.0]], emitted  # CloudWatch EMF
    refusals = [r for r in warnings.records if r.levelno == logging.WARNING and "ticket signed" in r.msg]
    assert [(r.__dict__["key"], r.__dict__["reason"]) for r in refusals] == [(key, reason)]
    return record


def test_the_ticket_signs_its_capture_fields_and_pins_the_signature(
    stack: Stack, context: FakeContext
) -> None:
    issued = ticket(context)
    fields = issued["fields"]
    stored = {k.removeprefix("x-amz-meta-"): v for k, v in fields.items() if k.startswith("x-amz-meta-")}
    expected = hmac.new(stack.capture_key, canonical_capture(issued["key"], stored), hashlib.sha256)
    assert fields[SIGNATURE_FIELD] == expected.hexdigest()
    conditions = json.loads(base64.b64decode(fields["policy"]))["conditions"]
    assert {SIGNATURE_FIELD: fields[SIGNATURE_FIELD]} in conditions


@pytest.mark.slow
def test_an_upload_as_its_ticket_signed_it_is_read(stack: Stack, context: FakeContext) -> None:
    # Given an image posted with its ticket's fields
    key = post(ticket(context))
    assert metadata_of(stack, key)[CAPTURE_SIGNATURE_METADATA]

    # When recognize handles it
    assert recognize(sqs_event(stack, key), context) == []

    # Then its plate is read, with the signed capture
    (item,) = scan(stack, stack.reads_table)
    assert item["plate"]["S"] == "7ABC123" and float(item["lat"]["N"]) == 38.5816


@pytest.mark.parametrize(
    ("field", "value"),
    [("lat", "37.0001"), ("heading", "270.0"), ("captured-at", "2026-11-28T01:00:00.000Z")],
)
def test_metadata_edited_after_signing_is_quarantined_unread(
    stack: Stack, context: FakeContext, capsys: pytest.CaptureFixture[str], field: str, value: str
) -> None:
    # Given a ticketed upload whose metadata is then replaced with one field changed
    key = post(ticket(context))
    edited = {**metadata_of(stack, key), field: value}
    stack.s3.put_object(
        Bucket=stack.uploads_bucket, Key=key, Body=rendered_plate(), ContentType="image/jpeg", Metadata=edited
    )

    # Then recognize refuses it before reading it
    record = assert_refused_unread(stack, context, key, "bad-signature", capsys)
    assert "not what its upload ticket signed" in record["detail"]


def test_a_form_field_edited_by_the_unit_is_quarantined(
    stack: Stack, context: FakeContext, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a unit that edits its own form's position before posting (moto ignores the policy)
    issued = ticket(context)
    key = post(issued, {**issued["fields"], "x-amz-meta-lon": "-122.0"})

    # Then the edit is caught, not stored as a read at the wrong place
    assert_refused_unread(stack, context, key, "bad-signature", capsys)


def test_signed_metadata_moved_to_another_key_is_quarantined(
    stack: Stack, context: FakeContext, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a ticketed upload copied, metadata and all, to another key of the same unit and day
    source = post(ticket(context))
    moved = source.rsplit("/", 1)[0] + f"/{uuid.uuid4()}.jpg"
    stack.s3.copy_object(
        Bucket=stack.uploads_bucket, Key=moved, CopySource={"Bucket": stack.uploads_bucket, "Key": source}
    )
    assert metadata_of(stack, moved) == metadata_of(stack, source)

    # Then the copy is refused: the signature names the key it was issued for
    assert_refused_unread(stack, context, moved, "bad-signature", capsys)


def test_an_object_without_a_signature_is_quarantined_as_unsigned(
    stack: Stack, context: FakeContext, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a ticketed upload put again without its signature
    key = post(ticket(context))
    unsigned = {k: v for k, v in metadata_of(stack, key).items() if k != CAPTURE_SIGNATURE_METADATA}
    stack.s3.put_object(
        Bucket=stack.uploads_bucket,
        Key=key,
        Body=rendered_plate(),
        ContentType="image/jpeg",
        Metadata=unsigned,
    )

    # Then it is refused as unsigned
    record = assert_refused_unread(stack, context, key, "unsigned", capsys)
    assert "x-amz-meta-capture-signature" in record["detail"]


def test_the_key_is_read_from_its_secret_once_and_then_cached(stack: Stack) -> None:
    # Given the container's key, read once
    secret_id = container().config.capture_signing_secret
    assert container().capture_key() == stack.capture_key
    # When the secret changes
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.put_secret_value(SecretId=secret_id, SecretString="n" * 64)
    # Then the cached key serves until its five minutes are up (no Secrets Manager call per upload),
    assert container().capture_key() == stack.capture_key
    # and a fresh reader sees the new one
    fresh = SecretSigningKey(str(secret_id), lambda: secrets, purpose="capture signing")
    assert fresh() == b"n" * 64


def test_a_short_key_is_refused_rather_than_signed_with(stack: Stack) -> None:
    secrets = boto3.client("secretsmanager", region_name=REGION)
    arn = secrets.create_secret(Name="short-capture-key", SecretString="too short")["ARN"]
    with pytest.raises(RuntimeError, match="shorter than 32"):
        SecretSigningKey(arn, lambda: secrets, purpose="capture signing")()
