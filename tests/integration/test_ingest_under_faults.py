"""bench/faults.py at 100 uploads: a fifth of the S3, DynamoDB, SNS and SQS attempts fail while the
real recognize handler works through moto's queue (redelivery, DLQ, `alpr ingest redrive`), and no
upload is lost, no read or alert doubled. The injector's own tests (test_faults.py) show that the
faults counted here were really injected."""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest

from alpr.services.container import use

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]  # about a minute alone; minutes on a busy machine


@pytest.fixture
def faults_bench(monkeypatch: pytest.MonkeyPatch) -> Any:
    """bench/faults.py's `run`, with the environment it sets and the default session it makes undone."""
    monkeypatch.setattr(os, "environ", os.environ.copy())
    from bench import faults

    yield faults.run
    use(None)
    boto3.DEFAULT_SESSION = None


def test_a_hundred_uploads_under_a_fifth_of_calls_failing_lose_and_double_nothing(faults_bench: Any) -> None:
    result = faults_bench(100, 0.2, 23)

    # The faults were there, in every service the handler and the queue poller call
    assert result["injected_total"] > 100
    assert {"s3", "dynamodb", "sqs"} <= set(result["injected"])
    assert 0.15 < result["injected_total"] / result["attempts"] < 0.25
    # And nothing was lost or doubled
    assert result["lost"] == 0
    assert result["duplicated"] == 0
    assert result["alerts_duplicated"] == 0
    assert result["dlq_after_redrive"] == 0
    assert result["quarantined"] == 0  # a fault never passes a good image off as a bad one
    assert result["alerts_missing"] == 0 and result["alerts_unnotified"] == 0
    assert result["crops_missing"] == 0
    # The renderer's plates are read (a run that read nothing would lose nothing too)
    assert result["reads"] >= 95 and result["alerts"] >= 9
