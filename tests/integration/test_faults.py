"""The fault injector itself: a fault that is injected is seen, none when the rate is 0, the seed
reproduces the sequence, and the counts are the failures the caller saw (bench/faults.py and
test_ingest_under_faults.py rely on it, so an injector that does nothing must fail here)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from moto import mock_aws

from alpr.local.faults import FaultInjector, FaultKind
from tests.integration.moto_server import moto_server

REGION = "us-west-2"
ONE_ATTEMPT = BotoConfig(retries={"mode": "standard", "total_max_attempts": 1})
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def faulted(injector: FaultInjector, service: str, config: BotoConfig = ONE_ATTEMPT, **kwargs: Any) -> Any:
    session = boto3.Session(region_name=REGION)
    injector.attach(session.events)
    return session.client(service, config=config, **kwargs)  # type: ignore[call-overload]


def make_table(name: str = "t", **kwargs: Any) -> Any:
    dynamodb = boto3.client("dynamodb", region_name=REGION, **kwargs)
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    return dynamodb


def stored(dynamodb: Any, table: str = "t") -> int:
    return int(dynamodb.scan(TableName=table, Select="COUNT")["Count"])


def put(client: Any, n: int = 1) -> None:
    client.put_item(TableName="t", Item={"id": {"S": str(n)}})


@pytest.mark.parametrize(
    ("kind", "code", "status"),
    [
        (FaultKind.THROTTLE, "ProvisionedThroughputExceededException", 400),
        (FaultKind.SERVER_ERROR, "InternalServerError", 500),
    ],
)
def test_an_error_fault_is_seen_with_its_code_and_nothing_is_written(
    aws: None, kind: FaultKind, code: str, status: int
) -> None:
    plain = make_table()
    injector = FaultInjector(1.0, kinds=(kind,))
    client = faulted(injector, "dynamodb")
    with pytest.raises(ClientError) as raised:
        put(client)
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert stored(plain) == 0  # moto's stub never saw the request
    assert injector.counts() == {"dynamodb": {kind.value: 1}}


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("s3", lambda c: c.list_buckets(), "SlowDown"),
        ("sns", lambda c: c.list_topics(), "Throttling"),
        ("sqs", lambda c: c.list_queues(), "RequestThrottled"),
    ],
)
def test_each_services_throttle_parses_as_its_own_error(
    aws: None, service: str, call: Any, code: str
) -> None:
    injector = FaultInjector(1.0, kinds=(FaultKind.THROTTLE,))
    with pytest.raises(ClientError) as raised:
        call(faulted(injector, service))
    assert raised.value.response["Error"]["Code"] == code
    assert injector.counts() == {service: {"throttle": 1}}


def test_a_timeout_fault_raises_and_nothing_is_written(aws: None) -> None:
    plain = make_table()
    injector = FaultInjector(1.0, kinds=(FaultKind.TIMEOUT,))
    with pytest.raises(ConnectTimeoutError):
        put(faulted(injector, "dynamodb"))
    assert stored(plain) == 0
    assert injector.counts() == {"dynamodb": {"timeout": 1}}


def test_a_lost_response_is_a_timeout_after_the_work_was_done(aws: None) -> None:
    plain = make_table()
    injector = FaultInjector(1.0, kinds=(FaultKind.LOST_RESPONSE,))
    with pytest.raises(ReadTimeoutError):
        put(faulted(injector, "dynamodb"))
    assert stored(plain) == 1
    assert injector.counts() == {"dynamodb": {"lost-response": 1}}


def test_the_sdk_retries_a_lost_response_into_its_own_conditional_failure(aws: None) -> None:
    # What the injector exists to show: the retry of a write that happened sees the write.
    make_table()
    injector = FaultInjector(1.0, kinds=(FaultKind.LOST_RESPONSE,), backoff_scale=0.0)
    client = faulted(injector, "dynamodb", BotoConfig(retries={"mode": "standard", "total_max_attempts": 2}))
    # Runs after the injector's draw (both are first handlers, the injector's attached earlier):
    # only the first attempt is faulted.
    client.meta.events.register_first("before-send", lambda **_: setattr(injector, "rate", 0.0))
    with injector.scaled_backoff(), pytest.raises(ClientError) as raised:
        client.put_item(
            TableName="t", Item={"id": {"S": "1"}}, ConditionExpression="attribute_not_exists(id)"
        )
    assert raised.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert injector.counts() == {"dynamodb": {"lost-response": 1}}


def test_rate_zero_injects_nothing(aws: None) -> None:
    plain = make_table()
    injector = FaultInjector(0.0)
    client = faulted(injector, "dynamodb")
    for n in range(50):
        put(client, n)
    assert stored(plain) == 50
    assert injector.total() == 0 and injector.counts() == {}
    assert injector.attempts["dynamodb"] == 50


def test_other_services_are_left_alone(aws: None) -> None:
    injector = FaultInjector(1.0)
    faulted(injector, "kms").list_keys()
    assert injector.total() == 0


def test_counts_are_the_failures_the_caller_saw(aws: None) -> None:
    plain = make_table()
    injector = FaultInjector(0.5, seed=7)
    client = faulted(injector, "dynamodb")
    failures: dict[str, int] = {}
    for n in range(200):
        try:
            put(client, n)
        except ClientError as error:
            kind = "throttle" if error.response["ResponseMetadata"]["HTTPStatusCode"] == 400 else "5xx"
            failures[kind] = failures.get(kind, 0) + 1
        except ConnectTimeoutError:
            failures["timeout"] = failures.get("timeout", 0) + 1
        except ReadTimeoutError:
            failures["lost-response"] = failures.get("lost-response", 0) + 1
    assert injector.counts() == {"dynamodb": failures}
    assert 60 < injector.total() < 140  # about half
    assert set(failures) == {k.value for k in FaultKind}
    # Every put that succeeded or whose response was lost is in the table; no other.
    assert stored(plain) == 200 - injector.total() + failures["lost-response"]


def test_the_seed_reproduces_the_sequence(aws: None) -> None:
    make_table()

    def run(seed: int) -> list[tuple[str, str, FaultKind | None]]:
        injector = FaultInjector(0.3, seed=seed)
        client = faulted(injector, "dynamodb")
        for n in range(60):
            with contextlib.suppress(ClientError, ConnectTimeoutError, ReadTimeoutError):
                put(client, n)
        return injector.sequence

    first, again, other = run(3), run(3), run(4)
    assert first == again
    assert first != other
    assert any(fault is not None for _, _, fault in first)


def test_a_lost_response_over_http_reaches_the_server_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with moto_server() as endpoint:
        plain = make_table(endpoint_url=endpoint)
        injector = FaultInjector(1.0, kinds=(FaultKind.LOST_RESPONSE,))
        with pytest.raises(ReadTimeoutError):
            put(faulted(injector, "dynamodb", endpoint_url=endpoint))
        assert stored(plain) == 1
        throttled = FaultInjector(1.0, kinds=(FaultKind.THROTTLE,))
        with pytest.raises(ClientError):
            put(faulted(throttled, "dynamodb", endpoint_url=endpoint), 2)
        assert stored(plain) == 1
