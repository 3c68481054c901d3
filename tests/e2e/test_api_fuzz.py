"""The API fuzzed from its own OpenAPI document (issue 19): Schemathesis generates requests for
every operation the local stack serves, sent by a signed-in supervisor with a valid purpose; no
answer may be a server error or take longer than 5 s. A fixed seed and a bounded number of
examples per operation keep the run short and the same every time; what it found is kept as
regression tests in tests/e2e/test_fuzz_findings.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.checks import max_response_time, not_a_server_error

from alpr.local.stack import LocalStack
from alpr.names import OPENAPI_PATH, SWAGGER_PATH
from tests.e2e.conftest import E2E_PURPOSE

pytestmark = pytest.mark.e2e

MAX_RESPONSE_SECONDS = 5.0
EXAMPLES_PER_OPERATION = int(os.environ.get("ALPR_FUZZ_EXAMPLES", "8"))
SEED = int(os.environ.get("ALPR_FUZZ_SEED", "19"))


@pytest.fixture(scope="module")
def supervisor_headers(stack: LocalStack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token('supervisor')}", **E2E_PURPOSE.headers()}


@pytest.fixture(scope="module")
def api_schema(stack: LocalStack) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict({"checks": {"max_response_time": MAX_RESPONSE_SECONDS}})
    return schemathesis.openapi.from_url(f"{stack.api_url}{OPENAPI_PATH}", config=config)


def test_the_local_stack_serves_its_openapi_document(stack: LocalStack) -> None:
    document = requests.get(f"{stack.api_url}{OPENAPI_PATH}", timeout=10).json()
    assert document["servers"] == [{"url": stack.api_url}]
    assert {"/v1/reads", "/v1/reads/canvass", "/v1/uploads", "/v1/exports"} <= set(document["paths"])


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the document, read without a stack (its own process:
    see alpr.api.openapi) so that pytest can name one test per operation."""
    built = subprocess.run(
        [sys.executable, "-m", "alpr.api.openapi"], capture_output=True, check=True, timeout=120
    )
    paths = json.loads(built.stdout)["paths"]
    return sorted((method.upper(), path) for path, methods in paths.items() for method in methods)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("method", "path"), _operations())
def test_no_operation_answers_a_server_error_or_slowly(
    api_schema: schemathesis.BaseSchema, supervisor_headers: dict[str, str], method: str, path: str
) -> None:
    operation = api_schema[path][method]
    # Valid requests, and invalid ones (wrong types, missing fields): neither may be a 5xx.
    cases = operation.as_strategy() | operation.as_strategy(schemathesis.GenerationMode.NEGATIVE)

    # Schemathesis's pytest plugin does not run under pytest 9: the same Hypothesis loop, by hand.
    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=cases)
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=supervisor_headers, checks=[not_a_server_error, max_response_time])

    fuzz()


def test_the_local_stack_serves_a_swagger_ui_with_nothing_from_a_cdn(stack: LocalStack) -> None:
    page = requests.get(f"{stack.api_url}{SWAGGER_PATH}", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in page.text and "/v1/exports" in page.text
    # Script and styles inline: no <script src> or stylesheet link to fetch from elsewhere
    assert "<script src=" not in page.text and "rel='stylesheet'" not in page.text
