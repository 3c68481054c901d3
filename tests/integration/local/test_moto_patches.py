"""The one patch of moto: functions registered in moto run their real handler in-process.

These tests pin the moto behaviour the local stack relies on (invoke, SQS event-source
mapping, partial batch failure), so a moto upgrade that changes it fails here first.
"""

import json
import textwrap
import uuid
from pathlib import Path

import boto3
import pytest
import requests

from alpr.local import moto_patches
from alpr.local.deploy import zip_placeholder
from tests.integration.moto_server import moto_server

HANDLER = textwrap.dedent(
    """
    import json
    import os
    import urllib.parse

    import boto3

    SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME")  # read at import, as Powertools does

    def lambda_handler(event, context):
        if event.get("fail"):
            raise ValueError("asked to fail")
        body = event.get("Records", [{}])[0].get("body", "")
        if body.startswith("{"):
            if "Records" not in json.loads(body):  # S3's test event when notifications are set
                return {"batchItemFailures": []}
            s3_event = json.loads(body)["Records"][0]["s3"]
            key = urllib.parse.unquote_plus(s3_event["object"]["key"])  # S3 events carry keys URL-encoded
            head = boto3.client("s3").head_object(Bucket=s3_event["bucket"]["name"], Key=key)
            with open(os.environ["SEEN_FILE"], "w") as seen:
                json.dump(head["Metadata"], seen)
            return {"batchItemFailures": []}
        if "Records" in event:
            bodies = [r["body"] for r in event["Records"]]
            failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "poison"]
            with open(os.environ["SEEN_FILE"], "a") as seen:
                seen.write("\\n".join(bodies) + "\\n")
            return {"batchItemFailures": failures}
        return {"echo": event, "service": SERVICE, "fn": context.function_name}
    """
)


@pytest.fixture(scope="module")
def moto_endpoint():
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "local")
        env.setenv("AWS_SECRET_ACCESS_KEY", "local")
        with moto_server() as url:
            yield url


@pytest.fixture
def functions_dir(tmp_path: Path) -> Path:
    service = tmp_path / "functions" / "echo"
    service.mkdir(parents=True)
    (service / "handler.py").write_text(HANDLER)
    moto_patches.install(tmp_path / "functions")
    yield tmp_path / "functions"
    moto_patches.uninstall()


def clients(endpoint: str):
    kwargs = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    return boto3.client("lambda", **kwargs), boto3.client("sqs", **kwargs), boto3.client("iam", **kwargs)


def create_echo(endpoint: str, seen_file: Path) -> str:
    lam, _, iam = clients(endpoint)
    name = f"echo-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="handler.lambda_handler",
        Code={"ZipFile": zip_placeholder()},
        Environment={"Variables": {"POWERTOOLS_SERVICE_NAME": "echo", "SEEN_FILE": str(seen_file)}},
    )
    return name


def test_invoke_runs_the_real_handler_in_process(moto_endpoint, functions_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SEEN_FILE", str(tmp_path / "seen"))
    lam, _, _ = clients(moto_endpoint)
    name = create_echo(moto_endpoint, tmp_path / "seen")
    # When the function is invoked through moto's Lambda API
    response = lam.invoke(FunctionName=name, Payload=json.dumps({"hello": "world"}).encode())
    # Then the handler's own return value comes back, with the service name and context it saw
    payload = json.loads(response["Payload"].read())
    assert payload == {"echo": {"hello": "world"}, "service": "echo", "fn": name}
    assert "FunctionError" not in response


def test_a_raising_handler_is_a_function_error(moto_endpoint, functions_dir, tmp_path):
    lam, _, _ = clients(moto_endpoint)
    name = create_echo(moto_endpoint, tmp_path / "seen")
    response = lam.invoke(FunctionName=name, Payload=json.dumps({"fail": True}).encode())
    payload = json.loads(response["Payload"].read())
    assert response["FunctionError"]
    assert payload["errorType"] == "ValueError" and payload["errorMessage"] == "asked to fail"


def test_sqs_mapping_delivers_and_keeps_reported_failures_on_the_queue(
    moto_endpoint, functions_dir, tmp_path, monkeypatch
):
    seen = tmp_path / "seen"
    monkeypatch.setenv("SEEN_FILE", str(seen))
    lam, sqs, _ = clients(moto_endpoint)
    name = create_echo(moto_endpoint, seen)
    queue_url = sqs.create_queue(
        QueueName=f"q-{uuid.uuid4().hex[:8]}", Attributes={"VisibilityTimeout": "0"}
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    lam.create_event_source_mapping(
        EventSourceArn=queue_arn,
        FunctionName=name,
        BatchSize=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    # When a good and a poison message arrive
    sqs.send_message(QueueUrl=queue_url, MessageBody="good")
    sqs.send_message(QueueUrl=queue_url, MessageBody="poison")
    # Then the handler saw both, and only the one it reported as failed is still queued
    assert {"good", "poison"} <= set(seen.read_text().split())
    left = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in left] == ["poison"]


def test_a_post_upload_is_announced_only_once_its_metadata_is_stored(
    moto_endpoint, functions_dir, tmp_path, monkeypatch
):
    # Given a bucket that notifies a queue mapped to a function that reads the object's metadata
    seen = tmp_path / "seen"
    monkeypatch.setenv("SEEN_FILE", str(seen))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    lam, sqs, _ = clients(moto_endpoint)
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    name = create_echo(moto_endpoint, seen)
    bucket = f"b-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    queue_url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=name, BatchSize=1)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    # When a browser-style POST uploads an object with metadata
    post = s3.generate_presigned_post(bucket, "raw/x.jpg", Fields={"x-amz-meta-unit-id": "unit-07"})
    response = requests.post(post["url"], data=post["fields"], files={"file": ("x.jpg", b"data")}, timeout=10)
    # Then the function triggered by the event already sees the metadata
    assert response.status_code == 204
    assert json.loads(seen.read_text()) == {"unit-id": "unit-07"}


def test_setting_a_bucket_s_notifications_sends_no_test_event(moto_endpoint, functions_dir):
    # Given a queue (no function on it yet: as while the local stack deploys)
    _, sqs, _ = clients(moto_endpoint)
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    bucket = f"b-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    queue_url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    # When the bucket is told to notify it
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:LifecycleExpiration:Delete"]}]
        },
    )
    # Then no s3:TestEvent waits on the queue
    assert sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []) == []
