"""Signed capture metadata (issue 23): the ticket's capture fields and the object key, signed with the
deployment's key; an object whose metadata does not match its signature is refused."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from alpr.domain.capture_signature import (
    SIGNED_METADATA,
    canonical_capture,
    capture_signature,
    check_capture_signature,
    sign_plan,
    signed_metadata,
)
from alpr.domain.errors import UploadRejected
from alpr.domain.models import Caller, Capture, UploadRequest
from alpr.domain.uploads import META_PREFIX, capture_metadata, plan_upload, raw_key
from alpr.names import CAPTURE_SIGNATURE_METADATA, UPLOAD_METADATA

KEY = b"k" * 64
OTHER_KEY = b"o" * 64
NOW = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)
CAPTURED = datetime(2026, 11, 28, 23, 59, 30, 250000, tzinfo=UTC)
UNIT = Caller(username="unit-0042", groups=frozenset({"unit"}))


def a_capture() -> tuple[str, dict[str, str]]:
    key = raw_key("unit-0042", CAPTURED, str(uuid.uuid4()), "image/jpeg")
    capture = Capture(unit_id="unit-0042", captured_at=CAPTURED, lat=38.5816, lon=-121.4944, heading=92.5)
    return key, capture_metadata(capture, NOW + timedelta(minutes=5))


def rejected_reason(object_key: str, metadata: dict[str, str], key: bytes = KEY) -> str:
    with pytest.raises(UploadRejected) as rejected:
        check_capture_signature(key, object_key, metadata)
    return rejected.value.reason


def test_the_signed_fields_are_the_capture_and_its_expiry() -> None:
    assert set(UPLOAD_METADATA) < set(SIGNED_METADATA) and "expires" in SIGNED_METADATA


def test_the_canonical_form_is_versioned_json_of_the_key_and_the_fields_in_a_fixed_order() -> None:
    object_key, metadata = a_capture()
    canonical = canonical_capture(object_key, {k.upper(): v for k, v in reversed(metadata.items())})
    assert (
        canonical
        == (
            f'["alpr-capture-v1","{object_key}",[["unit-id","unit-0042"],'
            '["captured-at","2026-11-28T23:59:30.250Z"],["lat","38.5816"],["lon","-121.4944"],'
            f'["heading","92.5"],["expires","{metadata["expires"]}"]]]'
        ).encode()
    )
    # The signature is HMAC-SHA256 of that form, in hex (anyone holding the key can check it by hand)
    assert (
        capture_signature(KEY, object_key, metadata) == hmac.new(KEY, canonical, hashlib.sha256).hexdigest()
    )


def test_a_signed_capture_passes_and_its_headers_may_come_back_in_any_case() -> None:
    object_key, metadata = a_capture()
    signed = signed_metadata(KEY, object_key, metadata)
    assert set(signed) == set(metadata) | {CAPTURE_SIGNATURE_METADATA}
    check_capture_signature(KEY, object_key, signed)
    check_capture_signature(KEY, object_key, {k.title(): v for k, v in signed.items()})


def test_a_missing_signature_is_refused_as_unsigned() -> None:
    object_key, metadata = a_capture()
    assert rejected_reason(object_key, metadata) == "unsigned"


@pytest.mark.parametrize("field", SIGNED_METADATA)
def test_editing_any_signed_field_is_refused(field: str) -> None:
    object_key, metadata = a_capture()
    signed = signed_metadata(KEY, object_key, metadata)
    assert rejected_reason(object_key, {**signed, field: signed[field] + "1"}) == "bad-signature"


@pytest.mark.parametrize("field", [f for f in SIGNED_METADATA if f != "heading"])
def test_dropping_a_signed_field_is_refused(field: str) -> None:
    object_key, metadata = a_capture()
    signed = signed_metadata(KEY, object_key, metadata)
    del signed[field]
    assert rejected_reason(object_key, signed) == "bad-signature"


def test_an_absent_heading_counts_as_the_empty_one_a_ticket_without_heading_signs() -> None:
    # S3 may drop an empty metadata value; both mean "no heading" to check_upload, so both verify.
    object_key, metadata = a_capture()
    signed = signed_metadata(KEY, object_key, {**metadata, "heading": ""})
    del signed["heading"]
    check_capture_signature(KEY, object_key, signed)


def test_moving_signed_metadata_to_another_key_is_refused() -> None:
    object_key, metadata = a_capture()
    signed = signed_metadata(KEY, object_key, metadata)
    other_key = raw_key("unit-0042", CAPTURED, str(uuid.uuid4()), "image/jpeg")
    assert rejected_reason(other_key, signed) == "bad-signature"


def test_a_signature_made_with_another_key_is_refused() -> None:
    object_key, metadata = a_capture()
    signed = signed_metadata(OTHER_KEY, object_key, metadata)
    assert rejected_reason(object_key, signed) == "bad-signature"


def test_metadata_the_signature_does_not_cover_may_change() -> None:
    object_key, metadata = a_capture()
    signed = signed_metadata(KEY, object_key, metadata)
    check_capture_signature(KEY, object_key, {**signed, "quarantine-reason": "anything"})


def test_an_empty_or_short_key_signs_nothing() -> None:
    object_key, metadata = a_capture()
    with pytest.raises(ValueError, match="32 bytes"):
        capture_signature(b"short", object_key, metadata)


text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)


@given(field=st.sampled_from(SIGNED_METADATA), value=text, object_key=text)
def test_no_edit_of_a_field_or_the_key_keeps_the_signature(field: str, value: str, object_key: str) -> None:
    original_key, metadata = a_capture()
    signed = signed_metadata(KEY, original_key, metadata)
    edited = {**signed, field: value}
    assume(value != signed[field])
    assert rejected_reason(original_key, edited) == "bad-signature"
    assume(object_key != original_key)
    assert rejected_reason(object_key, signed) == "bad-signature"


def test_a_signed_plan_pins_the_signature_in_its_fields_and_conditions() -> None:
    request = UploadRequest(captured_at=CAPTURED, lat=38.5, lon=-121.5, heading=None)
    plan = sign_plan(plan_upload(UNIT, request, str(uuid.uuid4()), NOW, expires_in=300, max_bytes=1000), KEY)
    field = META_PREFIX + CAPTURE_SIGNATURE_METADATA
    stored = {k.removeprefix(META_PREFIX): v for k, v in plan.fields.items() if k.startswith(META_PREFIX)}
    assert {field: plan.fields[field]} in plan.conditions
    check_capture_signature(KEY, plan.key, stored)  # what S3 stores from the form verifies
