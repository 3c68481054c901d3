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
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from alpr.local import lambda_runtime
from alpr.local.deploy import zip_placeholder
from alpr.local.stack import free_port

HANDLER = textwrap.dedent(
    """
    import os

    SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME")  # read at import, as Powertools does

    def lambda_handler(event, context):
        if event.get("fail"):
            raise ValueError("asked to fail")
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
        yield from _moto_server()


def _moto_server():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def functions_dir(tmp_path: Path) -> Path:
    service = tmp_path / "functions" / "echo"
    service.mkdir(parents=True)
    (service / "handler.py").write_text(HANDLER)
    lambda_runtime.install(tmp_path / "functions")
    yield tmp_path / "functions"
    lambda_runtime.uninstall()


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
