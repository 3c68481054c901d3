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
