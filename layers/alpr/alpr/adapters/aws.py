"""boto3 clients, created lazily and once per process.

boto3 reads its endpoint from AWS_ENDPOINT_URL (the local runtime points it at moto),
so nothing here names an endpoint. Tests call `reset_clients()` after changing the
environment or starting a moto mock.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, signature_version="s3v4")


@cache
def _session() -> boto3.session.Session:
    return boto3.session.Session()


@cache
def s3() -> S3Client:
    return _session().client("s3", config=_CONFIG)


@cache
def dynamodb() -> DynamoDBClient:
    return _session().client("dynamodb", config=_CONFIG)


@cache
def sns() -> SNSClient:
    return _session().client("sns", config=_CONFIG)


@cache
def client(service: str) -> Any:
    """Any other boto3 client (kms, sesv2, stepfunctions, secretsmanager, firehose), made once."""
    return _session().client(service, config=_CONFIG)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget every client, so the next call builds one from the current environment."""
    for factory in (_session, s3, dynamodb, sns, client):
        factory.cache_clear()
