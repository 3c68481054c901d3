"""Holds under review on moto, through the api handler and the hold_review handler: the register of
holds, a supervisor's approval, the holder's renewal, and lapses recorded in the access log that
give the read back to its schedule (issue 22, item 4)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alpr.adapters.dynamo import from_item, to_item
from alpr.config import Config
from alpr.domain.clock import FixedClock
from alpr.domain.models import Read
from alpr.names import HOLD_ID
from alpr.services.container import Container, container, use
from tests.integration.conftest import REGION, FakeContext, Stack, access_records, load_event, load_handler
from tests.unit.test_search import a_read

NOW = datetime.now(UTC).replace(microsecond=0)
CASE = "26-004512"  # the sample event's case


class Clock:
    """The process's clock, moved by the test (the handlers keep it across their cold starts)."""

    def __init__(self) -> None:
        self.clock = FixedClock(NOW)

    def move(self, by: timedelta) -> None:
        self.clock.at = NOW + by


@pytest.fixture
def clock(stack: Stack) -> Iterator[Clock]:
    moved = Clock()
    use(Container(Config(), clock=moved.clock))
    yield moved


@pytest.fixture
def read(stack: Stack, clock: Clock) -> Read:
    bucket = f"alpr-uploads-locked-{uuid.uuid4().hex[:8]}"
    stack.s3.create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": REGION},
        ObjectLockEnabledForBucket=True,
    )
    # Captured 360 days ago: its retention ends in five days, inside the hold's 7 days to approve.
    stored = a_read("7ABC123", NOW - timedelta(days=360)).model_copy(update={"image_bucket": bucket})
    for key in (stored.image_key, stored.crop_key):
        stack.s3.put_object(Bucket=bucket, Key=key, Body=b"\xff\xd8 jpeg bytes")
    assert container().read_store.put_read(stored)
    return stored


def api(
    context: FakeContext, method: str, path: str, user: str = "investigator", case: str = CASE
) -> tuple[int, dict[str, Any]]:
    event = load_event("api/hold_read.json")
    claims = event["requestContext"]["authorizer"]["claims"]
    claims["cognito:username"], claims["cognito:groups"] = user, container().personnel.get(user).roles[0]  # type: ignore[union-attr]
    event["httpMethod"] = method
    event["path"] = path
    event["pathParameters"] = {"proxy": path.removeprefix("/v1/")}
    event["headers"]["X-Case-Number"] = case
    response = load_handler("api").lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def review(context: FakeContext) -> list[str]:
    lapsed: list[str] = load_handler("hold_review").lambda_handler({}, context)["lapsed"]
    return lapsed


def register(stack: Stack, hold_id: str) -> dict[str, Any]:
    return from_item(
        stack.dynamodb.get_item(TableName=stack.holds_table, Key=to_item({HOLD_ID: hold_id}))["Item"]
    )


def stored(stack: Stack, read: Read) -> dict[str, Any]:
    return from_item(
        stack.dynamodb.get_item(TableName=stack.reads_table, Key=to_item({"read_id": read.read_id}))["Item"]
    )


def placed(context: FakeContext, read: Read) -> str:
    status, body = api(context, "POST", f"/v1/reads/{read.read_id}/hold")
    assert status == 200, body
    (hold,) = body["legal_holds"]
    hold_id: str = hold["hold_id"]
    return hold_id


def test_a_placed_hold_is_registered_pending_until_its_7_days_end(
    stack: Stack, read: Read, context: FakeContext
) -> None:
    hold_id = placed(context, read)
    entry = register(stack, hold_id)
    assert (entry["read_id"], entry["state"], entry["placed_by"]) == (read.read_id, "pending", "investigator")
    assert entry["due"].startswith((NOW + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))


def test_a_supervisor_approves_it_through_the_gate_and_the_approval_is_logged(
    stack: Stack, read: Read, context: FakeContext, clock: Clock
) -> None:
    hold_id = placed(context, read)
    # The holder and other investigators may not approve it
    assert api(context, "POST", f"/v1/holds/{hold_id}/approve")[0] == 403
    # A supervisor does, on day 6
    clock.move(timedelta(days=6))
    status, body = api(context, "POST", f"/v1/holds/{hold_id}/approve", user="supervisor")
    assert status == 200, body
    assert (body["state"], body["approved_by"], body["read_id"]) == ("approved", "supervisor", read.read_id)
    entry = register(stack, hold_id)
    assert entry["state"] == "approved" and entry["due"] == body["review_at"].replace("+00:00", ".000Z")
    approval = [r for r in access_records(stack) if r["action"] == "holds:approve"]
    assert [(r["username"], r["outcome"]) for r in approval] == [
        ("investigator", "refused"),
        ("supervisor", "allowed"),
    ]
    assert approval[-1]["case_number"] == hold_id  # an approval's purpose is the hold itself
    assert approval[-1]["query"]["read_id"] == read.read_id
    # The review on day 8 lapses nothing: the read stays held past its retention
    clock.move(timedelta(days=8))
    assert review(context) == []
    assert "expires_at" not in stored(stack, read)


def test_an_unapproved_hold_lapses_after_7_days_logged_and_the_read_past_retention_goes_at_the_next_sweep(
    stack: Stack, read: Read, context: FakeContext, clock: Clock
) -> None:
    hold_id = placed(context, read)
    # Six days on, the read is past its retention and still kept: the hold protects it meanwhile
    clock.move(timedelta(days=6))
    assert review(context) == []
    assert "expires_at" not in stored(stack, read)
    # After 7 days without approval the review lapses it
    clock.move(timedelta(days=7, minutes=1))
    assert review(context) == [hold_id]
    item = stored(stack, read)
    assert item["legal_holds"] == [] and item["hold_history"][-1]["action"] == "lapsed"
    assert item["expires_at"] == int((read.captured_at + timedelta(days=365)).timestamp())  # past: next sweep
    assert register(stack, hold_id)["state"] == "lapsed"
    assert (
        stack.s3.get_object_legal_hold(Bucket=read.image_bucket, Key=read.image_key)["LegalHold"]["Status"]
        == "OFF"
    )
    (lapse,) = [r for r in access_records(stack) if r["action"] == "holds:lapse"]
    assert lapse["query"]["held_by"] == "investigator" and lapse["query"]["read_id"] == read.read_id
    assert lapse["case_number"] == CASE and "within 7 days" in lapse["reason"]
    # The next run finds nothing more, and approving now is too late
    assert review(context) == []
    assert api(context, "POST", f"/v1/holds/{hold_id}/approve", user="supervisor")[0] == 409


def test_the_holder_renews_an_approved_hold_and_without_renewal_it_lapses_at_its_review_date(
    stack: Stack, read: Read, context: FakeContext, clock: Clock
) -> None:
    hold_id = placed(context, read)
    assert api(context, "POST", f"/v1/holds/{hold_id}/approve", user="supervisor")[0] == 200
    # Another user, or another case, cannot renew it
    assert api(context, "POST", f"/v1/holds/{hold_id}/renew", user="supervisor")[0] == 403
    assert api(context, "POST", f"/v1/holds/{hold_id}/renew", case="26-007731")[0] == 403
    clock.move(timedelta(days=60))  # (within the gate's 90 days of inactivity)
    status, body = api(context, "POST", f"/v1/holds/{hold_id}/renew")
    assert status == 200, body
    assert body["review_at"].startswith((NOW + timedelta(days=425)).strftime("%Y-%m-%d"))
    (renewal,) = [r for r in access_records(stack) if r["query"].get("hold") == "renew"]
    assert renewal["action"] == "holds:write" and renewal["case_number"] == CASE
    clock.move(timedelta(days=424))  # past the first review date, before the renewed one
    assert review(context) == []
    clock.move(timedelta(days=426))
    assert review(context) == [hold_id]
    assert "not renewed by its review date" in stored(stack, read)["hold_history"][-1]["reason"]


def test_an_unknown_hold_is_404(stack: Stack, read: Read, context: FakeContext) -> None:
    assert api(context, "POST", "/v1/holds/01JAAAAAAAAAAAAAAAAAAAAAAA/approve", user="supervisor")[0] == 404
