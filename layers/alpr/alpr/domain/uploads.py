"""Upload tickets and the upload policy.

A unit asks for a ticket (a presigned POST) and uploads straight to S3. S3 enforces the
ticket's conditions in the cloud; moto does not, and a ticket can be misused in ways S3
cannot see (metadata of another unit), so the recognize path checks every object against
the same policy again (`check_upload`) before any model runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from pydantic import ValidationError

from alpr.domain.errors import Forbidden, InvalidRequest, UploadRejected
from alpr.domain.models import Caller, Capture, UploadRequest, as_utc, iso_utc, parse_iso_utc
from alpr.names import RAW_PREFIX, UPLOAD_EXPIRES_METADATA, UPLOAD_METADATA

EXTENSIONS: dict[str, str] = {"image/jpeg": "jpg", "image/png": "png"}
CLOCK_SKEW = timedelta(minutes=5)  # a unit's clock may run this far ahead of ours
# How far back a unit may date a capture (an outbox offline longer loses its oldest images;
# without a bound a unit could place a plate anywhere in the past).
DEFAULT_MAX_CAPTURE_AGE = timedelta(hours=48)
_UNIT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_RAW_KEY = re.compile(
    r"^raw/(?P<unit>[A-Za-z0-9][A-Za-z0-9._-]{0,63})/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P<upload_id>[0-9a-f-]{36})\.(?P<ext>jpg|png)$"
)
META_PREFIX = "x-amz-meta-"
UNIT_META, CAPTURED_META, LAT_META, LON_META, HEADING_META = UPLOAD_METADATA


class RawKey(NamedTuple):
    unit_id: str
    day: str
    upload_id: str
    extension: str


def raw_key(unit_id: str, captured_at: datetime, upload_id: str, content_type: str) -> str:
    """`raw/<unit>/<yyyy>/<mm>/<dd>/<upload id>.<ext>`: each unit writes only under its own prefix."""
    if not _UNIT_ID.match(unit_id):
        raise Forbidden(f"'{unit_id}' cannot be a unit id (letters, digits, '.', '_', '-')")
    day = as_utc(captured_at).strftime("%Y/%m/%d")
    return f"{RAW_PREFIX}{unit_id}/{day}/{upload_id}.{EXTENSIONS[content_type]}"


def parse_raw_key(key: str) -> RawKey:
    """The parts of an upload key, or UploadRejected when it is not laid out as `raw_key` makes them."""
    match = _RAW_KEY.match(key)
    if not match:
        raise UploadRejected("key-layout", f"key '{key}' is not raw/<unit>/<yyyy>/<mm>/<dd>/<uuid>.jpg|png")
    return RawKey(match["unit"], f"{match['y']}-{match['m']}-{match['d']}", match["upload_id"], match["ext"])


def capture_metadata(capture: Capture, expires_at: datetime) -> dict[str, str]:
    """The object metadata (without the `x-amz-meta-` prefix) that carries a capture."""
    return {
        UNIT_META: capture.unit_id,
        CAPTURED_META: iso_utc(capture.captured_at),
        LAT_META: repr(capture.lat),
        LON_META: repr(capture.lon),
        HEADING_META: "" if capture.heading is None else repr(capture.heading),
        UPLOAD_EXPIRES_METADATA: str(int(as_utc(expires_at).timestamp())),
    }


@dataclass(frozen=True)
class UploadPlan:
    """Everything a presigned POST needs; the adapter only signs it."""

    key: str
    fields: dict[str, str]
    conditions: list[Any] = field(default_factory=list)
    expires_at: datetime | None = None
    expires_in: int = 0


def plan_upload(
    caller: Caller,
    request: UploadRequest,
    upload_id: str,
    now: datetime,
    *,
    expires_in: int,
    max_bytes: int,
    max_age: timedelta = DEFAULT_MAX_CAPTURE_AGE,
) -> UploadPlan:
    """The key, form fields and POST policy conditions for one image from a unit.

    `upload_id` is used unless the unit named its own (`request.upload_id`) to make retries land
    on the same key: the same bytes then have the same ETag and so the same read ids.
    """
    if request.captured_at > as_utc(now) + CLOCK_SKEW:
        raise InvalidRequest(f"captured_at {iso_utc(request.captured_at)} is in the future")
    if request.captured_at < as_utc(now) - max_age:
        hours = max_age / timedelta(hours=1)
        raise InvalidRequest(
            f"captured_at {iso_utc(request.captured_at)} is more than {hours:g} hours ago: "
            "captures older than that are not accepted"
        )
    capture = Capture(
        unit_id=caller.username,
        captured_at=request.captured_at,
        lat=request.lat,
        lon=request.lon,
        heading=request.heading,
    )
    expires_at = as_utc(now) + timedelta(seconds=expires_in)
    chosen_id = str(request.upload_id) if request.upload_id else upload_id
    key = raw_key(caller.username, request.captured_at, chosen_id, request.content_type)
    fields: dict[str, str] = {"Content-Type": request.content_type}
    fields.update({META_PREFIX + k: v for k, v in capture_metadata(capture, expires_at).items()})
    # Every field is pinned by an exact condition so the form cannot be edited after signing.
    conditions: list[Any] = [{name: value} for name, value in fields.items()]
    conditions.append(["content-length-range", 1, max_bytes])
    return UploadPlan(
        key=key, fields=fields, conditions=conditions, expires_at=expires_at, expires_in=expires_in
    )


@dataclass(frozen=True)
class StoredUpload:
    """What S3 says about an uploaded object."""

    bucket: str
    key: str
    size: int
    content_type: str
    etag: str
    last_modified: datetime
    metadata: Mapping[str, str]
    version_id: str | None = None


def check_not_overwrite(upload: StoredUpload, earlier_etags: set[str]) -> None:
    """UploadRejected when the key held other bytes before (an earlier version with another ETag):
    a unit may not replace an image it uploaded, which may already have reads. The same bytes
    again (an outbox retry of the same upload) are not an overwrite."""
    others = earlier_etags - {upload.etag}
    if others:
        raise UploadRejected(
            "overwrite",
            f"key '{upload.key}' already held another image (ETag {sorted(others)[0]}): "
            "an uploaded image cannot be replaced",
        )


def check_upload(upload: StoredUpload, *, max_bytes: int) -> Capture:
    """The capture an upload carries, or UploadRejected naming the rule it breaks."""
    parts = parse_raw_key(upload.key)
    meta = {k.lower(): v for k, v in upload.metadata.items()}
    if UNIT_META not in meta:
        raise UploadRejected(
            "missing-metadata", "the upload carries no capture metadata (x-amz-meta-unit-id)"
        )
    if meta[UNIT_META] != parts.unit_id:
        raise UploadRejected(
            "unit-mismatch",
            f"metadata unit '{meta.get(UNIT_META)}' does not own key prefix raw/{parts.unit_id}/",
        )
    if upload.size > max_bytes:
        raise UploadRejected("too-large", f"{upload.size} bytes is over the limit of {max_bytes}")
    if upload.size <= 0:
        raise UploadRejected("empty", "the object is empty")
    content_type = upload.content_type.split(";")[0].strip().lower()
    if EXTENSIONS.get(content_type) != parts.extension:
        raise UploadRejected(
            "content-type",
            f"content type '{upload.content_type}' is not allowed for a .{parts.extension} key",
        )
    try:
        deadline = int(meta[UPLOAD_EXPIRES_METADATA])
    except (KeyError, ValueError):
        raise UploadRejected("missing-metadata", "no valid x-amz-meta-expires on the upload") from None
    if as_utc(upload.last_modified).timestamp() > deadline:
        raise UploadRejected(
            "expired",
            f"uploaded at {iso_utc(upload.last_modified)}, after its ticket expired "
            f"at {iso_utc(datetime.fromtimestamp(deadline, tz=as_utc(upload.last_modified).tzinfo))}",
        )
    try:
        capture = Capture(
            unit_id=parts.unit_id,
            captured_at=parse_iso_utc(meta.get(CAPTURED_META, "")),
            lat=float(meta.get(LAT_META, "nan")),
            lon=float(meta.get(LON_META, "nan")),
            heading=float(meta[HEADING_META]) if meta.get(HEADING_META) else None,
        )
    except (ValueError, ValidationError) as error:
        raise UploadRejected("missing-metadata", f"capture metadata unusable: {error}") from None
    if capture.captured_at.strftime("%Y-%m-%d") != parts.day:
        raise UploadRejected("key-layout", f"key day {parts.day} is not the capture day")
    return capture
