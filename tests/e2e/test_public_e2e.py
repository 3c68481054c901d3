"""What the public reads over HTTP on the local stack, without a token."""

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_the_usage_and_privacy_policy_is_public(stack):
    response = requests.get(f"{stack.api_url}/v1/policy", timeout=10)
    assert response.status_code == 200
    sections = {s["title"]: s["text"] for s in response.json()["sections"]}
    assert "kept 365 days from capture" in sections["Retention and destruction"]
