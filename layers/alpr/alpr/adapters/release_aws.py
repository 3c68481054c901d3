"""AWS adapters of the release workflow: the token vault (KMS), the link key (Secrets
Manager), the workflow (Step Functions), the release bucket (S3) and the reads in scope.

Each takes a client factory (the container's: made on first use, once per process).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from alpr.adapters.dynamo import DynamoReadStore
from alpr.domain import geohash
from alpr.domain.models import Read, iso_utc
from alpr.domain.reads import CELL_PRECISION
from alpr.domain.release import DataScope
from alpr.names import (
    PLATE,
    READS_BY_CELL_DAY_INDEX,
    READS_BY_PLATE_INDEX,
    READS_CELL_DAY_KEY,
    RELEASE_DENIED_ERROR,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class TaskTokenVault:
    """Task tokens encrypted with KMS, bound to their request by the encryption context."""

    def __init__(self, key_id: str, kms: Callable[[], Any]) -> None:
        self.key_id = key_id
        self._kms = kms

    def seal(self, request_id: str, token: str) -> bytes:
        blob: bytes = self._kms().encrypt(
            KeyId=self.key_id, Plaintext=token.encode(), EncryptionContext={"release_request": request_id}
        )["CiphertextBlob"]
        return blob

    def open(self, request_id: str, ciphertext: bytes) -> str:
        plain: bytes = self._kms().decrypt(
            CiphertextBlob=ciphertext, EncryptionContext={"release_request": request_id}
        )["Plaintext"]
        return plain.decode()


class SecretLinkKey:
    """The HMAC key of the decision links, read from Secrets Manager once per process."""

    def __init__(self, secret_id: str, secretsmanager: Callable[[], Any]) -> None:
        self.secret_id = secret_id
        self._client = secretsmanager
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        with self._lock:
            if self._key is None:
                value = self._client().get_secret_value(SecretId=self.secret_id)["SecretString"]
                if len(value) < 32:
                    raise RuntimeError("the release link secret is shorter than 32 characters")
                self._key = value.encode()
            return self._key


class TaskGone(RuntimeError):
    """The execution no longer waits for this token (it timed out or moved on)."""


def _execution_name(request_id: str) -> str:
    return f"release-{request_id}"


class StepFunctionsWorkflow:
    def __init__(self, state_machine_arn: str, sfn: Callable[[], Any]) -> None:
        self.state_machine_arn = state_machine_arn
        self._sfn = sfn

    def execution_arn(self, request_id: str) -> str:
        """The ARN the request's execution has: its name is derived from the request id."""
        return f"{self.state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{_execution_name(request_id)}"

    def start(self, request_id: str, payload: dict[str, Any]) -> str:
        arn: str = self._sfn().start_execution(
            stateMachineArn=self.state_machine_arn,
            name=_execution_name(request_id),
            input=json.dumps(payload),
        )["executionArn"]
        return arn

    def approve(self, token: str, output: dict[str, Any]) -> None:
        self._signal(lambda sfn: sfn.send_task_success(taskToken=token, output=json.dumps(output)))

    def deny(self, token: str, reason: str) -> None:
        self._signal(
            lambda sfn: sfn.send_task_failure(taskToken=token, error=RELEASE_DENIED_ERROR, cause=reason[:256])
        )

    def _signal(self, call: Callable[[Any], Any]) -> None:
        try:
            call(self._sfn())
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {
                "TaskTimedOut",
                "TaskDoesNotExist",
                "InvalidToken",
            }:
                raise TaskGone(error.response["Error"].get("Message", "task no longer waiting")) from None
            raise


class ReleaseBucket:
    """Letters in, bundles out: the release bucket, plus the raw images bundles copy."""

    def __init__(self, bucket: str, s3: Callable[[], S3Client]) -> None:
        self.bucket = bucket
        self._s3 = s3

    def letter_post(self, key: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        """A presigned POST for one request letter (PDF or image) at `key`."""
        post: dict[str, Any] = self._s3().generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Conditions=[
                ["content-length-range", 1, max_bytes],
                ["starts-with", "$Content-Type", ""],
            ],
            ExpiresIn=expires_in,
        )
        return post

    def has(self, key: str) -> bool:
        try:
            self._s3().head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._s3().put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        body: bytes = self._s3().get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self._s3().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys

    def link(self, key: str, expires_in: int) -> str:
        url: str = self._s3().generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url

    def head_bytes(self, key: str, count: int = 16) -> bytes:
        """The first bytes of an object (to tell a PDF or an image from anything else)."""
        body: bytes = (
            self._s3().get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{count - 1}")["Body"].read()
        )
        return body

    def served_link(self, key: str, expires_in: int, content_type: str, disposition: str) -> str:
        """A short-lived link whose response carries this content type and disposition, whatever
        the uploader declared."""
        url: str = self._s3().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
            },
            ExpiresIn=expires_in,
        )
        return url


def image_bytes(
    s3: Callable[[], S3Client], bucket: str, key: str, version_id: str | None = None
) -> bytes | None:
    """The object's bytes (of `version_id` when given: a held version), None when it is gone."""
    try:
        version = {"VersionId": version_id} if version_id else {}
        data: bytes = s3().get_object(Bucket=bucket, Key=key, **version)["Body"].read()  # type: ignore[arg-type]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise
    return data


def _days(start: datetime, end: datetime) -> Iterator[str]:
    day = start.date()
    while day <= end.date():
        yield day.isoformat()
        day += timedelta(days=1)


class ScopeReads:
    """Candidate reads for a data scope: by plate (the `by_plate` index) and by area (`by_cell_day`).

    Candidates only: the domain's `in_scope` decides exactly what is released.
    """

    def __init__(self, reads: DynamoReadStore) -> None:
        self.reads = reads

    def candidates(self, scope: DataScope) -> Iterable[Read]:
        low, high = iso_utc(scope.start), iso_utc(scope.end) + "~"
        for plate in scope.plates:
            yield from self._partition(READS_BY_PLATE_INDEX, PLATE, plate, low, high)
        if scope.area is not None:
            area = scope.area
            for cell in sorted(geohash.cover_circle(area.lat, area.lon, area.radius_m, CELL_PRECISION)):
                for day in _days(scope.start, scope.end):
                    yield from self._partition(
                        READS_BY_CELL_DAY_INDEX, READS_CELL_DAY_KEY, f"{cell}#{day}", low, high
                    )

    def _partition(self, index: str, attribute: str, key: str, low: str, high: str) -> Iterator[Read]:
        start = None
        while True:
            page, start = self.reads.query_index(index, attribute, key, low, high, 500, start)
            yield from page
            if not start:
                return
