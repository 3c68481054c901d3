"""The access log on moto: every § 1798.90.52 field, where records live, and no data without a record."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from alpr.domain.access import AccessLogUnavailable, AccessRecord
from alpr.names import ACCESS_LOG_PREFIX, Env
from alpr.services.container import container, use
from tests.integration.conftest import Stack, access_records, load_event
from tests.integration.gate_support import GOOD_PURPOSE, call, event
from tests.integration.test_api_handler import a_read

NOW = datetime.now(UTC).replace(microsecond=0)
READ_ID = "01JREAD000000000000000000A"
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def _search() -> dict[str, object]:
    return event(
        "GET",
        "/v1/reads",
        username="investigator",
        groups=["investigator"],
        purpose=GOOD_PURPOSE,
        query={"plate": "7abc 123", "from": "2026-01-01T00:00:00Z"},
    )


def test_an_allowed_search_is_recorded_field_by_field(stack: Stack) -> None:
    # Given one read of a plate
    assert container().read_store.put_read(a_read(READ_ID, "7ABC123", NOW - timedelta(hours=1)))
    request = _search()
    before = datetime.now(UTC)

    # When the seeded investigator searches it with a purpose
    status, _ = call("api", request)
    assert status == 200

    # Then one record holds every field of Civil Code § 1798.90.52 and policy 439.6(a)
    (record,) = access_records(stack)
    assert ULID.match(record["event_id"])
    at = datetime.fromisoformat(record["time"].replace("Z", "+00:00"))  # date and time, UTC
    assert record["time"].endswith("Z") and before - timedelta(seconds=1) <= at <= datetime.now(UTC)
    assert record["username"] == "investigator"  # who accessed
    assert record["full_name"] == "Ivy Investigator"
    assert record["organisation"].startswith("Local Police Department")  # and their organisation
    assert record["role"] == "investigator"
    assert record["action"] == "reads:search"
    assert record["query"]["plate"] == "7ABC123"  # the data elements used to query
    assert record["query"]["from"].startswith("2026-01-01T00:00:00")
    assert "to" in record["query"]
    assert record["returned_ids"] == [READ_ID]  # what was returned
    assert record["returned_count"] == 1
    assert record["purpose_category"] == GOOD_PURPOSE.category  # the purpose
    assert record["case_number"] == GOOD_PURPOSE.case_number
    assert record["purpose_text"] == GOOD_PURPOSE.text
    assert (record["outcome"], record["reason"], record["status"]) == ("allowed", "", 200)
    assert record["source_ip"] == "198.51.100.24"
    assert record["request_id"] == request["requestContext"]["requestId"]  # type: ignore[index]
    assert (record["method"], record["route"]) == ("GET", "/v1/reads")


def test_records_are_json_lines_under_the_day_partition(stack: Stack) -> None:
    call("api", _search())
    (obj,) = stack.s3.list_objects_v2(Bucket=stack.access_log_bucket, Prefix=ACCESS_LOG_PREFIX)["Contents"]
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    assert re.fullmatch(rf"access-log/dt={day}/\d{{8}}T\d{{6}}\.\d{{3}}Z-[0-9A-Z]{{26}}\.json", obj["Key"])
    body = stack.s3.get_object(Bucket=stack.access_log_bucket, Key=obj["Key"])["Body"].read()
    assert body.endswith(b"\n") and body.count(b"\n") == 1


def test_a_record_is_locked_by_the_buckets_default_retention(stack: Stack) -> None:
    call("api", _search())
    (obj,) = stack.s3.list_objects_v2(Bucket=stack.access_log_bucket, Prefix=ACCESS_LOG_PREFIX)["Contents"]
    head = stack.s3.head_object(Bucket=stack.access_log_bucket, Key=obj["Key"])
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=364)


@pytest.fixture
def broken_log(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """The access log's bucket is gone (a real S3 failure: NoSuchBucket), after data exists."""
    assert container().read_store.put_read(a_read(READ_ID, "7ABC123", NOW - timedelta(hours=1)))
    assert call("api", _search())[0] == 200  # with the log working, the read comes back
    monkeypatch.setenv(Env.ACCESS_LOG_BUCKET, "alpr-access-log-that-does-not-exist")
    use(None)
    return stack


def test_no_record_no_data_503(broken_log: Stack) -> None:
    # When the same search is made while the access record cannot be written
    status, body = call("api", _search())

    # Then 503, and nothing of the read in the answer
    assert status == 503
    assert set(body) == {"statusCode", "message"}
    assert READ_ID not in str(body) and "7ABC123" not in str(body)


def test_a_refusal_that_cannot_be_logged_is_503(broken_log: Stack) -> None:
    request = load_event("api/get_reads_unauthenticated.json")
    status, body = call("api", request)
    assert status == 503
    assert set(body) == {"statusCode", "message"}


def test_an_access_record_is_never_written_over(stack: Stack) -> None:
    # Issue 19 item 9. Given a record in the log
    call("api", _search())
    (obj,) = stack.s3.list_objects_v2(Bucket=stack.access_log_bucket, Prefix=ACCESS_LOG_PREFIX)["Contents"]
    record = AccessRecord.model_validate_json(
        stack.s3.get_object(Bucket=stack.access_log_bucket, Key=obj["Key"])["Body"].read()
    )
    # When the writer is asked to write a record at the same key (a replay, a bug)
    with pytest.raises(AccessLogUnavailable):
        container().access_log.write(record.model_copy(update={"reason": "rewritten"}))
    # Then the key still holds one version, the original
    versions = stack.s3.list_object_versions(Bucket=stack.access_log_bucket, Prefix=obj["Key"])["Versions"]
    assert len(versions) == 1
