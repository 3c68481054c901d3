"""What the API fuzz run (test_api_fuzz.py) found, kept as regression tests over HTTP."""

from __future__ import annotations

import pytest
import requests

from alpr.local.stack import LocalStack
from tests.e2e.conftest import E2E_PURPOSE

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(30)
@pytest.mark.parametrize("read_id", ["", "not-a-ulid", "0" * 27])
def test_an_export_of_a_malformed_read_id_is_a_validation_error_not_a_server_error(
    stack: LocalStack, read_id: str
) -> None:
    # Found by the fuzz run (seed 19): an empty read id reached DynamoDB's GetItem and answered 500.
    headers = {"Authorization": f"Bearer {stack.token('supervisor')}", **E2E_PURPOSE.headers()}
    response = requests.post(
        f"{stack.api_url}/v1/exports", json={"read_ids": [read_id]}, headers=headers, timeout=10
    )
    assert response.status_code == 422, response.text


@pytest.mark.timeout(30)
@pytest.mark.parametrize("path", ["/v1/reads/canvass", "/v1/exports", "/v1/hotlist/entries"])
def test_a_json_body_that_is_not_utf8_is_refused_not_a_dropped_connection(
    stack: LocalStack, path: str
) -> None:
    # Found by the fuzz run (negative cases, seed 7): the local API dropped the connection when a
    # text body was not UTF-8; API Gateway passes it on and the API refuses it.
    headers = {
        "Authorization": f"Bearer {stack.token('supervisor')}",
        "Content-Type": "application/json",
        **E2E_PURPOSE.headers(),
    }
    response = requests.post(f"{stack.api_url}{path}", data=b"\xa0\xff{", headers=headers, timeout=10)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["Content-Type"].startswith("application/json")
