"""Wiring: settings, clock and adapters put together for the handlers (and CLI, local runtime).

Everything is built lazily and once per process (per Lambda container). `reset()` forgets
it all, for tests that change the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from uuid import uuid4

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from alpr.adapters import aws
from alpr.adapters.access_log import S3AccessLog
from alpr.adapters.dynamo import DynamoReadStore
from alpr.adapters.personnel import DynamoPersonnelStore
from alpr.adapters.s3 import S3Uploads
from alpr.domain.callers import require_group
from alpr.domain.clock import Clock, SystemClock
from alpr.domain.errors import UploadRejected
from alpr.domain.reads import crop_key_for, reads_from_image, search_by_plate, store_reads
from alpr.domain.uploads import StoredUpload, check_not_overwrite, check_upload, plan_upload
from alpr.models import Caller, PlateQuery, QuarantineRecord, Read, ReadPage, UploadRequest, UploadTicket
from alpr.names import Env, Group
from alpr.settings import settings

if TYPE_CHECKING:
    from alpr.recognition import Engine

logger = Logger(child=True)
_clock: Clock = SystemClock()


def clock() -> Clock:
    return _clock


def set_clock(new: Clock) -> None:
    """Swap the process clock (tests, and the local runtime's time travel)."""
    global _clock
    _clock = new


@cache
def read_store() -> DynamoReadStore:
    tables = settings().tables
    return DynamoReadStore(tables.reads, tables.plates, aws.dynamodb, grams_table=tables.plate_grams)


@cache
def uploads() -> S3Uploads:
    buckets = settings().buckets
    return S3Uploads(buckets.uploads, buckets.quarantine, aws.s3)


@cache
def personnel() -> DynamoPersonnelStore:
    """The Personnel registry (accounts, roles, training, status) the access gate consults."""
    return DynamoPersonnelStore(settings().tables.personnel, aws.dynamodb)


@cache
def access_log() -> S3AccessLog:
    """The one access-log writer (Civil Code § 1798.90.52)."""
    return S3AccessLog(settings().buckets.access_log, aws.s3)


@cache
def engine() -> Engine:
    """The recognition engine, loaded on first use (a cold start of `recognize` only)."""
    # Imported here so the light functions (api, uploads) never load ONNX Runtime or OpenCV.
    from alpr.recognition import Engine

    models_dir = os.environ.get(Env.MODELS_DIR)
    return Engine.load(
        models_dir=Path(models_dir) if models_dir else None, threads=int(os.environ.get(Env.ORT_THREADS) or 1)
    )


def reset() -> None:
    """Forget settings, clients and adapters (not the engine: it does not depend on them)."""
    settings.cache_clear()
    aws.reset_clients()
    read_store.cache_clear()
    uploads.cache_clear()
    personnel.cache_clear()
    access_log.cache_clear()
    set_clock(SystemClock())
    from alpr import hotlist_service  # imports this module: imported late

    hotlist_service.reset()


def issue_upload_ticket(caller: Caller, request: UploadRequest) -> UploadTicket:
    """A presigned POST for one image from a vehicle unit."""
    require_group(caller, Group.UNIT)
    config = settings()
    plan = plan_upload(
        caller,
        request,
        str(uuid4()),
        clock().now(),
        expires_in=config.upload_url_seconds,
        max_bytes=config.upload_max_bytes,
        max_age=timedelta(hours=config.upload_max_age_hours),
    )
    return uploads().presign(plan)


def search_reads(caller: Caller, query: PlateQuery) -> ReadPage:
    """Reads of one plate for an authenticated caller.

    The seam for the access gate (issue 4): role, training, purpose and the access record
    wrap this call; nothing else in the API reaches the Reads table.
    """
    del caller  # any authenticated user, until the access gate lands
    return search_by_plate(read_store(), query, clock())


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
        quarantined_at=clock().now(),
    )
    uploads().quarantine(upload, record)
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
        uploads().put_crop(key, jpeg.tobytes())
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

    fetched = uploads().fetch(bucket, key)
    if fetched is None:
        return Recognition(outcome="gone")
    upload = fetched.upload
    config = settings()
    try:
        capture = check_upload(upload, max_bytes=config.upload_max_bytes)
        check_not_overwrite(upload, uploads().earlier_etags(upload))
        image = decode_image(fetched.read())  # read only once size and policy are known good
    except UploadRejected as rejected:
        fetched.close()
        return _quarantine(upload, rejected.reason, rejected.message)
    except ImageRejected as rejected:
        return _quarantine(upload, "not-an-image", str(rejected))
    recognizer = engine()
    readings = recognizer.read(image)
    reads = reads_from_image(
        capture,
        image_bucket=upload.bucket,
        image_key=upload.key,
        etag=upload.etag,
        readings=readings,
        model_version=recognizer.model_version,
        retention=config.retention,
        clock=clock(),
    )
    if not reads:
        return Recognition(outcome="no-plate", found=len(readings))
    crops = {tuple(int(v) for v in reading.box): reading.crop for reading in readings}
    reads = [_with_crop(read, crops.get((read.box.x, read.box.y, read.box.w, read.box.h))) for read in reads]
    stored = store_reads(read_store(), reads)
    # Every read is matched, stored now or before (a redelivery sends only alerts not yet sent).
    from alpr import hotlist_service

    alerts = hotlist_service.match_reads(reads)
    return Recognition(
        outcome="read",
        stored=len(stored),
        found=len(reads),
        read_ids=tuple(r.read_id for r in stored),
        alerts=len(alerts),
    )
