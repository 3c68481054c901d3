"""The local stack's snapshot (alpr.local.snapshot) through the AWS APIs of a real moto server:
what is saved comes back after the server forgot everything, including what S3 cannot give back
as it was (version ids: the items that name a held version point at its new id)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from alpr.local.snapshot import DataDir, Resources, Snapshotter
from tests.integration.moto_server import moto_server

REGION = "us-east-1"


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "local")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with moto_server() as url:
        _forget(url)  # moto's state is per process: start from nothing
        yield url


def _forget(endpoint: str) -> None:
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()


def _client(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)  # type: ignore[call-overload]


def _deploy(endpoint: str) -> Resources:
    """The resources, as a fresh deployment creates them (empty)."""
    _client(endpoint, "dynamodb").create_table(
        TableName="reads",
        KeySchema=[{"AttributeName": "read_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "read_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    _client(endpoint, "s3").create_bucket(Bucket="uploads", ObjectLockEnabledForBucket=True)
    queue = _client(endpoint, "sqs").create_queue(QueueName="dlq")["QueueUrl"]
    secret = _client(endpoint, "secretsmanager").create_secret(Name="link", SecretString="fresh-" + "x" * 40)
    cognito = _client(endpoint, "cognito-idp")
    pool = cognito.create_user_pool(PoolName="pool")["UserPool"]["Id"]
    cognito.create_group(GroupName="investigator", UserPoolId=pool)
    return Resources(
        tables={"ReadsTable": "reads"},
        buckets={"UploadsBucket": "uploads"},
        queues={"IngestDeadLetterQueue": queue},
        secrets={"ReleaseLinkSecret": secret["ARN"]},
        user_pool=pool,
    )


def _held_version(endpoint: str) -> dict[str, str]:
    s3 = _client(endpoint, "s3")
    versions = s3.list_object_versions(Bucket="uploads", Prefix="raw/a.jpg")["Versions"]
    held = {}
    for version in versions:
        status = s3.get_object_legal_hold(Bucket="uploads", Key="raw/a.jpg", VersionId=version["VersionId"])
        if status["LegalHold"].get("Status") == "ON":
            body = s3.get_object(Bucket="uploads", Key="raw/a.jpg", VersionId=version["VersionId"])["Body"]
            held[version["VersionId"]] = body.read().decode()
    return held


@pytest.mark.timeout(120)
def test_what_was_saved_comes_back_into_a_fresh_deployment(endpoint: str, tmp_path: Path) -> None:
    # Given a running system's state: two versions of an image, the first under legal hold, a
    # deleted object, an item naming the held version and holding binary data, a message waiting
    # in the dead-letter queue, a secret and a user
    resources = _deploy(endpoint)
    s3, dynamodb, sqs = (_client(endpoint, s) for s in ("s3", "dynamodb", "sqs"))
    first = s3.put_object(
        Bucket="uploads", Key="raw/a.jpg", Body=b"first", ContentType="image/jpeg", Metadata={"unit-id": "u1"}
    )["VersionId"]
    s3.put_object_legal_hold(Bucket="uploads", Key="raw/a.jpg", VersionId=first, LegalHold={"Status": "ON"})
    s3.put_object(Bucket="uploads", Key="raw/a.jpg", Body=b"second", ContentType="image/jpeg")
    s3.put_object(Bucket="uploads", Key="gone.txt", Body=b"deleted")
    s3.delete_object(Bucket="uploads", Key="gone.txt")
    dynamodb.put_item(
        TableName="reads",
        Item={
            "read_id": {"S": "r1"},
            "held_versions": {"M": {"raw/a.jpg": {"S": first}}},
            "task_token": {"B": b"\x00\xffsealed"},
        },
    )
    sqs.send_message(
        QueueUrl=resources.queues["IngestDeadLetterQueue"],
        MessageBody='{"key": "raw/a.jpg"}',
        MessageAttributes={"reason": {"DataType": "String", "StringValue": "throttled"}},
    )
    secret_value = "saved-" + "y" * 40
    _client(endpoint, "secretsmanager").put_secret_value(SecretId="link", SecretString=secret_value)
    cognito = _client(endpoint, "cognito-idp")
    cognito.admin_create_user(
        UserPoolId=resources.user_pool, Username="investigator", MessageAction="SUPPRESS"
    )
    cognito.admin_add_user_to_group(
        UserPoolId=resources.user_pool, Username="investigator", GroupName="investigator"
    )
    data_dir = DataDir(tmp_path / "data")
    data_dir.prepare()

    # When it is saved (the message stays waiting), the server forgets everything, and a fresh
    # deployment is restored from the snapshot
    saved = Snapshotter(resources, data_dir, endpoint, REGION).save(
        {"investigator": "Al-password-1!"}, {"investigator": "secret"}, every_queue=True
    )
    assert saved == {"items": 1, "object versions": 3, "messages": 1, "users": 1}
    assert (
        len(sqs.receive_message(QueueUrl=resources.queues["IngestDeadLetterQueue"]).get("Messages", [])) == 1
    )
    _forget(endpoint)
    fresh = _deploy(endpoint)
    state = data_dir.load()
    assert state is not None
    restored = Snapshotter(fresh, data_dir, endpoint, REGION).restore(state)

    # Then the objects are back, latest last, with their metadata; the deleted one stays deleted
    latest = s3.get_object(Bucket="uploads", Key="raw/a.jpg")
    assert latest["Body"].read() == b"second"
    held = _held_version(endpoint)
    assert list(held.values()) == ["first"]
    assert s3.head_object(Bucket="uploads", Key="raw/a.jpg", VersionId=next(iter(held)))["Metadata"] == {
        "unit-id": "u1"
    }
    with pytest.raises(ClientError):
        s3.head_object(Bucket="uploads", Key="gone.txt")
    # And the item names the held version by its new id, its binary value intact
    item = dynamodb.get_item(TableName="reads", Key={"read_id": {"S": "r1"}})["Item"]
    assert item["held_versions"]["M"]["raw/a.jpg"]["S"] == next(iter(held)) != first
    assert item["task_token"]["B"] == b"\x00\xffsealed"
    # And the message, the secret and the user (for the stack to create) are back
    (message,) = sqs.receive_message(
        QueueUrl=fresh.queues["IngestDeadLetterQueue"], MessageAttributeNames=["All"]
    )["Messages"]
    assert message["Body"] == '{"key": "raw/a.jpg"}'
    assert message["MessageAttributes"]["reason"]["StringValue"] == "throttled"
    assert (
        _client(endpoint, "secretsmanager").get_secret_value(SecretId="link")["SecretString"] == secret_value
    )
    (user,) = restored.users
    assert (user.username, user.groups, user.password, user.mfa) == (
        "investigator",
        ["investigator"],
        "Al-password-1!",
        True,
    )


@pytest.mark.timeout(60)
def test_a_periodic_save_leaves_a_queue_with_a_redrive_policy_unread(endpoint: str, tmp_path: Path) -> None:
    # A message in a queue whose receives count toward its dead-letter queue
    resources = _deploy(endpoint)
    sqs = _client(endpoint, "sqs")
    dlq_arn = sqs.get_queue_attributes(
        QueueUrl=resources.queues["IngestDeadLetterQueue"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    ingest = sqs.create_queue(
        QueueName="ingest",
        Attributes={"RedrivePolicy": f'{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": "1"}}'},
    )["QueueUrl"]
    sqs.send_message(QueueUrl=ingest, MessageBody="waiting upload")
    resources.queues["IngestQueue"] = ingest
    data_dir = DataDir(tmp_path)
    data_dir.prepare()
    snapshotter = Snapshotter(resources, data_dir, endpoint, REGION)
    # A periodic save does not read it (one receive would already send it to the DLQ)
    snapshotter.save({}, {}, every_queue=False)
    state = data_dir.load()
    assert state is not None and "IngestQueue" not in state["queues"]
    # The clean stop's save does
    snapshotter.save({}, {}, every_queue=True)
    state = data_dir.load()
    assert state is not None and [m["body"] for m in state["queues"]["IngestQueue"]] == ["waiting upload"]


@pytest.mark.timeout(60)
def test_alpr_local_up_refuses_a_data_dir_it_cannot_restore_before_starting_anything(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from alpr.cli.main import app

    (tmp_path / "snapshot.json").write_text('{"format": 1, "tables": {')
    result = CliRunner().invoke(app, ["local", "up", "--port", "1", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "cannot be read" in result.output
    assert (tmp_path / "snapshot.json").read_text() == '{"format": 1, "tables": {'
