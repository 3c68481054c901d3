"""Uploads from vehicle units: the presigned ticket, and recognition of what arrived (the reads,
their crops, their hotlist matches, or the quarantine with its reason)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from uuid import uuid4

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from botocore.exceptions import ClientError
from pydantic import BaseModel, Json

from alpr.domain.callers import require_group
from alpr.domain.capture_signature import check_capture_signature, sign_plan
from alpr.domain.errors import UploadRejected
from alpr.domain.models import Caller, QuarantineRecord, Read, UploadRequest, UploadTicket
from alpr.domain.reads import crop_key_for, reads_from_image, store_reads
from alpr.domain.uploads import StoredUpload, check_not_overwrite, check_upload, plan_upload
from alpr.names import Group
from alpr.services import hotlist
from alpr.services.container import container

logger = Logger(child=True)


class StoredObject(BaseModel):
    """One S3 ObjectCreated record of a notification, as far as recognition needs it."""

    eventName: str
    bucket: str
    key: str  # URL-encoded, as S3 sends it

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> StoredObject:
        s3 = record["s3"]
        return cls(eventName=record["eventName"], bucket=s3["bucket"]["name"], key=s3["object"]["key"])


class S3Notification(BaseModel):
    Records: list[dict[str, Any]] = []

    def created(self) -> list[StoredObject]:
        """The objects this notification says were created."""
        objects = [StoredObject.from_record(record) for record in self.Records]
        return [o for o in objects if o.eventName.startswith("ObjectCreated")]


class UploadMessage(SqsRecordModel):
    """An ingest queue message: SQS's record whose body is S3's notification (a poison body fails
    validation, so the record fails: redelivery, then the DLQ)."""

    body: Json[S3Notification]


def issue_upload_ticket(caller: Caller, request: UploadRequest) -> UploadTicket:
    """A presigned POST for one image from a vehicle unit."""
    require_group(caller, Group.UNIT)
    config = container().config
    plan = plan_upload(
        caller,
        request,
        str(uuid4()),
        container().clock.now(),
        expires_in=config.upload_url_seconds,
        max_bytes=config.upload_max_bytes,
        max_age=timedelta(hours=config.upload_max_age_hours),
    )
    return container().uploads.presign(sign_plan(plan, container().capture_key()))


@dataclass(frozen=True)
class Recognition:
    """What became of one upload."""

    outcome: Literal["read", "no-plate", "quarantined", "gone"]
    stored: int = 0
    found: int = 0
    reason: str = ""
    detail: str = ""
    read_ids: tuple[str, ...] = ()  # reads stored by this call (none when they already were)
    alerts: int = 0  # hotlist alerts sent for this upload's reads


def _quarantine(upload: StoredUpload, reason: str, detail: str) -> Recognition:
    record = QuarantineRecord(
        reason=reason,
        detail=detail,
        source_bucket=upload.bucket,
        source_key=upload.key,
        etag=upload.etag,
        quarantined_at=container().clock.now(),
    )
    container().uploads.quarantine(upload, record)
    return Recognition(outcome="quarantined", reason=reason, detail=detail)


def _with_crop(read: Read, crop: Any) -> Read:
    """The read with its plate crop stored beside the image (before the read, so it never points nowhere).

    A crop that cannot be stored costs the crop, not the read: the read keeps no crop_key.
    """
    if crop is None or not getattr(crop, "size", 0):
        return read
    import cv2  # only on the recognize path, which has already loaded OpenCV

    encoded, jpeg = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not encoded:
        return read
    key = crop_key_for(read.read_id)
    try:
        container().uploads.put_crop(key, jpeg.tobytes())
    except ClientError as error:
        logger.error("plate crop not stored", extra={"read_id": read.read_id, "error": str(error)})
        return read
    return read.model_copy(update={"crop_key": key})


def recognize_upload(bucket: str, key: str) -> Recognition:
    """Check one uploaded image, read its plates and store the reads (or quarantine it).

    Safe to repeat: a gone object was already quarantined, and read ids derive from
    bucket, key and etag, so the same image never stores a read twice.
    """
    from alpr.recognition import ImageRejected, decode_image

    fetched = container().uploads.fetch(bucket, key)
    if fetched is None:
        return Recognition(outcome="gone")
    upload = fetched.upload
    config = container().config
    try:
        check_capture_signature(container().capture_key(), upload.key, upload.metadata)
        capture = check_upload(upload, max_bytes=config.upload_max_bytes)
        check_not_overwrite(upload, container().uploads.earlier_etags(upload))
        image = decode_image(fetched.read())  # read only once size and policy are known good
    except UploadRejected as rejected:
        fetched.close()
        return _quarantine(upload, rejected.reason, rejected.message)
    except ImageRejected as rejected:
        return _quarantine(upload, "not-an-image", str(rejected))
    recognizer = container().engine
    readings = recognizer.read(image)
    reads = reads_from_image(
        capture,
        image_bucket=upload.bucket,
        image_key=upload.key,
        etag=upload.etag,
        readings=readings,
        model_version=recognizer.model_version,
        retention=config.retention,
        clock=container().clock,
    )
    if not reads:
        return Recognition(outcome="no-plate", found=len(readings))
    crops = {tuple(int(v) for v in reading.box): reading.crop for reading in readings}
    reads = [_with_crop(read, crops.get((read.box.x, read.box.y, read.box.w, read.box.h))) for read in reads]
    stored = store_reads(container().read_store, reads)
    # Every read is matched, stored now or before (a redelivery sends only alerts not yet sent).
    alerts = hotlist.match_reads(reads)
    return Recognition(
        outcome="read",
        stored=len(stored),
        found=len(reads),
        read_ids=tuple(r.read_id for r in stored),
        alerts=len(alerts),
    )
