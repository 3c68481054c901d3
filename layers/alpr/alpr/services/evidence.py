"""Wiring of evidence export: the reads from the Reads table, their images from the uploads bucket,
the bundle into the evidence bucket under legal hold."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from alpr.adapters.release_aws import image_bytes
from alpr.adapters.s3_links import S3Links
from alpr.domain.access import Purpose
from alpr.domain.errors import NotFound
from alpr.domain.evidence import ExportReceipt, build_evidence
from alpr.domain.holds import given_to_case, held_version
from alpr.domain.ids import new_ulid
from alpr.domain.models import Caller, Read
from alpr.domain.personnel import PersonnelRecord
from alpr.domain.release_bundle import content_type, zip_bundle
from alpr.domain.retention import is_expired
from alpr.names import EVIDENCE_EXPORTS_PREFIX
from alpr.services.container import container

BUNDLE_LINK_SECONDS = 3600
IO_THREADS = 8  # S3 round trips dominate: fetch and store a few objects at a time


def export(
    caller: Caller,
    person: PersonnelRecord | None,
    purpose: Purpose,
    read_ids: list[str],
    before_writing: Callable[[str, list[str]], None] = lambda export_id, read_ids: None,
) -> ExportReceipt:
    """Book the reads into evidence for the purpose's case. NotFound, and nothing written, when any
    read is absent, past its retention, or kept past it only by another case's hold. `before_writing(export id, read ids)` runs before the
    first object is written (the objects are under legal hold: they cannot be taken back)."""
    clock = container().clock
    now = clock.now()
    wanted = list(dict.fromkeys(read_ids))
    found = {read_id: container().read_store.get_read(read_id) for read_id in wanted}
    retention = container().config.retention
    # A read past its retention kept only by holds is booked only for a case holding it (issue 22).
    reads: list[Read] = [
        r
        for r in found.values()
        if r is not None
        and not is_expired(r.expires_at, now)
        and given_to_case(r, purpose.case_number, now, retention)
    ]
    if len(reads) < len(wanted):
        missing = sorted(set(wanted) - {r.read_id for r in reads})
        raise NotFound(f"no read(s) {', '.join(missing)}: nothing was exported")
    export_id = new_ulid(clock)
    prefix = f"{EVIDENCE_EXPORTS_PREFIX}{export_id}/"
    bucket = container().evidence_bucket
    with ThreadPoolExecutor(max_workers=IO_THREADS) as pool:
        fetched = pool.map(
            lambda r: (
                r.image_key,
                image_bytes(container().s3, r.image_bucket, r.image_key, held_version(r, r.image_key)),
            ),
            reads,
        )
        images = {key: data for key, data in fetched if data is not None}
        lost = sorted(r.read_id for r in reads if r.image_key not in images)
        if lost:  # evidence without its image is no evidence: nothing is booked
            raise NotFound(f"the image of read(s) {', '.join(lost)} is missing: nothing was exported")
        files = build_evidence(
            export_id,
            reads,
            images,
            case_number=purpose.case_number,
            category=purpose.category,
            reason=purpose.text,
            by=caller.username,
            organisation=person.organisation if person else "",
            now=now,
        )
        before_writing(export_id, sorted(r.read_id for r in reads))
        list(pool.map(lambda f: bucket.put_held(prefix + f.path, f.data, content_type(f.path)), files))
    bucket.put_held(prefix + "bundle.zip", zip_bundle(files), "application/zip")
    return ExportReceipt(
        export_id=export_id,
        case_number=purpose.case_number,
        bucket=bucket.bucket,
        prefix=prefix,
        read_ids=sorted(r.read_id for r in reads),
        files=[f.entry() for f in files],
        bundle_url=S3Links(container().s3).presign_get(
            bucket.bucket, prefix + "bundle.zip", BUNDLE_LINK_SECONDS
        ),
        link_expires_at=now + timedelta(seconds=BUNDLE_LINK_SECONDS),
        created_at=now,
    )
