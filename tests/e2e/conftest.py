"""One local stack (moto server, deployed template, in-process functions, HTTP API) per test session."""

from collections.abc import Iterator

import boto3
import pytest

from alpr.client import AlprClient
from alpr.local.stack import REGION, LocalStack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    with LocalStack() as running:
        yield running


@pytest.fixture(scope="session")
def unit(stack: LocalStack) -> AlprClient:
    return AlprClient(stack.api_url, stack.token("unit-01"))


@pytest.fixture(scope="session")
def investigator(stack: LocalStack) -> AlprClient:
    return AlprClient(stack.api_url, stack.token("investigator"))


@pytest.fixture(scope="session")
def aws(stack: LocalStack):
    """boto3 clients on the embedded AWS, for checking what the system stored."""

    def client(service: str):
        return boto3.client(service, endpoint_url=stack.endpoint_url, region_name=REGION)

    return client
