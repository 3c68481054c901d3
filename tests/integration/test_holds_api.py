"""POST|DELETE /v1/reads/{id}/hold through the api handler, on moto: the TTL goes and comes back,
the image and crop are locked by S3 Object Lock, several cases may hold one read."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from alpr.domain.models import Read
from alpr.local.stack import TtlSweeper
from alpr.services.container import container
from tests.integration.conftest import REGION, FakeContext, Stack, access_records, load_event, load_handler
from tests.unit.test_search import a_read

NOW = datetime.now(UTC).replace(microsecond=0)
CASE = "26-004512"  # the sample event's case
OTHER_CASE = "26-007731"


@pytest.fixture
def held_bucket(stack: Stack) -> str:
    """The uploads bucket as the template makes it: Object Lock enabled, no default retention."""
    bucket = f"alpr-uploads-locked-{uuid.uuid4().hex[:8]}"
    stack.s3.create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": REGION},
        ObjectLockEnabledForBucket=True,
    )
    return bucket


@pytest.fixture
def read(stack: Stack, held_bucket: str) -> Iterator[Read]:
    stored = a_read("7ABC123", NOW - timedelta(days=30)).model_copy(update={"image_bucket": held_bucket})
    for key in (stored.image_key, stored.crop_key):
        assert key is not None
        stack.s3.put_object(Bucket=held_bucket, Key=key, Body=b"\xff\xd8 jpeg bytes")
    assert container().read_store.put_read(stored)
    yield stored


def call(
    context: FakeContext, method: str, read_id: str, case: str = CASE, user: str = "investigator"
) -> tuple[int, dict[str, Any]]:
    event = load_event("api/hold_read.json")
    claims = event["requestContext"]["authorizer"]["claims"]
    claims["cognito:username"], claims["cognito:groups"] = user, container().personnel.get(user).roles[0]  # type: ignore[union-attr]
    event["httpMethod"] = method
    event["path"] = f"/v1/reads/{read_id}/hold"
    event["pathParameters"] = {"proxy": f"reads/{read_id}/hold"}
    event["headers"]["X-Case-Number"] = case
    response = load_handler("api").lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def item(stack: Stack, read_id: str) -> dict[str, Any]:
    found: dict[str, Any] = stack.dynamodb.get_item(
        TableName=stack.reads_table, Key={"read_id": {"S": read_id}}
    )["Item"]
    return found


def lock(stack: Stack, read: Read, key: str | None) -> str:
    status: str = stack.s3.get_object_legal_hold(Bucket=read.image_bucket, Key=key)["LegalHold"]["Status"]
    return status


def test_a_hold_removes_the_ttl_and_locks_the_image_and_crop(
    stack: Stack, read: Read, context: FakeContext
) -> None:
    status, body = call(context, "POST", read.read_id)
    assert status == 200, body
    assert body["expires_at"] is None
    (hold,) = body["legal_holds"]
    assert hold["case_number"] == CASE
    assert hold["category"] == "stolen-vehicle"
    assert hold["placed_by"] == "investigator"
    assert hold["reason"].startswith("grey Honda Civic")
    assert "expires_at" not in item(stack, read.read_id)
    assert lock(stack, read, read.image_key) == lock(stack, read, read.crop_key) == "ON"
    # The locked image cannot be destroyed, not even version by version
    version = stack.s3.head_object(Bucket=read.image_bucket, Key=read.image_key)["VersionId"]
    with pytest.raises(ClientError):
        stack.s3.delete_object(Bucket=read.image_bucket, Key=read.image_key, VersionId=version)
    # And the hold is on record with who, why and for which case
    (record,) = [r for r in access_records(stack) if r.get("query", {}).get("hold") == "place"]
    assert record["case_number"] == CASE and record["username"] == "investigator"


def test_a_held_read_outlives_its_retention_and_the_last_release_restores_it(
    stack: Stack, read: Read, context: FakeContext
) -> None:
    assert call(context, "POST", read.read_id)[0] == 200
    assert call(context, "POST", read.read_id, OTHER_CASE)[0] == 200
    sweeper = TtlSweeper({stack.reads_table: "expires_at"}, endpoint_url="http://127.0.0.1:1")
    sweeper.dynamodb = stack.dynamodb  # the sweep the local stack runs, on this moto
    a_year_and_more = (NOW + timedelta(days=400)).timestamp()
    assert sweeper.sweep(now=a_year_and_more) == 0

    # One case lets go: the other still holds it
    status, body = call(context, "DELETE", read.read_id)
    assert status == 200, body
    assert body["legal_holds"] == [] and body["other_holds"] == 1  # the other case is not named
    assert body["expires_at"] is None
    assert lock(stack, read, read.image_key) == "ON"

    # The last one lets go: the schedule is back (capture + 365 days) and the objects unlocked
    status, body = call(context, "DELETE", read.read_id, OTHER_CASE)
    assert status == 200, body
    assert body["legal_holds"] == []
    assert body["expires_at"] == int((read.captured_at + timedelta(days=365)).timestamp())
    assert lock(stack, read, read.image_key) == lock(stack, read, read.crop_key) == "OFF"
    assert [(e["action"], e["case_number"]) for e in body["hold_history"]] == [
        ("placed", OTHER_CASE),
        ("released", OTHER_CASE),
    ]
    assert len(item(stack, read.read_id)["hold_history"]["L"]) == 4
    assert sweeper.sweep(now=a_year_and_more) == 1


def test_holding_again_for_the_same_case_changes_nothing(
    stack: Stack, read: Read, context: FakeContext
) -> None:
    assert call(context, "POST", read.read_id)[0] == 200
    status, body = call(context, "POST", read.read_id)
    assert status == 200
    assert len(body["legal_holds"]) == 1 and len(body["hold_history"]) == 1


def test_a_case_cannot_release_what_it_does_not_hold(stack: Stack, read: Read, context: FakeContext) -> None:
    assert call(context, "POST", read.read_id)[0] == 200
    status, body = call(context, "DELETE", read.read_id, OTHER_CASE)
    assert status == 404
    assert OTHER_CASE in body["message"]
    assert lock(stack, read, read.image_key) == "ON"


def test_a_read_past_its_retention_cannot_be_held(
    stack: Stack, held_bucket: str, context: FakeContext
) -> None:
    expired = a_read("8XYZ456", NOW - timedelta(days=400), expired=True)
    assert container().read_store.put_read(expired.model_copy(update={"image_bucket": held_bucket}))
    status, body = call(context, "POST", expired.read_id)
    assert status == 404
    assert body["message"] == f"no read '{expired.read_id}'"
    assert "expires_at" in item(stack, expired.read_id)


def test_a_read_stored_before_holds_existed_can_be_held(
    stack: Stack, held_bucket: str, context: FakeContext
) -> None:
    # Given a read item without the hold attributes (written by an earlier version)
    older = a_read("5KLM902", NOW - timedelta(days=10)).model_copy(update={"image_bucket": held_bucket})
    assert container().read_store.put_read(older)
    stack.dynamodb.update_item(
        TableName=stack.reads_table,
        Key={"read_id": {"S": older.read_id}},
        UpdateExpression="REMOVE legal_holds, hold_history",
    )
    for key in (older.image_key, older.crop_key):
        stack.s3.put_object(Bucket=held_bucket, Key=key, Body=b"\xff\xd8 jpeg bytes")
    # Then it is held like any other
    status, body = call(context, "POST", older.read_id)
    assert status == 200, body
    assert [h["case_number"] for h in body["legal_holds"]] == [CASE]


def test_a_held_image_stays_reachable_and_releasable_after_the_lifecycle_marks_it_deleted(
    stack: Stack, read: Read, context: FakeContext
) -> None:
    status, body = call(context, "POST", read.read_id)
    assert status == 200, body
    held = item(stack, read.read_id)["held_versions"]["M"]
    version = held[read.image_key]["S"]
    # When the bucket's lifecycle expires the image (a delete marker over the key)
    stack.s3.delete_object(Bucket=read.image_bucket, Key=read.image_key)
    # Then the read's link points at the locked version, which is still there
    event = load_event("api/get_reads.json")
    event["path"] = f"/v1/reads/{read.read_id}"
    event["pathParameters"] = {"proxy": f"reads/{read.read_id}"}
    event["resource"] = "/v1/{proxy+}"
    event["queryStringParameters"] = event["multiValueQueryStringParameters"] = None
    detail = json.loads(load_handler("api").lambda_handler(event, context)["body"])
    assert f"versionId={version}" in detail["image_url"]
    assert stack.s3.get_object(Bucket=read.image_bucket, Key=read.image_key, VersionId=version)["Body"].read()
    # And releasing the hold unlocks that version
    assert call(context, "DELETE", read.read_id)[0] == 200
    status_of = stack.s3.get_object_legal_hold(
        Bucket=read.image_bucket, Key=read.image_key, VersionId=version
    )
    assert status_of["LegalHold"]["Status"] == "OFF"
    assert item(stack, read.read_id)["held_versions"] == {"M": {}}


def _another_investigator(username: str) -> None:
    """A second trained investigator of the same department."""
    record = container().personnel.get("investigator")
    assert record is not None
    container().personnel.put(record.model_copy(update={"username": username, "full_name": "Mal Lory"}))


def test_another_investigator_who_knows_the_case_number_cannot_lift_the_hold(
    stack: Stack, read: Read, context: FakeContext
) -> None:
    # Given the investigator's hold, and a colleague who read its case number somewhere
    assert call(context, "POST", read.read_id)[0] == 200
    _another_investigator("mallory")
    # When the colleague releases it with that case number
    status, body = call(context, "DELETE", read.read_id, CASE, user="mallory")
    # Then it is refused and the read stays held, its image locked
    assert status == 403, body
    assert "expires_at" not in item(stack, read.read_id)
    assert lock(stack, read, read.image_key) == "ON"


def test_a_supervisor_of_the_department_releases_it_and_is_recorded_as_approving(
    stack: Stack, read: Read, context: FakeContext
) -> None:
    assert call(context, "POST", read.read_id)[0] == 200
    status, body = call(context, "DELETE", read.read_id, CASE, user="supervisor")
    assert status == 200, body
    released = body["hold_history"][-1]
    assert (released["by"], released["approved_by"]) == ("supervisor", "supervisor")
    assert lock(stack, read, read.image_key) == "OFF"


def test_a_hold_response_names_only_the_callers_case(stack: Stack, read: Read, context: FakeContext) -> None:
    # Given a read held for another case by someone else
    _another_investigator("olga")
    assert call(context, "POST", read.read_id, OTHER_CASE, user="olga")[0] == 200
    # When the investigator holds it for their case
    status, body = call(context, "POST", read.read_id)
    # Then they see their hold and that one other exists, not its case
    assert status == 200, body
    assert [h["case_number"] for h in body["legal_holds"]] == [CASE]
    assert body["other_holds"] == 1
    assert OTHER_CASE not in json.dumps(body)
