"""What the public reads over HTTP on the local stack, without a token: the policy and the figures."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from alpr.client.http import UnitCapture
from alpr.demo.synth import render_scene
from tests.e2e.test_walking_skeleton import unique_plate

pytestmark = pytest.mark.e2e


def test_the_usage_and_privacy_policy_is_public(stack):
    response = requests.get(f"{stack.api_url}/v1/policy", timeout=10)
    assert response.status_code == 200
    sections = {s["title"]: s["text"] for s in response.json()["sections"]}
    assert "kept until the same calendar date 1 year after capture" in sections["Retention and destruction"]


def test_the_transparency_figures_are_public_and_hold_no_personal_data(stack, unit, investigator):
    before = requests.get(f"{stack.api_url}/v1/transparency", timeout=10).json()
    plate = unique_plate()
    unit.upload(
        render_scene(plate, "CA", seed=14)[0],
        UnitCapture(captured_at=datetime.now(UTC) - timedelta(minutes=1), lat=38.0, lon=-122.1),
    )
    investigator.wait_for_plate(plate, count=1, timeout_s=60)
    response = requests.get(f"{stack.api_url}/v1/transparency", timeout=10)
    assert response.status_code == 200
    after = response.json()
    # moto keeps the count live (DynamoDB refreshes it about every six hours)
    assert after["reads_stored"] == before["reads_stored"] + 1
    assert after["retention_days"] == 365
    assert "fulfilled" in after["release_requests"]
    assert plate not in response.text
