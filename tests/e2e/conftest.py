"""One local stack (moto server, deployed template, in-process functions, HTTP API) for the e2e tests;
it stops when they are done, before the socket-less unit tests run."""

from collections.abc import Iterator

import boto3
import pytest

from alpr.client.http import AlprClient
from alpr.domain.access import Purpose
from alpr.local.stack import REGION, LocalStack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="package")
def stack() -> Iterator[LocalStack]:
    with LocalStack() as running:
        yield running


@pytest.fixture(scope="package")
def unit(stack: LocalStack) -> AlprClient:
    return AlprClient(stack.api_url, stack.token("unit-01"))


# The access gate refuses a data request without a purpose (issue 4); e2e searches state this one.
E2E_PURPOSE = Purpose(
    category="stolen-vehicle",
    case_number="26-000042",
    text="end-to-end test of the plate search against rendered plates",
)


@pytest.fixture(scope="package")
def investigator(stack: LocalStack) -> AlprClient:
    return AlprClient(stack.api_url, stack.token("investigator"), purpose=E2E_PURPOSE)


@pytest.fixture(scope="package")
def aws(stack: LocalStack):
    """boto3 clients on the embedded AWS, for checking what the system stored."""

    def client(service: str):
        return boto3.client(service, endpoint_url=stack.endpoint_url, region_name=REGION)

    return client
