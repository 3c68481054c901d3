"""Evidence export: reads booked into evidence as one bundle (the "portable media" of DESIGN.md,
flow 5): the reads as JSON and CSV, their images, a chain-of-custody record and a SHA-256
manifest of every file. The case, category and reason are the request's purpose."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from alpr import __version__
from alpr.domain.models import Read, UtcDatetime, iso_utc
from alpr.domain.release import ManifestEntry
from alpr.domain.release_bundle import BundleFile, image_path, read_files, with_manifest

CUSTODY = "custody.json"
# One export is built in one API call (29 s at API Gateway): a case file, not a bulk extract.
MAX_EXPORT_READS = 200


class ExportRequest(BaseModel):
    """The reads to book into evidence for the purpose's case."""

    read_ids: list[Annotated[str, Field(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]] = Field(
        min_length=1, max_length=MAX_EXPORT_READS, description="read ids (26-character ULIDs)"
    )


class ExportReceipt(BaseModel):
    """What was booked: where, every file with its SHA-256, and a short-lived link to the zip."""

    export_id: str
    case_number: str
    bucket: str
    prefix: str
    read_ids: list[str]
    files: list[ManifestEntry]
    bundle_url: str
    link_expires_at: UtcDatetime
    created_at: UtcDatetime


def build_evidence(
    export_id: str,
    reads: Sequence[Read],
    images: Mapping[str, bytes],
    *,
    case_number: str,
    category: str,
    reason: str,
    by: str,
    organisation: str,
    now: datetime,
) -> list[BundleFile]:
    """The bundle's files, the manifest last; `images` maps a read's image key to its bytes."""
    files = read_files(reads, images)
    custody = {
        "export_id": export_id,
        "case_number": case_number,
        "purpose_category": category,
        "reason": reason,
        "exported_by": by,
        "organisation": organisation,
        "exported_at": iso_utc(now),
        "system": f"ALPR back office {__version__}",
        "sources": [
            {
                "read_id": read.read_id,
                "image": f"s3://{read.image_bucket}/{read.image_key}",
                "file": image_path(read),
                "sha256": hashlib.sha256(images[read.image_key]).hexdigest()
                if read.image_key in images
                else None,
            }
            for read in sorted(reads, key=lambda r: (r.captured_at, r.read_id))
        ],
        "notice": "ALPR reads are not identifications; each was confirmed or is to be confirmed through "
        "CLETS. Every file is listed in manifest.json with its SHA-256; the bundle's objects are under "
        "S3 Object Lock legal hold in the evidence bucket.",
    }
    files.append(BundleFile(CUSTODY, json.dumps(custody, indent=2).encode()))
    return with_manifest(files, {"export_id": export_id, "case_number": case_number})
