"""Stored images: short-lived GET links (the API never streams an image itself), legal holds, and
the evidence bucket's bundles."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class S3Links:
    def __init__(self, client: Callable[[], S3Client]) -> None:
        self._client = client

    def presign_get(self, bucket: str, key: str, expires_in: int, version_id: str | None = None) -> str:
        """A presigned GET URL for one object (a given version of it), valid for `expires_in` seconds."""
        params = {"Bucket": bucket, "Key": key} | ({"VersionId": version_id} if version_id else {})
        return self._client().generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)


class S3ObjectHolds:
    """S3 Object Lock legal holds on one version of an object (the bucket has Object Lock)."""

    def __init__(self, client: Callable[[], S3Client]) -> None:
        self._client = client

    def lock(self, bucket: str, key: str) -> str:
        """Put the current version under legal hold; returns its version id."""
        version: str = self._client().head_object(Bucket=bucket, Key=key)["VersionId"]
        self.lock_version(bucket, key, version)
        return version

    def lock_version(self, bucket: str, key: str, version_id: str) -> None:
        self._client().put_object_legal_hold(
            Bucket=bucket, Key=key, VersionId=version_id, LegalHold={"Status": "ON"}
        )

    def unlock(self, bucket: str, key: str, version_id: str) -> None:
        self._client().put_object_legal_hold(
            Bucket=bucket, Key=key, VersionId=version_id, LegalHold={"Status": "OFF"}
        )


class EvidenceBucket:
    """Objects written under S3 Object Lock legal hold (read back through `S3Links`)."""

    def __init__(self, bucket: str, client: Callable[[], S3Client]) -> None:
        self.bucket = bucket
        self._client = client

    def put_held(self, key: str, data: bytes, content_type: str) -> None:
        self._client().put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            ObjectLockLegalHoldStatus="ON",
            ChecksumAlgorithm="SHA256",  # S3 wants a checksum on writes with Object Lock settings
        )
