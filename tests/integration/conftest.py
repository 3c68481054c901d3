"""Moto in-process: the tables and buckets the handlers use, and the handlers themselves.

Fixtures here are opt-in (nothing autouse), so other integration tests are unaffected.
In the cloud and in the local stack these resources come from the CDK template; here a
fixture creates the few the walking-skeleton handlers need.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from alpr.config import Config
from alpr.local.personnel_seed import seed_personnel
from alpr.local.stack import LOCAL_USERS
from alpr.names import (
    ACCESS_LOG_PREFIX,
    ALERT_CREATED_AT,
    ALERT_ID,
    ALERT_STATUS,
    ALERTS_BY_STATUS_INDEX,
    HOLD_DUE,
    HOLD_ID,
    HOLD_STATE,
    HOLDS_BY_STATE_INDEX,
    HOTLIST_OCR_INDEX,
    HOTLIST_OCR_KEY,
    HOTLIST_PK,
    HOTLIST_SK,
    PROPOSAL_ID,
    READS_BY_CELL_DAY_INDEX,
    READS_BY_CORRECTED_PLATE_INDEX,
    READS_BY_PLATE_INDEX,
    READS_CELL_DAY_KEY,
    READS_CORRECTED_PLATE,
    READS_TIME_KEY,
    USERNAME,
    Env,
)
from alpr.services.container import container, use

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
REGION = "us-west-2"


@dataclass
class Stack:
    reads_table: str
    plates_table: str
    uploads_bucket: str
    quarantine_bucket: str
    s3: Any
    dynamodb: Any
    personnel_table: str = ""  # the access gate's registry, seeded with the local users (issue 4)
    account_proposals_table: str = ""  # account changes awaiting their approver (issue 21)
    access_log_bucket: str = ""
    capture_key: bytes = b""  # signs capture metadata as the uploads function does (issue 23)
    holds_table: str = ""  # the register of legal holds (issue 22)


@dataclass
class FakeContext:
    """The attributes Powertools reads from a Lambda context."""

    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-west-2:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def load_event(name: str) -> dict[str, Any]:
    """A sample event from events/ (a fresh copy each time)."""
    return copy.deepcopy(json.loads((EVENTS / name).read_text()))


def load_handler(function: str) -> ModuleType:
    """functions/<function>/handler.py under a unique module name, as the local runtime loads it."""
    path = ROOT / "functions" / function / "handler.py"
    spec = importlib.util.spec_from_file_location(f"fn_{function}_{uuid.uuid4().hex}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _create_reads_table(client: Any, name: str) -> None:
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": "S"}
            for a in ("read_id", "plate", READS_TIME_KEY, READS_CELL_DAY_KEY, READS_CORRECTED_PLATE)
        ],
        KeySchema=[{"AttributeName": "read_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": pk, "KeyType": "HASH"},
                    {"AttributeName": READS_TIME_KEY, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
            for index, pk in (
                (READS_BY_PLATE_INDEX, "plate"),
                (READS_BY_CELL_DAY_INDEX, READS_CELL_DAY_KEY),
                (READS_BY_CORRECTED_PLATE_INDEX, READS_CORRECTED_PLATE),
            )
        ],
    )


def _create_holds_table(client: Any, name: str) -> None:
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": "S"} for a in (HOLD_ID, HOLD_STATE, HOLD_DUE)
        ],
        KeySchema=[{"AttributeName": HOLD_ID, "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": HOLDS_BY_STATE_INDEX,
                "KeySchema": [
                    {"AttributeName": HOLD_STATE, "KeyType": "HASH"},
                    {"AttributeName": HOLD_DUE, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def _string_keys(*names: str) -> list[dict[str, str]]:
    return [{"AttributeName": n, "AttributeType": "S"} for n in names]


def create_hotlist_tables(client: Any, hotlist_table: str, alerts_table: str) -> None:
    """The Hotlist and Alerts tables, keys and indexes as in infra/storage.py."""
    client.create_table(
        TableName=hotlist_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=_string_keys(HOTLIST_PK, HOTLIST_SK, HOTLIST_OCR_KEY),
        KeySchema=[
            {"AttributeName": HOTLIST_PK, "KeyType": "HASH"},
            {"AttributeName": HOTLIST_SK, "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": HOTLIST_OCR_INDEX,
                "KeySchema": [
                    {"AttributeName": HOTLIST_OCR_KEY, "KeyType": "HASH"},
                    {"AttributeName": HOTLIST_SK, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    client.create_table(
        TableName=alerts_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=_string_keys(ALERT_ID, ALERT_STATUS, ALERT_CREATED_AT),
        KeySchema=[{"AttributeName": ALERT_ID, "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": ALERTS_BY_STATUS_INDEX,
                "KeySchema": [
                    {"AttributeName": ALERT_STATUS, "KeyType": "HASH"},
                    {"AttributeName": ALERT_CREATED_AT, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def create_access_resources(names: Stack) -> None:
    """The Personnel table (seeded with the local stack's users), its account proposals and the Object
    Lock access-log bucket."""
    names.personnel_table = os.environ[Env.PERSONNEL_TABLE]
    names.account_proposals_table = os.environ[Env.ACCOUNT_PROPOSALS_TABLE]
    names.access_log_bucket = os.environ[Env.ACCESS_LOG_BUCKET]
    for table, key in ((names.personnel_table, USERNAME), (names.account_proposals_table, PROPOSAL_ID)):
        names.dynamodb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        )
    names.s3.create_bucket(
        Bucket=names.access_log_bucket,
        CreateBucketConfiguration={"LocationConstraint": REGION},
        ObjectLockEnabledForBucket=True,
    )
    names.s3.put_object_lock_configuration(
        Bucket=names.access_log_bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}},
        },
    )
    seed_personnel(container().personnel, LOCAL_USERS, datetime.now(UTC))


def create_capture_secret(region: str = REGION) -> tuple[str, bytes]:
    """A capture signing secret in (mocked) Secrets Manager, generated as the stack's is: its ARN,
    for ALPR_CAPTURE_SIGNING_SECRET, and the key, to sign objects put around the uploads function."""
    value = secrets.token_urlsafe(48)
    arn = boto3.client("secretsmanager", region_name=region).create_secret(
        Name=f"capture-signing-{uuid.uuid4().hex[:8]}", SecretString=value
    )["ARN"]
    return arn, value.encode()


def access_records(names: Stack) -> list[dict[str, Any]]:
    """Every record of the access log, oldest first."""
    keys = [
        obj["Key"]
        for page in names.s3.get_paginator("list_objects_v2").paginate(
            Bucket=names.access_log_bucket, Prefix=ACCESS_LOG_PREFIX
        )
        for obj in page.get("Contents", [])
    ]
    lines = [
        line
        for key in sorted(keys)
        for line in names.s3.get_object(Bucket=names.access_log_bucket, Key=key)["Body"].read().splitlines()
    ]
    return [json.loads(line) for line in lines]


def not_granted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every resource variable present but empty, as for a function granted none: a handler's cold
    start then passes its config's check, and each test names the resources it really has."""
    for name, field in Config.model_fields.items():
        if field.annotation == (str | None):
            monkeypatch.setenv(f"ALPR_{name.upper()}", "")


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """Moto with the Reads and Plates tables and the uploads and quarantine buckets."""
    suffix = uuid.uuid4().hex[:8]
    names = Stack(
        reads_table=f"reads-{suffix}",
        plates_table=f"plates-{suffix}",
        holds_table=f"holds-{suffix}",
        uploads_bucket=f"alpr-uploads-{suffix}",
        quarantine_bucket=f"alpr-quarantine-{suffix}",
        s3=None,
        dynamodb=None,
    )
    # Start from no ALPR settings: an e2e stack earlier in the session leaves its functions'
    # environment (every table of the template) in os.environ.
    for name in Env:
        if name.value.startswith("ALPR_"):
            monkeypatch.delenv(name.value, raising=False)
    not_granted(monkeypatch)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
        Env.READS_TABLE: names.reads_table,
        Env.PLATES_TABLE: names.plates_table,
        Env.HOLDS_TABLE: names.holds_table,
        Env.UPLOADS_BUCKET: names.uploads_bucket,
        Env.QUARANTINE_BUCKET: names.quarantine_bucket,
        Env.RETENTION_DAYS: "365",
        Env.PERSONNEL_TABLE: f"personnel-{suffix}",
        Env.ACCOUNT_PROPOSALS_TABLE: f"account-proposals-{suffix}",
        Env.ACCESS_LOG_BUCKET: f"alpr-access-log-{suffix}",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        use(None)
        names.s3 = boto3.client("s3", region_name=REGION)
        names.dynamodb = boto3.client("dynamodb", region_name=REGION)
        for bucket in (names.uploads_bucket, names.quarantine_bucket):
            names.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        _create_reads_table(names.dynamodb, names.reads_table)
        _create_holds_table(names.dynamodb, names.holds_table)
        names.dynamodb.create_table(
            TableName=names.plates_table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "plate", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "plate", "KeyType": "HASH"}],
        )
        # Every variable is set before anything builds the container (seeding the registry does).
        arn, names.capture_key = create_capture_secret()
        monkeypatch.setenv(Env.CAPTURE_SIGNING_SECRET, arn)
        create_access_resources(names)
        yield names
    use(None)


@pytest.fixture
def context() -> FakeContext:
    return FakeContext(aws_request_id=str(uuid.uuid4()))
