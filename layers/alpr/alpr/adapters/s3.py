"""S3 adapters: signing upload tickets, fetching uploads, moving rejects to quarantine."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from alpr.domain.models import QuarantineRecord, UploadTicket
from alpr.domain.uploads import StoredUpload, UploadPlan
from alpr.names import QUARANTINE_PREFIX, QUARANTINE_REASON_METADATA, QUARANTINE_REASON_SUFFIX

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_MISSING = {"NoSuchKey", "404", "NotFound"}


def _ascii(text: str, limit: int = 1024) -> str:
    # S3 user metadata travels in HTTP headers: ASCII only, kept short.
    return text.encode("ascii", "replace").decode()[:limit]


class FetchedUpload:
    """An upload whose bytes are read only once its description passed the checks (no 5 GB in memory)."""

    def __init__(self, upload: StoredUpload, body: Any) -> None:
        self.upload = upload
        self._body = body

    def read(self) -> bytes:
        try:
            data: bytes = self._body.read()
        finally:
            self._body.close()
        return data

    def close(self) -> None:
        self._body.close()


class S3Uploads:
    """The uploads bucket and its quarantine."""

    def __init__(self, uploads_bucket: str, quarantine_bucket: str, client: Callable[[], S3Client]) -> None:
        self.uploads_bucket = uploads_bucket
        self.quarantine_bucket = quarantine_bucket
        self._client = client

    def presign(self, plan: UploadPlan) -> UploadTicket:
        """Sign a presigned POST for the plan's key, fields and conditions."""
        post = self._client().generate_presigned_post(
            Bucket=self.uploads_bucket,
            Key=plan.key,
            Fields=plan.fields,
            Conditions=plan.conditions,
            ExpiresIn=plan.expires_in,
        )
        return UploadTicket(
            url=post["url"],
            fields={k: str(v) for k, v in post["fields"].items()},
            key=plan.key,
            expires_at=plan.expires_at,
        )

    def fetch(self, bucket: str, key: str) -> FetchedUpload | None:
        """The object's description with its body still unread, or None when it is gone (already handled)."""
        try:
            response = self._client().get_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        upload = StoredUpload(
            bucket=bucket,
            key=key,
            size=int(response.get("ContentLength", 0)),
            content_type=response.get("ContentType", ""),
            etag=response.get("ETag", "").strip('"'),
            last_modified=response["LastModified"],
            metadata=response.get("Metadata", {}),
            version_id=response.get("VersionId"),
        )
        return FetchedUpload(upload, response["Body"])

    def earlier_etags(self, upload: StoredUpload) -> set[str]:
        """The ETags of the key's other versions (none on an unversioned bucket)."""
        found: set[str] = set()
        pages = (
            self._client()
            .get_paginator("list_object_versions")
            .paginate(Bucket=upload.bucket, Prefix=upload.key)
        )
        for page in pages:
            for version in page.get("Versions", []):
                if version["Key"] == upload.key and version.get("VersionId") != upload.version_id:
                    found.add(version.get("ETag", "").strip('"'))
        return found

    def put_crop(self, key: str, jpeg: bytes) -> None:
        """Store a plate crop in the uploads bucket (same bytes, same key: safe to repeat)."""
        self._client().put_object(Bucket=self.uploads_bucket, Key=key, Body=jpeg, ContentType="image/jpeg")

    def quarantine(self, upload: StoredUpload, record: QuarantineRecord) -> str:
        """Move an upload to `quarantine/<key>` with its reason; the quarantine key."""
        client = self._client()
        # An overwrite is quarantined by its version: the image it replaced becomes current again.
        overwrite = record.reason == "overwrite" and upload.version_id is not None
        target = QUARANTINE_PREFIX + upload.key + (f".{upload.version_id}" if overwrite else "")
        source = {"Bucket": upload.bucket, "Key": upload.key} | (
            {"VersionId": upload.version_id} if overwrite and upload.version_id else {}
        )
        metadata = {k: _ascii(v) for k, v in upload.metadata.items()}
        metadata[QUARANTINE_REASON_METADATA] = _ascii(f"{record.reason}: {record.detail}")
        client.copy_object(
            Bucket=self.quarantine_bucket,
            Key=target,
            CopySource=source,  # type: ignore[arg-type]
            Metadata=metadata,
            MetadataDirective="REPLACE",
            ContentType=upload.content_type or "application/octet-stream",
        )
        client.put_object(
            Bucket=self.quarantine_bucket,
            Key=target + QUARANTINE_REASON_SUFFIX,
            Body=json.dumps(record.model_dump(mode="json"), indent=2).encode(),
            ContentType="application/json",
        )
        # Deleted only after both copies exist: a crash in between leaves the upload to be redone.
        if overwrite and upload.version_id:
            client.delete_object(Bucket=upload.bucket, Key=upload.key, VersionId=upload.version_id)
        else:
            client.delete_object(Bucket=upload.bucket, Key=upload.key)
        return target
