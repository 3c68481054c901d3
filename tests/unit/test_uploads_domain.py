"""Upload key layout, tickets, and the upload policy the recognize path enforces."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpr.domain.errors import Forbidden, InvalidRequest, UploadRejected
from alpr.domain.models import Caller, Capture, UploadRequest
from alpr.domain.uploads import (
    StoredUpload,
    capture_metadata,
    check_upload,
    parse_raw_key,
    plan_upload,
    raw_key,
)

NOW = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)
CAPTURED = datetime(2026, 11, 28, 23, 59, 30, 250000, tzinfo=UTC)
UNIT = Caller(username="unit-0042", groups=frozenset({"unit"}))
MAX = 1000
unit_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
)


def test_key_layout() -> None:
    upload_id = "0b6f2f0e-3c2a-4d8e-9f51-7a0c1d2e3f40"
    assert (
        raw_key("unit-0042", CAPTURED, upload_id, "image/jpeg") == f"raw/unit-0042/2026/11/28/{upload_id}.jpg"
    )
    assert raw_key("unit-0042", CAPTURED, upload_id, "image/png").endswith(".png")


def test_key_day_is_the_utc_day() -> None:
    late_evening_pacific = datetime.fromisoformat("2026-11-28T20:00:00-08:00")
    assert "/2026/11/29/" in raw_key("u1", late_evening_pacific, str(uuid.uuid4()), "image/jpeg")


@given(unit_ids, instants, st.uuids(), st.sampled_from(["image/jpeg", "image/png"]))
def test_key_round_trip(unit: str, at: datetime, upload_id: uuid.UUID, content_type: str) -> None:
    parts = parse_raw_key(raw_key(unit, at, str(upload_id), content_type))
    assert (parts.unit_id, parts.day, parts.upload_id) == (unit, at.strftime("%Y-%m-%d"), str(upload_id))


@pytest.mark.parametrize("unit", ["../etc", "a/b", "", "x" * 65, "unit 1"])
def test_unsafe_unit_id_gets_no_key(unit: str) -> None:
    with pytest.raises(Forbidden):
        raw_key(unit, CAPTURED, str(uuid.uuid4()), "image/jpeg")


@pytest.mark.parametrize(
    "key",
    [
        "raw/u1/2026/11/28/not-a-uuid.jpg",
        "raw/u1/2026/11/28/0b6f2f0e-3c2a-4d8e-9f51-7a0c1d2e3f40.gif",
        "quarantine/raw/u1/2026/11/28/0b6f2f0e-3c2a-4d8e-9f51-7a0c1d2e3f40.jpg",
        "raw/u1/0b6f2f0e-3c2a-4d8e-9f51-7a0c1d2e3f40.jpg",
    ],
)
def test_foreign_key_layout_is_rejected(key: str) -> None:
    with pytest.raises(UploadRejected) as rejected:
        parse_raw_key(key)
    assert rejected.value.reason == "key-layout"


def test_plan_pins_every_field_and_the_size() -> None:
    request = UploadRequest(
        captured_at=CAPTURED, lat=38.5, lon=-121.5, heading=None, content_type="image/png"
    )
    plan = plan_upload(UNIT, request, str(uuid.uuid4()), NOW, expires_in=300, max_bytes=MAX)
    assert plan.key.startswith("raw/unit-0042/2026/11/28/") and plan.key.endswith(".png")
    assert plan.expires_at == NOW + timedelta(seconds=300)
    assert plan.fields["x-amz-meta-expires"] == str(int((NOW + timedelta(seconds=300)).timestamp()))
    assert plan.fields["x-amz-meta-heading"] == ""
    for name, value in plan.fields.items():
        assert {name: value} in plan.conditions
    assert ["content-length-range", 1, MAX] in plan.conditions


def test_unit_chosen_upload_id_makes_retries_land_on_one_key() -> None:
    own_id = uuid.uuid4()
    request = UploadRequest(captured_at=CAPTURED, lat=0, lon=0, upload_id=own_id)
    first = plan_upload(UNIT, request, str(uuid.uuid4()), NOW, expires_in=300, max_bytes=MAX)
    retry = plan_upload(
        UNIT, request, str(uuid.uuid4()), NOW + timedelta(hours=2), expires_in=300, max_bytes=MAX
    )
    assert first.key == retry.key == f"raw/unit-0042/2026/11/28/{own_id}.jpg"


def test_capture_in_the_future_gets_no_ticket() -> None:
    request = UploadRequest(captured_at=NOW + timedelta(hours=1), lat=0, lon=0)
    with pytest.raises(InvalidRequest):
        plan_upload(UNIT, request, str(uuid.uuid4()), NOW, expires_in=300, max_bytes=MAX)


def an_upload(**changes: object) -> StoredUpload:
    key = raw_key("unit-0042", CAPTURED, str(uuid.uuid4()), "image/jpeg")
    capture = Capture(unit_id="unit-0042", captured_at=CAPTURED, lat=38.5, lon=-121.5, heading=90.0)
    upload = StoredUpload(
        bucket="uploads",
        key=key,
        size=500,
        content_type="image/jpeg",
        etag="abc",
        last_modified=NOW,
        metadata=capture_metadata(capture, NOW + timedelta(minutes=5)),
    )
    return replace(upload, **changes)  # type: ignore[arg-type]


def test_valid_upload_yields_its_capture() -> None:
    capture = check_upload(an_upload(), max_bytes=MAX)
    assert capture == Capture(unit_id="unit-0042", captured_at=CAPTURED, lat=38.5, lon=-121.5, heading=90.0)


def with_meta(**meta: str) -> StoredUpload:
    upload = an_upload()
    return replace(upload, metadata={**upload.metadata, **meta})


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (with_meta(**{"unit-id": "unit-0007"}), "unit-mismatch"),
        (an_upload(size=MAX + 1), "too-large"),
        (an_upload(size=0), "empty"),
        (an_upload(content_type="image/png"), "content-type"),
        (an_upload(content_type="text/html"), "content-type"),
        (an_upload(last_modified=NOW + timedelta(minutes=6)), "expired"),
        (with_meta(expires="soon"), "missing-metadata"),
        (with_meta(lat="north"), "missing-metadata"),
        (with_meta(**{"captured-at": "2026-11-28T23:59:30"}), "missing-metadata"),
        (with_meta(**{"captured-at": "2026-11-27T10:00:00.000Z"}), "key-layout"),
        (an_upload(key="raw/unit-0042/elsewhere.jpg"), "key-layout"),
        (an_upload(metadata={}), "missing-metadata"),
    ],
    ids=[
        "other-unit",
        "too-large",
        "empty",
        "png-as-jpg",
        "html",
        "after-ticket-expiry",
        "bad-expiry",
        "bad-lat",
        "naive-time",
        "day-mismatch",
        "bad-key",
        "no-metadata",
    ],
)
def test_policy_violations_are_named(upload: StoredUpload, reason: str) -> None:
    with pytest.raises(UploadRejected) as rejected:
        check_upload(upload, max_bytes=MAX)
    assert rejected.value.reason == reason
    assert rejected.value.message


def test_a_capture_older_than_the_backdating_window_gets_no_ticket() -> None:
    # Issue 19 item 9: units could backdate captures without limit. Default window: 48 hours
    old = UploadRequest(captured_at=NOW - timedelta(hours=48, seconds=1), lat=38.5, lon=-121.5)
    with pytest.raises(InvalidRequest, match="48 hours"):
        plan_upload(UNIT, old, str(uuid.uuid4()), NOW, expires_in=300, max_bytes=MAX)
    recent = UploadRequest(captured_at=NOW - timedelta(hours=47), lat=38.5, lon=-121.5)
    assert plan_upload(UNIT, recent, str(uuid.uuid4()), NOW, expires_in=300, max_bytes=MAX).key
    # And the window is configuration
    with pytest.raises(InvalidRequest, match="6 hours"):
        plan_upload(
            UNIT, recent, str(uuid.uuid4()), NOW, expires_in=300, max_bytes=MAX, max_age=timedelta(hours=6)
        )
