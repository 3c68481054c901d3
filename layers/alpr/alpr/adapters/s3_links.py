"""Short-lived GET links to stored images (the API never streams an image itself)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class S3Links:
    def __init__(self, client: Callable[[], S3Client]) -> None:
        self._client = client

    def presign_get(self, bucket: str, key: str, expires_in: int) -> str:
        """A presigned GET URL for one object, valid for `expires_in` seconds."""
        return self._client().generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
        )
