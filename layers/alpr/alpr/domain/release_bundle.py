"""The release bundle: exactly the reads in scope, as CSV + JSON + images, with a SHA-256 manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from alpr.domain import geohash
from alpr.domain.errors import InvalidRequest
from alpr.domain.models import Read, iso_utc
from alpr.domain.plates import normalize_plate
from alpr.domain.release import DataScope, ManifestEntry, ReleaseRequest
from alpr.domain.retention import is_expired
from alpr.domain.spreadsheet import neutralise

MANIFEST = "manifest.json"
# One bundle is built in one Lambda invocation (memory, 120 s): a scope beyond this is
# refused with a message to narrow it, never cut short silently.
MAX_BUNDLE_READS = 2000
CSV_COLUMNS = (
    "read_id",
    "plate",
    "state",
    "captured_at",
    "lat",
    "lon",
    "heading",
    "unit_id",
    "confidence",
    "model_version",
    "image",
)


def in_scope(read: Read, scope: DataScope, now: datetime) -> bool:
    """Whether a read is part of what was asked for (and still within retention)."""
    if is_expired(read.expires_at, now) or not scope.start <= read.captured_at <= scope.end:
        return False
    if read.plate in {normalize_plate(p) for p in scope.plates}:
        return True
    area = scope.area
    return area is not None and geohash.distance_m(area.lat, area.lon, read.lat, read.lon) <= area.radius_m


def check_bundle_size(count: int) -> None:
    """InvalidRequest when the scope holds more reads than one bundle carries."""
    if count > MAX_BUNDLE_READS:
        raise InvalidRequest(
            f"the scope holds {count} reads, more than one bundle carries ({MAX_BUNDLE_READS}): "
            "file narrower requests (fewer plates, a smaller area or window)"
        )


def image_path(read: Read) -> str:
    extension = read.image_key.rsplit(".", 1)[-1].lower() if "." in read.image_key else "jpg"
    return f"images/{read.read_id}.{extension}"


def content_type(path: str) -> str:
    """The MIME type a bundle file is stored with."""
    for suffix, kind in ((".json", "application/json"), (".csv", "text/csv"), (".png", "image/png")):
        if path.endswith(suffix):
            return kind
    return "image/jpeg"


@dataclass(frozen=True)
class BundleFile:
    path: str
    data: bytes

    def entry(self) -> ManifestEntry:
        return ManifestEntry(
            path=self.path, sha256=hashlib.sha256(self.data).hexdigest(), bytes=len(self.data)
        )


def _csv(reads: list[Read]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for read in reads:
        writer.writerow(
            neutralise(cell)
            for cell in [
                read.read_id,
                read.plate,
                read.state or "",
                iso_utc(read.captured_at),
                read.lat,
                read.lon,
                "" if read.heading is None else read.heading,
                read.unit_id,
                read.confidence,
                read.model_version,
                image_path(read),
            ]
        )
    return out.getvalue().encode()


def read_files(reads: Iterable[Read], images: Mapping[str, bytes]) -> list[BundleFile]:
    """The reads as JSON and CSV, oldest first, and their images (`images` maps a read's image key
    to its bytes; a missing image is left out and the manifest shows it)."""
    ordered = sorted(reads, key=lambda r: (r.captured_at, r.read_id))
    exported = [
        {
            "read_id": r.read_id,
            "plate": r.plate,
            "state": r.state,
            "captured_at": iso_utc(r.captured_at),
            "lat": r.lat,
            "lon": r.lon,
            "heading": r.heading,
            "unit_id": r.unit_id,
            "confidence": r.confidence,
            "model_version": r.model_version,
            "image": image_path(r),
        }
        for r in ordered
    ]
    files = [
        BundleFile("reads.json", json.dumps(exported, indent=2).encode()),
        BundleFile("reads.csv", _csv(ordered)),
    ]
    for read in ordered:
        data = images.get(read.image_key)
        if data is not None:
            files.append(BundleFile(image_path(read), data))
    return files


def with_manifest(files: list[BundleFile], header: Mapping[str, str]) -> list[BundleFile]:
    """The files and, last, the manifest: `header` (the bundle's id) and each file's SHA-256."""
    manifest = {**header, "files": [f.entry().model_dump() for f in files]}
    return [*files, BundleFile(MANIFEST, json.dumps(manifest, indent=2).encode())]


def build_bundle(
    request: ReleaseRequest, reads: Iterable[Read], images: Mapping[str, bytes]
) -> list[BundleFile]:
    """The bundle's files, the manifest last; `images` maps a read's image key to its bytes."""
    decision = request.decision
    cover = {
        "request_id": request.request_id,
        "agency": request.form.agency_name,
        "agency_ori": request.form.agency_ori,
        "requester": request.form.requester.model_dump(),
        "purpose": request.form.purpose,
        "case_number": request.form.case_number,
        "scope": request.form.scope.model_dump(mode="json"),
        "approved_by": decision.by if decision else None,
        "approved_at": iso_utc(decision.at) if decision else None,
        "notice": "ALPR reads are not identifications; confirm through CLETS before any enforcement action. "
        "Released under Civil Code § 1798.90.55(b) to a California public agency; do not share further.",
    }
    files = [BundleFile("request.json", json.dumps(cover, indent=2).encode()), *read_files(reads, images)]
    return with_manifest(files, {"request_id": request.request_id})


def zip_bundle(files: Iterable[BundleFile]) -> bytes:
    """The bundle as one zip; stored, not deflated (the images are JPEG/PNG already)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as bundle_zip:
        for file in files:
            bundle_zip.writestr(file.path, file.data)
    return archive.getvalue()


def verify_bundle(files: Mapping[str, bytes]) -> list[str]:
    """Problems found checking a bundle against its manifest (empty: every file is there and intact)."""
    if MANIFEST not in files:
        return ["no manifest.json"]
    listed = json.loads(files[MANIFEST])["files"]
    problems = []
    for entry in listed:
        data = files.get(entry["path"])
        if data is None:
            problems.append(f"{entry['path']}: missing")
        elif hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(f"{entry['path']}: SHA-256 differs from the manifest")
    extra = set(files) - {e["path"] for e in listed} - {MANIFEST}
    problems.extend(f"{path}: not in the manifest" for path in sorted(extra))
    return problems
